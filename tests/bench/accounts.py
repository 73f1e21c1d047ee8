"""Accounts and log-in sessions for the bench's crowds: many people, each with a session of their own.

Accounts that do not exist yet are inserted in bulk, with an unusable random password and the role
their political status gives (党员, 入党积极分子, 职工群众) in their branch, and named "姓名·工号": the
navbar shows the account's name, so a storm script can tell whose answer a page is. Sessions are
made the way a log-in makes them (accounts.sessions.start_session and Flask-WTF's token, signed
with the bench server's SECRET_KEY), because thousands of password checks would take minutes and
trip the log-in throttle.
"""

import secrets

from sqlalchemy import insert, select

from portal.accounts.models import RoleGrant, User
from portal.accounts.passwords import hash_password
from portal.core.clock import utcnow
from portal.core.permissions import Role
from portal.extensions import db
from portal.roster.models import PoliticalStatus
from tests.bench import databases

ROLE_OF = {PoliticalStatus.FULL_MEMBER: Role.MEMBER, PoliticalStatus.PROBATIONARY: Role.MEMBER,
           PoliticalStatus.ACTIVIST: Role.ACTIVIST, PoliticalStatus.MASSES: Role.STAFF}


def display_name(person):
    """The name a bench account is given: unique, since employee numbers are."""
    return f"{person.name}·{person.employee_no}"


def ensure_accounts(people):
    """({person id: User} for `people`, how many accounts were added for those who had none)."""
    ids = [p.id for p in people]
    have = set(db.session.scalars(select(User.person_id).where(User.person_id.in_(ids))))
    missing = [p for p in people if p.id not in have]
    if missing:
        password = hash_password(secrets.token_urlsafe(24))  # nobody knows it: sessions are made below
        now = utcnow()
        for start in range(0, len(missing), 1000):
            chunk = missing[start:start + 1000]
            db.session.execute(insert(User), [
                {"person_id": p.id, "display_name": display_name(p), "password_hash": password,
                 "must_change_password": False, "password_changed_at": now, "session_version": 1, "active": True,
                 "failed_attempts": 0, "created_at": now, "updated_at": now} for p in chunk])
            made = dict(db.session.execute(select(User.person_id, User.id).where(
                User.person_id.in_([p.id for p in chunk]))).all())
            db.session.execute(insert(RoleGrant), [
                {"user_id": made[p.id], "role": ROLE_OF[p.political_status], "organisation_id": p.branch_id,
                 "created_at": now, "updated_at": now} for p in chunk])
        db.session.flush()
    users = {}
    for start in range(0, len(ids), 1000):
        users.update({u.person_id: u for u in db.session.scalars(select(User).where(
            User.person_id.in_(ids[start:start + 1000])))})
    return users, len(missing)


def _signer(bench):
    """The portal app configured with the bench server's SECRET_KEY."""
    from portal import create_app

    key = databases.flask_env(bench.portal_url, bench.tmp)["SECRET_KEY"]
    return create_app({"SQLALCHEMY_DATABASE_URI": bench.portal_url, "SECRET_KEY": key,
                       "UPLOAD_DIR": str(bench.tmp / "uploads"), "BACKUP_DIR": str(bench.tmp / "backups")})


def sessions(bench, users):
    """{user id: (Cookie header, CSRF token)} as a log-in would leave them, signed for the bench server."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    from portal.accounts.sessions import start_session

    app = _signer(bench)
    serializer = app.session_interface.get_signing_serializer(app)
    name = app.config["SESSION_COOKIE_NAME"]
    made = {}
    for user in users:
        with app.test_request_context("/login", method="POST"):
            start_session(user)
            token = generate_csrf()
            made[user.id] = (f"{name}={serializer.dumps(dict(session))}", token)
    return made
