"""an article visit is carried in a signed token, not stored

Serving an article page no longer writes a visit row: the page's token, signed with the
portal's secret, carries who opened which article when. Open visits are dropped with the
table; a reader with an article page open at upgrade time opens it again.

Revision ID: 5e1f0a00000b
Revises: 5e1f0a00000a
Create Date: 2026-12-03 11:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0a00000b'
down_revision = '5e1f0a00000a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('article_visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_visit_started_at'))
        batch_op.drop_index(batch_op.f('ix_article_visit_person_id'))
    op.drop_table('article_visit')


def downgrade():
    op.create_table('article_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['article.id'], name=op.f('fk_article_visit_article_id_article')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_article_visit_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_visit')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_article_visit_token_hash'))
    )
    with op.batch_alter_table('article_visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_visit_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_article_visit_started_at'), ['started_at'], unique=False)
