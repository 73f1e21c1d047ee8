"""Rankings (one query function per ranking, ties ranked alike) and the freezing of closed periods."""

from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Integer, and_, bindparam, case, delete, func, insert, literal, literal_column, or_, select

from portal.core.clock import localnow
from portal.core.periods import Period, PeriodKind, current_period, ended_periods_since, period_containing
from portal.credits.models import ClosedPeriod, CreditTotal, LedgerEntry, SnapshotRow
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


class ClosedPeriods:
    """closed_period() for one page, each period looked up at most once.

    A ranking page asks about the same period several times (its rows, its size, its
    distribution, its status) and about the previous one (rank changes); the standings
    functions take one of these as `closed` instead of querying each time. Use a new one per
    request: a period can be closed at any moment by the scheduler.
    """

    def __init__(self):
        self._found = {}

    def load(self, periods):
        """Look up every one of `periods` not yet known, one query per kind (the period picker's list)."""
        by_kind = {}
        for period in periods:
            if (str(period.kind), period.start) not in self._found:
                by_kind.setdefault(str(period.kind), set()).add(period.start)
        for kind, starts in by_kind.items():
            rows = db.session.scalars(select(ClosedPeriod).where(
                ClosedPeriod.kind == kind, ClosedPeriod.period_start.in_(sorted(starts))))
            found = {row.period_start: row for row in rows}
            for start in starts:
                self._found[(kind, start)] = found.get(start)

    def __call__(self, period):
        """The ClosedPeriod row for a period, or None while it is open."""
        key = (str(period.kind), period.start)
        if key not in self._found:
            self._found[key] = closed_period(period)
        return self._found[key]


def _points_within(table, branch_ids):
    """The points column to sort or group by: as an expression when filtering to branches.

    Without statistics SQLite walks the whole period's (kind, period_start, points) index to
    find one branch's few dozen people in points order; `points + 0` cannot use that index, so
    it takes the (kind, period_start, branch_id) one and sorts the handful it finds.
    """
    return table.points if branch_ids is None else table.points + literal_column("0")


def _rank_source(period, closed=closed_period):
    """(table, filters, rank column or None) for a period: its frozen snapshot, or the live totals."""
    frozen = closed(period)
    if frozen is not None:
        return SnapshotRow, [SnapshotRow.period_id == frozen.id], SnapshotRow.rank
    return CreditTotal, [CreditTotal.kind == str(period.kind), CreditTotal.period_start == period.start], None


def person_ranking(period, branch_ids=None, limit=None, offset=0, closed=closed_period):
    """People by points in a period, ties ranked alike (1, 2, 2, 4); optionally within branches."""
    table, filters, stored_rank = _rank_source(period, closed)
    if branch_ids is not None:
        filters = [*filters, table.branch_id.in_(branch_ids)]
        stored_rank = None  # ranks within the selection, not committee-wide
    rank = stored_rank if stored_rank is not None else literal(0)
    stmt = (
        select(rank.label("rank"), table.person_id, Person.name, table.branch_id,
               func.coalesce(Organisation.name, "").label("branch_name"), table.points)
        .join(Person, Person.id == table.person_id)
        .outerjoin(Organisation, Organisation.id == table.branch_id)
        .where(*filters)
        .order_by(_points_within(table, branch_ids).desc(), Person.name_pinyin, Person.id)
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = [PersonStanding(*row) for row in db.session.execute(stmt)]
    if stored_rank is None:
        _rank_page(rows, table, filters, offset)
    _attach_previous_ranks(rows, period.previous(), branch_ids, closed)
    return rows


def _rank_page(rows, table, filters, offset):
    """Competition ranks for one page sorted by points, without ranking the whole period.

    A row whose points differ from the row above is ranked by its position (everyone before it
    has more points); rows tied with the first row of the page take 1 + the number of people
    with more points, one count on the (kind, period_start, points) index.
    """
    if not rows:
        return
    ahead = db.session.scalar(
        select(func.count()).select_from(table).where(*filters, table.points > rows[0].points))
    for index, row in enumerate(rows):
        if row.points == rows[0].points:
            row.rank = ahead + 1
        elif row.points == rows[index - 1].points:
            row.rank = rows[index - 1].rank
        else:
            row.rank = offset + index + 1


def ranking_size(period, branch_ids=None, closed=closed_period):
    """How many people a person ranking has (for paging)."""
    table, filters, _ = _rank_source(period, closed)
    if branch_ids is not None:
        filters = [*filters, table.branch_id.in_(branch_ids)]
    return db.session.scalar(select(func.count()).select_from(table).where(*filters))


def _attach_previous_ranks(rows, previous, branch_ids, closed=closed_period):
    if not rows:
        return
    table, filters, stored_rank = _rank_source(previous, closed)
    if branch_ids is not None:
        filters = [*filters, table.branch_id.in_(branch_ids)]
        stored_rank = None
    wanted = [r.person_id for r in rows]
    if stored_rank is not None:
        found = dict(db.session.execute(
            select(table.person_id, stored_rank).where(*filters, table.person_id.in_(wanted))).all())
    else:
        found = _live_ranks(table, filters, wanted)
    for row in rows:
        row.previous_rank = found.get(row.person_id)


def _live_ranks(table, filters, person_ids):
    """{person id: rank} from live totals: 1 + the people above, from a count per points value.

    Only values above the lowest of these people's points are counted, so page one reads a few
    index entries rather than ranking the whole period.
    """
    points = dict(db.session.execute(
        select(table.person_id, table.points).where(*filters, table.person_id.in_(person_ids))).all())
    if not points:
        return {}
    counts = db.session.execute(
        select(table.points, func.count()).where(*filters, table.points > min(points.values()))
        .group_by(table.points)).all()
    return {person_id: 1 + sum(n for value, n in counts if value > mine) for person_id, mine in points.items()}


def person_ranking_for(period, person_id):
    """One person's committee-wide rank, points and the number of people ranked.

    The rank is 1 + the number of people with more points (what RANK() gives), counted on the
    (kind, period_start, points) index instead of ranking the whole period to find one row.
    """
    table, filters, stored_rank = _rank_source(period)
    if stored_rank is None:
        points = db.session.scalar(select(table.points).where(*filters, table.person_id == person_id))
        return live_standing(period, points)
    size = db.session.scalar(select(func.count()).select_from(table).where(*filters))
    found = db.session.execute(
        select(stored_rank, table.points).where(*filters, table.person_id == person_id)).first()
    return (found[0], found[1], size) if found else (None, 0, size)


def branch_ranking(period, within=None, closed=closed_period):
    """Branches by points per member (ties by participation), with participation rates."""
    table, filters, _ = _rank_source(period, closed)
    members = (
        select(Person.branch_id, func.count().label("members"))
        .where(Person.political_status.in_(PARTY_STATUSES), Person.status == PersonStatus.ON_POST)
        .group_by(Person.branch_id)
        .subquery()
    )
    earned = (
        select(table.branch_id, func.sum(table.points).label("points"),
               func.sum(case((table.points > 0, 1), else_=0)).label("participants"))
        .join(Person, and_(Person.id == table.person_id, Person.political_status.in_(PARTY_STATUSES)))
        .where(*filters)
        .group_by(table.branch_id)
        .subquery()
    )
    branch_filter = [Organisation.kind == OrgKind.BRANCH]
    if within is not None:
        branch_filter.append(Organisation.id.in_(within))
    points = func.coalesce(earned.c.points, 0)
    member_count = func.coalesce(members.c.members, 0)
    average = case((member_count > 0, points * literal(1.0) / member_count), else_=0.0)
    participation = case(
        (member_count > 0, func.coalesce(earned.c.participants, 0) * literal(1.0) / member_count), else_=0.0)
    stmt = (
        select(func.rank().over(order_by=(average.desc(), participation.desc())).label("rank"),
               Organisation.id, Organisation.name, member_count, func.coalesce(earned.c.participants, 0), points)
        .outerjoin(members, members.c.branch_id == Organisation.id)
        .outerjoin(earned, earned.c.branch_id == Organisation.id)
        .where(*branch_filter)
        .order_by(average.desc(), participation.desc(), Organisation.sort_order, Organisation.id)
    )
    return [BranchStanding(*row) for row in db.session.execute(stmt)]


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
    """The person's points and rank in the current period of each kind (旬, month, quarter, year).

    Current periods are live (a period is frozen only after it ends), so this reads the person's
    totals for all of them at once and then counts on the points index for all of them in one
    statement, instead of ranking each.
    """
    periods = [current_period(kind) for kind in kinds]
    frozen_stmt, mine_stmt, _ = _summary_statements(len(periods))
    params = {"person_id": person_id}
    for i, period in enumerate(periods):
        params.update({f"kind{i}": str(period.kind), f"start{i}": period.start})
    frozen = set(db.session.execute(frozen_stmt, params).all())
    mine = {(kind, start): points for kind, start, points in db.session.execute(mine_stmt, params)}
    live = [(period, mine.get((str(period.kind), period.start))) for period in periods
            if (str(period.kind), period.start) not in frozen]
    standings = dict(zip([period for period, _ in live], _live_standings(live), strict=True))
    scores = []
    for period in periods:
        key = (str(period.kind), period.start)
        if key in frozen:
            rank, points, size = person_ranking_for(period, person_id)
        else:
            rank, points, size = standings[period]
        scores.append(PeriodScore(period, points, rank, size, key in frozen))
    return scores


def live_standing(period, points):
    """(rank, points, size) in a live period for someone with `points` (None: not ranked), in one query."""
    return _live_standings([(period, points)])[0]


def _live_standings(wanted):
    """live_standing() for each (period, points) pair, in one statement of counts on the points index."""
    if not wanted:
        return []
    params = {}
    for i, (period, points) in enumerate(wanted):
        params.update({f"kind{i}": str(period.kind), f"start{i}": period.start, f"points{i}": points})
    row = db.session.execute(_summary_statements(len(wanted))[2], params).one()
    return [(None, 0, row[2 * i]) if points is None else (row[2 * i + 1] + 1, points, row[2 * i])
            for i, (_period, points) in enumerate(wanted)]


_SUMMARY_STATEMENTS = {}


def _summary_statements(count):
    """The statements behind person_summary() for `count` periods, built once (they run on every ledger page).

    Parameters kind0, start0, points0, kind1, ... name the periods; person_id the person. They are:
    which of the periods are frozen; the person's points in each; and per period two counts on the
    (kind, period_start, points) index, as scalar sub-selects: everyone ranked, and those with more
    than points<i> (none when it is NULL).
    """
    if count not in _SUMMARY_STATEMENTS:
        def period_of(table, i):
            return and_(table.kind == bindparam(f"kind{i}"), table.period_start == bindparam(f"start{i}"))

        def counted(i, *more):
            return select(func.count()).select_from(CreditTotal).where(period_of(CreditTotal, i), *more)

        frozen = select(ClosedPeriod.kind, ClosedPeriod.period_start).where(
            or_(*[period_of(ClosedPeriod, i) for i in range(count)]))
        mine = select(CreditTotal.kind, CreditTotal.period_start, CreditTotal.points).where(
            CreditTotal.person_id == bindparam("person_id"), or_(*[period_of(CreditTotal, i) for i in range(count)]))
        counts = select(*[column for i in range(count) for column in (
            counted(i).scalar_subquery(),
            counted(i, CreditTotal.points > bindparam(f"points{i}", type_=Integer)).scalar_subquery())])
        _SUMMARY_STATEMENTS[count] = (frozen, mine, counts)
    return _SUMMARY_STATEMENTS[count]


class ListPagination(Pagination):
    """Flask-SQLAlchemy's pagination over any fetch(offset, limit) and total() pair."""

    def _query_items(self):
        return self._query_args["fetch"](self._query_offset, self.per_page)

    def _query_count(self):
        return self._query_args["total"]()


def person_ranking_page(period, branch_ids=None, page=1, per_page=30, closed=closed_period):
    """One page of person_ranking(), with the pager the templates use."""
    return ListPagination(
        page=page, per_page=per_page, max_per_page=None, error_out=False,
        fetch=lambda offset, limit: person_ranking(period, branch_ids, limit=limit, offset=offset, closed=closed),
        total=lambda: ranking_size(period, branch_ids, closed),
    )


def period_totals(period, branch_ids=None):
    """(person_id, branch_id, points) of everyone with points in the period (frozen if closed)."""
    table, filters, _ = _rank_source(period)
    if branch_ids is not None:
        filters = [*filters, table.branch_id.in_(branch_ids)]
    return db.session.execute(select(table.person_id, table.branch_id, table.points).where(*filters)).all()


def points_distribution(period, branch_ids=None, closed=closed_period):
    """(points, how many people) for every points value in the period, highest first, for a histogram.

    Counted per points value in the database: a few dozen rows instead of one per person.
    """
    table, filters, _ = _rank_source(period, closed)
    if branch_ids is not None:
        filters = [*filters, table.branch_id.in_(branch_ids)]
    points = _points_within(table, branch_ids)
    return [tuple(row) for row in db.session.execute(
        select(points, func.count()).where(*filters).group_by(points).order_by(points.desc()))]


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


_LEDGER_SUBJECT = (
    select(Person.id, Person.name, Person.political_status, Organisation.id, Organisation.name, Organisation.path)
    .outerjoin(Organisation, Organisation.id == Person.branch_id)
    .where(Person.id == bindparam("person_id"))
)


def ledger_subject(person_id):
    """The LedgerSubject for a person id, or None."""
    row = db.session.execute(_LEDGER_SUBJECT, {"person_id": person_id}).first()
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
    """{original entry id: id of the entry that reverses it} for those of `entry_ids` reversed."""
    if not entry_ids:
        return {}
    return dict(db.session.execute(
        select(LedgerEntry.reverses_id, LedgerEntry.id).where(LedgerEntry.reverses_id.in_(list(entry_ids)))
    ).all())


# --- closing ----------------------------------------------------------------------------------------

def close_period(period):
    """Freeze one ended period into a snapshot; idempotent (a second call changes nothing)."""
    if closed_period(period) is not None:
        return None
    if period.end >= localnow().date():
        raise ValueError("a period can only be closed after it has ended")
    frozen = ClosedPeriod(kind=str(period.kind), period_start=period.start, period_end=period.end)
    db.session.add(frozen)
    db.session.flush()  # a concurrent closer fails here on the unique (kind, period_start)
    rank = func.rank().over(order_by=CreditTotal.points.desc())
    db.session.execute(insert(SnapshotRow).from_select(
        ["period_id", "person_id", "branch_id", "points", "rank"],
        select(literal(frozen.id), CreditTotal.person_id, CreditTotal.branch_id, CreditTotal.points, rank)
        .where(CreditTotal.kind == str(period.kind), CreditTotal.period_start == period.start),
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
