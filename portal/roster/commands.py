"""`flask roster ...`: set up the top of the organisation tree on a new installation."""

import click
from flask.cli import with_appcontext

from portal.core.exceptions import PortalError
from portal.extensions import db
from portal.roster import services
from portal.roster.models import OrgKind


@click.group("roster", help="组织与花名册")
def roster_cli():
    """Roster commands."""


@roster_cli.command("init-org", help="建立最上级党委组织（新安装时运行一次）")
@click.argument("name")
@with_appcontext
def init_org(name):
    """Create the committee at the top of the organisation tree."""
    if services.root_organisation() is not None:
        raise click.ClickException(f"已有最上级组织：{services.root_organisation().name}")
    try:
        org = services.create_organisation(name, OrgKind.COMMITTEE)
        db.session.commit()
    except PortalError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"已建立 {org.name}；接下来运行 flask --app wsgi accounts create-admin 创建系统管理员")
