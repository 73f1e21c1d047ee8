"""Every CLI command group, registered in one place."""


def init_cli(app):
    """Attach the command groups to the app."""
    from portal.accounts.commands import accounts_cli



    app.cli.add_command(accounts_cli)


