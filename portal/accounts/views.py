"""Log-in, log-out, password changes, account administration and the audit log."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.accounts import services
from portal.accounts.forms import ChangePasswordForm, CreateAccountForm, GrantRoleForm, LoginForm
from portal.accounts.sessions import end_session, refresh_session, start_session
from portal.core import audit, submit_keys
from portal.core.forms import FAILED, run_service
from portal.core.permissions import login_required, public, require
from portal.core.security import safe_next
from portal.roster import services as roster

blueprint = Blueprint("accounts", __name__)


@blueprint.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the log-in form; on success start a fresh session."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        # A refused log-in is not undone: its failure count and audit row are committed.
        user = services.authenticate(form.identifier.data, form.password.data)
        if user is None:
            flash(services.LOGIN_FAILED, "danger")
        else:
            start_session(user)
            return redirect(safe_next(request.args.get("next")) or url_for("home.index"))
    return render_template("accounts/login.html", form=form)


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session here and everywhere else."""
    services.logout(current_user)
    end_session()
    flash("您已安全退出", "success")
    return redirect(url_for("accounts.login"))


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password (forced at first log-in)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        changed = run_service(lambda: services.change_password(
            current_user, form.current_password.data, form.new_password.data, form.confirm_password.data,
        ), form)
        if changed is not FAILED:
            refresh_session(current_user)
            flash("密码已修改，其他设备上的登录已失效", "success")
            return redirect(url_for("home.index"))
    return render_template("accounts/change_password.html", form=form)


@blueprint.route("/accounts/")
@require("accounts.manage")
def user_list():
    """Accounts, searchable by name."""
    page = request.args.get("page", 1, type=int)
    pagination = services.list_users(request.args.get("q"), page=page)
    return render_template("accounts/user_list.html", pagination=pagination, q=request.args.get("q", ""))


@blueprint.route("/accounts/new", methods=["GET", "POST"])
@require("accounts.manage")
def user_create():
    """Open an account; the temporary password is shown once."""
    form = CreateAccountForm(person_id=request.args.get("person_id", type=int))
    if form.validate_on_submit():
        created = run_service(lambda: services.create_account(
            current_user, form.person_id.data, form.login_name.data, form.display_name.data
        ), form)
        if created is not FAILED:
            user, initial = created
            submit_keys.shows(url_for("accounts.user_detail", user_id=user.id))
            return render_template("accounts/password_issued.html", user=user, password=initial)
    return render_template("accounts/user_create.html", form=form)


@blueprint.route("/accounts/<int:user_id>")
@require("accounts.manage")
def user_detail(user_id):
    """One account: its roles, lock state and actions."""
    user = services.get_user(user_id)
    return render_template("accounts/user_detail.html", user=user, form=_grant_form(),
                           locked=services.is_locked(user))


def _grant_form():
    form = GrantRoleForm()
    form.organisation_id.choices = [
        SelectChoice(o.id, "　" * o.depth + o.name) for o in roster.organisation_tree()
        if current_user.has_permission("accounts.manage", o)
    ]
    return form


@blueprint.route("/accounts/<int:user_id>/roles", methods=["POST"])
@require("accounts.manage")
def role_grant(user_id):
    """Grant a role on an organisation."""
    user = services.get_user(user_id)
    form = _grant_form()
    if form.validate_on_submit():
        return _commit_or_flash(
            lambda: services.grant_role(
                current_user, user, form.role.data, roster.get_organisation(form.organisation_id.data)
            ),
            "角色已授予", user, form,
        )
    flash("请选择有效的角色和组织", "danger")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@blueprint.route("/accounts/<int:user_id>/roles/<int:grant_id>/revoke", methods=["POST"])
@require("accounts.manage")
def role_revoke(user_id, grant_id):
    """Take a role away."""
    user = services.get_user(user_id)
    return _commit_or_flash(lambda: services.revoke_role(current_user, user, grant_id), "角色已撤销", user)


@blueprint.route("/accounts/<int:user_id>/disable", methods=["POST"])
@require("accounts.manage")
def user_disable(user_id):
    """Disable an account and end its sessions."""
    user = services.get_user(user_id)
    return _commit_or_flash(lambda: services.set_active(current_user, user, False), "账号已停用", user)


@blueprint.route("/accounts/<int:user_id>/enable", methods=["POST"])
@require("accounts.manage")
def user_enable(user_id):
    """Enable a disabled account."""
    user = services.get_user(user_id)
    return _commit_or_flash(lambda: services.set_active(current_user, user, True), "账号已启用", user)


@blueprint.route("/accounts/<int:user_id>/unlock", methods=["POST"])
@require("accounts.manage")
def user_unlock(user_id):
    """Lift a lock-out."""
    user = services.get_user(user_id)
    return _commit_or_flash(lambda: services.unlock(current_user, user), "账号已解锁", user)


@blueprint.route("/accounts/<int:user_id>/reset-password", methods=["POST"])
@require("accounts.manage")
def user_reset_password(user_id):
    """Issue a new temporary password."""
    user = services.get_user(user_id)
    initial = services.reset_password(current_user, user)
    return render_template("accounts/password_issued.html", user=user, password=initial)


def _commit_or_flash(action, message, user, form=None):
    if run_service(action, form) is not FAILED:
        flash(message, "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@blueprint.route("/audit/")
@require("audit.view")
def audit_log():
    """Browse and filter the audit log."""
    page = request.args.get("page", 1, type=int)
    action = request.args.get("action") or None
    actor_q = (request.args.get("actor") or "").strip()[:40] or None
    pagination = services.search_audit(action=action, actor_name=actor_q, page=page)
    return render_template("accounts/audit_log.html", pagination=pagination, action=action,
                           actor=actor_q or "", actions=audit.ACTION_LABELS)
