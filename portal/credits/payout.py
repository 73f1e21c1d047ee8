"""季度兑现: a closed quarter's frozen points by branch, signed off once by the committee."""

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.core import audit, cache
from portal.core.clock import format_datetime, localnow, utcnow
from portal.core.exceptions import ConflictError, PermissionDenied, ValidationError
from portal.core.periods import PeriodKind, period_containing
from portal.core.text import clean as clean_text
from portal.credits import standings
from portal.credits.models import ClosedPeriod, PayoutList, SnapshotRow
from portal.credits.period_states import PeriodState, period_choices, period_state
from portal.credits.services import period_from_key
from portal.extensions import db
from portal.roster.models import Organisation, Person

NO_BRANCH = "未归属党支部"


@dataclass
class PayoutRow:
    """One person on the list: frozen committee-wide rank and points."""

    rank: int
    person_id: int
    name: str
    employee_no: str | None
    points: int


@dataclass
class PayoutGroup:
    """One branch's people on the list, with its subtotal."""

    branch_name: str
    rows: list = field(default_factory=list)

    @property
    def subtotal(self):
        """The branch's points in the quarter."""
        return sum(row.points for row in self.rows)


@dataclass
class PayoutSheet:
    """A quarter's payout list; `closed` is None while the quarter is open."""

    period: object
    closed: object
    groups: list
    payout: PayoutList | None
    state: PeriodState
    choices: list = field(default_factory=list)  # [(quarter, PeriodState)], newest first

    @property
    def total(self):
        """All branches' points."""
        return sum(group.subtotal for group in self.groups)

    @property
    def people(self):
        """How many people are on the list."""
        return sum(len(group.rows) for group in self.groups)

    @property
    def signed(self):
        """True once the committee has signed the list off (it is then locked)."""
        return self.payout is not None and self.payout.signed_at is not None


def _closed_quarter(period):
    if period.kind != PeriodKind.QUARTER:
        raise ValidationError("季度兑现只针对季度，请选择一个季度")
    return db.session.scalar(select(ClosedPeriod).where(
        ClosedPeriod.kind == str(period.kind), ClosedPeriod.period_start == period.start))


def payout_sheet(period):
    """The list for one quarter: every frozen row with its committee-wide rank, grouped by branch in tree order."""
    frozen = _closed_quarter(period)
    if frozen is None:
        return PayoutSheet(period=period, closed=None, groups=[], payout=None, state=period_state(period))
    ranks = {row.person_id: row.rank for row in standings.person_ranking(period, previous=False)}
    rows = db.session.execute(
        select(SnapshotRow.person_id, Person.name, Person.employee_no, SnapshotRow.points,
               SnapshotRow.branch_id, Organisation.name)
        .join(Person, Person.id == SnapshotRow.person_id)
        .outerjoin(Organisation, Organisation.id == SnapshotRow.branch_id)
        .where(SnapshotRow.period_id == frozen.id)
        .order_by(Organisation.sort_order.is_(None), Organisation.sort_order, SnapshotRow.branch_id,
                  SnapshotRow.points.desc(), Person.name_sort, Person.id)
    ).all()
    groups = {}
    for person_id, name, employee_no, points, branch_id, branch_name in rows:
        group = groups.setdefault(branch_id, PayoutGroup(branch_name or NO_BRANCH))
        group.rows.append(PayoutRow(ranks[person_id], person_id, name, employee_no, points))
    payout = db.session.scalar(select(PayoutList).where(PayoutList.period_id == frozen.id))
    state = PeriodState.PAID if payout is not None and payout.signed_at is not None else PeriodState.CLOSED
    return PayoutSheet(period=period, closed=frozen, groups=list(groups.values()), payout=payout, state=state)


def sheet_for(key=None):
    """The list for the quarter a URL names, or by default the latest closed quarter (else the current one).

    The sheet also carries the quarters to switch to (those since the ledger's first entry), with their states.
    """
    if key:
        sheet = payout_sheet(period_from_key(key))
    else:
        latest = db.session.scalar(
            select(ClosedPeriod.period_start).where(ClosedPeriod.kind == str(PeriodKind.QUARTER))
            .order_by(ClosedPeriod.period_start.desc()).limit(1))
        sheet = payout_sheet(period_containing(PeriodKind.QUARTER, latest or localnow().date()))
    sheet.choices = period_choices(PeriodKind.QUARTER)
    return sheet


def sign(actor, key, note=""):
    """sign_payout() for the quarter a form names; returns the period signed."""
    period = period_from_key(key)
    sign_payout(actor, period, note)
    return period


def _already_signed(period, payout):
    who = payout.signed_by.display_name if payout.signed_by else "他人"
    return ConflictError(
        f"{period.label}兑现名单已由{who}于 {format_datetime(payout.signed_at)} 签认并锁定，不能重复签认")


def sign_payout(actor, period, note=""):
    """Sign a closed quarter's list off; once signed it is locked and a second sign-off is refused."""
    if not actor.has_permission("credits.payout"):
        raise PermissionDenied("只有党委可以签认季度兑现名单")
    frozen = _closed_quarter(period)
    if frozen is None:
        raise ValidationError("本季度尚未结算，结算后才能签认兑现名单")
    note = clean_text(note or "")
    if len(note) > 500:
        raise ValidationError("备注不能超过 500 字", field="note")
    payout = db.session.scalar(select(PayoutList).where(PayoutList.period_id == frozen.id))
    if payout is not None and payout.signed_at is not None:
        raise _already_signed(period, payout)
    now = utcnow()
    if payout is None:
        payout = PayoutList(period_id=frozen.id, signed_by_id=actor.id, signed_at=now, note=note)
        db.session.add(payout)
        try:
            db.session.flush()  # the unique period_id stops a second signer racing this one
        except IntegrityError:
            raise ConflictError(f"{period.label}兑现名单刚刚已由他人签认并锁定，不能重复签认") from None
    else:
        # An unsigned list row: sign it in one conditional UPDATE, so two signers cannot both win.
        done = db.session.execute(
            update(PayoutList).where(PayoutList.id == payout.id, PayoutList.signed_at.is_(None))
            .values(signed_by_id=actor.id, signed_at=now, note=note)
        ).rowcount
        db.session.refresh(payout)
        if not done:
            raise _already_signed(period, payout)
        cache.bump("payouts")  # a Core UPDATE passes no flush: the cached pages learn of it here
    audit.record("credit_payout_signed", target=payout, actor=actor, detail=f"{period.label}：{note}" if note
                 else period.label)
    return payout
