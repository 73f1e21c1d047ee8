"""`flask accounts ...`: the first administrator on a new installation."""

import click
from flask.cli import with_appcontext

from portal.accounts import services
from portal.accounts.models import RoleGrant, User
from portal.core.exceptions import PortalError
from portal.core.permissions import Role
from portal.extensions import db
from portal.roster import services as roster


@click.group("accounts", help="账号管理")
def accounts_cli():
    """Account commands."""


@accounts_cli.command("create-admin")
@click.option("--login-name", default="admin", show_default=True, help="登录名")
@click.password_option("--password", help="初始密码（首次登录须修改）")
@with_appcontext
def create_admin(login_name, password):
    """Create a system administrator on the top organisation."""
    root = roster.root_organisation()
    if root is None:
        raise click.ClickException("请先建立党委组织（flask --app wsgi roster init-org 名称）")
    try:
        services.passwords.check_policy(password)
        user = User(
            login_name=login_name, display_name="系统管理员",
            password_hash=services.passwords.hash_password(password), must_change_password=True,
        )
        if db.session.query(User.id).filter_by(login_name=login_name).first():
            raise click.ClickException("登录名已被使用")
        db.session.add(user)
        db.session.add(RoleGrant(user=user, role=Role.ADMIN, organisation=root))
        db.session.commit()
    except PortalError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"已创建系统管理员 {login_name}")
