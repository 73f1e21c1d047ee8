"""Template filters and globals shared by every page."""

import threading

from cachetools import LRUCache
from flask import request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from portal.core import charts, clock
from portal.extensions import bootstrap

# An integer no id or page number reaches: url_pattern() builds one URL with it and splits there.
_URL_SENTINEL = 7_319_046_285_113

# A navigation entry for users whose account belongs to a person on the roster.
HAS_PERSON = "has_person"

# The navigation: (endpoint, label, permission, HAS_PERSON, or None for any logged-in user).
# A module is listed here only once its pages exist. The credits module's other pages
# (adjustments, anomalies, payout) are reached from its own sub-navigation.
NAVIGATION = [
    ("home.index", "首页", None),
    ("study.index", "学习", HAS_PERSON),
    ("exemplars.campaign_list", "六大员评选", HAS_PERSON),
    ("credits.mine", "我的积分", HAS_PERSON),
    ("inbox.index", "消息", HAS_PERSON),
    ("credits.rankings", "积分排名", "credits.rankings"),
    ("credits.rules", "积分规则", "credits.rules"),
    ("roster.person_list", "花名册", "roster.view"),
    ("roster.org_list", "组织机构", "org.manage"),
    ("roster.import_start", "导入花名册", "roster.import"),
    ("accounts.user_list", "账号管理", "accounts.manage"),
    ("accounts.audit_log", "审计日志", "audit.view"),
]


def allowed(requirement):
    """True if the current user may see a menu entry with this requirement (see NAVIGATION)."""
    if requirement is None:
        return True
    if requirement == HAS_PERSON:
        return current_user.person_id is not None
    return current_user.has_permission(requirement)


def init_templating(app):
    """Register the date filters, the chart functions and the navigation for the current user."""
    # The date rule (core.clock's docstring): no template formats a date any other way.
    app.jinja_env.filters.update(date=clock.format_date, time=clock.format_time, datetime=clock.format_datetime,
                                 month=clock.format_month, weekday=clock.format_weekday, span=clock.format_span)
    app.jinja_env.filters["thousands"] = charts.format_number
    app.jinja_env.globals.update(bar_chart=charts.bar_chart, line_chart=charts.line_chart,
                                 histogram=charts.histogram, histogram_of_counts=charts.histogram_of_counts,
                                 url_pattern=url_pattern)

    # Every page links the same Bootstrap files and carries a log-out form: build those once.
    app.jinja_env.globals.update(bootstrap_css=_once_per_root(lambda: bootstrap.load_css()),
                                 bootstrap_js=_once_per_root(lambda: bootstrap.load_js()))
    csrf_token = _session_csrf_token(app)

    @app.context_processor
    def _csrf_token():
        # Flask-WTF offers generate_csrf from a context processor; this one, registered later, wins.
        return {"csrf_token": csrf_token}

    @app.context_processor
    def _navigation():
        if not current_user.is_authenticated:
            return {"nav_items": []}
        entries = [(menu_url(endpoint), label) for endpoint, label, requirement in NAVIGATION
                   if allowed(requirement)]
        current = _current_entry(request.path, [url for url, _ in entries])
        return {"nav_items": [(url, label, url == current) for url, label in entries]}


_MENU_URLS = {}


def menu_url(endpoint):
    """url_for(endpoint) for an endpoint without arguments, built once per application root (menus)."""
    key = (request.script_root, endpoint)
    if key not in _MENU_URLS:
        _MENU_URLS[key] = url_for(endpoint)
    return _MENU_URLS[key]


def _once_per_root(make):
    """A function giving make()'s value, made once per application root (make may call url_for)."""
    made = {}

    def get():
        if request.script_root not in made:
            made[request.script_root] = make()
        return made[request.script_root]

    return get


def _session_csrf_token(app):
    """The templates' csrf_token(): Flask-WTF's signed token, signed once per session's raw token.

    generate_csrf() signs the session's raw token afresh on every call (an HMAC, zlib and base64
    for each page's log-out form). Without a time limit (WTF_CSRF_TIME_LIMIT = None) any signed
    copy of the raw token stays valid, so the first one is kept for the session's later pages.
    """
    signed = LRUCache(maxsize=4096)
    lock = threading.Lock()
    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")

    def csrf_token():
        if app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
            return generate_csrf()
        raw = session.get(field)  # None on the first page after log-in: generate_csrf() makes it
        with lock:
            token = signed.get(raw) if raw is not None else None
        if token is None:
            token = generate_csrf()
            with lock:
                signed[session[field]] = token
        return token

    return csrf_token


def _current_entry(path, urls):
    """The menu URL for a page: the longest one its path starts with ("/" only for itself)."""
    matches = [url for url in urls if path == url or (url != "/" and path.startswith(url))]
    return max(matches, key=len, default=None)


def url_pattern(endpoint, name, **values):
    """A function n -> url_for(endpoint, **{name: n}, **values) for whole numbers n, from one url_for call.

    A page with dozens of links to one endpoint (a ranking's 30 names, a pager's pages) builds
    the URL once and puts each number in; the URLs are exactly what url_for gives.
    """
    built = url_for(endpoint, **{name: _URL_SENTINEL}, **values)
    head, found, tail = built.partition(str(_URL_SENTINEL))
    if not found or str(_URL_SENTINEL) in tail:
        return lambda number: url_for(endpoint, **{name: number}, **values)
    return lambda number: f"{head}{int(number)}{tail}"
