"""What waits for the committee, for its home page: the periods' state, payout lists to sign, anomalies.

Read only and a fixed number of statements. The anomaly checks read a month of the ledger (a
second on a large mine), so their count is kept in the page-part cache (portal.core.cache) for the
viewer's scope and the day. Not by the ledger's version, which moves with every article read in the
daytime: the count may be up to CACHE_SECONDS old, and the 异常提醒 page it links to is exact.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from portal.core import cache
from portal.core.clock import localnow
from portal.core.periods import KIND_LABELS, PeriodKind, period_containing
from portal.credits import anomalies, period_states, services, standings
from portal.credits.models import ClosedPeriod
from portal.extensions import db


@dataclass(frozen=True)
class KindPeriods:
    """One period kind: the period running now and the last one closed (None: none yet)."""

    kind_label: str
    current: object
    last_closed: object


@dataclass
class CommitteeAgenda:
    """The committee's home panel."""

    periods: list
    overdue: list = field(default_factory=list)  # ended periods the closing job has not frozen a day later
    unsigned: list = field(default_factory=list)  # closed quarters whose payout list is not signed
    anomaly_checks: int = 0  # checks with findings this month
    anomaly_people: int = 0  # people they point at
    month: object = None


def committee_agenda(actor, today=None):
    """The periods' state, overdue closings, unsigned payout lists and this month's anomaly findings."""
    today = today or localnow().date()
    last = {kind: period_containing(PeriodKind(kind), start) for kind, start in db.session.execute(
        select(ClosedPeriod.kind, func.max(ClosedPeriod.period_start)).group_by(ClosedPeriod.kind))}
    periods = [KindPeriods(KIND_LABELS[kind], period_containing(kind, today), last.get(str(kind)))
               for kind in PeriodKind]
    month = period_containing(PeriodKind.MONTH, today)
    checks, people = _anomaly_counts(actor, month, today)
    return CommitteeAgenda(
        periods=periods, overdue=standings.periods_to_close(today - timedelta(days=1)),
        unsigned=[quarter for quarter, state in period_states.period_choices(PeriodKind.QUARTER)
                  if state == period_states.PeriodState.CLOSED],
        anomaly_checks=checks, anomaly_people=people, month=month)


def _anomaly_counts(actor, month, today):
    """(checks with findings, people flagged) this month within the actor's branches, cached (see above)."""
    scope = services.RankingScope.of(actor, "credits.rules")
    key = ("credits.agenda.anomalies", scope.branch_ids, month.key, today)

    def count():
        findings = [f for f in anomalies.run_detectors(month, scope.branch_ids) if f.rows]
        return len(findings), len({row.person_id for f in findings for row in f.rows})

    return cache.cache().get_or_make(key, count)
