"""Every CLI command group, registered in one place."""


def init_cli(app):
    """Attach the command groups to the app."""
    from portal.accounts.commands import accounts_cli
    from portal.core.backup import backup_cli
    from portal.core.scheduler_cli import scheduler_cli
    from portal.demo import demo_cli
    from portal.roster.commands import roster_cli
    from portal.study.commands import content_cli

    app.cli.add_command(accounts_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(roster_cli)
    app.cli.add_command(scheduler_cli)
