"""a lock row per person and capped rule, so caps hold under concurrent awards

Revision ID: 5e1f0a00000a
Revises: 5e1f0a000009
Create Date: 2026-12-03 11:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0a00000a'
down_revision = '5e1f0a000009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credit_cap_lock',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('rule_code', sa.String(length=40), nullable=False),
    sa.Column('checks', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_credit_cap_lock_person_id_person')),
    sa.PrimaryKeyConstraint('person_id', 'rule_code', name=op.f('pk_credit_cap_lock'))
    )


def downgrade():
    op.drop_table('credit_cap_lock')
