"""Transactions behave the same on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from portal.core.database import ping_idle_connections
from portal.extensions import db
from portal.roster.models import Organisation, OrgKind


def _count():
    return db.session.scalar(select(func.count(Organisation.id)))


def test_a_savepoint_as_the_first_write_is_undone_by_rollback(db):
    with db.session.begin_nested():
        db.session.add(Organisation(name="党委", kind=OrgKind.COMMITTEE, path="/"))
    db.session.rollback()
    assert _count() == 0


def test_a_failed_savepoint_keeps_the_rest_of_the_transaction(db):
    db.session.add(Organisation(name="甲党委", kind=OrgKind.COMMITTEE, path="/"))
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Organisation(name=None, kind=OrgKind.COMMITTEE, path="/"))
    db.session.commit()
    assert _count() == 1


def _pooled_engine(app, idle_seconds):
    """A one-connection engine on the test database, its idle connections tested after `idle_seconds`."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1, max_overflow=0)
    ping_idle_connections(engine, idle_seconds)
    return engine


def _cut(engine):
    """Check a connection in and close it underneath the pool, as a database restart would."""
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
        raw = connection.connection.dbapi_connection
    raw.close()
    return raw


def test_an_idle_pooled_connection_that_died_is_replaced(app):
    engine = _pooled_engine(app, idle_seconds=0)
    dead = _cut(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
        assert connection.connection.dbapi_connection is not dead
    engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_tested_again(app):
    engine = _pooled_engine(app, idle_seconds=3600)
    _cut(engine)
    # Not tested (it was in use a moment ago), so the cut shows on first use: no round trip was spent.
    with pytest.raises(DBAPIError), engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    engine.dispose()
