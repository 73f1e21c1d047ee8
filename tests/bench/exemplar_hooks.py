"""Hooks of the exemplar scenarios: vote_storm, honours_wall and campaign_results.

- vote_storm setup: an account for every person who may vote (everyone on post: members and
  staff) that has none (tests/bench/accounts.py).
- vote_storm before_run: a fresh campaign, set up by the demo committee account through the
  module's services (the six default categories, five qualified nominees each, quota 3, at most
  3 choices) and opened for voting; a session for every voter; and the voters file for
  wrk/vote_storm.lua: "person id, account name, Cookie header, CSRF token, ballot fields" per
  line, the ballot fields being what the confirmation page posts back (c<category id>=<nomination
  id>, several per category, none for an abstention), drawn per voter with favourites and a
  liking for candidates of one's own branch, as a real count looks.
- vote_storm count_after: every acknowledged voter is marked in all six categories, and the six
  ballots their receipt code stands for exist and say what the voter sent (else "lost"); per
  category, people marked = ballots, and nobody is marked twice in a category (else "duplicated").
- campaign_results setup: a campaign of its own, voted by 85% of the eligible voters in process
  through voting.cast_online (the service every online ballot goes through) and moved to
  publicity (公示) by the committee: the results page with a full mine's tally.
- honours_wall setup: the demo's honours (last year's campaign, finished by `flask demo load`).
"""

import random
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import func, select

from portal.core.clock import utcnow
from portal.core.periods import PeriodKind, recent_periods
from portal.core.permissions import Role
from portal.credits import services as credits
from portal.credits import standings
from portal.exemplars.models import Ballot, Honour, NominationSource, Phase, TieBreak, VoterMark
from portal.exemplars.services import campaigns, nominations, publicity, qualification, voting
from portal.exemplars.services.campaigns import DEFAULT_CATEGORIES, CategorySpec
from portal.extensions import db
from portal.roster import services as roster
from portal.roster.models import PARTY_STATUSES, Person, PersonStatus, PoliticalStatus
from tests.bench import accounts, servers
from tests.bench.portal_hooks import demo_user

NOMINEES = 5  # per category
QUOTA = MAX_CHOICES = 3
REPLAYS_PER_THREAD = 100  # casts sent again once acknowledged: half with the same key, half with a new one
RESULTS_TURNOUT = 0.85
ABSTAIN_SHARE = 0.05
COMMIT_EVERY = 200
_state = {"runs": 0}


# --- a campaign open for voting ---------------------------------------------------------------------

def _credit_period():
    """The last frozen quarter (the bench mine has a year of credits, every ended period frozen)."""
    for period in recent_periods(PeriodKind.QUARTER, 5):
        if credits.period_has_ended(period) and standings.closed_period(period) is not None:
            return period
    raise LookupError("no frozen quarter in the bench database (was the credit activity generated?)")


def open_campaign(title):
    """A campaign in its voting phase, set up and moved on by the demo committee account; returns it."""
    committee_user = demo_user(Role.COMMITTEE)
    committee = roster.root_organisation()
    period = _credit_period()
    now = utcnow()
    campaign = campaigns.create(
        committee_user, organisation_id=committee.id, title=title, year=now.year,
        nominate_by=[s.value for s in NominationSource], voter_statuses=[s.value for s in PoliticalStatus],
        multi_category=False, credit_period=period.key, min_credit=0, vote_weight=60, tie_break=TieBreak.VOTES,
        live_tally=False, categories=[CategorySpec(n, d, QUOTA, MAX_CHOICES) for n, d in DEFAULT_CATEGORIES],
        nomination_opens_at=now - timedelta(days=10), nomination_closes_at=now - timedelta(days=5),
        voting_opens_at=now - timedelta(hours=1), voting_closes_at=now + timedelta(days=2),
        publicity_ends_at=now + timedelta(days=9))
    publicity.advance(committee_user, campaign.id, Phase.DRAFT)
    people = _nominees(period, NOMINEES * len(campaign.categories))
    made = []
    for index, category in enumerate(campaign.categories):
        for person in people[index * NOMINEES:(index + 1) * NOMINEES]:
            made.append(nominations.nominate(committee_user, campaign.id, person_id=person.id,
                                             category_id=category.id,
                                             deeds="带领班组连续三年安全生产无事故，发现并整改重大隐患十二项，获评公司先进个人。"))
    publicity.advance(committee_user, campaign.id, Phase.NOMINATION)
    for nomination in made:
        qualification.decide(committee_user, nomination.id, True)
    publicity.advance(committee_user, campaign.id, Phase.QUALIFICATION)
    db.session.commit()
    return campaign


def _nominees(period, count):
    """Members keen on study, from as many branches as possible (the demo accounts' people left out)."""
    demo = {u.person_id for u in (demo_user(r) for r in Role) if u is not None and u.person_id is not None}
    members = [p for p in db.session.scalars(select(Person).where(
        Person.political_status.in_(PARTY_STATUSES), Person.status == PersonStatus.ON_POST).order_by(Person.id))
        if p.id not in demo]
    points = credits.frozen_points(period, [p.id for p in members]) or {}
    members.sort(key=lambda p: (-points.get(p.id, 0), p.id))
    chosen, branches = [], set()
    for person in members:  # the keenest of each branch first, then the next keenest
        if person.branch_id not in branches:
            chosen.append(person)
            branches.add(person.branch_id)
        if len(chosen) == count:
            return chosen
    rest = [p for p in members if p not in chosen]
    return chosen + rest[:count - len(chosen)]


def _voters(campaign):
    """Everyone who may vote in the campaign, as Person rows (by id)."""
    ids = voting.eligible_voter_ids(campaign)
    people = []
    for start in range(0, len(ids), 1000):
        people += db.session.scalars(select(Person).where(Person.id.in_(ids[start:start + 1000]))).all()
    return sorted(people, key=lambda p: p.id)


def _planner(campaign, rng):
    """plan(person) -> {category id: [nomination ids]}: favourites per category, and one's own branch liked."""
    listed = voting.candidates_by_category(campaign)
    branch_names = dict(roster.branch_rows([campaign.organisation]))
    appeal = {c.nomination_id: rng.uniform(0.4, 3.0) for candidates in listed.values() for c in candidates}

    def plan(person):
        own = branch_names.get(person.branch_id)
        chosen = {}
        for category in campaign.categories:
            candidates = listed.get(category.id, [])
            if not candidates or rng.random() < ABSTAIN_SHARE:
                chosen[category.id] = []
                continue
            pool = [(c.nomination_id, appeal[c.nomination_id] * (2.0 if c.branch_name == own else 1.0))
                    for c in candidates]
            picked = []
            for _ in range(min(rng.randint(1, category.max_choices), len(pool))):
                index = rng.choices(range(len(pool)), weights=[w for _n, w in pool])[0]
                picked.append(pool.pop(index)[0])
            chosen[category.id] = picked
        return chosen

    return plan


# --- vote_storm -------------------------------------------------------------------------------------

def storm_setup(bench):
    """An account for every eligible voter (once per database)."""
    people = db.session.scalars(select(Person).where(
        Person.status == PersonStatus.ON_POST, Person.branch_id.is_not(None))).all()
    _users, created = accounts.ensure_accounts(people)
    db.session.commit()
    return {"threads": servers.THREADS, "replays": REPLAYS_PER_THREAD,
            "note": f"{len(people)} voters ({created} accounts added), six categories in one request each"}


def storm_before_run(bench):
    """A fresh campaign open for voting, a session per voter, and the voters file for wrk."""
    _state["runs"] += 1
    campaign = open_campaign(f"压测评选 {_state['runs']}")
    rng = random.Random(_state["runs"])  # noqa: S311 - a reproducible spread of choices, not a secret
    plan = _planner(campaign, rng)
    people = _voters(campaign)
    users, _created = accounts.ensure_accounts(people)
    db.session.commit()
    voters = people
    made = accounts.sessions(bench, [users[p.id] for p in voters])
    lines, planned = [], {}
    for person in voters:
        user = users[person.id]
        cookie, token = made[user.id]
        planned[person.id] = plan(person)
        fields = urlencode([(f"c{cid}", n) for cid, ids in planned[person.id].items() for n in ids])
        lines.append(f"{person.id}\t{user.display_name}\t{cookie}\t{token}\t{fields}")
    rng.shuffle(lines)  # branches mixed, as phones are
    path = bench.tmp / f"voters-{_state['runs']}.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _state.update(campaign_id=campaign.id, categories=[c.id for c in campaign.categories])
    return {"campaign": campaign.id, "voters_file": str(path)}


def storm_count(bench, run):
    """Lost: acknowledged casts beyond the voters marked in every category (an answer names no voter).

    Duplicated: per category, people marked ≠ ballots; and anyone marked twice in one category.
    What a receipt's ballots hold is tests/exemplars' (the receipt is shown by the page a browser
    loads next, which the storm does not).
    """
    campaign_id, categories = _state["campaign_id"], _state["categories"]
    acked = sum(1 for token in run.acked if token == "cast")
    marked = dict(db.session.execute(select(VoterMark.person_id, func.count()).where(
        VoterMark.campaign_id == campaign_id).group_by(VoterMark.person_id)).all())
    complete = sum(1 for count in marked.values() if count == len(categories))
    marks = dict(db.session.execute(select(VoterMark.category_id, func.count()).where(
        VoterMark.campaign_id == campaign_id).group_by(VoterMark.category_id)).all())
    counted = dict(db.session.execute(select(Ballot.category_id, func.count()).where(
        Ballot.campaign_id == campaign_id).group_by(Ballot.category_id)).all())
    twice = db.session.scalar(select(func.count()).select_from(
        select(VoterMark.category_id, VoterMark.person_id).where(VoterMark.campaign_id == campaign_id)
        .group_by(VoterMark.category_id, VoterMark.person_id).having(func.count() > 1).subquery()))
    duplicated = twice + sum(abs(marks.get(cid, 0) - counted.get(cid, 0)) for cid in categories)
    return {"written": sum(counted.values()), "lost": max(0, acked - complete), "duplicated": duplicated,
            "acked_voters": acked, "voters_marked": len(marked), "voters_complete": complete}


# --- reads ------------------------------------------------------------------------------------------

def honours_note(bench):
    """The honours the demo mine's wall shows (its newest year)."""
    year = db.session.scalar(select(func.max(Honour.year)))
    count = db.session.scalar(select(func.count()).select_from(Honour).where(Honour.year == year)) if year else 0
    if not count:
        raise LookupError("no honours in the bench database (does `flask demo load` finish last year's campaign?)")
    return {"note": f"member, {year}年度: {count} honours"}


def results_campaign(bench):
    """A campaign in publicity with a full mine's tally (once per database): {"campaign": id}."""
    campaign = open_campaign("压测评选（公示）")
    rng = random.Random(2026)  # noqa: S311 - a reproducible spread of choices, not a secret
    plan = _planner(campaign, rng)
    people = [p for p in _voters(campaign) if rng.random() < RESULTS_TURNOUT]
    users, _created = accounts.ensure_accounts(people)
    db.session.commit()
    for index, person in enumerate(people, start=1):
        voting.cast_online(users[person.id], campaign.id, plan(person))
        if index % COMMIT_EVERY == 0:
            db.session.commit()
    publicity.advance(demo_user(Role.COMMITTEE), campaign.id, Phase.VOTING)
    db.session.commit()
    ballots = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.campaign_id == campaign.id))
    note = f"member, publicity: {len(people)} voters, {ballots} ballots in {len(campaign.categories)} categories"
    return {"campaign": campaign.id, "note": note}
