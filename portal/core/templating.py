"""Template filters and globals shared by every page."""

from flask_login import current_user

from portal.core.clock import format_local

# The navigation: (endpoint, label, permission or None for any logged-in user).
# A module is listed here only once its pages exist.
NAVIGATION = [
    ("home.index", "首页", None),
    ("roster.person_list", "花名册", "roster.view"),
    ("roster.org_list", "组织机构", "org.manage"),
    ("roster.import_start", "导入花名册", "roster.import"),
    ("accounts.user_list", "账号管理", "accounts.manage"),
    ("accounts.audit_log", "审计日志", "audit.view"),
]


def init_templating(app):
    """Register the `localtime` filter and the navigation for the current user."""
    app.jinja_env.filters["localtime"] = format_local

    @app.context_processor
    def _navigation():
        if not current_user.is_authenticated:
            return {"nav_items": []}
        items = [
            (endpoint, label) for endpoint, label, perm in NAVIGATION
            if perm is None or current_user.has_permission(perm)
        ]
        return {"nav_items": items}
