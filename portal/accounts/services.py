"""Account rules: log-in with lockout, passwords, roles, enabling and disabling."""

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.accounts import passwords
from portal.accounts.models import RoleGrant, User
from portal.core import audit, crypto, text
from portal.core.clock import utcnow
from portal.core.exceptions import ConflictError, NotFound, PermissionDenied, ValidationError
from portal.core.idcard import canonical_identifier, mask_identifier
from portal.core.permissions import Role
from portal.extensions import db
from portal.roster import services as roster

LOGIN_FAILED = "账号或密码错误。连续输错 5 次，账号将被锁定 15 分钟。"


def find_user(identifier):
    """The account for a login name, employee number or phone number, or None."""
    identifier = text.clean_code(identifier or "")
    if not identifier:
        return None
    user = db.session.scalar(select(User).where(User.login_name == identifier))
    if user is not None:
        return user
    person = roster.find_person_by_login(identifier)
    if person is None:
        return None
    return db.session.scalar(select(User).where(User.person_id == person.id))


def _unknown_identifier(identifier):
    """How the audit log names an identifier no account has: masked, plus a keyed hash.

    The hash lets an administrator see that many failures came from one typed value (or check
    a value they are told about) without the log ever holding an ID or phone number.
    """
    identifier = canonical_identifier(identifier)[:40]
    return f"未知账号 {mask_identifier(identifier)}（标识 {crypto.blind_index('login', identifier)[:12]}）"


def authenticate(identifier, password):
    """The user for good credentials, else None (LOGIN_FAILED tells why without saying which).

    A failure is counted in the database (locking the account after too many) and audited; it
    is an outcome to keep, not an error to undo, so it returns rather than raises.
    """
    now = utcnow()
    user = find_user(identifier)
    if user is None:
        passwords.burn_time(password)
        audit.record("login_failed", detail=_unknown_identifier(identifier), actor=None)
        return None
    locked = user.locked_until is not None and user.locked_until > now
    if locked or not user.active or not passwords.verify_password(user.password_hash, password):
        _count_failure(user, now, reason="已锁定" if locked else ("已停用" if not user.active else "密码错误"))
        return None
    user.failed_attempts = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record("login", target=user, actor=user)
    return user


def _count_failure(user, now, reason):
    # An atomic increment, so parallel attempts on several workers all count.
    count = db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_attempts=User.failed_attempts + 1)
        .returning(User.failed_attempts)
    ).scalar_one()
    audit.record("login_failed", target=user, detail=f"{reason}（第 {count} 次）", actor=None)
    if count >= current_app.config["LOGIN_MAX_FAILURES"]:
        minutes = current_app.config["LOGIN_LOCK_MINUTES"]
        db.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_attempts=0, locked_until=now + timedelta(minutes=minutes))
        )
        audit.record("account_locked", target=user, detail=f"锁定 {minutes} 分钟", actor=None)
    db.session.expire(user)


def end_other_sessions(user):
    """Bump the session version: every cookie issued before now stops working."""
    user.session_version = (user.session_version or 0) + 1


def logout(user):
    """Record the log-out and end the account's sessions everywhere."""
    end_other_sessions(user)
    audit.record("logout", target=user, actor=user)


def password_expired(user):
    """True if the strict policy is on and the password is older than 90 days."""
    if not passwords.is_strict():
        return False
    changed = user.password_changed_at
    return changed is None or utcnow() - changed > passwords.STRICT_MAX_AGE


def _identifiers(user):
    idents = [user.login_name]
    if user.person is not None:
        idents += [user.person.employee_no, user.person.reveal_phone()]
    return [i for i in idents if i]


def change_password(user, current, new, confirm):
    """Change the user's own password after checking the current one and the policy."""
    if not passwords.verify_password(user.password_hash, current or ""):
        raise ValidationError("当前密码不正确", field="current_password")
    if new != confirm:
        raise ValidationError("两次输入的新密码不一致", field="confirm_password")
    if passwords.verify_password(user.password_hash, new):
        raise ValidationError("新密码不能与当前密码相同", field="new_password")
    passwords.check_policy(new, _identifiers(user))
    set_password(user, new, must_change=False)
    audit.record("password_changed", target=user, actor=user)


def set_password(user, new, must_change):
    """Store a new password hash and end the account's other sessions."""
    user.password_hash = passwords.hash_password(new)
    user.must_change_password = must_change
    user.password_changed_at = utcnow()
    end_other_sessions(user)


def temporary_password():
    """A random first password that an administrator hands over (changed at first log-in)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(12))
        try:
            passwords.check_policy(candidate)
            return candidate
        except ValidationError:
            continue


def create_account(actor, person_id=None, login_name=None, display_name=None, password=None):
    """Open an account for a roster person (or a named service account); returns (user, password)."""
    person = None
    if person_id is not None:
        person = roster.get_person_for(actor, person_id, permission="roster.view")
        if db.session.scalar(select(User.id).where(User.person_id == person.id)):
            raise ConflictError(f"{person.name} 已有账号", field="person_id")
        display_name = person.name
    elif not login_name:
        raise ValidationError("请选择人员，或填写登录名", field="person_id")
    if login_name and db.session.scalar(select(User.id).where(User.login_name == login_name)):
        raise ConflictError("登录名已被使用", field="login_name")
    initial = password or temporary_password()
    user = User(
        person=person,
        login_name=login_name or None,
        display_name=display_name or login_name,
        password_hash=passwords.hash_password(initial),
        must_change_password=True,
    )
    try:
        with db.session.begin_nested():  # a concurrent request opening the same account loses here
            db.session.add(user)
    except IntegrityError:
        raise ConflictError("该人员已有账号，或登录名已被使用") from None
    audit.record("account_created", target=user, actor=actor)
    return user, initial


def get_user(user_id):
    """An account by id, or NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("账号不存在")
    return user


def grant_role(actor, user, role, org):
    """Grant a role on an organisation the actor manages; idempotent."""
    role = Role(role)
    if not actor.has_permission("accounts.manage", org):
        raise PermissionDenied("您不能在该组织上授予角色")
    existing = db.session.scalar(
        select(RoleGrant).where(
            RoleGrant.user_id == user.id, RoleGrant.role == role, RoleGrant.organisation_id == org.id
        )
    )
    if existing is not None:
        raise ConflictError("该账号已在此组织上拥有这个角色")
    grant = RoleGrant(user=user, role=role, organisation=org)
    db.session.add(grant)
    end_other_sessions(user)
    audit.record("role_granted", target=user, actor=actor, detail=f"{grant.role_label}@{org.name}")
    return grant


def revoke_role(actor, user, grant_id):
    """Take a role away; refuses to remove the last administrator."""
    grant = db.session.get(RoleGrant, grant_id)
    if grant is None or grant.user_id != user.id:
        raise NotFound("角色记录不存在")
    if not actor.has_permission("accounts.manage", grant.organisation):
        raise PermissionDenied("您不能撤销该组织上的角色")
    if grant.role == Role.ADMIN and _admin_count() <= 1:
        raise ConflictError("这是最后一个系统管理员角色，不能撤销")
    audit.record(
        "role_revoked", target=user, actor=actor, detail=f"{grant.role_label}@{grant.organisation.name}"
    )
    user.grants.remove(grant)
    end_other_sessions(user)


def person_ids_holding(role, organisation_id):
    """Ids of the people whose active accounts hold `role` granted on exactly this organisation."""
    return set(db.session.scalars(
        select(User.person_id).join(RoleGrant, RoleGrant.user_id == User.id).where(
            RoleGrant.role == Role(role), RoleGrant.organisation_id == organisation_id,
            User.active.is_(True), User.person_id.is_not(None))))


def _admin_count():
    return db.session.scalar(
        select(func.count(func.distinct(RoleGrant.user_id)))
        .join(User)
        .where(RoleGrant.role == Role.ADMIN, User.active.is_(True))
    )


def set_active(actor, user, active):
    """Enable or disable an account; disabling ends its sessions at once."""
    if user.id == actor.id and not active:
        raise ValidationError("不能停用自己的账号")
    if not active and user.has_role(Role.ADMIN) and _admin_count() <= 1:
        raise ConflictError("这是最后一个可用的系统管理员账号，不能停用")
    user.active = active
    end_other_sessions(user)
    audit.record("account_enabled" if active else "account_disabled", target=user, actor=actor)


def unlock(actor, user):
    """Lift a lock-out before it expires."""
    user.locked_until = None
    user.failed_attempts = 0
    audit.record("account_unlocked", target=user, actor=actor)


def reset_password(actor, user):
    """Give the account a new temporary password, to be changed at next log-in."""
    initial = temporary_password()
    set_password(user, initial, must_change=True)
    audit.record("password_reset", target=user, actor=actor)
    return initial


def list_users(q=None, page=1, per_page=30):
    """Accounts, newest first, optionally filtered by name or login name."""
    stmt = select(User).order_by(User.id.desc())
    q = text.clean(q or "")  # from the address, not a form: the text rule is applied here
    if q:
        like = f"%{q}%"
        stmt = stmt.where((User.display_name.like(like)) | (User.login_name.like(like)))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def is_locked(user):
    """True while a lock-out is in force."""
    return user.locked_until is not None and user.locked_until > utcnow()


def search_audit(action=None, actor_name=None, page=1):
    """The audit log, filtered by action and by the actor's name or login name."""
    actor_ids = None
    # Both come from the address, not a form: the text rule is applied here.
    action, actor_name = text.clean(action or "") or None, text.clean(actor_name or "")
    if actor_name:
        like = f"%{actor_name}%"
        actor_ids = db.session.scalars(
            select(User.id).where(User.display_name.like(like) | User.login_name.like(like))
        ).all()
    return audit.search_entries(action=action, actor_ids=actor_ids, page=page)


def account_overview():
    """The admin's figures: how many accounts, which are locked out now, how many must change the password."""
    now = utcnow()
    return {
        "accounts": db.session.scalar(select(func.count(User.id))),
        "locked": db.session.scalars(
            select(User).where(User.locked_until > now).order_by(User.id)
        ).all(),
        "pending_change": db.session.scalar(
            select(func.count(User.id)).where(User.must_change_password.is_(True))
        ),
    }
