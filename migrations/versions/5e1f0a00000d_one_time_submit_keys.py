"""one-time submit keys

A form that creates or books something carries a random key; spending it in the same
transaction as the write makes a double tap create one thing (core.submit_keys).

Revision ID: 5e1f0a00000d
Revises: 5e1f0a00000c
Create Date: 2026-12-03 17:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0a00000d'
down_revision = '5e1f0a00000c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'submit_key',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('form', sa.String(length=80), nullable=False),
        sa.Column('result_url', sa.String(length=2000), nullable=True),
        sa.Column('spent_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['user_account.id'],
                                name=op.f('fk_submit_key_account_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_submit_key')),
    )
    with op.batch_alter_table('submit_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submit_key_spent_at'), ['spent_at'], unique=False)


def downgrade():
    with op.batch_alter_table('submit_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submit_key_spent_at'))
    op.drop_table('submit_key')
