"""A new installation: the top organisation, then the first administrator, from the command line."""

from sqlalchemy import select

from portal.accounts.models import User
from portal.core.permissions import Role
from portal.extensions import db
from portal.roster.models import Organisation


def test_init_org_then_create_admin_who_can_log_in(app, client):
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["accounts", "create-admin", "--password", "Strong-pass-2026"])
    assert refused.exit_code != 0 and "roster init-org" in refused.output
    made = runner.invoke(args=["roster", "init-org", "示范煤矿党委"])
    assert made.exit_code == 0, made.output
    again = runner.invoke(args=["roster", "init-org", "另一个党委"])
    assert again.exit_code != 0 and "已有最上级组织" in again.output
    admin = runner.invoke(args=["accounts", "create-admin", "--password", "Strong-pass-2026"])
    assert admin.exit_code == 0, admin.output
    user = db.session.scalar(select(User).where(User.login_name == "admin"))
    assert user.has_role(Role.ADMIN) and user.must_change_password
    assert db.session.scalar(select(Organisation.name)) == "示范煤矿党委"
    response = client.post("/login", data={"identifier": "admin", "password": "Strong-pass-2026"})
    assert response.status_code == 302
    assert client.get("/").location.endswith("/account/password")


def test_create_admin_refuses_a_weak_password(app, db):
    runner = app.test_cli_runner()
    runner.invoke(args=["roster", "init-org", "示范煤矿党委"])
    weak = runner.invoke(args=["accounts", "create-admin", "--password", "12345678"])
    assert weak.exit_code != 0 and "太常见" in weak.output
    assert db.session.scalar(select(User)) is None
