"""Session handling: loading users by session version, idle time-out, forced changes."""

import secrets

from flask import flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import defer, joinedload

from portal.accounts import passwords
from portal.accounts.models import RoleGrant, User
from portal.accounts.services import password_expired
from portal.core.clock import utcnow
from portal.extensions import db, login_manager
from portal.roster.models import Organisation

# Endpoints a user with a pending password change may still reach.
_ALLOWED_WHILE_CHANGE_PENDING = {"accounts.change_password", "accounts.logout", "static", "bootstrap.static"}


def load_account(user_id):
    """The account with its grants (and their organisations) in one statement, or None."""
    return db.session.scalars(_ACCOUNT, {"user_id": user_id}).unique().one_or_none()


# Columns no request needs of the signed-in account, read only when a page asks (the account
# pages, the log-in): every column read is work on every request.
_NOT_PER_REQUEST = {
    User: ("password_hash", "failed_attempts", "locked_until", "last_login_at", "created_at", "updated_at"),
    RoleGrant: ("created_at", "updated_at"),
    Organisation: ("created_at", "updated_at"),
}


def _deferred(model):
    return [defer(getattr(model, name)) for name in _NOT_PER_REQUEST[model]]


# Built once, beside the one function that runs it: this runs on every request, and building the
# statement (with its loader options) costs more than running it.
_ACCOUNT = (select(User)
            .options(*_deferred(User), joinedload(User.grants).options(
                *_deferred(RoleGrant), joinedload(RoleGrant.organisation).options(*_deferred(Organisation))))
            .where(User.id == bindparam("user_id")))


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
        user = load_account(int(user_id))
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
