"""Rankings (one query function per ranking, ties ranked alike) and the freezing of closed periods.

A ranking reads a period's frozen snapshot once the period is closed, else the live running
totals; either way the rank is SQL's RANK() over the same columns, so ties share a rank and the
next rank skips (1, 2, 2, 4). Rows that tie are listed by a stated order: people by name in
pinyin then id, branches in the organisation tree's order.
"""

from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import case, delete, func, insert, literal, select

from portal.core.clock import localnow
from portal.core.periods import Period, PeriodKind, current_period, ended_periods_since, period_containing
from portal.credits.models import BranchSnapshotRow, ClosedPeriod, CreditTotal, LedgerEntry, SnapshotRow
from portal.extensions import db
from portal.roster.models import PARTY_STATUSES, Organisation, OrgKind, Person, PersonStatus


@dataclass
class PersonStanding:
    """One row of a person ranking."""

    rank: int
    person_id: int
    name: str
    branch_id: int | None
    branch_name: str
    points: int
    previous_rank: int | None = None

    @property
    def change(self):
        """Places gained since the previous period (positive is better), or None if new."""
        return None if self.previous_rank is None else self.previous_rank - self.rank


@dataclass
class BranchStanding:
    """One row of a branch ranking: averages so that size does not win."""

    rank: int
    branch_id: int
    name: str
    members: int
    participants: int
    points: int
    out_of: int  # branches ranked

    @property
    def average(self):
        """Points per member."""
        return round(self.points / self.members, 1) if self.members else 0.0

    @property
    def participation(self):
        """Share of members with any points, in per cent."""
        return round(100 * self.participants / self.members, 1) if self.members else 0.0


def closed_period(period):
    """The ClosedPeriod row for a period, or None while it is open."""
    return db.session.scalar(select(ClosedPeriod).where(
        ClosedPeriod.kind == str(period.kind), ClosedPeriod.period_start == period.start))


def closed_starts(kind, starts):
    """The period starts among `starts` (of one kind) whose periods are closed."""
    return set(db.session.scalars(select(ClosedPeriod.period_start).where(
        ClosedPeriod.kind == str(kind), ClosedPeriod.period_start.in_(sorted(starts)))))


# --- people ---------------------------------------------------------------------------------------

def _person_points(period, branch_ids=None):
    """(person_id, branch_id, points) of everyone ranked in a period: frozen once closed, else live.

    `branch_ids` keeps the people of those branches (the branch their points were earned in).
    """
    frozen = closed_period(period)
    if frozen is not None:
        table, where = SnapshotRow, [SnapshotRow.period_id == frozen.id]
    else:
        table, where = CreditTotal, [CreditTotal.kind == str(period.kind), CreditTotal.period_start == period.start]
    if branch_ids is not None:
        where.append(table.branch_id.in_(branch_ids))
    return select(table.person_id, table.branch_id, table.points).where(*where)


def person_ranking(period, branch_ids=None, *, person_ids=None, limit=None, offset=0, previous=True):
    """People by points in a period, ranked with RANK() (1, 2, 2, 4) among everyone within `branch_ids`.

    `person_ids` keeps only those people's rows, still ranked among everyone. With `previous`,
    each row carries the person's rank in the previous period, from this same function.
    """
    points = _person_points(period, branch_ids).subquery()
    ranked = select(points, func.rank().over(order_by=points.c.points.desc()).label("rank")).subquery()
    stmt = (
        select(ranked.c.rank, ranked.c.person_id, Person.name, ranked.c.branch_id,
               func.coalesce(Organisation.name, "").label("branch_name"), ranked.c.points)
        .join(Person, Person.id == ranked.c.person_id)
        .outerjoin(Organisation, Organisation.id == ranked.c.branch_id)
        .order_by(ranked.c.rank, Person.name_sort, Person.id)
        .offset(offset)
    )
    if person_ids is not None:
        stmt = stmt.where(ranked.c.person_id.in_(list(person_ids)))
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = [PersonStanding(*row) for row in db.session.execute(stmt)]
    if previous and rows:
        before = person_ranking(period.previous(), branch_ids, person_ids=[r.person_id for r in rows], previous=False)
        ranks = {row.person_id: row.rank for row in before}
        for row in rows:
            row.previous_rank = ranks.get(row.person_id)
    return rows


def ranking_size(period, branch_ids=None):
    """How many people a person ranking has (for paging)."""
    return db.session.scalar(select(func.count()).select_from(_person_points(period, branch_ids).subquery()))


def person_ranking_for(period, person_id):
    """One person's committee-wide (rank, points, number of people ranked); rank None if not ranked."""
    found = person_ranking(period, person_ids=[person_id], previous=False)
    size = ranking_size(period)
    return (found[0].rank, found[0].points, size) if found else (None, 0, size)


class ListPagination(Pagination):
    """Flask-SQLAlchemy's pagination over any fetch(offset, limit) and total() pair."""

    def _query_items(self):
        return self._query_args["fetch"](self._query_offset, self.per_page)

    def _query_count(self):
        return self._query_args["total"]()


def person_ranking_page(period, branch_ids=None, page=1, per_page=30):
    """One page of person_ranking(), with the pager the templates use."""
    return ListPagination(
        page=page, per_page=per_page, max_per_page=None, error_out=False,
        fetch=lambda offset, limit: person_ranking(period, branch_ids, limit=limit, offset=offset),
        total=lambda: ranking_size(period, branch_ids),
    )


def period_totals(period, branch_ids=None):
    """(person_id, branch_id, points) of everyone with points in the period (frozen if closed)."""
    return db.session.execute(_person_points(period, branch_ids)).all()


def points_distribution(period, branch_ids=None):
    """(points, how many people) for every points value in the period, highest first, for a histogram."""
    points = _person_points(period, branch_ids).subquery()
    return [tuple(row) for row in db.session.execute(
        select(points.c.points, func.count()).group_by(points.c.points).order_by(points.c.points.desc()))]


# --- branches -------------------------------------------------------------------------------------

def _live_branch_figures(period):
    """(branch_id, members, participants, points) of every branch from today's roster and the live totals.

    Members are the branch's Party members on post; participants those of them with points in
    the period; points what Party members earned in the branch.
    """
    members = (
        select(Person.branch_id, func.count().label("members"))
        .where(Person.political_status.in_(PARTY_STATUSES), Person.status == PersonStatus.ON_POST)
        .group_by(Person.branch_id)
        .subquery()
    )
    earned = (
        select(CreditTotal.branch_id, func.sum(CreditTotal.points).label("points"),
               func.sum(case((CreditTotal.points > 0, 1), else_=0)).label("participants"))
        .join(Person, Person.id == CreditTotal.person_id)
        .where(CreditTotal.kind == str(period.kind), CreditTotal.period_start == period.start,
               Person.political_status.in_(PARTY_STATUSES))
        .group_by(CreditTotal.branch_id)
        .subquery()
    )
    return (
        select(Organisation.id.label("branch_id"), func.coalesce(members.c.members, 0).label("members"),
               func.coalesce(earned.c.participants, 0).label("participants"),
               func.coalesce(earned.c.points, 0).label("points"))
        .outerjoin(members, members.c.branch_id == Organisation.id)
        .outerjoin(earned, earned.c.branch_id == Organisation.id)
        .where(Organisation.kind == OrgKind.BRANCH)
    )


def _branch_figures(period):
    """_live_branch_figures() while the period is open; once closed, what was frozen with it."""
    frozen = closed_period(period)
    if frozen is None:
        return _live_branch_figures(period)
    row = BranchSnapshotRow
    return select(row.branch_id, row.members, row.participants, row.points).where(row.period_id == frozen.id)


def branch_ranking(period, branch_ids=None):
    """Branches by points per member, then participation, ranked with RANK() among every branch.

    `branch_ids` keeps only those branches' rows (their ranks still among all branches).
    """
    figures = _branch_figures(period).subquery()
    average = case((figures.c.members > 0, figures.c.points * literal(1.0) / figures.c.members), else_=0.0)
    participation = case((figures.c.members > 0, figures.c.participants * literal(1.0) / figures.c.members),
                         else_=0.0)
    ranked = select(figures, func.rank().over(order_by=(average.desc(), participation.desc())).label("rank"),
                    func.count().over().label("out_of")).subquery()
    stmt = (
        select(ranked.c.rank, ranked.c.branch_id, Organisation.name, ranked.c.members, ranked.c.participants,
               ranked.c.points, ranked.c.out_of)
        .join(Organisation, Organisation.id == ranked.c.branch_id)
        .order_by(ranked.c.rank, Organisation.sort_order, Organisation.id)
    )
    if branch_ids is not None:
        stmt = stmt.where(ranked.c.branch_id.in_(list(branch_ids)))
    return [BranchStanding(*row) for row in db.session.execute(stmt)]


# --- one person's periods ---------------------------------------------------------------------------

def points_over_time(person_id, kind=PeriodKind.MONTH, count=12):
    """A person's points in each of the last `count` periods of `kind`, oldest first."""
    newest = period_containing(kind, localnow().date())
    periods = [newest]
    for _ in range(count - 1):
        periods.append(periods[-1].previous())
    periods.reverse()
    totals = dict(db.session.execute(
        select(CreditTotal.period_start, CreditTotal.points).where(
            # Exact starts, not a range: each is one lookup on the (kind, period_start, person_id) key.
            CreditTotal.kind == str(kind), CreditTotal.person_id == person_id,
            CreditTotal.period_start.in_([p.start for p in periods]))
    ).all())
    return [(p, totals.get(p.start, 0)) for p in periods]


@dataclass
class PeriodScore:
    """A person's points and committee-wide rank in one period."""

    period: Period
    points: int
    rank: int | None
    size: int
    closed: bool


def person_summary(person_id, kinds=tuple(PeriodKind)):
    """The person's points and committee-wide rank in the current period of each kind (旬, month, quarter, year)."""
    scores = []
    for kind in kinds:
        period = current_period(kind)
        rank, points, size = person_ranking_for(period, person_id)
        scores.append(PeriodScore(period, points, rank, size, closed_period(period) is not None))
    return scores


@dataclass(frozen=True)
class SubjectBranch:
    """The branch a ledger's person belongs to: enough to show it and to check access on it."""

    id: int
    name: str
    path: str  # what Organisation.contains() compares


@dataclass(frozen=True)
class LedgerSubject:
    """Whose ledger a page shows: what its header and its access check need."""

    id: int
    name: str
    political_status: str
    branch: SubjectBranch | None


def ledger_subject(person_id):
    """The LedgerSubject for a person id, or None."""
    row = db.session.execute(
        select(Person.id, Person.name, Person.political_status, Organisation.id, Organisation.name, Organisation.path)
        .outerjoin(Organisation, Organisation.id == Person.branch_id)
        .where(Person.id == person_id)
    ).first()
    if row is None:
        return None
    person_id, name, status, branch_id, branch_name, branch_path = row
    branch = SubjectBranch(branch_id, branch_name, branch_path) if branch_id is not None else None
    return LedgerSubject(person_id, name, status, branch)


def ledger_page(person_id, period=None, page=1, per_page=30):
    """A person's entries, newest first, optionally within one period."""
    stmt = select(LedgerEntry).where(LedgerEntry.person_id == person_id)
    if period is not None:
        stmt = stmt.where(LedgerEntry.booked_on >= period.start, LedgerEntry.booked_on <= period.end)
    stmt = stmt.order_by(LedgerEntry.booked_on.desc(), LedgerEntry.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def ledger_entries(person_id, period=None):
    """All of a person's entries, newest first (for an export)."""
    stmt = select(LedgerEntry).where(LedgerEntry.person_id == person_id)
    if period is not None:
        stmt = stmt.where(LedgerEntry.booked_on >= period.start, LedgerEntry.booked_on <= period.end)
    return db.session.scalars(stmt.order_by(LedgerEntry.booked_on.desc(), LedgerEntry.id.desc())).all()


def reversals_of(entry_ids):
    """{original entry id: the date its reversal is booked on} for those of `entry_ids` reversed."""
    if not entry_ids:
        return {}
    return dict(db.session.execute(
        select(LedgerEntry.reverses_id, LedgerEntry.booked_on).where(LedgerEntry.reverses_id.in_(list(entry_ids)))
    ).all())


# --- closing ----------------------------------------------------------------------------------------

def close_period(period):
    """Freeze one ended period: each person's points and each branch's figures; idempotent.

    What a ranking of the period needs is frozen with it, so the roster changing later (people
    moving, joining, leaving) changes nothing in a closed period's rankings.
    """
    if closed_period(period) is not None:
        return None
    if period.end >= localnow().date():
        raise ValueError("a period can only be closed after it has ended")
    frozen = ClosedPeriod(kind=str(period.kind), period_start=period.start, period_end=period.end)
    db.session.add(frozen)
    db.session.flush()  # a concurrent closer fails here on the unique (kind, period_start)
    db.session.execute(insert(SnapshotRow).from_select(
        ["period_id", "person_id", "branch_id", "points"],
        select(literal(frozen.id), CreditTotal.person_id, CreditTotal.branch_id, CreditTotal.points)
        .where(CreditTotal.kind == str(period.kind), CreditTotal.period_start == period.start),
    ))
    db.session.execute(insert(BranchSnapshotRow).from_select(
        ["period_id", "branch_id", "members", "participants", "points"],
        select(literal(frozen.id), *_live_branch_figures(period).subquery().c),
    ))
    return frozen


def periods_to_close(today=None):
    """Ended periods not yet frozen, oldest first (from the first ledger entry on)."""
    today = today or localnow().date()
    first = db.session.scalar(select(func.min(LedgerEntry.booked_on)))
    if first is None:
        return []
    done = set(db.session.execute(select(ClosedPeriod.kind, ClosedPeriod.period_start)).all())
    return [p for p in ended_periods_since(first, today) if (str(p.kind), p.start) not in done]


def rebuild_totals():
    """Recompute the running totals from the ledger (they are derived data); returns the row count."""
    db.session.execute(delete(CreditTotal))
    daily = db.session.execute(
        select(LedgerEntry.booked_on, LedgerEntry.person_id, func.max(LedgerEntry.branch_id),
               func.sum(LedgerEntry.points), func.count())
        .group_by(LedgerEntry.booked_on, LedgerEntry.person_id)
    )
    totals = {}
    starts = {}  # day -> [(kind, period start)]: a year has 365 days but a mine a million entries
    for day, person_id, branch_id, points, entries in daily:
        if day not in starts:
            starts[day] = [(str(kind), period_containing(kind, day).start) for kind in PeriodKind]
        for kind, start in starts[day]:
            key = (kind, start, person_id)
            row = totals.setdefault(key, dict(kind=key[0], period_start=key[1], person_id=person_id,
                                              branch_id=branch_id, points=0, entries=0))
            row["points"] += points
            row["entries"] += entries
    values = list(totals.values())
    for start in range(0, len(values), 5000):
        db.session.execute(insert(CreditTotal), values[start:start + 5000])
    return len(values)
