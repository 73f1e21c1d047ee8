"""Database binding: SQLite pragmas and the engine set-up both backends share."""

import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

from portal.extensions import db


def init_database(app):
    """Bind Flask-SQLAlchemy and make SQLite behave (WAL, busy timeout, foreign keys)."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        options.setdefault("connect_args", {})["timeout"] = 30
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
        if uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
            from pathlib import Path

            Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    if not uri.startswith("sqlite"):  # a local file has no connection to lose
        with app.app_context():
            ping_idle_connections(db.engine, app.config.get("DATABASE_PING_IDLE_SECONDS", 10))


def ping_idle_connections(engine, idle_seconds):
    """Test a pooled connection before use if it sat idle `idle_seconds` or more; replace it if dead.

    SQLAlchemy's pool_pre_ping tests every checkout: a round trip on every request. A connection
    that served a request a moment ago is alive (or the database just went down, and a ping
    would not save that request either); one left idle may have been cut by a database restart
    or a firewall, and is tested. A failed test makes the pool discard it and connect afresh.
    """

    @event.listens_for(engine, "checkin")
    def _note_checkin(dbapi_connection, connection_record):
        connection_record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, connection_record, connection_proxy):
        since = connection_record.info.get("checked_in_at")
        if since is not None and time.monotonic() - since < idle_seconds:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as error:  # noqa: BLE001 - any failure means a connection not to use
            raise DisconnectionError(f"stale pooled connection: {error}") from error


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Turn on foreign keys, WAL and a busy timeout on every SQLite connection."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_begin_before_savepoint(conn, name):
    """Open a real transaction before a SAVEPOINT on SQLite.

    pysqlite only issues BEGIN before INSERT/UPDATE/DELETE, so a SAVEPOINT that comes first
    would start the transaction itself, and releasing it would commit at once: a later
    rollback could then not undo it. IMMEDIATE takes the write lock now (waiting on the busy
    timeout): a savepoint means a write is coming, and a deferred transaction that reads
    first would fail with "database is locked" if another writer committed in between.
    """
    if conn.dialect.name != "sqlite":
        return
    dbapi_connection = conn.connection.dbapi_connection
    if not dbapi_connection.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_sqlite():
    """True when the bound database is SQLite."""
    return db.engine.dialect.name == "sqlite"


def dialect_insert(dialect=None):
    """The insert() construct of `dialect` (default: the bound database's): it has on_conflict_do_*."""
    dialect = dialect or db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the portal supports these two
        raise RuntimeError(f"unsupported database {dialect}")
    return insert


def upsert_add(model, rows, key_columns, add_columns, replace_columns=()):
    """INSERT rows, or on a key clash add `add_columns` onto the existing row (SQLite and PostgreSQL).

    The statement is built once per shape and database, then run with the rows as parameters:
    an award books its running totals with it, so building it each time was a real share of
    every award's cost.
    """
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    key = (model, dialect, tuple(key_columns), tuple(add_columns), tuple(replace_columns))
    stmt = _UPSERTS.get(key)
    if stmt is None:
        stmt = dialect_insert(dialect)(model)
        excluded, table = stmt.excluded, model.__table__
        updates = {c: table.c[c] + excluded[c] for c in add_columns}
        updates.update({c: excluded[c] for c in replace_columns})
        stmt = _UPSERTS[key] = stmt.on_conflict_do_update(index_elements=list(key_columns), set_=updates)
    db.session.execute(stmt, rows)


_UPSERTS = {}  # (model, dialect, keys, added, replaced) -> the upsert statement


def insert_ignore(model, rows, key_columns):
    """INSERT rows, skipping any whose key already exists (SQLite and PostgreSQL); returns rows added."""
    if not rows:
        return 0
    insert = dialect_insert()
    stmt = (insert(model).values(rows).on_conflict_do_nothing(index_elements=list(key_columns))
            .returning(*model.__table__.primary_key.columns))
    # Counted from RETURNING: psycopg reports no rowcount for a multi-row INSERT ... ON CONFLICT.
    return len(db.session.execute(stmt).all())
