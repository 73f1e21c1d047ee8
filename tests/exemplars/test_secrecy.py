"""Secret yet verifiable: nothing links a ballot to its voter; a receipt finds one's own; cast is final."""

import hashlib

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from portal.core.audit import AuditEntry
from portal.core.exceptions import ConflictError, PermissionDenied
from portal.exemplars.models import Ballot, BallotChoice, VoterMark
from portal.exemplars.services import results, voting
from portal.extensions import db
from tests.tools.scratch_db import is_postgresql


def test_the_ballot_tables_hold_nothing_about_the_voter(app):
    inspector = inspect(db.engine)
    assert {c["name"] for c in inspector.get_columns("exemplar_ballot")} == {
        "id", "campaign_id", "category_id", "receipt_hash"}
    assert {c["name"] for c in inspector.get_columns("exemplar_ballot_choice")} == {"ballot_id", "nomination_id"}
    for table in ("exemplar_ballot", "exemplar_ballot_choice"):
        referred = {fk["referred_table"] for fk in inspector.get_foreign_keys(table)}
        assert referred <= {"exemplar_campaign", "exemplar_category", "exemplar_ballot", "exemplar_nomination"}
        assert not any("TIMESTAMP" in str(c["type"]).upper() or "DATE" in str(c["type"]).upper()
                       for c in inspector.get_columns(table))
    # The marks say who voted and when, and nothing of what.
    mark_refs = {fk["referred_table"] for fk in inspector.get_foreign_keys("exemplar_voter_mark")}
    assert "exemplar_ballot" not in mark_refs and "exemplar_nomination" not in mark_refs
    if db.engine.dialect.name == "sqlite":  # no hidden rowid recording the order of casting
        for table in ("exemplar_ballot", "exemplar_ballot_choice"):
            sql = db.session.execute(text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}).scalar()
            assert "WITHOUT ROWID" in sql.upper()


def test_ballot_rows_carry_a_random_id_and_the_receipts_hash_only(world, voting_campaign):
    campaign, (zhang, chen, wang) = voting_campaign
    safety, rescue = campaign.categories
    receipts = {}
    for user in (world.users.staff, world.users.member, world.users.activist):
        receipts[user.person_id] = voting.cast_online(user, campaign.id, {safety.id: [zhang.id], rescue.id: []})
        db.session.commit()
    ballots = db.session.execute(text("SELECT * FROM exemplar_ballot")).mappings().all()
    for row in ballots:
        assert set(row) == {"id", "campaign_id", "category_id", "receipt_hash"}
        assert len(row["id"]) == 32 and int(row["id"], 16) >= 0  # 128 random bits, no serial number
    # Every hash comes from a receipt code and a category, and from nothing about the voter.
    def hashes(code):
        return {hashlib.sha256(f"{voting.normalise_code(code)}:{c.id}".encode()).hexdigest() for c in (safety, rescue)}

    assert {row["receipt_hash"] for row in ballots} == set().union(*(hashes(r.code) for r in receipts.values()))
    code = receipts[world.people.member.id].code
    found = results.find_ballots(campaign, code.lower().replace("-", " "))
    assert [(line.category_name, line.names) for line in found] == [
        ("安全生产监督员", ("张三",)), ("急难险重突击员", ())]


TAMPERING = {
    "exemplar_ballot": ("UPDATE exemplar_ballot SET receipt_hash = 'x'", "DELETE FROM exemplar_ballot",
                        "TRUNCATE exemplar_ballot CASCADE", "SELECT count(*) FROM exemplar_ballot"),
    "exemplar_ballot_choice": ("UPDATE exemplar_ballot_choice SET nomination_id = nomination_id",
                               "DELETE FROM exemplar_ballot_choice", "TRUNCATE exemplar_ballot_choice CASCADE",
                               "SELECT count(*) FROM exemplar_ballot_choice"),
    "exemplar_voter_mark": ("UPDATE exemplar_voter_mark SET channel = 'paper'", "DELETE FROM exemplar_voter_mark",
                            "TRUNCATE exemplar_voter_mark CASCADE", "SELECT count(*) FROM exemplar_voter_mark"),
}


@pytest.mark.parametrize("table", sorted(TAMPERING))
def test_a_cast_ballot_cannot_be_changed_or_removed_even_in_sql(world, voting_campaign, table):
    campaign, (zhang, _chen, _wang) = voting_campaign
    voting.cast_online(world.users.staff, campaign.id, {campaign.categories[0].id: [zhang.id]})
    db.session.commit()
    update, delete, truncate, count = TAMPERING[table]
    for sql in (update, delete) + ((truncate,) if is_postgresql() else ()):
        with pytest.raises(IntegrityError, match=f"{table} is append-only"):
            db.session.execute(text(sql))
        db.session.rollback()
    assert db.session.execute(text(count)).scalar() >= 1


def test_a_paper_ballot_counts_and_blocks_online_voting(world, now, voting_campaign):
    campaign, (zhang, chen, wang) = voting_campaign
    safety, rescue = campaign.categories
    receipt = voting.cast_paper(world.users.committee, campaign.id, world.people.staff.id, "综采一队会议室",
                                {safety.id: [chen.id], rescue.id: [wang.id]})
    db.session.commit()
    assert receipt.lines == [("安全生产监督员", ["陈五"]), ("急难险重突击员", ["王书记"])]
    with pytest.raises(ConflictError, match="您已经投过票"):
        voting.cast_online(world.users.staff, campaign.id, {safety.id: [zhang.id]})
    db.session.rollback()
    # The audit log says who entered it and where, never what the ballot said.
    entry = db.session.query(AuditEntry).filter_by(action="exemplar_paper_ballot").one()
    assert entry.detail == "赵六：综采一队会议室" and "陈五" not in entry.detail and "王书记" not in entry.detail
    marks = db.session.query(VoterMark).filter_by(person_id=world.people.staff.id).all()
    assert {(m.channel, m.polling_point, m.entered_by_id) for m in marks} == {
        ("paper", "综采一队会议室", world.users.committee.id)}
    assert db.session.query(Ballot).count() == 2 and db.session.query(BallotChoice).count() == 2


def test_someone_who_voted_online_cannot_be_entered_on_paper(world, voting_campaign):
    campaign, (zhang, _chen, _wang) = voting_campaign
    voting.cast_online(world.users.member, campaign.id, {campaign.categories[0].id: [zhang.id]})
    db.session.commit()
    with pytest.raises(ConflictError, match="张三已经投过票（在线或纸质），不能再录入"):
        voting.cast_paper(world.users.committee, campaign.id, world.people.member.id, "调度室",
                          {campaign.categories[0].id: [zhang.id]})
    db.session.rollback()
    with pytest.raises(PermissionDenied, match="只有党委指定的计票人员"):
        voting.cast_paper(world.users.secretary, campaign.id, world.people.staff.id, "调度室", {})


def test_the_public_list_opens_only_once_voting_has_closed(client, login_as, world, voting_campaign):
    campaign, _made = voting_campaign
    login_as(world.users.member)
    assert "投票结束后公布全部选票" in client.get(f"/exemplars/{campaign.id}/ballots").get_data(as_text=True)
    assert client.get(f"/exemplars/{campaign.id}/ballots.csv").status_code == 404
    assert client.get(f"/exemplars/{campaign.id}/ballots.xlsx").status_code == 404
