"""What state a credit period is in, as the pages name it, and which periods there are to choose from.

A period is live (进行中) while today falls in it; once over it waits for the closing job (已结束，
待结算, normally a few minutes after midnight), which freezes it (已结算); a closed quarter whose
payout list the committee has signed is paid (已兑现). Only a live period's rankings move in real
time. The periods offered run from the one holding the ledger's first entry to the current one,
so a picker never lists years without data.
"""

from enum import StrEnum

from sqlalchemy import func, select

from portal.core.clock import localnow
from portal.core.periods import PeriodKind, current_period, period_containing
from portal.credits.models import ClosedPeriod, LedgerEntry, PayoutList
from portal.extensions import db


class PeriodState(StrEnum):
    """The life of a period: live, ended and waiting to be closed, closed (frozen), paid (quarters)."""

    LIVE = "live"
    ENDED = "ended"
    CLOSED = "closed"
    PAID = "paid"

    @property
    def label(self):
        """进行中, 已结束，待结算, 已结算, 已兑现."""
        return _LABELS[self]

    @property
    def badge(self):
        """The page's badge: only a live period is 实时."""
        return _BADGES[self]

    @property
    def frozen(self):
        """True once the closing job has frozen the period's figures."""
        return self in (PeriodState.CLOSED, PeriodState.PAID)


_LABELS = {PeriodState.LIVE: "进行中", PeriodState.ENDED: "已结束，待结算", PeriodState.CLOSED: "已结算",
           PeriodState.PAID: "已兑现"}
_BADGES = {PeriodState.LIVE: "实时", PeriodState.ENDED: "已结束，待结算", PeriodState.CLOSED: "已结算（冻结）",
           PeriodState.PAID: "已兑现"}


def _state(period, closed_id, paid_ids, today):
    if closed_id is not None:
        return PeriodState.PAID if closed_id in paid_ids else PeriodState.CLOSED
    return PeriodState.ENDED if period.end < today else PeriodState.LIVE


def _paid(closed_ids):
    """Of these closed periods, the ids whose payout list is signed."""
    if not closed_ids:
        return set()
    return set(db.session.scalars(select(PayoutList.period_id).where(
        PayoutList.period_id.in_(sorted(closed_ids)), PayoutList.signed_at.is_not(None))))


def period_state(period):
    """The PeriodState of one period."""
    closed_id = db.session.scalar(select(ClosedPeriod.id).where(
        ClosedPeriod.kind == str(period.kind), ClosedPeriod.period_start == period.start))
    return _state(period, closed_id, _paid({closed_id} - {None}), localnow().date())


def first_ledger_day():
    """The date the ledger's first entry counts towards, or None while the ledger is empty."""
    return db.session.scalar(select(func.min(LedgerEntry.booked_on)))


def offered_periods(kind):
    """The periods of `kind` from the one holding the ledger's first entry to the current one, newest first."""
    newest = current_period(kind)
    first = first_ledger_day()
    oldest = period_containing(kind, min(first, newest.start)) if first is not None else newest
    periods = [newest]
    while periods[-1].start > oldest.start:
        periods.append(periods[-1].previous())
    return periods


def period_choices(kind):
    """offered_periods(kind), each with its PeriodState: [(period, state)], newest first."""
    kind = PeriodKind(kind)
    periods = offered_periods(kind)
    closed = dict(db.session.execute(select(ClosedPeriod.period_start, ClosedPeriod.id).where(
        ClosedPeriod.kind == str(kind), ClosedPeriod.period_start.between(periods[-1].start, periods[0].start))).all())
    paid = _paid(set(closed.values()))
    today = localnow().date()
    return [(period, _state(period, closed.get(period.start), paid, today)) for period in periods]
