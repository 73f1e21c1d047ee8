"""Roles, what each may do, and the declaration every view must carry (default deny)."""

from enum import StrEnum
from functools import wraps

from flask import abort, request
from flask_login import current_user


class Role(StrEnum):
    """The roles of DOMAIN.md; each is granted on an organisation (and its subtree)."""

    ADMIN = "admin"
    COMMITTEE = "committee"
    SECRETARY = "secretary"
    MEMBER = "member"
    ACTIVIST = "activist"
    STAFF = "staff"


ROLE_LABELS = {
    Role.ADMIN: "系统管理员",
    Role.COMMITTEE: "党委委员",
    Role.SECRETARY: "支部书记",
    Role.MEMBER: "党员",
    Role.ACTIVIST: "入党积极分子",
    Role.STAFF: "职工群众",
}

# Permission -> roles that hold it. A grant on an organisation covers its whole subtree.
PERMISSIONS = {
    "roster.view": {Role.ADMIN, Role.COMMITTEE, Role.SECRETARY},
    "roster.edit": {Role.ADMIN, Role.COMMITTEE, Role.SECRETARY},
    "roster.import": {Role.ADMIN, Role.COMMITTEE},
    "roster.export": {Role.ADMIN, Role.COMMITTEE, Role.SECRETARY},
    "roster.reveal": {Role.ADMIN, Role.COMMITTEE},
    "org.manage": {Role.ADMIN, Role.COMMITTEE},
    "accounts.manage": {Role.ADMIN},
    "audit.view": {Role.ADMIN},
    "credits.rankings": {Role.COMMITTEE, Role.SECRETARY},
    "credits.ledger": {Role.COMMITTEE, Role.SECRETARY},
    "credits.rules": {Role.COMMITTEE},
    "credits.adjust": {Role.COMMITTEE},
    "credits.payout": {Role.COMMITTEE},
    # Articles, study plans, the question bank, tests, sessions and grading for one's branches.
    "study.manage": {Role.COMMITTEE, Role.SECRETARY},
    # Six-role exemplars: the committee runs campaigns and enters paper ballots at polling points;
    # secretaries (and the committee) nominate for the branches they look after.
    "exemplars.manage": {Role.COMMITTEE},
    "exemplars.paper": {Role.COMMITTEE},
    "exemplars.nominate": {Role.COMMITTEE, Role.SECRETARY},
}

PUBLIC = "public"
AUTHENTICATED = "authenticated"


def roles_with(permission):
    """The roles that hold a permission (KeyError for an unknown one)."""
    return PERMISSIONS[permission]


def _declare(view, access):
    view.access = access
    return view


def public(view):
    """Declare a view open to everyone, logged in or not."""
    return _declare(view, PUBLIC)


def login_required(view):
    """Declare a view open to any logged-in user (objects are still scoped by services)."""
    return _declare(view, AUTHENTICATED)


def require(permission):
    """Declare the permission a view needs; the user must hold it on some organisation."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission}")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            return view(*args, **kwargs)

        return _declare(wrapped, permission)

    return decorator


def enforce_declared_access(app):
    """Before each request: deny any endpoint whose view declares no access."""

    @app.before_request
    def _check_access():
        if request.endpoint is None:
            return None  # 404/405 are answered by Flask itself
        view = app.view_functions.get(request.endpoint)
        access = getattr(view, "access", None)
        if request.endpoint == "static" or request.endpoint.endswith(".static") or access == PUBLIC:
            return None
        if access is None:
            abort(403)
        if not current_user.is_authenticated:
            return app.login_manager.unauthorized()
        if access != AUTHENTICATED and not current_user.has_permission(access):
            abort(403)
        return None
