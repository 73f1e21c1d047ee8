import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.accounts.services import LOGIN_FAILED
from portal.core import clock
from portal.core.audit import AuditEntry
from portal.extensions import db
from tests.conftest import login
from tests.factories import PASSWORD, make_id_number


def _audit_actions():
    return [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_log_in_by_employee_number_phone_and_login_name(client, world):
    member = world.users.member
    for identifier in (member.person.employee_no, member.person.reveal_phone()):
        response = client.post("/login", data={"identifier": identifier, "password": PASSWORD})
        assert response.status_code == 302 and response.location == "/"
        assert "张三" in client.get("/").get_data(as_text=True)
        client.post("/logout")
    response = client.post("/login", data={"identifier": "admin", "password": PASSWORD})
    assert response.status_code == 302


def test_wrong_password_and_unknown_account_get_the_same_message(client, world):
    wrong = client.post("/login", data={"identifier": "admin", "password": "nope-nope-nope"})
    unknown = client.post("/login", data={"identifier": "nobody", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 200
    assert LOGIN_FAILED in wrong.get_data(as_text=True)
    assert LOGIN_FAILED in unknown.get_data(as_text=True)
    assert _audit_actions() == ["login_failed", "login_failed"]


def test_five_failures_lock_the_account_even_with_the_right_password(client, world, now):
    for _ in range(5):
        client.post("/login", data={"identifier": "admin", "password": "wrong-password-1"})
    admin = db.session.get(User, world.users.admin.id)
    db.session.refresh(admin)
    assert admin.locked_until is not None
    locked = client.post("/login", data={"identifier": "admin", "password": PASSWORD})
    assert locked.status_code == 200 and LOGIN_FAILED in locked.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still not logged in
    actions = _audit_actions()
    assert actions.count("login_failed") == 6
    assert actions.count("account_locked") == 1
    # After the lock period the right password works again.
    now.advance(minutes=16)
    assert client.post("/login", data={"identifier": "admin", "password": PASSWORD}).status_code == 302


def test_failure_count_lives_in_the_database(client, world):
    client.post("/login", data={"identifier": "admin", "password": "wrong-password-1"})
    client.post("/login", data={"identifier": "admin", "password": "wrong-password-2"})
    db.session.expire_all()
    assert db.session.get(User, world.users.admin.id).failed_attempts == 2
    # A success resets it.
    client.post("/login", data={"identifier": "admin", "password": PASSWORD})
    db.session.expire_all()
    assert db.session.get(User, world.users.admin.id).failed_attempts == 0


def test_session_is_rotated_on_login(client, world):
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    login(client, world.users.member)
    with client.session_transaction() as session:
        assert "planted" not in session
        first_sid = session["sid"]
    client.post("/logout")
    login(client, world.users.member)
    with client.session_transaction() as session:
        assert session["sid"] != first_sid


def test_logout_ends_the_accounts_other_sessions(app, world):
    phone, desk = app.test_client(), app.test_client()
    login(phone, world.users.member)
    login(desk, world.users.member)
    assert desk.get("/").status_code == 200
    phone.post("/logout")
    assert phone.get("/").status_code == 302
    assert desk.get("/").status_code == 302  # revoked on the server


def test_admin_disabling_an_account_ends_its_sessions(app, world):
    member, admin = app.test_client(), app.test_client()
    login(member, world.users.member)
    login(admin, world.users.admin)
    assert admin.post(f"/accounts/{world.users.member.id}/disable").status_code == 302
    assert member.get("/").status_code == 302
    again = login(member, world.users.member)
    assert again.status_code == 200 and LOGIN_FAILED in again.get_data(as_text=True)


def test_idle_session_times_out(client, world, now):
    start = now.set(clock.utcnow())
    login(client, world.users.member)
    now.set(start + timedelta(minutes=100))
    assert client.get("/").status_code == 200
    now.set(start + timedelta(minutes=100 + 121))
    response = client.get("/")
    assert response.status_code == 302 and response.location.endswith("/login")
    assert "长时间未操作" in client.get("/login").get_data(as_text=True)


def test_login_form_keeps_what_was_typed(client, world):
    page = client.post("/login", data={"identifier": "E99999", "password": ""}).get_data(as_text=True)
    assert 'value="E99999"' in page
    assert "请输入密码" in page


def test_next_parameter_cannot_redirect_off_site(client, world):
    response = client.post(
        "/login?next=//evil.example/", data={"identifier": "admin", "password": PASSWORD}
    )
    assert response.location == "/"


def test_session_cookie_is_reissued_only_when_the_session_changes(client, world, now):
    start = now.set(clock.utcnow())
    login(client, world.users.member)
    assert client.get("/").status_code == 200
    assert "Set-Cookie" not in client.get("/").headers  # nothing changed: no new cookie on every page
    now.set(start + timedelta(seconds=90))
    refreshed = client.get("/")
    assert refreshed.status_code == 200 and "portal_session=" in refreshed.headers["Set-Cookie"]  # last_seen moved on
    assert "Expires=" in refreshed.headers["Set-Cookie"]  # a permanent session: the expiry moves on with it
    now.set(start + timedelta(minutes=100))
    assert client.get("/").status_code == 200
    now.set(start + timedelta(minutes=100 + 121))
    assert client.get("/").status_code == 302  # the idle time-out still counts from the last refresh


@pytest.mark.parametrize("typed", [
    "{id}", "{id_spaced}", "+86 13812345678", "138 1234 5678", "138-1234-5678", "１３８１２３４５６７８",
])
def test_a_failed_log_in_never_stores_an_id_or_phone_number(client, world, typed):
    number = make_id_number(serial=411)
    typed = typed.format(id=number, id_spaced=f"{number[:6]} {number[6:14]} {number[14:]}")
    client.post("/login", data={"identifier": typed, "password": "wrong-password-1"})
    details = db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "login_failed")).all()
    assert len(details) == 1 and details[0].startswith("未知账号 ")
    stored = re.sub(r"\D", "", details[0].split("（")[0])
    assert number[4:-4] not in re.sub(r"\D", "", details[0]) and "12345" not in stored
    assert re.search(r"（标识 [0-9a-f]{12}）$", details[0])


def test_the_same_unknown_identifier_gets_the_same_keyed_hash(client, world):
    for typed in ("13812345678", "138 1234 5678"):
        client.post("/login", data={"identifier": typed, "password": "wrong-password-1"})
    details = db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "login_failed")).all()
    assert len(details) == 2 and details[0] == details[1] == f"未知账号 138****5678（标识 {details[0][-13:-1]}）"
