"""join date precision

Old files often give a member's join date (入党时间) as a year and a month only. Such a date
is stored as the 1st of the month with the precision "month", so it is shown and exported as
it was given; every existing date was given to the day.

Revision ID: 5e1f0a00000e
Revises: 5e1f0a00000d
Create Date: 2026-12-04 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0a00000e'
down_revision = '5e1f0a00000d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('joined_party_precision', sa.String(length=5), nullable=False,
                                      server_default='day'))


def downgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('joined_party_precision')
