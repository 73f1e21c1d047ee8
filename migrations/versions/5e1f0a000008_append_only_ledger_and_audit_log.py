"""append-only ledger and audit log, enforced by triggers

Revision ID: 5e1f0a000008
Revises: 5e1f0a000007
Create Date: 2026-12-03 11:30:00.000000

The credit ledger (ledger_entry) and the audit log (audit_entry) are only ever inserted into:
a correction is a reversing entry, and the audit log is evidence. These triggers make the
database refuse an UPDATE or a DELETE of their rows, whoever sends it (the portal, a script,
someone at a SQL prompt), not only the ORM.

- SQLite: a BEFORE UPDATE and a BEFORE DELETE trigger per table, each RAISE(ABORT, ...).
  SQLite has no TRUNCATE; a DELETE without WHERE fires the delete trigger too (SQLite skips
  its truncate shortcut on a table with triggers).
- PostgreSQL: one plpgsql function that raises, called by a row-level BEFORE UPDATE OR
  DELETE trigger per table, and by a statement-level BEFORE TRUNCATE trigger: TRUNCATE
  fires no row triggers, so without it one statement (or a TRUNCATE ... CASCADE of a table
  the ledger refers to, such as person) would empty the ledger unchecked. Nothing in the
  portal truncates, and pg_restore --clean drops and recreates tables rather than
  truncating them, so refusing TRUNCATE costs nothing.

The error is SQLSTATE 23001 (restrict_violation) on PostgreSQL and SQLITE_CONSTRAINT on
SQLite, so both drivers raise an IntegrityError; its text names the table and says it is
append-only (it reaches the operators' logs, never a page).

Schema changes (DROP TABLE, ALTER TABLE) stay possible: they are migrations' business.
On SQLite, a later batch-mode migration that rebuilds ledger_entry or audit_entry (copy into
a new table, drop the old one) drops its triggers with the old table: such a migration must
create them again (the statements are in SQLITE_TRIGGERS here).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5e1f0a000008'
down_revision = '5e1f0a000007'
branch_labels = None
depends_on = None

TABLES = ('ledger_entry', 'audit_entry')

SQLITE_TRIGGERS = {
    f'{table}_no_{verb.lower()}': (
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
    )
    for table in TABLES
    for verb in ('UPDATE', 'DELETE')
}

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION refuse_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$
"""


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for sql in SQLITE_TRIGGERS.values():
            op.execute(sql)
        return
    op.execute(PG_FUNCTION)
    for table in TABLES:
        op.execute(f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} '
                   'FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()')
        op.execute(f'CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} '
                   'FOR EACH STATEMENT EXECUTE FUNCTION refuse_append_only_change()')


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for name in SQLITE_TRIGGERS:
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
        return
    for table in TABLES:
        op.execute(f'DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}')
        op.execute(f'DROP TRIGGER IF EXISTS {table}_append_only ON {table}')
    op.execute('DROP FUNCTION IF EXISTS refuse_append_only_change()')
