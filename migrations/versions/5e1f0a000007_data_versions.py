"""data versions for cached page parts

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


def downgrade():
    op.drop_table('data_version')
