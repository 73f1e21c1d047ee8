"""six-role exemplar campaigns

Campaigns with their categories, nominations with evidence, the committee's flags, voting (who
voted in exemplar_voter_mark; what the ballots say in exemplar_ballot and exemplar_ballot_choice,
under random ids, with nothing that joins the two), objections and honours.

A cast ballot and the mark that a person voted are final: like the credit ledger (revision
5e1f0a000008), these three tables refuse UPDATE, DELETE and TRUNCATE in the database itself,
with the same triggers (SQLite: RAISE(ABORT); PostgreSQL: refuse_append_only_change()).
The ballot tables are WITHOUT ROWID on SQLite, so their storage follows the random ids and not
the order in which the ballots were cast.

Revision ID: 5e1f0a000010
Revises: 5e1f0a00000f
Create Date: 2026-12-07 02:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0a000010'
down_revision = '5e1f0a00000f'
branch_labels = None
depends_on = None


APPEND_ONLY = ('exemplar_voter_mark', 'exemplar_ballot', 'exemplar_ballot_choice')
SQLITE_TRIGGERS = {
    f'{table}_no_{verb.lower()}': (
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
    )
    for table in APPEND_ONLY
    for verb in ('UPDATE', 'DELETE')
}


def _append_only():
    if op.get_bind().dialect.name == 'sqlite':
        for sql in SQLITE_TRIGGERS.values():
            op.execute(sql)
        return
    for table in APPEND_ONLY:
        op.execute(f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} '
                   'FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()')
        op.execute(f'CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} '
                   'FOR EACH STATEMENT EXECUTE FUNCTION refuse_append_only_change()')


def upgrade():
    op.create_table('exemplar_campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('phase', sa.String(length=20), nullable=False),
    sa.Column('nomination_opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('nomination_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voting_opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voting_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('publicity_ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('nominate_by', sa.String(length=40), nullable=False),
    sa.Column('voter_statuses', sa.String(length=60), nullable=False),
    sa.Column('multi_category', sa.Boolean(), nullable=False),
    sa.Column('credit_period', sa.String(length=20), nullable=False),
    sa.Column('min_credit', sa.Integer(), nullable=False),
    sa.Column('vote_weight', sa.Integer(), nullable=False),
    sa.Column('tie_break', sa.String(length=10), nullable=False),
    sa.Column('live_tally', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('finalised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("phase IN ('draft', 'nomination', 'qualification', 'voting', 'publicity', 'final')", name=op.f('ck_exemplar_campaign_phase')),
    sa.CheckConstraint("tie_break IN ('votes', 'credit')", name=op.f('ck_exemplar_campaign_tie_break')),
    sa.CheckConstraint('vote_weight BETWEEN 0 AND 100', name=op.f('ck_exemplar_campaign_vote_weight')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_exemplar_campaign_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_exemplar_campaign_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exemplar_campaign'))
    )
    with op.batch_alter_table('exemplar_campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exemplar_campaign_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('exemplar_flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user_account.id'], name=op.f('fk_exemplar_flag_closed_by_id_user_account')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user_account.id'], name=op.f('fk_exemplar_flag_opened_by_id_user_account')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_exemplar_flag_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exemplar_flag'))
    )
    with op.batch_alter_table('exemplar_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exemplar_flag_person_id'), ['person_id'], unique=False)

    op.create_table('exemplar_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('quota', sa.Integer(), nullable=False),
    sa.Column('max_choices', sa.Integer(), nullable=False),
    sa.Column('members_only', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.CheckConstraint('max_choices >= 1', name=op.f('ck_exemplar_category_max_choices')),
    sa.CheckConstraint('quota >= 1', name=op.f('ck_exemplar_category_quota')),
    sa.ForeignKeyConstraint(['campaign_id'], ['exemplar_campaign.id'], name=op.f('fk_exemplar_category_campaign_id_exemplar_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exemplar_category')),
    sa.UniqueConstraint('campaign_id', 'name', name=op.f('uq_exemplar_category_campaign_id_name'))
    )
    with op.batch_alter_table('exemplar_category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exemplar_category_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('exemplar_ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('receipt_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['exemplar_campaign.id'], name=op.f('fk_exemplar_ballot_campaign_id_exemplar_campaign')),
    sa.ForeignKeyConstraint(['category_id'], ['exemplar_category.id'], name=op.f('fk_exemplar_ballot_category_id_exemplar_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exemplar_ballot')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_exemplar_ballot_receipt_hash')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('exemplar_ballot', schema=None) as batch_op:
        batch_op.create_index('ix_exemplar_ballot_category', ['category_id'], unique=False)

    op.create_table('exemplar_nomination',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('single_category_key', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('nominated_by_id', sa.Integer(), nullable=False),
    sa.Column('deeds', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=15), nullable=False),
    sa.Column('checks', sa.Text(), nullable=False),
    sa.Column('credit_points', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('branch', 'peer', 'self')", name=op.f('ck_exemplar_nomination_source')),
    sa.CheckConstraint("status IN ('pending', 'qualified', 'rejected', 'withdrawn', 'disqualified')", name=op.f('ck_exemplar_nomination_status')),
    sa.ForeignKeyConstraint(['campaign_id'], ['exemplar_campaign.id'], name=op.f('fk_exemplar_nomination_campaign_id_exemplar_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['category_id'], ['exemplar_category.id'], name=op.f('fk_exemplar_nomination_category_id_exemplar_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_exemplar_nomination_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['nominated_by_id'], ['user_account.id'], name=op.f('fk_exemplar_nomination_nominated_by_id_user_account')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_exemplar_nomination_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exemplar_nomination')),
    sa.UniqueConstraint('category_id', 'person_id', name=op.f('uq_exemplar_nomination_category_id_person_id')),
    sa.UniqueConstraint('single_category_key', 'person_id', name=op.f('uq_exemplar_nomination_single_category_key_person_id'))
    )
    with op.batch_alter_table('exemplar_nomination', schema=None) as batch_op:
        batch_op.create_index('ix_exemplar_nomination_campaign_status', ['campaign_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_exemplar_nomination_nominated_by_id'), ['nominated_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exemplar_nomination_person_id'), ['person_id'], unique=False)

    op.create_table('exemplar_voter_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('voted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('polling_point', sa.String(length=60), nullable=True),
    sa.CheckConstraint("channel IN ('online', 'paper')", name=op.f('ck_exemplar_voter_mark_channel')),
    sa.ForeignKeyConstraint(['campaign_id'], ['exemplar_campaign.id'], name=op.f('fk_exemplar_voter_mark_campaign_id_exemplar_campaign')),
    sa.ForeignKeyConstraint(['category_id'], ['exemplar_category.id'], name=op.f('fk_exemplar_voter_mark_category_id_exemplar_category')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_exemplar_voter_mark_entered_by_id_user_account')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_exemplar_voter_mark_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exemplar_voter_mark')),
    sa.UniqueConstraint('category_id', 'person_id', name=op.f('uq_exemplar_voter_mark_category_id_person_id'))
    )
    with op.batch_alter_table('exemplar_voter_mark', schema=None) as batch_op:
        batch_op.create_index('ix_exemplar_voter_mark_campaign_person', ['campaign_id', 'person_id'], unique=False)

    op.create_table('exemplar_ballot_choice',
    sa.Column('ballot_id', sa.String(length=32), nullable=False),
    sa.Column('nomination_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['exemplar_ballot.id'], name=op.f('fk_exemplar_ballot_choice_ballot_id_exemplar_ballot')),
    sa.ForeignKeyConstraint(['nomination_id'], ['exemplar_nomination.id'], name=op.f('fk_exemplar_ballot_choice_nomination_id_exemplar_nomination')),
    sa.PrimaryKeyConstraint('ballot_id', 'nomination_id', name=op.f('pk_exemplar_ballot_choice')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('exemplar_ballot_choice', schema=None) as batch_op:
        batch_op.create_index('ix_exemplar_ballot_choice_nomination', ['nomination_id'], unique=False)

    op.create_table('exemplar_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nomination_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('extension', sa.String(length=8), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('is_photo', sa.Boolean(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['nomination_id'], ['exemplar_nomination.id'], name=op.f('fk_exemplar_evidence_nomination_id_exemplar_nomination'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_exemplar_evidence_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exemplar_evidence')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_exemplar_evidence_stored_name'))
    )
    with op.batch_alter_table('exemplar_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exemplar_evidence_nomination_id'), ['nomination_id'], unique=False)

    op.create_table('exemplar_honour',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('nomination_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('category_name', sa.String(length=40), nullable=False),
    sa.Column('branch_name', sa.String(length=80), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('votes', sa.Integer(), nullable=False),
    sa.Column('score', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['exemplar_campaign.id'], name=op.f('fk_exemplar_honour_campaign_id_exemplar_campaign')),
    sa.ForeignKeyConstraint(['nomination_id'], ['exemplar_nomination.id'], name=op.f('fk_exemplar_honour_nomination_id_exemplar_nomination')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_exemplar_honour_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exemplar_honour')),
    sa.UniqueConstraint('nomination_id', name=op.f('uq_exemplar_honour_nomination_id'))
    )
    with op.batch_alter_table('exemplar_honour', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exemplar_honour_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exemplar_honour_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_exemplar_honour_year', ['year', 'category_name'], unique=False)

    op.create_table('exemplar_objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('nomination_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=False),
    sa.CheckConstraint("status IN ('open', 'upheld', 'dismissed')", name=op.f('ck_exemplar_objection_status')),
    sa.ForeignKeyConstraint(['campaign_id'], ['exemplar_campaign.id'], name=op.f('fk_exemplar_objection_campaign_id_exemplar_campaign')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_exemplar_objection_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['nomination_id'], ['exemplar_nomination.id'], name=op.f('fk_exemplar_objection_nomination_id_exemplar_nomination')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_exemplar_objection_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exemplar_objection')),
    sa.UniqueConstraint('nomination_id', 'person_id', name=op.f('uq_exemplar_objection_nomination_id_person_id'))
    )
    with op.batch_alter_table('exemplar_objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exemplar_objection_campaign_id'), ['campaign_id'], unique=False)

    _append_only()


def downgrade():
    with op.batch_alter_table('exemplar_objection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exemplar_objection_campaign_id'))

    op.drop_table('exemplar_objection')
    with op.batch_alter_table('exemplar_honour', schema=None) as batch_op:
        batch_op.drop_index('ix_exemplar_honour_year')
        batch_op.drop_index(batch_op.f('ix_exemplar_honour_person_id'))
        batch_op.drop_index(batch_op.f('ix_exemplar_honour_campaign_id'))

    op.drop_table('exemplar_honour')
    with op.batch_alter_table('exemplar_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exemplar_evidence_nomination_id'))

    op.drop_table('exemplar_evidence')
    with op.batch_alter_table('exemplar_ballot_choice', schema=None) as batch_op:
        batch_op.drop_index('ix_exemplar_ballot_choice_nomination')

    op.drop_table('exemplar_ballot_choice')
    with op.batch_alter_table('exemplar_voter_mark', schema=None) as batch_op:
        batch_op.drop_index('ix_exemplar_voter_mark_campaign_person')

    op.drop_table('exemplar_voter_mark')
    with op.batch_alter_table('exemplar_nomination', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exemplar_nomination_person_id'))
        batch_op.drop_index(batch_op.f('ix_exemplar_nomination_nominated_by_id'))
        batch_op.drop_index('ix_exemplar_nomination_campaign_status')

    op.drop_table('exemplar_nomination')
    with op.batch_alter_table('exemplar_ballot', schema=None) as batch_op:
        batch_op.drop_index('ix_exemplar_ballot_category')

    op.drop_table('exemplar_ballot')
    with op.batch_alter_table('exemplar_category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exemplar_category_campaign_id'))

    op.drop_table('exemplar_category')
    with op.batch_alter_table('exemplar_flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exemplar_flag_person_id'))

    op.drop_table('exemplar_flag')
    with op.batch_alter_table('exemplar_campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exemplar_campaign_organisation_id'))

    op.drop_table('exemplar_campaign')
