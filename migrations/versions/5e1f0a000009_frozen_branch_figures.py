"""closed periods freeze each branch's figures; snapshot ranks come from the ranking query

A closed period's branch ranking used to count members from today's roster, so it changed
when people moved. Closing now also writes each branch's members, participants and points
(credit_branch_snapshot_row). Periods closed before this revision get those figures from the
roster as it stands at upgrade time, the best record there is of them, and keep them from then on.
A snapshot row's stored rank goes: every ranking is RANK() over the frozen points.

Revision ID: 5e1f0a000009
Revises: 5e1f0a000008
Create Date: 2026-12-03 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0a000009'
down_revision = '5e1f0a000008'
branch_labels = None
depends_on = None

PARTY = "('正式党员', '预备党员')"


def upgrade():
    op.create_table('credit_branch_snapshot_row',
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['organisation.id'], name=op.f('fk_credit_branch_snapshot_row_branch_id_organisation')),
    sa.ForeignKeyConstraint(['period_id'], ['closed_period.id'], name=op.f('fk_credit_branch_snapshot_row_period_id_closed_period')),
    sa.PrimaryKeyConstraint('period_id', 'branch_id', name=op.f('pk_credit_branch_snapshot_row'))
    )
    op.execute(f"""
        INSERT INTO credit_branch_snapshot_row (period_id, branch_id, members, participants, points)
        SELECT cp.id, o.id, COALESCE(m.members, 0), COALESCE(e.participants, 0), COALESCE(e.points, 0)
        FROM closed_period cp
        CROSS JOIN organisation o
        LEFT JOIN (SELECT branch_id, COUNT(*) AS members FROM person
                   WHERE political_status IN {PARTY} AND status = '在岗' GROUP BY branch_id) m
               ON m.branch_id = o.id
        LEFT JOIN (SELECT t.kind, t.period_start, t.branch_id, SUM(t.points) AS points,
                          SUM(CASE WHEN t.points > 0 THEN 1 ELSE 0 END) AS participants
                   FROM credit_total t JOIN person p ON p.id = t.person_id
                   WHERE p.political_status IN {PARTY}
                   GROUP BY t.kind, t.period_start, t.branch_id) e
               ON e.branch_id = o.id AND e.kind = cp.kind AND e.period_start = cp.period_start
        WHERE o.kind = 'branch'
    """)
    with op.batch_alter_table('credit_snapshot_row', schema=None) as batch_op:
        batch_op.drop_column('rank')


def downgrade():
    with op.batch_alter_table('credit_snapshot_row', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rank', sa.Integer(), nullable=False, server_default='0'))
    op.execute("""
        UPDATE credit_snapshot_row SET rank = (
            SELECT COUNT(*) + 1 FROM credit_snapshot_row other
            WHERE other.period_id = credit_snapshot_row.period_id AND other.points > credit_snapshot_row.points)
    """)
    with op.batch_alter_table('credit_snapshot_row', schema=None) as batch_op:
        batch_op.alter_column('rank', server_default=None)
    op.drop_table('credit_branch_snapshot_row')
