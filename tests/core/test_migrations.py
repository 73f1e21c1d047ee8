"""The Alembic migrations on the backend under test: exactly the models' schema, every step reversible."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal.extensions import db
from tests.tools.scratch_db import dispose, make_app, scratch_database


@pytest.fixture()
def fresh_app():
    """An app bound to a new, empty database (a file or a PostgreSQL database)."""
    with scratch_database("migrations") as url:
        app = make_app(url)
        try:
            with app.app_context():
                yield app
        finally:
            dispose(app)


def _tables():
    with db.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def _model_tables():
    return {table.name for table in db.metadata.sorted_tables}


def _drift():
    """What autogenerate would put in a new revision: empty when models and schema agree."""
    options = current_app.extensions["migrate"].configure_args
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": options.get("compare_type", True),
            "render_as_batch": options.get("render_as_batch", False),
        })
        return compare_metadata(context, db.metadata)


def _script():
    config = current_app.extensions["migrate"]
    return ScriptDirectory.from_config(config.migrate.get_config(config.directory))


def test_one_head():
    """Two engineers' revisions must be merged, never left as two heads."""
    from portal import create_app

    with create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"}).app_context():
        heads = _script().get_heads()
    assert len(heads) == 1, f"迁移有多个 head，需要 flask db merge：{heads}"


def test_upgrade_from_empty_builds_every_model_table(fresh_app):
    assert _tables() == set()
    upgrade()
    assert _model_tables() <= _tables()
    assert _tables() - _model_tables() == {"alembic_version"}


def test_migrations_match_the_models(fresh_app):
    upgrade()
    assert _drift() == []
    result = fresh_app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_downgrade_to_base_and_upgrade_again(fresh_app):
    upgrade()
    downgrade(revision="base")
    assert _tables() <= {"alembic_version"}
    upgrade()
    assert _model_tables() <= _tables()
    assert _drift() == []


def test_every_revision_steps_down_and_up(fresh_app):
    revisions = list(reversed(list(_script().walk_revisions("base", "heads"))))
    for revision in revisions:
        upgrade(revision=revision.revision)
        downgrade(revision="-1")
        upgrade(revision=revision.revision)
    assert _drift() == []
