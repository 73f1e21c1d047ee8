from datetime import timedelta

import pytest

from portal.accounts import passwords
from portal.core import clock
from portal.core.exceptions import ValidationError
from portal.extensions import db
from tests.conftest import login
from tests.factories import PASSWORD, make_user


def _change(client, new, current=PASSWORD, confirm=None):
    return client.post("/account/password", data={
        "current_password": current, "new_password": new, "confirm_password": confirm or new,
    })


def test_first_login_forces_a_password_change(client, world):
    user = make_user(world.people.other, roles=[("member", world.branch_b)], must_change=True)
    db.session.commit()
    login(client, user)
    assert client.get("/").location.endswith("/account/password")
    assert client.get("/roster/").location.endswith("/account/password")
    assert _change(client, "煤矿安全生产人人有责").status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short1", "至少需要 8 个字符"),
        ("12345678", "太常见"),
        ("Password1", "太常见"),
        ("aaaaaaaaaaaa", "太常见"),
        ("x" * 129, "不能超过"),
    ],
)
def test_weak_passwords_are_refused_and_nothing_changes(client, world, new, message):
    login_as_user = world.users.member
    login(client, login_as_user)
    before = login_as_user.password_hash
    page = _change(client, new).get_data(as_text=True)
    assert message in page
    db.session.expire_all()
    assert db.session.get(type(login_as_user), login_as_user.id).password_hash == before


def test_password_may_not_contain_the_employee_number(client, world):
    login(client, world.users.member)
    page = _change(client, f"my-{world.people.member.employee_no}-pass").get_data(as_text=True)
    assert "不能包含您的账号" in page


def test_wrong_current_password_and_mismatch_are_field_errors(client, world):
    login(client, world.users.member)
    assert "当前密码不正确" in _change(client, "new-long-passphrase", current="bad").get_data(as_text=True)
    mismatch = _change(client, "new-long-passphrase", confirm="other-long-passphrase")
    assert "两次输入的新密码不一致" in mismatch.get_data(as_text=True)


def test_long_chinese_passphrase_is_accepted_as_typed(client, world):
    phrase = "升井后学习强国每日一学" * 8  # 88 characters
    login(client, world.users.member)
    assert _change(client, phrase).status_code == 302
    client.post("/logout")
    response = client.post("/login", data={"identifier": world.people.member.employee_no, "password": phrase})
    assert response.status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(app, world):
    here, there = app.test_client(), app.test_client()
    login(here, world.users.member)
    login(there, world.users.member)
    assert _change(here, "a-brand-new-passphrase").status_code == 302
    assert here.get("/").status_code == 200
    assert there.get("/").status_code == 302


def test_strict_policy_requires_three_character_classes(app, world):
    app.config["PASSWORD_POLICY"] = "strict"
    try:
        with app.test_request_context():
            with pytest.raises(ValidationError, match="至少三类"):
                passwords.check_policy("alllowercaseletters")
            passwords.check_policy("Mixed-case-and-1")
    finally:
        app.config["PASSWORD_POLICY"] = "standard"


def test_strict_policy_forces_a_change_after_90_days_and_idles_out_at_30_minutes(app, client, world, now):
    app.config["PASSWORD_POLICY"] = "strict"
    try:
        start = now.set(clock.utcnow())
        world.users.member.password_changed_at = start
        db.session.commit()
        login(client, world.users.member)
        assert client.get("/").status_code == 200
        now.set(start + timedelta(minutes=31))
        assert client.get("/").location.endswith("/login")
        now.set(start + timedelta(days=91))
        login(client, world.users.member)
        assert client.get("/").location.endswith("/account/password")
    finally:
        app.config["PASSWORD_POLICY"] = "standard"
