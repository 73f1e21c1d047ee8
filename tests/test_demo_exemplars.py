"""`flask demo load` brings the exemplar module alive: this year's campaign open for voting, last year's honours."""

import pytest
from sqlalchemy import func, select

from portal.accounts.models import RoleGrant, User
from portal.core.clock import localnow, utcnow
from portal.core.periods import parse_key
from portal.core.permissions import Role
from portal.credits import standings
from portal.credits.models import LedgerEntry
from portal.demo.generator import DEMO_PASSWORD
from portal.exemplars import jobs
from portal.exemplars.models import Campaign, Honour, Objection, ObjectionStatus, Phase, VoterMark
from portal.exemplars.services import campaigns, results, voting
from portal.exemplars.services.credit_rules import HONOUR_SOURCE, TITLE_RULE


@pytest.fixture()
def loaded(app, db):
    result = app.test_cli_runner().invoke(
        args=["demo", "load", "--people", "120", "--seed", "42", "--activity-days", "30", "--no-study"])
    assert result.exit_code == 0, result.output
    return result


def _campaign(db, phase):
    found = db.session.scalars(select(Campaign).where(Campaign.phase == phase)).all()
    assert len(found) == 1, f"expected one campaign in {phase}, found {len(found)}"
    return found[0]


def _demo_user(db, role):
    return db.session.scalar(select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(RoleGrant.role == role))


def _client_of(app, user):
    client = app.test_client()
    response = client.post("/login", data={"identifier": user.person.employee_no, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return client


def test_this_years_campaign_is_open_for_voting_with_qualified_nominees(app, db, loaded):
    campaign = _campaign(db, Phase.VOTING)
    assert "评选：" in loaded.output and "投票中" in loaded.output
    assert campaign.year == localnow().year
    assert [c.name for c in campaign.categories] == [name for name, _ in campaigns.DEFAULT_CATEGORIES]
    listed = voting.candidates_by_category(campaign)
    assert all(3 <= len(listed[c.id]) <= 6 for c in campaign.categories), {k: len(v) for k, v in listed.items()}
    assert standings.closed_period(parse_key(campaign.credit_period)) is not None  # nominees were checked on it
    assert campaign.voting_opens_at < utcnow() < campaign.voting_closes_at
    # Some people have voted already, every ballot with its mark; the demo accounts have not.
    counts = results.category_counts(campaign)
    assert all(marks > 0 and ballots == marks for _category, ballots, marks in counts), counts
    demo_people = set(db.session.scalars(select(User.person_id).where(User.person_id.is_not(None))))
    assert not db.session.scalar(select(func.count()).select_from(VoterMark).where(
        VoterMark.person_id.in_(demo_people)))
    # The scheduler leaves it open until its planned close.
    jobs.advance_campaigns()
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).phase == Phase.VOTING


def test_a_demo_member_finds_the_ballot(app, db, loaded):
    campaign = _campaign(db, Phase.VOTING)
    client = _client_of(app, _demo_user(db, Role.MEMBER))
    page = client.get(f"/exemplars/{campaign.id}/vote").get_data(as_text=True)
    assert "投出后不能更改" in page
    for category in campaign.categories:
        assert f'name="c{category.id}"' in page
        assert all(c.name in page for c in voting.candidates_by_category(campaign)[category.id])


def test_last_years_campaign_is_on_the_honours_wall_with_its_credit(app, db, loaded):
    campaign = _campaign(db, Phase.FINAL)
    assert campaign.year == localnow().year - 1 and campaign.finalised_at is not None
    honours = db.session.scalars(select(Honour).where(Honour.campaign_id == campaign.id)).all()
    winners = results.winners(campaign)
    assert honours and sorted(h.nomination_id for h in honours) == sorted(row.nomination_id for _c, row in winners)
    assert {h.category_name for h in honours} == {c.name for c in campaign.categories}
    # The exemplar credit, once per honour, through the ledger.
    credited = db.session.execute(select(LedgerEntry.source_id, func.count()).where(
        LedgerEntry.source_type == HONOUR_SOURCE, LedgerEntry.rule_code == TITLE_RULE)
        .group_by(LedgerEntry.source_id)).all()
    assert sorted(credited) == sorted((h.id, 1) for h in honours)
    # An objection was raised during publicity and found unfounded.
    objection = db.session.scalar(select(Objection).where(Objection.campaign_id == campaign.id))
    assert objection is not None and objection.status == ObjectionStatus.DISMISSED
    page = _client_of(app, _demo_user(db, Role.STAFF)).get("/exemplars/honours").get_data(as_text=True)
    assert f"{campaign.year}年度" in page
    assert all(h.person.name in page for h in honours)


def test_no_exemplars_leaves_the_module_empty(app, db):
    result = app.test_cli_runner().invoke(
        args=["demo", "load", "--people", "60", "--seed", "3", "--no-study", "--no-exemplars"])
    assert result.exit_code == 0, result.output
    assert "评选：" not in result.output
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0
