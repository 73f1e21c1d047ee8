"""roster order by the surname's syllable, then the given name's

Sorting the concatenated pinyin put 程 (cheng) before 陈 (chen) and 刘 (liu) among the 李s (li).
person.name_sort holds every syllable padded to six letters (roster.pinyin.sort_key); the
roster's composite index moves to it. Existing people get their key here.

Revision ID: 5e1f0a00000f
Revises: 5e1f0a00000e
Create Date: 2026-12-03 18:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

from portal.roster.pinyin import sort_key


# revision identifiers, used by Alembic.
revision = '5e1f0a00000f'
down_revision = '5e1f0a00000e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_sort', sa.String(length=240), nullable=False, server_default=''))
    connection = op.get_bind()
    person = sa.table('person', sa.column('id', sa.Integer), sa.column('name', sa.String),
                      sa.column('name_sort', sa.String))
    rows = connection.execute(sa.select(person.c.id, person.c.name)).all()
    update = sa.update(person).where(person.c.id == sa.bindparam('person_id')).values(name_sort=sa.bindparam('key'))
    if rows:
        connection.execute(update, [{'person_id': row.id, 'key': sort_key(row.name)} for row in rows])
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.alter_column('name_sort', server_default=None)
        batch_op.drop_index('ix_person_branch_status_name')
        batch_op.create_index('ix_person_branch_status_name', ['branch_id', 'status', 'name_sort'], unique=False)


def downgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_branch_status_name')
        batch_op.create_index('ix_person_branch_status_name', ['branch_id', 'status', 'name_pinyin'], unique=False)
        batch_op.drop_column('name_sort')
