"""Voting: who may vote, the ballot a voter sees, and casting it online or from a paper ballot.

A voter casts their whole ballot at once, every category in one request: a category left blank
is an abstention (弃权), and nothing can be changed once cast. `cast()` writes, in the request's
one transaction, a `VoterMark` per category (who, when, how) and a `Ballot` per category (what,
under a random id, with the hash of the voter's receipt code and the category). The marks go in
first, as one `INSERT … ON CONFLICT DO NOTHING RETURNING`: the unique key (category, person) lets
each voter through once per category, whatever the number of requests, workers or databases,
and a cast that finds any category already marked writes nothing at all.

The receipt code is shown once and never stored: each ballot keeps SHA-256(code, category), so
the voter, and only someone holding the code, can find their ballots on the public list after
voting closes. A paper ballot is entered the same way by an officer at a polling point; its
mark says so (and who entered it, where), its ballot does not.
"""

import hashlib
import hmac
import random
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, insert, select

from portal.core import audit
from portal.core.clock import utcnow
from portal.core.database import dialect_insert
from portal.core.exceptions import ConflictError, PermissionDenied, ValidationError
from portal.core.text import clean as clean_text
from portal.exemplars.models import (
    Ballot,
    BallotChoice,
    Channel,
    EvidenceFile,
    Nomination,
    NominationStatus,
    Phase,
    VoterMark,
)
from portal.exemplars.services import campaigns
from portal.extensions import db
from portal.roster import services as roster
from portal.roster.models import Organisation, Person, PersonStatus

RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud or copied by hand
RECEIPT_LENGTH = 16  # about 79 bits: the list's hashes cannot be searched for codes
POLLING_POINT_MAX = 60


@dataclass(frozen=True)
class Candidate:
    """One qualified nominee as a ballot lists them."""

    nomination_id: int
    person_id: int
    name: str
    branch_name: str
    deeds: str
    photo_id: int | None


@dataclass
class BallotCategory:
    """One category of a voter's ballot: its candidates in this voter's order."""

    category: object
    candidates: list
    voted: bool = False


@dataclass(frozen=True)
class Receipt:
    """What a cast booked: the code (shown once) and the categories it covered, with the choices made."""

    campaign: object
    code: str
    lines: list  # [(category name, [candidate names]) ...]; an empty list is an abstention


# --- who may vote -------------------------------------------------------------------------------------

def ineligibility(campaign, person):
    """Why `person` may not vote in the campaign (a message), or None if they may."""
    if person is None:
        return "您的账号没有关联花名册人员，不能投票"
    if not campaigns.covers(campaign, person):
        return "您不在本次评选的范围内"
    if person.status != PersonStatus.ON_POST:
        return "只有在岗人员可以投票"
    if person.political_status not in campaign.statuses:
        return f"本次评选的投票人为{'、'.join(campaign.statuses)}"
    return None


def voted_categories(campaign_id, person_id):
    """Ids of the categories the person has voted in."""
    return set(db.session.scalars(select(VoterMark.category_id).where(
        VoterMark.campaign_id == campaign_id, VoterMark.person_id == person_id)))


def has_voted(campaign, person_id):
    """True once the person has cast their ballot (any category: a cast covers them all)."""
    return bool(voted_categories(campaign.id, person_id))


# --- the ballot a voter sees -------------------------------------------------------------------------

def candidates_by_category(campaign):
    """{category id: [Candidate]} of the qualified nominees, by name."""
    rows = db.session.execute(
        select(Nomination.id, Nomination.category_id, Person.id, Person.name,
               func.coalesce(Organisation.name, ""), Nomination.deeds)
        .join(Person, Person.id == Nomination.person_id)
        .outerjoin(Organisation, Organisation.id == Person.branch_id)
        .where(Nomination.campaign_id == campaign.id, Nomination.status == NominationStatus.QUALIFIED)
        .order_by(Person.name_sort, Nomination.id)).all()
    photos = _photo_ids([row[0] for row in rows])
    found = {category.id: [] for category in campaign.categories}
    for nomination_id, category_id, person_id, name, branch, deeds in rows:
        found.setdefault(category_id, []).append(
            Candidate(nomination_id, person_id, name, branch, deeds, photos.get(nomination_id)))
    return found


def _photo_ids(nomination_ids):
    if not nomination_ids:
        return {}
    return dict(db.session.execute(select(EvidenceFile.nomination_id, EvidenceFile.id).where(
        EvidenceFile.nomination_id.in_(nomination_ids), EvidenceFile.is_photo.is_(True))).all())


def ballot_for(campaign, person, shuffle=True):
    """The voter's ballot: each category with its candidates in an order of this voter's own.

    The order is shuffled per voter (the same on every visit, so a reload does not reshuffle);
    a paper ballot is entered in the printed order (by name): shuffle=False.
    """
    listed = candidates_by_category(campaign)
    voted = voted_categories(campaign.id, person.id)
    # An order, not a secret: seeded per voter so that a reload shows the same order.
    order = random.Random(_order_seed(campaign.id, person.id)) if shuffle else None  # noqa: S311
    categories = []
    for category in campaign.categories:
        candidates = list(listed.get(category.id, []))
        if order is not None:
            order.shuffle(candidates)
        categories.append(BallotCategory(category, candidates, category.id in voted))
    return categories


def _order_seed(campaign_id, person_id):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"exemplar-order:{campaign_id}:{person_id}".encode(), hashlib.sha256).digest()


# --- casting --------------------------------------------------------------------------------------------

def listed_names(campaign):
    """{category id: {nomination id: name}} of the qualified nominees: what a ballot may hold."""
    listed = {category.id: {} for category in campaign.categories}
    for nomination_id, category_id, name in db.session.execute(
            select(Nomination.id, Nomination.category_id, Person.name)
            .join(Person, Person.id == Nomination.person_id)
            .where(Nomination.campaign_id == campaign.id, Nomination.status == NominationStatus.QUALIFIED)):
        listed.setdefault(category_id, {})[nomination_id] = name
    return listed


def checked_selection(campaign, selections, listed):
    """{category id: [nomination ids]} checked against the ballot (`listed`: listed_names()); blank = [].

    ValidationError for an unknown category, a candidate not on the category's list, a name
    chosen twice, or more names than the category allows.
    """
    known = {category.id for category in campaign.categories}
    if any(category_id not in known for category_id in selections):
        raise ValidationError("选票中有不存在的评选类别，请刷新页面后重新填写")
    checked = {}
    for category in campaign.categories:
        chosen = list(selections.get(category.id) or [])
        if len(set(chosen)) != len(chosen):
            raise ValidationError(f"“{category.name}”中同一候选人不能选两次")
        if len(chosen) > category.max_choices:
            raise ValidationError(f"“{category.name}”最多选 {category.max_choices} 人，您选了 {len(chosen)} 人")
        if any(nomination_id not in listed[category.id] for nomination_id in chosen):
            raise ValidationError(f"“{category.name}”中有人不在候选人名单上，请刷新页面后重新选择")
        checked[category.id] = chosen
    return checked


def _lines(campaign, checked, listed):
    """[(category name, [candidate names as chosen])] of a checked selection."""
    return [(category.name, [listed[category.id][n] for n in checked[category.id]]) for category in campaign.categories]


def review(campaign, selections):
    """The lines a voter confirms before casting: [(category name, [candidate names])] (nothing written)."""
    campaigns.require_phase(campaign, Phase.VOTING, "投票")
    listed = listed_names(campaign)
    return _lines(campaign, checked_selection(campaign, selections, listed), listed)


def cast_online(actor, campaign_id, selections):
    """The logged-in voter casts their whole ballot; returns the Receipt."""
    campaign = campaigns.get_visible(actor, campaign_id)
    person = campaigns.actor_person(actor)
    reason = ineligibility(campaign, person)
    if reason:
        raise PermissionDenied(reason)
    return _cast(campaign, person, selections, channel=Channel.ONLINE)


def cast_paper(actor, campaign_id, voter_id, polling_point, selections):
    """An officer enters one voter's paper ballot at a polling point; audited (who, where — never what)."""
    campaign = campaigns.get_visible(actor, campaign_id)
    if not actor.has_permission("exemplars.paper", campaign.organisation):
        raise PermissionDenied("只有党委指定的计票人员可以录入纸质选票")
    voter = paper_voter(campaign, voter_id)
    point = clean_text(polling_point or "")
    if not point:
        raise ValidationError("请填写投票点", field="polling_point")
    if len(point) > POLLING_POINT_MAX:
        raise ValidationError(f"投票点名称不能超过 {POLLING_POINT_MAX} 字", field="polling_point")
    receipt = _cast(campaign, voter, selections, channel=Channel.PAPER, entered_by=actor, polling_point=point)
    audit.record("exemplar_paper_ballot", target=campaign, actor=actor, detail=f"{voter.name}：{point}")
    return receipt


def paper_voter(campaign, voter_id):
    """The voter a paper entry names, if they may vote; ValidationError otherwise."""
    person = db.session.get(Person, voter_id) if voter_id else None
    reason = ineligibility(campaign, person) if person is not None else "请从搜索结果中选择投票人"
    if reason:
        raise ValidationError(reason if person is None else f"{person.name}：{reason}", field="voter_id")
    return person


def paper_voter_choices(campaign, q):
    """People in the campaign's branches whose name matches `q`, for the officer to pick."""
    branches = roster.branch_rows([campaign.organisation])
    return roster.find_on_post([b.id for b in branches], q, limit=20)


def _cast(campaign, person, selections, *, channel, entered_by=None, polling_point=None):
    campaigns.require_phase(campaign, Phase.VOTING, "投票")
    listed = listed_names(campaign)
    checked = checked_selection(campaign, selections, listed)
    now = utcnow()
    marks = [{"campaign_id": campaign.id, "category_id": category_id, "person_id": person.id, "voted_at": now,
              "channel": channel, "entered_by_id": entered_by.id if entered_by else None,
              "polling_point": polling_point} for category_id in checked]
    written = db.session.execute(
        dialect_insert()(VoterMark.__table__).values(marks)
        .on_conflict_do_nothing(index_elements=["category_id", "person_id"])
        .returning(VoterMark.__table__.c.category_id)).scalars().all()
    if len(written) != len(marks):
        # Another request (or a paper entry) got there first: this one must write nothing at all.
        raise ConflictError("您已经投过票，本次提交未计入。每人每个类别只能投一次票，投出后不能更改"
                            if channel == Channel.ONLINE else f"{person.name}已经投过票（在线或纸质），不能再录入")
    code = new_receipt_code()
    ballots, choices = [], []
    for category_id, chosen in checked.items():
        ballot_id = secrets.token_hex(16)
        ballots.append({"id": ballot_id, "campaign_id": campaign.id, "category_id": category_id,
                        "receipt_hash": receipt_hash(code, category_id)})
        choices += [{"ballot_id": ballot_id, "nomination_id": nomination_id} for nomination_id in chosen]
    # Plain table inserts (no ORM objects are made or needed): the cast is the vote storm's request.
    db.session.execute(insert(Ballot.__table__), ballots)
    if choices:
        db.session.execute(insert(BallotChoice.__table__), choices)
    return Receipt(campaign=campaign, code=format_code(code), lines=_lines(campaign, checked, listed))


def new_receipt_code():
    """A random receipt code (RECEIPT_LENGTH characters of RECEIPT_ALPHABET)."""
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def normalise_code(text):
    """A code as typed (any case, spaces or dashes) in its canonical form; '' if it cannot be one."""
    code = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return code if len(code) == RECEIPT_LENGTH and all(ch in RECEIPT_ALPHABET for ch in code) else ""


def format_code(code):
    """ABCD-EFGH-JKLM-NPQR: easier to copy by hand."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def receipt_hash(code, category_id):
    """The hash a ballot keeps: SHA-256 of the canonical code and the category id."""
    return hashlib.sha256(f"{normalise_code(code)}:{category_id}".encode()).hexdigest()


def eligible_voter_ids(campaign):
    """Ids of everyone who may vote in the campaign."""
    branch_ids = [b.id for b in roster.branch_rows([campaign.organisation])]
    if not branch_ids:
        return []
    return db.session.scalars(select(Person.id).where(
        Person.branch_id.in_(branch_ids), Person.status == PersonStatus.ON_POST,
        Person.political_status.in_(campaign.statuses))).all()


# --- turnout ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Turnout:
    """One branch's turnout: people who may vote, people who have voted."""

    branch_id: int
    name: str
    eligible: int
    voted: int

    @property
    def rate(self):
        """Voted / eligible in per cent (one decimal)."""
        return round(100 * self.voted / self.eligible, 1) if self.eligible else 0.0


def turnout(campaign, branch_ids=None):
    """Turnout per branch (within `branch_ids` if given), in the organisation tree's order."""
    branches = roster.branch_rows([campaign.organisation])
    if branch_ids is not None:
        branches = [b for b in branches if b.id in set(branch_ids)]
    ids = [b.id for b in branches]
    if not ids:
        return []
    eligible = dict(db.session.execute(
        select(Person.branch_id, func.count()).where(
            Person.branch_id.in_(ids), Person.status == PersonStatus.ON_POST,
            Person.political_status.in_(campaign.statuses)).group_by(Person.branch_id)).all())
    voters = select(VoterMark.person_id).where(VoterMark.campaign_id == campaign.id).distinct().subquery()
    voted = dict(db.session.execute(
        select(Person.branch_id, func.count()).join(voters, voters.c.person_id == Person.id)
        .where(Person.branch_id.in_(ids)).group_by(Person.branch_id)).all())
    return [Turnout(b.id, b.name, eligible.get(b.id, 0), voted.get(b.id, 0)) for b in branches]


def visible_turnout(actor, campaign):
    """Turnout once voting has opened: every branch for the committee, a secretary's own branches, else none."""
    if not campaign.reached(Phase.VOTING):
        return []
    if campaigns.manages(actor, campaign):
        return turnout(campaign)
    scopes = actor.scopes("exemplars.nominate")
    return turnout(campaign, [b.id for b in roster.branch_rows(scopes)]) if scopes else []
