"""The 党建学习管理平台 portal: application factory."""

from flask import Flask

from portal.config import CONFIGS


def create_app(config=None):
    """Build the application; `config` is a name, a Config class or a dict of overrides."""
    app = Flask(__name__, instance_relative_config=True)
    register_config(app, config)
    register_extensions(app)
    register_security(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_cli(app)
    register_jobs(app)
    return app


def register_config(app, config):
    """Load the config class (by name, class or FLASK_ENV), then any overrides."""
    import os

    overrides = {}
    if isinstance(config, dict):
        overrides = config
        config = overrides.pop("CONFIG", None)
    if config is None or isinstance(config, str):
        config = CONFIGS[config or os.environ.get("PORTAL_ENV", "development")]
    app.config.from_object(config)
    app.config.update(overrides)
    if hasattr(config, "validate"):
        config.validate(app.config)


def register_extensions(app):
    """Bind the extensions to this app."""
    from portal.core.cache import init_cache
    from portal.core.database import init_database
    from portal.core.transactions import init_transactions
    from portal.extensions import bootstrap, csrf, db, login_manager, migrate

    init_database(app)
    init_transactions(app)
    init_cache(app)
    migrate.init_app(app, db, directory=str(app.config.get("MIGRATIONS_DIR", _migrations_dir())))
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)


def register_security(app):
    """Access declarations, sessions and security headers."""
    from portal.accounts.sessions import init_sessions
    from portal.core.permissions import enforce_declared_access
    from portal.core.security import init_security

    init_security(app)
    init_sessions(app)
    enforce_declared_access(app)


def register_blueprints(app):
    """Mount each domain's blueprint."""
    from portal.accounts.views import blueprint as accounts
    from portal.credits.views import blueprint as credits
    from portal.exemplars.views import blueprint as exemplars
    from portal.home.views import blueprint as home
    from portal.inbox.views import blueprint as inbox
    from portal.roster.views import blueprint as roster
    from portal.study.views import blueprint as study

    app.register_blueprint(home)
    app.register_blueprint(accounts)
    app.register_blueprint(roster)
    app.register_blueprint(credits)
    app.register_blueprint(study)
    app.register_blueprint(exemplars)
    app.register_blueprint(inbox)


def register_errorhandlers(app):
    """Chinese error pages with an incident id; service errors become flashes."""
    from portal.core.errors import init_error_handlers

    init_error_handlers(app)


def register_template_helpers(app):
    """Filters and globals the templates share."""
    from portal.core.templating import init_templating

    init_templating(app)


def register_cli(app):
    """Every CLI group."""
    from portal.cli import init_cli

    init_cli(app)


def register_jobs(app):
    """Collect each domain's scheduled jobs for the scheduler process."""
    from portal.core.submit_keys import SCHEDULE as CORE_JOBS
    from portal.credits.jobs import SCHEDULE as CREDIT_JOBS
    from portal.exemplars.jobs import SCHEDULE as EXEMPLAR_JOBS
    from portal.study.jobs import SCHEDULE as STUDY_JOBS

    app.extensions["portal_jobs"] = [*CORE_JOBS, *CREDIT_JOBS, *STUDY_JOBS, *EXEMPLAR_JOBS]


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
