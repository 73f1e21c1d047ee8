"""Session handling: loading users by session version, idle time-out, forced changes."""

import secrets

from flask import current_app, flash, has_request_context, redirect, request, session, url_for
from flask_login import UserMixin, current_user, login_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import defer, joinedload

from portal.accounts import passwords
from portal.accounts.models import RoleGrant, User
from portal.accounts.services import password_expired
from portal.core import cache
from portal.core.clock import utcnow
from portal.extensions import db, login_manager
from portal.roster.models import Organisation

# Endpoints a user with a pending password change may still reach.
_ALLOWED_WHILE_CHANGE_PENDING = {"accounts.change_password", "accounts.logout", "static", "bootstrap.static"}

# One query for the account, its grants and their organisations: this runs on every request, so the
# statement is built once (session.get() with loader options rebuilds them each time, which costs more).
# It also reads the data versions that key cached page parts (portal.core.cache): a few index look-ups
# that spare a cached page a round trip of its own. Built on first use, once every model has registered.
_LOAD_USER = {}
# Columns no request needs of the logged-in user, read only if a page asks (the account pages):
# every column read is work on each request.
_NOT_PER_REQUEST = {
    User: ("password_hash", "failed_attempts", "locked_until", "last_login_at", "created_at", "updated_at"),
    RoleGrant: ("created_at", "updated_at"),
    Organisation: ("created_at", "updated_at"),
}


def _deferred(model):
    return [defer(getattr(model, name)) for name in _NOT_PER_REQUEST[model]]


def _load_user_statement():
    if not _LOAD_USER:
        _LOAD_USER["statement"] = cache.with_versions(
            select(User)
            .options(*_deferred(User), joinedload(User.grants).options(
                *_deferred(RoleGrant), joinedload(RoleGrant.organisation).options(*_deferred(Organisation))))
            .where(User.id == bindparam("user_id"))
        )
        _LOAD_USER["identity"] = cache.with_versions(
            select(*[getattr(User, name) for name in SessionUser.COLUMNS]).where(User.id == bindparam("user_id")),
            IDENTITY_VERSIONS)
    return _LOAD_USER["statement"]


# The versions an identity_only view's work is keyed by: a hand-in's credit reads the rule and the
# last closed period through cache.memo(). The newest ledger id, which only cached pages need,
# costs the database an index scan on every request, so these views leave it out.
IDENTITY_VERSIONS = ("closed_periods", "rules")


class SessionUser(UserMixin):
    """The logged-in account as an identity_only view sees it: a few columns, no ORM objects.

    Anything else (grants, person, has_permission ...) comes from the full account, read on first
    use, so code that needs more still works, for one more statement.
    """

    COLUMNS = ("id", "person_id", "display_name", "session_version", "active", "must_change_password",
               "password_changed_at")

    def __init__(self, row):
        for name in self.COLUMNS:
            setattr(self, name, getattr(row, name))

    # The account's own: they read only columns a SessionUser has.
    is_active = User.is_active
    get_id = User.get_id

    def __getattr__(self, name):
        # Only called for what __init__ did not set: load the account with its grants, once.
        if name.startswith("__"):
            raise AttributeError(name)
        full = self.__dict__.get("_full")
        if full is None:
            full = self.__dict__["_full"] = _load_account(self.id)
        return getattr(full, name)


def _load_account(user_id):
    """The User with its grants (None if there is none), with the data versions read alongside."""
    row = db.session.execute(_load_user_statement(), {"user_id": user_id}).unique().one_or_none()
    if row is None:
        return None
    cache.remember_versions(row)
    return row[0]


def load_identity(user_id):
    """SessionUser of account `user_id` (None if there is none), with the data versions read alongside."""
    _load_user_statement()
    row = db.session.execute(_LOAD_USER["identity"], {"user_id": user_id}).one_or_none()
    if row is None:
        return None
    cache.remember_versions(row, IDENTITY_VERSIONS)
    return SessionUser(row)


def _identity_only():
    view = current_app.view_functions.get(request.endpoint) if has_request_context() else None
    return getattr(view, "identity_only", False)


def init_sessions(app):
    """Configure Flask-Login and the per-request session checks."""
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(token):
        user_id, _, version = token.partition(":")
        if not user_id.isdigit():
            return None
        user = load_identity(int(user_id)) if _identity_only() else _load_account(int(user_id))
        if user is None:
            return None
        # A bumped version (log-out elsewhere, password change, disabled) ends this session.
        if not user.active or str(user.session_version) != version:
            return None
        return user

    @app.before_request
    def _session_checks():
        if request.endpoint in (None, "static", "bootstrap.static"):
            return None
        if not current_user.is_authenticated:
            return None
        now = int(utcnow().timestamp())
        idle_limit = _idle_minutes(app) * 60
        last_seen = session.get("last_seen", now)
        if now - last_seen > idle_limit:
            logout_user()
            session.clear()
            flash("长时间未操作，已自动退出，请重新登录", "warning")
            return redirect(url_for("accounts.login"))
        if now - last_seen >= 60 or "last_seen" not in session:
            # Refreshed at most once a minute, so most responses need no new session cookie.
            session["last_seen"] = now
        if request.endpoint not in _ALLOWED_WHILE_CHANGE_PENDING and (
            current_user.must_change_password or password_expired(current_user)
        ):
            return redirect(url_for("accounts.change_password"))
        return None


def _idle_minutes(app):
    if passwords.is_strict():
        return min(passwords.STRICT_IDLE_MINUTES, app.config["SESSION_IDLE_MINUTES"])
    return app.config["SESSION_IDLE_MINUTES"]


def start_session(user):
    """Log the user in on a fresh session (nothing from before log-in survives)."""
    session.clear()
    login_user(user)
    session.permanent = True
    session["sid"] = secrets.token_urlsafe(16)
    session["last_seen"] = int(utcnow().timestamp())


def refresh_session(user):
    """Re-issue this browser's session after the user's session version changed."""
    login_user(user)
    session["sid"] = secrets.token_urlsafe(16)


def end_session():
    """Forget the user in this browser."""
    logout_user()
    session.clear()
