"""Building exemplar campaigns for the tests: the dates, the credit period, nominations, phases."""

from portal.exemplars.models import Phase
from portal.exemplars.services import campaigns, nominations, publicity, qualification
from portal.exemplars.services.campaigns import CategorySpec
from portal.extensions import db
from tests.credits.helpers import at, close_until, give

# Q1 2026 is the credit period; the campaign runs from mid-June.
CREDIT_PERIOD = "quarter:2026-01-01"
START = at(2026, 6, 15, 9)
DATES = dict(
    nomination_opens_at=at(2026, 6, 16, 9), nomination_closes_at=at(2026, 6, 20, 18),
    voting_opens_at=at(2026, 6, 22, 9), voting_closes_at=at(2026, 6, 26, 18), publicity_ends_at=at(2026, 7, 3, 18),
)
# When each phase is under way (the moment a test sets to act in it).
DURING = {
    Phase.DRAFT: START, Phase.NOMINATION: at(2026, 6, 17, 10), Phase.QUALIFICATION: at(2026, 6, 21, 10),
    Phase.VOTING: at(2026, 6, 23, 10), Phase.PUBLICITY: at(2026, 6, 28, 10), Phase.FINAL: at(2026, 7, 4, 10),
}
DEEDS = "带领班组连续三年安全生产无事故，发现并整改重大隐患十二项，获评公司先进个人。"


def fields(**overrides):
    """The form values of a campaign with two categories (quota 1, two choices each)."""
    values = dict(
        title="2026年度“六大员”评选", year=2026, description="", nominate_by=["branch", "peer", "self"],
        voter_statuses=["正式党员", "预备党员", "入党积极分子", "群众"], multi_category=False,
        credit_period=CREDIT_PERIOD, min_credit=0, vote_weight=60, tie_break="votes", live_tally=False,
        categories=[CategorySpec("安全生产监督员", "", 1, 2), CategorySpec("急难险重突击员", "", 1, 2)], **DATES)
    values.update(overrides)
    return values


def credit_q1(now, world, points=None):
    """Points in Q1 2026 for some people (default: 张三 30, 陈五 10, 王书记 20), then Q1 frozen."""
    people, committee = world.people, world.users.committee
    points = points or {people.member: 30, people.other: 10, people.secretary: 20}
    for person, amount in points.items():
        left = amount
        while left > 0:
            give(now, committee, person, min(left, 100), at(2026, 2, 10))
            left -= 100
    close_until(now, START)
    db.session.commit()


def new_campaign(now, world, **overrides):
    """A campaign in its draft, made by the committee at START."""
    now.set(START)
    campaign = campaigns.create(world.users.committee, organisation_id=world.committee.id, **fields(**overrides))
    db.session.commit()
    return campaign


def to_phase(now, world, campaign, phase):
    """Move the campaign on (as the committee, ahead of plan) until it is in `phase`; the clock follows."""
    while campaign.phase != phase:
        publicity.advance(world.users.committee, campaign.id, campaign.phase)
        db.session.commit()
        now.set(DURING[Phase(campaign.phase)])
    return campaign


def nominate(now, user, campaign, person, category, deeds=DEEDS, **extra):
    """A nomination by `user` (in the nomination phase)."""
    now.set(DURING[Phase.NOMINATION])
    made = nominations.nominate(user, campaign.id, person_id=person.id, category_id=category.id, deeds=deeds, **extra)
    db.session.commit()
    return made


def qualify(world, nomination):
    """The committee approves the nomination."""
    qualification.decide(world.users.committee, nomination.id, True)
    db.session.commit()
    return nomination


def ready_to_vote(now, world, **overrides):
    """A campaign in voting with candidates: 安全: 张三, 陈五; 急难: 王书记 (all qualified)."""
    credit_q1(now, world)
    campaign = new_campaign(now, world, **overrides)
    to_phase(now, world, campaign, Phase.NOMINATION)
    safety, rescue = campaign.categories
    committee = world.users.committee
    made = [nominate(now, committee, campaign, world.people.member, safety),
            nominate(now, committee, campaign, world.people.other, safety),
            nominate(now, committee, campaign, world.people.secretary, rescue)]
    for nomination in made:
        qualify(world, nomination)
    to_phase(now, world, campaign, Phase.VOTING)
    return campaign, made


def sample_values(world):
    """URL values for the access matrix: a campaign of the committee in publicity, with a qualified
    nominee of branch_a (张三, by the secretary) who has a photo, a piece of evidence, one vote and an
    open objection; a flag; and a title won in an earlier year.

    Built from the models directly (not the services) so that nothing is audited: the CSRF test
    counts audit rows around the request.
    """
    from datetime import timedelta

    from portal.core import uploads
    from portal.core.clock import utcnow
    from portal.exemplars.models import (
        Ballot,
        BallotChoice,
        Campaign,
        CandidateFlag,
        Category,
        EvidenceFile,
        Honour,
        Nomination,
        Objection,
        VoterMark,
    )

    now = utcnow()
    campaign = Campaign(
        organisation_id=world.committee.id, title="矩阵测试评选", year=2026, phase=Phase.PUBLICITY,
        nomination_opens_at=now - timedelta(days=20), nomination_closes_at=now - timedelta(days=15),
        voting_opens_at=now - timedelta(days=10), voting_closes_at=now - timedelta(days=1),
        publicity_ends_at=now + timedelta(days=6), nominate_by="branch,peer,self",
        voter_statuses="正式党员,预备党员,入党积极分子,群众", credit_period=CREDIT_PERIOD)
    campaign.categories = [Category(name="安全生产监督员", quota=1, max_choices=2)]
    db.session.add(campaign)
    db.session.flush()
    category = campaign.categories[0]
    nomination = Nomination(campaign_id=campaign.id, category_id=category.id, person_id=world.people.member.id,
                            source="branch", nominated_by_id=world.users.secretary.id, deeds=DEEDS,
                            status="qualified", credit_points=30)
    db.session.add(nomination)
    db.session.flush()
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 16
    photo = EvidenceFile(nomination_id=nomination.id, filename="照片.png", extension="png", size=len(png),
                         is_photo=True, stored_name=uploads.keep(nominations.UPLOAD_KIND, png, "png"))
    evidence = EvidenceFile(nomination_id=nomination.id, filename="证书.pdf", extension="pdf", size=9,
                            stored_name=uploads.keep(nominations.UPLOAD_KIND, b"%PDF-1.4\n", "pdf"))
    db.session.add_all([photo, evidence])
    db.session.add(VoterMark(campaign_id=campaign.id, category_id=category.id, person_id=world.people.staff.id,
                             voted_at=now - timedelta(days=2), channel="online"))
    db.session.add(Ballot(id="0" * 32, campaign_id=campaign.id, category_id=category.id, receipt_hash="f" * 64))
    db.session.flush()
    db.session.add(BallotChoice(ballot_id="0" * 32, nomination_id=nomination.id))
    objection = Objection(campaign_id=campaign.id, nomination_id=nomination.id, person_id=world.people.other.id,
                          reason="矩阵测试的异议内容，需要核实。")
    flag = CandidateFlag(person_id=world.people.activist.id, reason="矩阵测试标记",
                         opened_by_id=world.users.committee.id)
    honour = Honour(campaign_id=campaign.id, nomination_id=nomination.id, person_id=world.people.member.id, year=2025,
                    category_name="安全生产监督员", branch_name=world.branch_a.name, rank=1, votes=1, score="60.00")
    db.session.add_all([objection, flag, honour])
    db.session.commit()
    return {"campaign_id": campaign.id, "nomination_id": nomination.id, "file_id": evidence.id,
            "photo_id": photo.id, "flag_id": flag.id, "objection_id": objection.id, "honour_id": honour.id}
