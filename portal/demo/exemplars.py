"""六大员评选 in the demo mine: last year's campaign finished with honours, this year's in its voting phase.

Both campaigns are run the way a committee runs one, through the module's own services: created
with the six default categories, opened for nomination, nominees put forward by the committee,
the demo secretary (支部推荐) and the demo staff member (群众推荐), checked against a frozen credit
period and decided (one rejected, with the reason), then moved on by the committee
(`publicity.advance`) or by the clock (`publicity.advance_due`, as the scheduler does), so the
notices, audit entries, honours and the exemplar credit are what production writes.

Ballots are entered through `voting.cast_paper` by the demo committee account at each branch's
polling point: the voters have no accounts in the demo, and a paper ballot is the one way a
person without an account votes. The demo accounts have not voted, so each can try the ballot.

Credit periods: this year's campaign takes the last frozen quarter (else month). Last year's
takes last year, which `--activity-days` freezes when it reaches back that far; otherwise (the
demo's ledger starts this year) the loader freezes it with `standings.close_period`, which
freezes what the ledger holds: nothing, so every nominee shows 0 points and the score is the
votes' part.

Nothing is committed here: the command commits once.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from portal.accounts.models import RoleGrant, User
from portal.core import clock
from portal.core.clock import LOCAL_TZ, utcnow
from portal.core.periods import PeriodKind, period_containing, recent_periods
from portal.core.permissions import Role
from portal.credits import services as credits
from portal.credits import standings
from portal.demo import exemplar_texts as texts
from portal.exemplars.models import Honour, NominationSource, Phase, TieBreak
from portal.exemplars.services import campaigns, nominations, publicity, qualification, results, voting
from portal.exemplars.services.campaigns import DEFAULT_CATEGORIES, CategorySpec
from portal.extensions import db
from portal.roster import services as roster
from portal.roster.models import PARTY_STATUSES, Organisation, Person, PersonStatus, PoliticalStatus, Unit

QUOTA = 2  # winners per category
MAX_CHOICES = 2
NOMINEES = (3, 5)  # qualified nominees per category (fewer in a very small mine)
# Voters entered in each campaign: a share of each branch's eligible people, capped so that a
# 5,000-person mine loads in seconds (every ballot goes through the service, one by one).
CURRENT_TURNOUT, CURRENT_CAP = (0.2, 0.55), 240
FINISHED_TURNOUT, FINISHED_CAP = (0.75, 0.95), 480
ABSTAIN_SHARE = 0.06


@dataclass
class ExemplarDemo:
    """What load() wrote, for the summary the command prints."""

    voting_title: str = ""
    nominees: int = 0
    voted: int = 0
    finished_title: str = ""
    honours: int = 0


@dataclass
class _Cast:
    """The demo accounts the campaigns are run with."""

    committee: User
    secretary: User | None
    staff: User | None


def load_exemplars(seed):
    """Last year's campaign to its end (honours and credit), then this year's into voting with some ballots."""
    committee = roster.root_organisation()
    cast = _demo_accounts(committee) if committee is not None else None
    result = ExemplarDemo()
    if cast is None:
        return result
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    today = clock.localnow().date()
    finished = _run(cast, committee, rng, year=today.year - 1, period=_frozen_year(today.year - 1),
                    dates=_finished_dates(today), turnout=FINISHED_TURNOUT, cap=FINISHED_CAP)
    publicity.advance(cast.committee, finished.id, Phase.VOTING)  # the committee closes the count
    _object_and_dismiss(cast, finished, rng)
    publicity.advance_due(finished)  # publicity has ended: the clock finalises it (honours, credit)
    current = _run(cast, committee, rng, year=today.year, period=_frozen_quarter_or_month(today),
                   dates=_voting_dates(today), turnout=CURRENT_TURNOUT, cap=CURRENT_CAP)
    db.session.flush()
    result.finished_title, result.voting_title = finished.title, current.title
    result.honours = len(db.session.scalars(select(Honour.id).where(Honour.campaign_id == finished.id)).all())
    result.nominees = sum(len(c) for c in voting.candidates_by_category(current).values())
    result.voted = sum(t.voted for t in voting.turnout(current))
    return result


def summary(result):
    """One line in Chinese for the command's output."""
    if not result.voting_title:
        return "  评选：未生成（没有党委演示账号）"
    return (f"  评选：{result.voting_title}投票中（候选人 {result.nominees} 名，已投票 {result.voted} 人）；"
            f"{result.finished_title}已公布（当选 {result.honours} 人次，已上荣誉墙）")


# --- who runs it ------------------------------------------------------------------------------------

def _demo_accounts(committee):
    def holder(role, organisation=None):
        query = select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(RoleGrant.role == role)
        if organisation is not None:
            query = query.where(RoleGrant.organisation_id == organisation.id)
        return db.session.scalar(query.order_by(User.id).limit(1))

    chair = holder(Role.COMMITTEE, committee)
    if chair is None:
        return None
    return _Cast(chair, holder(Role.SECRETARY), holder(Role.STAFF))


# --- credit periods and dates -----------------------------------------------------------------------

def _frozen_quarter_or_month(today):
    """The last frozen quarter, else the last frozen month; else the last ended month, frozen now."""
    for kind, count in ((PeriodKind.QUARTER, 4), (PeriodKind.MONTH, 6)):
        for period in recent_periods(kind, count, until=today):
            if period.end < today and standings.closed_period(period) is not None:
                return period
    period = period_containing(PeriodKind.MONTH, today).previous()
    standings.close_period(period)
    return period


def _frozen_year(year):
    """Last year, frozen by the activity if it reached back so far, else frozen here (see the docstring)."""
    period = period_containing(PeriodKind.YEAR, date(year, 6, 30))
    standings.close_period(period)  # idempotent: None when already frozen
    return period


def _at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), LOCAL_TZ)


def _voting_dates(today):
    """Nomination three weeks ago, voting opened two days ago and closes in five, publicity a week after."""
    return dict(nomination_opens_at=_at(today - timedelta(days=21), 9),
                nomination_closes_at=_at(today - timedelta(days=9), 18),
                voting_opens_at=_at(today - timedelta(days=2), 8),
                voting_closes_at=_at(today + timedelta(days=5), 18),
                publicity_ends_at=_at(today + timedelta(days=12), 18))


def _finished_dates(today):
    """Last year's campaign, held in January (or ending a few weeks ago, early in a year)."""
    end = min(date(today.year, 1, 31), today - timedelta(days=25))
    return dict(nomination_opens_at=_at(end - timedelta(days=26), 9),
                nomination_closes_at=_at(end - timedelta(days=16), 18),
                voting_opens_at=_at(end - timedelta(days=12), 8),
                voting_closes_at=_at(end - timedelta(days=7), 18),
                publicity_ends_at=_at(end, 18))


# --- one campaign -----------------------------------------------------------------------------------

def _run(cast, committee, rng, *, year, period, dates, turnout, cap):
    """Create, nominate, qualify and open for voting; then enter a share of the ballots."""
    people = _people()
    points = credits.frozen_points(period, [p.id for p in people]) or {}
    threshold = _threshold([points.get(p.id, 0) for p in people if p.political_status in PARTY_STATUSES])
    title = f"{year}年度“六大员”评选"
    campaign = campaigns.create(
        cast.committee, organisation_id=committee.id, title=title, year=year,
        description=texts.CAMPAIGN_DESCRIPTION.format(year=year, period=period.label, threshold=threshold,
                                                      choices=MAX_CHOICES),
        nominate_by=[s.value for s in NominationSource], voter_statuses=[s.value for s in PoliticalStatus],
        multi_category=False, credit_period=period.key, min_credit=threshold, vote_weight=60,
        tie_break=TieBreak.VOTES, live_tally=False,
        categories=[CategorySpec(name, description, QUOTA, MAX_CHOICES) for name, description in DEFAULT_CATEGORIES],
        **dates)
    publicity.advance(cast.committee, campaign.id, Phase.DRAFT)
    made, rejected = _nominate(cast, campaign, people, points, threshold, rng)
    # Nomination closed on plan: the clock moves the campaign to qualification, where the
    # undecided nominations hold it.
    publicity.advance_due(campaign)
    for nomination in made:
        qualification.decide(cast.committee, nomination.id, True)
    for nomination, note in rejected:
        qualification.decide(cast.committee, nomination.id, False, note)
    if campaign.voting_closes_at > utcnow():
        publicity.advance_due(campaign)  # voting opened on plan and is still open
    else:
        publicity.advance(cast.committee, campaign.id, Phase.QUALIFICATION)  # last year's: opened by hand here
    _ballots(cast, campaign, rng, turnout, cap)
    return campaign


def _people():
    """Everyone on post but the demo accounts' people (they keep their ballot and their name off the list)."""
    demo = set(db.session.scalars(select(User.person_id).where(User.person_id.is_not(None))))
    return [p for p in db.session.scalars(select(Person).where(
        Person.status == PersonStatus.ON_POST, Person.branch_id.is_not(None)).order_by(Person.id)) if p.id not in demo]


def _threshold(member_points):
    """A credit threshold most members clear: about a third of the median, in fives (0 without credits)."""
    ranked = sorted(member_points)
    if not ranked or ranked[-1] <= 0:
        return 0
    return 5 * int(ranked[len(ranked) // 2] / 3 / 5)


def _nominate(cast, campaign, people, points, threshold, rng):
    """Nominees per category (members keen on study first), and one nomination the committee turns down."""
    keen = sorted((p for p in people if p.political_status in PARTY_STATUSES and points.get(p.id, 0) >= threshold),
                  key=lambda p: -points.get(p.id, 0))
    first = keen[: max(len(keen) // 3, 6 * NOMINEES[1])]
    rng.shuffle(first)
    taken = {p.id for p in first}
    pool = first + [p for p in keen if p.id not in taken]
    taken.update(p.id for p in keen)
    pool += [p for p in people if points.get(p.id, 0) >= threshold and p.id not in taken]
    units = dict(db.session.execute(select(Unit.id, Unit.name)).all())
    made, peer_used = [], False
    categories = list(campaign.categories)
    for index, category in enumerate(categories):
        later = NOMINEES[0] * (len(categories) - index - 1)  # leave enough for the categories to come
        for _ in range(max(1, min(rng.randint(*NOMINEES), len(pool) - later))):
            if not pool:
                break
            person = pool.pop(0)
            actor = cast.committee
            if cast.staff is not None and not peer_used and person.branch_id == cast.staff.person.branch_id:
                actor, peer_used = cast.staff, True  # 群众推荐 by a colleague of the same branch
            elif cast.secretary is not None and person.branch_id == cast.secretary.person.branch_id:
                actor = cast.secretary
            made.append(nominations.nominate(actor, campaign.id, person_id=person.id, category_id=category.id,
                                             deeds=_deeds(category.name, units[person.unit_id], rng)))
    chosen = {n.person_id for n in made}
    below = [p for p in people if p.id not in chosen and points.get(p.id, 0) < threshold]
    spare, note = (below, texts.BELOW_THRESHOLD_NOTE) if below else (
        [p for p in people if p.id not in chosen], texts.REJECTION_NOTE)
    if not spare:
        return made, []
    person, category = rng.choice(spare), rng.choice(categories)
    nomination = nominations.nominate(cast.committee, campaign.id, person_id=person.id, category_id=category.id,
                                      deeds=_deeds(category.name, units[person.unit_id], rng))
    return made, [(nomination, note)]


def _deeds(category_name, unit, rng):
    template = rng.choice(texts.DEEDS.get(category_name, texts.GENERIC_DEEDS))
    return template.format(unit=unit, n=rng.randint(6, 40), m=rng.randint(3, 18))


# --- ballots ----------------------------------------------------------------------------------------

def _ballots(cast, campaign, rng, turnout, cap):
    """Paper ballots of a share of each branch's voters, entered at the branch's polling point."""
    demo = set(db.session.scalars(select(User.person_id).where(User.person_id.is_not(None))))
    eligible = [pid for pid in voting.eligible_voter_ids(campaign) if pid not in demo]
    branch_of = dict(db.session.execute(select(Person.id, Person.branch_id).where(Person.id.in_(eligible))).all())
    rates = {b: rng.uniform(*turnout) for b in sorted(set(branch_of.values()))}
    voters = [pid for pid in eligible if rng.random() < rates[branch_of[pid]]]
    if len(voters) > cap:
        voters = sorted(rng.sample(voters, cap))
    ballot = voting.candidates_by_category(campaign)
    appeal = {c.nomination_id: rng.uniform(0.4, 3.0) for candidates in ballot.values() for c in candidates}
    home = {c.nomination_id: c.branch_name for candidates in ballot.values() for c in candidates}
    branch_names = dict(db.session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_(set(branch_of.values())))).all())
    for person_id in voters:
        branch = branch_names[branch_of[person_id]]
        selections = {}
        for category in campaign.categories:
            candidates = [c.nomination_id for c in ballot.get(category.id, [])]
            if not candidates or rng.random() < ABSTAIN_SHARE:
                selections[category.id] = []
                continue
            weights = [appeal[n] * (2.0 if home[n] == branch else 1.0) for n in candidates]
            selections[category.id] = _draw(rng, candidates, weights, rng.randint(1, category.max_choices))
        point = f"{branch.removesuffix('党支部')}投票点"
        voting.cast_paper(cast.committee, campaign.id, person_id, point, selections)


def _draw(rng, items, weights, count):
    """`count` distinct items drawn by weight."""
    items, weights, drawn = list(items), list(weights), []
    for _ in range(min(count, len(items))):
        index = rng.choices(range(len(items)), weights=weights)[0]
        drawn.append(items.pop(index))
        weights.pop(index)
    return drawn


# --- publicity --------------------------------------------------------------------------------------

def _object_and_dismiss(cast, campaign, rng):
    """During publicity the demo staff member objects to a winner; the committee finds it unfounded."""
    if cast.staff is None or campaign.phase != Phase.PUBLICITY:
        return
    winners = [row for _category, row in results.winners(campaign)]
    if not winners:
        return
    objection = publicity.object_to(cast.staff, campaign.id, rng.choice(winners).nomination_id,
                                    texts.OBJECTION_REASON)
    publicity.decide_objection(cast.committee, objection.id, False, texts.OBJECTION_FINDING)
