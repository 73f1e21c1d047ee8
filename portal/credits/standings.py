"""Rankings (one query function per ranking, ties ranked alike) and the freezing of closed periods."""

from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, case, delete, func, insert, literal, or_, select

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


def _rank_source(period):
    """(table, filters, rank column or None) for a period: its frozen snapshot, or the live totals."""
    frozen = closed_period(period)
    if frozen is not None:
        return SnapshotRow, [SnapshotRow.period_id == frozen.id], SnapshotRow.rank
    return CreditTotal, [CreditTotal.kind == str(period.kind), CreditTotal.period_start == period.start], None


def person_ranking(period, branch_ids=None, limit=None, offset=0):
    """People by points in a period, ties ranked alike (1, 2, 2, 4); optionally within branches."""
    table, filters, stored_rank = _rank_source(period)
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
        .order_by(table.points.desc(), Person.name_pinyin, Person.id)
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = [PersonStanding(*row) for row in db.session.execute(stmt)]
    if stored_rank is None:
        _rank_page(rows, table, filters, offset)
    _attach_previous_ranks(rows, period.previous(), branch_ids)
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


def ranking_size(period, branch_ids=None):
    """How many people a person ranking has (for paging)."""
    table, filters, _ = _rank_source(period)
    if branch_ids is not None:
        filters = [*filters, table.branch_id.in_(branch_ids)]
    return db.session.scalar(select(func.count()).select_from(table).where(*filters))


def _attach_previous_ranks(rows, previous, branch_ids):
    if not rows:
        return
    table, filters, stored_rank = _rank_source(previous)
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


def branch_ranking(period, within=None):
    """Branches by points per member (ties by participation), with participation rates."""
    table, filters, _ = _rank_source(period)
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
    totals for all of them at once and then makes one count per period, instead of ranking each.
    """
    periods = [current_period(kind) for kind in kinds]
    keys = [and_(ClosedPeriod.kind == str(p.kind), ClosedPeriod.period_start == p.start) for p in periods]
    frozen = set(db.session.execute(select(ClosedPeriod.kind, ClosedPeriod.period_start).where(or_(*keys))).all())
    mine = {(kind, start): points for kind, start, points in db.session.execute(
        select(CreditTotal.kind, CreditTotal.period_start, CreditTotal.points).where(
            CreditTotal.person_id == person_id,
            or_(*[and_(CreditTotal.kind == str(p.kind), CreditTotal.period_start == p.start) for p in periods])))}
    scores = []
    for period in periods:
        key = (str(period.kind), period.start)
        if key in frozen:
            rank, points, size = person_ranking_for(period, person_id)
        else:
            rank, points, size = live_standing(period, mine.get(key))
        scores.append(PeriodScore(period, points, rank, size, key in frozen))
    return scores


def live_standing(period, points):
    """(rank, points, size) in a live period for someone with `points` (None: not ranked), in one count."""
    filters = [CreditTotal.kind == str(period.kind), CreditTotal.period_start == period.start]
    if points is None:
        return None, 0, db.session.scalar(select(func.count()).select_from(CreditTotal).where(*filters))
    size, ahead = db.session.execute(
        select(func.count(), func.count().filter(CreditTotal.points > points)).where(*filters)).one()
    return ahead + 1, points, size


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
    table, filters, _ = _rank_source(period)
    if branch_ids is not None:
        filters = [*filters, table.branch_id.in_(branch_ids)]
    return db.session.execute(select(table.person_id, table.branch_id, table.points).where(*filters)).all()


def points_distribution(period, branch_ids=None):
    """Every ranked person's points in the period (highest first), for a histogram.

    Counted per points value in the database: a few dozen rows instead of one per person.
    """
    table, filters, _ = _rank_source(period)
    if branch_ids is not None:
        filters = [*filters, table.branch_id.in_(branch_ids)]
    counts = db.session.execute(
        select(table.points, func.count()).where(*filters).group_by(table.points).order_by(table.points.desc()))
    return [points for points, count in counts for _ in range(count)]


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
