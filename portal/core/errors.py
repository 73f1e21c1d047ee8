"""Error pages in Chinese with an incident id; nothing personal, no stack trace."""

import logging
import uuid

from flask import render_template, request
from werkzeug.exceptions import HTTPException

from portal.core.exceptions import PortalError

log = logging.getLogger("portal.errors")

MESSAGES = {
    400: ("请求无效", "提交的内容无法处理，请返回重试。"),
    403: ("没有权限", "您没有访问此页面的权限。如需开通，请联系本单位管理员。"),
    404: ("页面不存在", "您要找的页面不存在，或不在您的查看范围内。"),
    405: ("请求方式不允许", "该页面不接受这种操作方式。"),
    413: ("上传文件过大", "上传的文件超过了大小上限（8 MB），请拆分后重新上传。"),
    500: ("系统错误", "系统出现了问题，我们已记录。请稍后重试，或把事件编号告诉管理员。"),
}


def init_error_handlers(app):
    """Register the handlers for HTTP errors and for anything unexpected."""

    @app.errorhandler(HTTPException)
    def _http_error(error):
        code = error.code or 500
        if code == 400 and getattr(error, "description", "").startswith("The CSRF"):
            return _render(code, "表单已过期", "页面已过期或来源无法验证，请刷新页面后重新提交。")
        title, text = MESSAGES.get(code, (error.name, ""))
        return _render(code, title, text)

    @app.errorhandler(PortalError)
    def _portal_error(error):
        # A rule a view did not translate itself (e.g. NotFound for an out-of-scope object).
        title, _ = MESSAGES.get(error.status_code, MESSAGES[400])
        return _render(error.status_code, title, error.message)

    @app.errorhandler(Exception)
    def _unexpected(error):
        incident = uuid.uuid4().hex[:12]
        # The path only, never the query string: it may carry search terms.
        log.error("incident %s on %s %s", incident, request.method, request.path, exc_info=error)
        title, text = MESSAGES[500]
        return _render(500, title, text, incident=incident)


def _render(code, title, text, incident=None):
    return (
        render_template("errors/error.html", code=code, title=title, text=text, incident=incident),
        code,
    )
