import re
from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import RoleGrant, User
from portal.core.audit import AuditEntry
from portal.core.clock import utcnow
from portal.extensions import db
from tests.conftest import keyed, login
from tests.factories import make_person, make_user


def _actions():
    return [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_admin_opens_an_account_with_a_one_time_password(app, client, world):
    person = make_person(world.unit_b, "周八")
    db.session.commit()
    login(client, world.users.admin)
    page = client.post("/accounts/new", data=keyed({"person_id": person.id})).get_data(as_text=True)
    password = re.search(r'data-testid="temporary-password">([^<]+)<', page).group(1)
    user = db.session.scalar(select(User).where(User.person_id == person.id))
    assert user.must_change_password and "account_created" in _actions()
    again = client.post("/accounts/new", data=keyed({"person_id": person.id})).get_data(as_text=True)
    assert "已有账号" in again
    newcomer = app.test_client()
    assert login(newcomer, user, password).status_code == 302
    assert newcomer.get("/").location.endswith("/account/password")


def test_role_grant_is_audited_and_takes_effect(app, client, world):
    staff = world.users.staff
    login(client, world.users.admin)
    response = client.post(f"/accounts/{staff.id}/roles", data=keyed({
        "role": "secretary", "organisation_id": world.branch_a.id, "is_admin": "1"}))
    assert response.status_code == 302
    grants = db.session.scalars(select(RoleGrant).where(RoleGrant.user_id == staff.id)).all()
    assert sorted(g.role for g in grants) == ["secretary", "staff"]
    assert "role_granted" in _actions()
    staff_client = app.test_client()
    login(staff_client, staff)
    assert staff_client.get("/roster/").status_code == 200


def test_last_admin_cannot_be_revoked_or_disabled(client, world):
    admin = world.users.admin
    login(client, admin)
    grant = admin.grants[0]
    page = client.post(f"/accounts/{admin.id}/roles/{grant.id}/revoke", follow_redirects=True)
    assert "最后一个系统管理员" in page.get_data(as_text=True)
    assert db.session.get(RoleGrant, grant.id) is not None
    page = client.post(f"/accounts/{admin.id}/disable", follow_redirects=True).get_data(as_text=True)
    assert "不能停用自己的账号" in page


def test_unlock_and_reset_password(app, client, world):
    member = world.users.member
    other = app.test_client()
    for _ in range(5):
        other.post("/login", data={"identifier": member.person.employee_no, "password": "bad-bad-bad"})
    login(client, world.users.admin)
    assert "已锁定" in client.get(f"/accounts/{member.id}").get_data(as_text=True)
    client.post(f"/accounts/{member.id}/unlock")
    db.session.expire_all()
    assert db.session.get(User, member.id).locked_until is None
    page = client.post(f"/accounts/{member.id}/reset-password").get_data(as_text=True)
    new_password = re.search(r'data-testid="temporary-password">([^<]+)<', page).group(1)
    assert login(other, member, new_password).status_code == 302
    assert other.get("/").location.endswith("/account/password")
    assert {"account_unlocked", "password_reset"} <= set(_actions())



def test_admin_home_shows_the_account_figures_and_who_is_locked_out(app, client, world):
    make_user(world.people.other, must_change=True)  # a seventh account, not yet past its first log-in
    staff = world.users.staff
    staff.must_change_password = True
    staff.locked_until = utcnow() - timedelta(minutes=1)  # a lock that has run out no longer counts
    db.session.commit()
    other = app.test_client()
    for user in (world.users.member, world.users.activist):
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            other.post("/login", data={"identifier": user.person.employee_no, "password": "bad-bad-bad"})
    login(client, world.users.admin)
    response = client.get("/")
    assert response.status_code == 200
    panel = response.get_data(as_text=True).split('data-testid="panel-admin"')[1].split("</section>")[0]
    figures = {label: int(n) for n, label in re.findall(r'<div class="stat-number">(\d+)</div>([^<]+)</div>', panel)}
    assert figures == {"账号总数": 7, "锁定中的账号": 2, "待修改初始密码": 2}
    locked = re.search(r"锁定中的账号：(.*?)</div>", panel, re.S).group(1)
    assert re.findall(r'<a href="/accounts/(\d+)">([^<]+)</a>', locked) == [
        (str(world.users.member.id), "张三"), (str(world.users.activist.id), "李四")]


def test_audit_log_filters_by_action_and_actor(client, world):
    login(client, world.users.admin)
    client.post(f"/accounts/{world.users.staff.id}/disable")
    page = client.get("/audit/?action=account_disabled").get_data(as_text=True)
    assert "停用账号" in page and "登录成功</strong>" not in page
    by_actor = client.get("/audit/", query_string={"actor": "系统管理员"}).get_data(as_text=True)
    assert "停用账号" in by_actor
    nobody = client.get("/audit/", query_string={"actor": "不存在的人"}).get_data(as_text=True)
    assert "没有符合条件的记录" in nobody


def test_audit_log_names_objects_in_chinese(client, world):
    login(client, world.users.admin)
    client.post(f"/accounts/{world.users.staff.id}/disable")
    page = client.get("/audit/?action=account_disabled").get_data(as_text=True)
    staff = world.users.staff
    # Named, not numbered: the account's name (a ledger entry or a payout list by its kind alone).
    assert f"对象：账号 {staff.display_name}" in page and "user_account" not in page
    assert not re.search(r"#\d", re.sub(r"<[^>]+>", " ", page))
