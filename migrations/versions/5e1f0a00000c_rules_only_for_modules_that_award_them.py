"""credit rules only for modules that award them

The mentoring, micro-wish and exemplar rules were created before any module awarded them;
each module registers its own rule when it lands. Versions of those three rules that no
ledger entry uses are removed (none can be: nothing awards them). The "rules" data version,
which nothing reads any more, goes too.

Revision ID: 5e1f0a00000c
Revises: 5e1f0a00000b
Create Date: 2026-12-03 11:15:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5e1f0a00000c'
down_revision = '5e1f0a00000b'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        DELETE FROM credit_rule
        WHERE code IN ('mentoring_log', 'wish_fulfilled', 'exemplar_title')
          AND NOT EXISTS (SELECT 1 FROM ledger_entry WHERE ledger_entry.rule_id = credit_rule.id)
    """)
    op.execute("DELETE FROM data_version WHERE name = 'rules'")


def downgrade():
    pass  # the rules are created again on first use once a module registers them
