"""Results: the tally from the ballots, the published formula, the order and the winners; the public ballot list.

The formula is stated on the campaign page before voting opens and fixed once it does
(services.campaigns): per category,

    得票率   = votes ÷ ballots in the category (abstentions included) × 100
    积分得分 = the nominee's points in the credit period ÷ the highest among the category's nominees × 100
    综合得分 = 得票率 × vote weight + 积分得分 × (1 − vote weight), to two decimals (half up)

Nominees are ordered by 综合得分, then by the campaign's tie-break (votes then points, or points
then votes), then by the earlier nomination; the first `quota` who received at least one vote
win. A nominee disqualified by an upheld objection keeps their tally on the list, struck out,
and the next in order takes the place. Tallies are shown once voting has closed (or live, if the
campaign says so), to everyone who may see the campaign: the committee does not see them sooner.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from portal.core import cache
from portal.core.periods import parse_key
from portal.core.xlsx import write_csv, write_workbook
from portal.exemplars.models import (
    TIE_BREAK_LABELS,
    Ballot,
    BallotChoice,
    Nomination,
    NominationStatus,
    Objection,
    ObjectionStatus,
    Phase,
    TieBreak,
    VoterMark,
)
from portal.exemplars.services import voting
from portal.extensions import db
from portal.roster.models import Organisation, Person

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
BALLOTS_PER_PAGE = 50


def formula_lines(campaign):
    """The published formula, line by line, as the campaign page and the results page show it."""
    period = parse_key(campaign.credit_period).label
    return [
        "得票率 = 得票数 ÷ 本类别选票总数（含弃权票）× 100",
        f"积分得分 = 候选人{period}学习积分 ÷ 本类别候选人中的最高积分 × 100",
        f"综合得分 = 得票率 × {campaign.vote_weight}% + 积分得分 × {campaign.credit_weight}%，保留两位小数",
        f"按综合得分从高到低排序；同分时{TIE_BREAK_LABELS[TieBreak(campaign.tie_break)]}，仍相同时先提名者在前",
        "每个类别按当选名额取排名靠前者；未获得选票的候选人不当选",
    ]


def tallies_visible(campaign):
    """True once the tallies may be shown: voting has closed, or the campaign shows them live."""
    return campaign.reached(Phase.PUBLICITY) or (campaign.live_tally and campaign.reached(Phase.VOTING))


@dataclass
class ResultRow:
    """One nominee's line in a category's result."""

    nomination_id: int
    person_id: int
    name: str
    branch_name: str
    votes: int
    credit_points: int
    created_order: int
    excluded: bool
    vote_share: Decimal = Decimal(0)
    credit_score: Decimal = Decimal(0)
    score: Decimal = Decimal(0)
    position: int | None = None
    winner: bool = False


@dataclass(frozen=True)
class CategoryInfo:
    """What a result needs of its category (plain values: results are kept across requests)."""

    id: int
    name: str
    quota: int


@dataclass
class CategoryResult:
    """A category's ballots, the people marked as voted in it, and its ordered rows."""

    category: object
    ballots: int
    marks: int
    rows: list = field(default_factory=list)

    @property
    def consistent(self):
        """The invariant anyone can check: people marked as voted = ballots."""
        return self.ballots == self.marks

    @property
    def winners(self):
        """The rows that win."""
        return [row for row in self.rows if row.winner]


def tallies(campaign, nomination_ids):
    """({nomination id: votes}, {category id: ballots}, {category id: people marked as voted}).

    Each count walks an index (the choices' nomination, the ballots' category, the marks' unique
    key). Once voting has closed the figures cannot change (ballots are final and no more are
    cast), so they are kept per process for CACHE_SECONDS instead of being counted on every view.
    """
    def count():
        category_ids = [category.id for category in campaign.categories]
        votes = dict(db.session.execute(
            select(BallotChoice.nomination_id, func.count()).where(BallotChoice.nomination_id.in_(nomination_ids))
            .group_by(BallotChoice.nomination_id)).all()) if nomination_ids else {}
        ballots = dict(db.session.execute(select(Ballot.category_id, func.count()).where(
            Ballot.category_id.in_(category_ids)).group_by(Ballot.category_id)).all())
        marks = dict(db.session.execute(select(VoterMark.category_id, func.count()).where(
            VoterMark.category_id.in_(category_ids)).group_by(VoterMark.category_id)).all())
        return votes, ballots, marks

    if not campaign.reached(Phase.PUBLICITY):
        return count()  # live: ballots are still coming in
    key = ("exemplars.tally", campaign.id, campaign.voting_closes_at, tuple(sorted(nomination_ids)))
    return cache.cache().get_or_make(key, count)


def category_counts(campaign):
    """[(category, ballots, people marked as voted)] in the campaign's order: the invariant anyone can check."""
    _votes, ballots, marks = tallies(campaign, [])
    return [(c, ballots.get(c.id, 0), marks.get(c.id, 0)) for c in campaign.categories]


def results(campaign):
    """Every category's result, in the campaign's order of categories."""
    rows = db.session.execute(
        select(Nomination.id, Nomination.category_id, Person.id, Person.name, func.coalesce(Organisation.name, ""),
               func.coalesce(Nomination.credit_points, 0), Nomination.status)
        .join(Person, Person.id == Nomination.person_id)
        .outerjoin(Organisation, Organisation.id == Person.branch_id)
        .where(Nomination.campaign_id == campaign.id,
               Nomination.status.in_([NominationStatus.QUALIFIED, NominationStatus.DISQUALIFIED]))
        .order_by(Nomination.id)).all()
    votes, ballots, marks = tallies(campaign, [row[0] for row in rows])
    by_category = {category.id: CategoryResult(CategoryInfo(category.id, category.name, category.quota),
                                               ballots.get(category.id, 0), marks.get(category.id, 0))
                   for category in campaign.categories}
    for nomination_id, category_id, person_id, name, branch, points, status in rows:
        by_category[category_id].rows.append(ResultRow(
            nomination_id, person_id, name, branch, votes.get(nomination_id, 0), points, nomination_id,
            excluded=status == NominationStatus.DISQUALIFIED))
    for result in by_category.values():
        _score(campaign, result)
    return list(by_category.values())


def _score(campaign, result):
    """Fill in each row's shares and score, order the rows and mark the winners."""
    weight = Decimal(campaign.vote_weight) / HUNDRED
    top_points = max((row.credit_points for row in result.rows), default=0)
    for row in result.rows:
        row.vote_share = _percent(row.votes, result.ballots)
        row.credit_score = _percent(row.credit_points, top_points)
        row.score = (row.vote_share * weight + row.credit_score * (1 - weight)).quantize(CENT, ROUND_HALF_UP)
    if campaign.tie_break == TieBreak.VOTES:
        key = lambda r: (-r.score, -r.votes, -r.credit_points, r.created_order)  # noqa: E731
    else:
        key = lambda r: (-r.score, -r.credit_points, -r.votes, r.created_order)  # noqa: E731
    standing = sorted((r for r in result.rows if not r.excluded), key=key)
    for position, row in enumerate(standing, start=1):
        row.position = position
        row.winner = position <= result.category.quota and row.votes > 0
    result.rows = standing + sorted((r for r in result.rows if r.excluded), key=key)


def _percent(part, whole):
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENT, ROUND_HALF_UP) if whole else Decimal("0.00")


def results_key(campaign):
    """What a campaign's result depends on once voting has closed: its phase and the objections decided.

    The tally is final then; only an upheld objection (or the campaign moving on) changes what the
    result shows, and each of those is counted here in one indexed read.
    """
    decided, last = db.session.execute(select(func.count(), func.max(Objection.decided_at)).where(
        Objection.campaign_id == campaign.id, Objection.status != ObjectionStatus.OPEN)).one()
    return ("exemplars.results", campaign.id, campaign.phase, decided, last)


def shown_results(campaign, key=None):
    """results(), kept per process (CACHE_SECONDS at most) once voting has closed; live while it is open."""
    if not campaign.reached(Phase.PUBLICITY):
        return results(campaign)
    return cache.cache().get_or_make(key or results_key(campaign), lambda: results(campaign))


def winners(campaign):
    """[(category, ResultRow)] of every winner, category by category, in order."""
    return [(result.category, row) for result in results(campaign) for row in result.winners]


# --- the public ballot list ---------------------------------------------------------------------------

@dataclass(frozen=True)
class BallotLine:
    """One counted ballot as the public list shows it: its receipt hash and the names chosen."""

    receipt_hash: str
    category_name: str
    names: tuple


def ballot_page(campaign, category, page=1):
    """(lines, total) of one category's ballots, by receipt hash (an order that says nothing of who or when)."""
    total = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.category_id == category.id))
    ballots = db.session.execute(
        select(Ballot.id, Ballot.receipt_hash).where(Ballot.category_id == category.id)
        .order_by(Ballot.receipt_hash).limit(BALLOTS_PER_PAGE).offset((max(page, 1) - 1) * BALLOTS_PER_PAGE)).all()
    return _lines(ballots, category.name), total


def find_ballots(campaign, code):
    """The ballots a receipt code stands for, one per category at most (nothing is stored or logged)."""
    code = voting.normalise_code(code)
    if not code:
        return []
    hashes = {voting.receipt_hash(code, category.id): category.name for category in campaign.categories}
    found = db.session.execute(select(Ballot.id, Ballot.receipt_hash, Ballot.category_id).where(
        Ballot.campaign_id == campaign.id, Ballot.receipt_hash.in_(list(hashes)))).all()
    names = {category.id: category.name for category in campaign.categories}
    order = {category.id: n for n, category in enumerate(campaign.categories)}
    lines = []
    for ballot_id, receipt_hash, category_id in sorted(found, key=lambda row: order[row[2]]):
        lines += _lines([(ballot_id, receipt_hash)], names[category_id])
    return lines


def _lines(ballots, category_name):
    ids = [ballot_id for ballot_id, _hash in ballots]
    chosen = {}
    if ids:
        for ballot_id, name in db.session.execute(
                select(BallotChoice.ballot_id, Person.name)
                .join(Nomination, Nomination.id == BallotChoice.nomination_id)
                .join(Person, Person.id == Nomination.person_id)
                .where(BallotChoice.ballot_id.in_(ids)).order_by(Person.name_sort)):
            chosen.setdefault(ballot_id, []).append(name)
    return [BallotLine(receipt_hash, category_name, tuple(chosen.get(ballot_id, ())))
            for ballot_id, receipt_hash in ballots]


def all_ballot_lines(campaign):
    """Every counted ballot of the campaign, category by category (for the downloads)."""
    names = {category.id: category.name for category in campaign.categories}
    order = {category.id: n for n, category in enumerate(campaign.categories)}
    chosen = {}
    for ballot_id, name in db.session.execute(
            select(BallotChoice.ballot_id, Person.name)
            .join(Ballot, Ballot.id == BallotChoice.ballot_id)
            .join(Nomination, Nomination.id == BallotChoice.nomination_id)
            .join(Person, Person.id == Nomination.person_id)
            .where(Ballot.campaign_id == campaign.id).order_by(Person.name_sort)):
        chosen.setdefault(ballot_id, []).append(name)
    ballots = db.session.execute(select(Ballot.id, Ballot.receipt_hash, Ballot.category_id).where(
        Ballot.campaign_id == campaign.id)).all()
    ballots.sort(key=lambda row: (order[row[2]], row[1]))
    return [BallotLine(receipt_hash, names[category_id], tuple(chosen.get(ballot_id, ())))
            for ballot_id, receipt_hash, category_id in ballots]


BALLOT_HEADERS = ["评选类别", "回执校验码", "所选候选人"]


def _ballot_rows(campaign):
    return [[line.category_name, line.receipt_hash, "、".join(line.names) or "弃权"]
            for line in all_ballot_lines(campaign)]


def ballots_workbook(campaign):
    """The ballot list as .xlsx: one row per ballot (no voter, no time), anyone can recount from it."""
    return write_workbook(BALLOT_HEADERS, _ballot_rows(campaign), title="选票清单", widths=[18, 68, 40])


def ballots_csv(campaign):
    """The ballot list as CSV, the same rows as the .xlsx."""
    return write_csv(BALLOT_HEADERS, _ballot_rows(campaign))


def results_workbook(campaign):
    """The results as .xlsx: each category's nominees in order, with the figures of the formula."""
    headers = ["评选类别", "名次", "姓名", "所在党支部", "得票数", "本类别选票数", "得票率", "周期积分", "积分得分",
               "综合得分", "结果"]
    rows = []
    for result in results(campaign):
        for row in result.rows:
            outcome = "经异议核实取消资格" if row.excluded else ("当选" if row.winner else "")
            rows.append([result.category.name, row.position or "", row.name, row.branch_name, row.votes,
                         result.ballots, str(row.vote_share), row.credit_points, str(row.credit_score),
                         str(row.score), outcome])
    lines = [f"{campaign.title}（{campaign.year}年度）计票规则：", *formula_lines(campaign)]
    return write_workbook(headers, rows, title="评选结果", widths=[16, 6, 10, 20, 8, 12, 8, 10, 9, 9, 16],
                          extra_sheets=[("计票规则", lines)])
