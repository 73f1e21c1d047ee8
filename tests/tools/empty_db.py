"""Emptying a test database, past the triggers that keep the ledger and the audit log append-only.

Deleting every row is the one delete of those tables that is legitimate, and only tests do it.
The triggers are set aside inside the emptying transaction and are back before it commits: no
other connection ever sees a table unguarded, and a failure rolls everything back, triggers too.
"""

import contextlib

from sqlalchemy import text


def empty_tables(engine, metadata):
    """Delete every row of every table in `metadata` (children first), in one transaction."""
    with engine.begin() as conn, _triggers_set_aside(conn):
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@contextlib.contextmanager
def _triggers_set_aside(conn):
    """Without the database's own triggers for the duration of the block, on this connection only."""
    if conn.dialect.name == "sqlite":
        # pysqlite sends BEGIN only before INSERT/UPDATE/DELETE: without this, each DROP TRIGGER
        # below would commit on its own and a failure could leave a table unguarded.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
        for name, _sql in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        yield
        for _name, sql in triggers:
            conn.exec_driver_sql(sql)
        return
    # DISABLE TRIGGER needs only the table's owner (unlike session_replication_role) and, being
    # transactional, is invisible to other connections until a commit that comes after ENABLE.
    triggers = conn.execute(text("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal")).all()
    quote = conn.dialect.identifier_preparer.quote
    for table, name in triggers:
        conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {quote(name)}")
    yield
    for table, name in triggers:
        conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {quote(name)}")
