"""data versions for cached page parts; ledger (person_id, id) index

Revision ID: 5e1f0a000007
Revises: 5e1f0a000006
Create Date: 2026-11-22 11:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0a000007'
down_revision = '5e1f0a000006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_version',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_data_version'))
    )
    # A person's newest entry in one index step: the version of their cached ledger page.
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entry_person_id', ['person_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entry_person_id')
    op.drop_table('data_version')
