"""Template filters and globals shared by every page."""

from flask import request, url_for
from flask_login import current_user

from portal.core import charts
from portal.core.clock import format_local

# A navigation entry for users whose account belongs to a person on the roster.
HAS_PERSON = "has_person"

# The navigation: (endpoint, label, permission, HAS_PERSON, or None for any logged-in user).
# A module is listed here only once its pages exist. The credits module's other pages
# (adjustments, anomalies, payout) are reached from its own sub-navigation.
NAVIGATION = [
    ("home.index", "首页", None),
    ("study.index", "学习", HAS_PERSON),
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


def _allowed(requirement):
    if requirement is None:
        return True
    if requirement == HAS_PERSON:
        return current_user.person_id is not None
    return current_user.has_permission(requirement)


def init_templating(app):
    """Register the `localtime` filter, the chart functions and the navigation for the current user."""
    app.jinja_env.filters["localtime"] = format_local
    app.jinja_env.filters["thousands"] = charts.format_number
    app.jinja_env.globals.update(bar_chart=charts.bar_chart, line_chart=charts.line_chart,
                                 histogram=charts.histogram)

    @app.context_processor
    def _navigation():
        if not current_user.is_authenticated:
            return {"nav_items": []}
        entries = [(url_for(endpoint), label) for endpoint, label, requirement in NAVIGATION
                   if _allowed(requirement)]
        current = _current_entry(request.path, [url for url, _ in entries])
        return {"nav_items": [(url, label, url == current) for url, label in entries]}


def _current_entry(path, urls):
    """The menu URL for a page: the longest one its path starts with ("/" only for itself)."""
    matches = [url for url in urls if path == url or (url != "/" and path.startswith(url))]
    return max(matches, key=len, default=None)

