"""Error pages in Chinese with an incident id; nothing personal, no stack trace.

Every error page fails the request's transaction (core.transactions) first: what the request
wrote before the error is rolled back. The page itself is drawn without context processors,
from a template that reads neither the session, the database nor the signed-in user, so it can
be drawn whatever went wrong (a locked database, a broken session); should even that fail, a
fixed page in Chinese is sent. Under test or debug (Flask's PROPAGATE_EXCEPTIONS rule) an
unexpected exception is raised instead of answered, so a test or the debugger sees it.
"""

import logging
import uuid
from html import escape

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from portal.core import transactions
from portal.core.exceptions import PortalError

log = logging.getLogger("portal.errors")

MESSAGES = {
    400: ("请求无效", "提交的内容无法处理，请返回重试。"),
    403: ("没有权限", "您没有访问此页面的权限。如需开通，请联系本单位管理员。"),
    404: ("页面不存在", "您要找的页面不存在，或不在您的查看范围内。"),
    405: ("请求方式不允许", "该页面不接受这种操作方式。"),
    413: ("上传文件过大", "上传的文件超过了大小上限（8 MB），请拆分后重新上传。"),
    414: ("网址过长", "请求的网址过长，无法处理。请返回上一页重新操作。"),
    431: ("请求头过大", "浏览器发送的信息过多（通常是 Cookie 过多），请清除本站 Cookie 后重新登录。"),
    500: ("系统错误", "系统出现了问题，我们已记录。请稍后重试，或把事件编号告诉管理员。"),
}


def init_error_handlers(app):
    """Register the handlers for HTTP errors and for anything unexpected."""

    @app.errorhandler(HTTPException)
    def _http_error(error):
        _fail()
        if getattr(error, "original_exception", None) is not None:
            return _incident(error.original_exception)  # raised outside a view (a failed commit, say)
        code = error.code or 500
        if code == 400 and getattr(error, "description", "").startswith("The CSRF"):
            return _render(code, "表单已过期", "页面已过期或来源无法验证，请刷新页面后重新提交。")
        title, text = MESSAGES.get(code, (error.name, ""))
        return _render(code, title, text)

    @app.errorhandler(PortalError)
    def _portal_error(error):
        # A rule a view did not translate itself (e.g. NotFound for an out-of-scope object).
        _fail()
        title, _ = MESSAGES.get(error.status_code, MESSAGES[400])
        return _render(error.status_code, title, error.message)

    @app.errorhandler(Exception)
    def _unexpected(error):
        _fail()
        if _propagating(current_app):
            raise error
        return _incident(error)


def _incident(error):
    """The 500 page with a new incident id, logged with the error (the path only: a query may carry search terms)."""
    incident = uuid.uuid4().hex[:12]
    log.error("incident %s on %s %s", incident, request.method, request.path, exc_info=error)
    title, text = MESSAGES[500]
    return _render(500, title, text, incident=incident)


def _propagating(app):
    """Flask's own rule for letting an unhandled exception through (testing or debug by default)."""
    propagate = app.config.get("PROPAGATE_EXCEPTIONS")
    return app.testing or app.debug if propagate is None else propagate


def _fail():
    """Roll the request back; a broken connection must not stop the error page."""
    try:
        transactions.fail()
    except Exception:  # the page still has to be drawn
        log.exception("rollback failed while answering an error")


_FALLBACK = ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
             '<title>{title} · 党建学习管理平台</title></head><body><h1>{title}</h1><p>{text}</p>{incident}'
             '<p><a href="/">返回首页</a></p></body></html>')


def _render(code, title, text, incident=None):
    try:
        page = current_app.jinja_env.get_template("errors/error.html").render(
            code=code, title=title, text=text, incident=incident)
    except Exception:
        log.exception("the error page could not be drawn")
        shown = f"<p>事件编号：<code>{escape(incident)}</code></p>" if incident else ""
        page = _FALLBACK.format(title=escape(title), text=escape(text), incident=shown)
    return page, code
