"""Set-up hooks and the in-process period_close measurement for the credits scenarios.

The bench database holds a year of demo credit activity (`flask demo load --activity-days 365`,
about a million ledger entries) with every ended period already frozen.
"""

import time

from sqlalchemy import delete, func, select

from portal.core.clock import localnow
from portal.core.periods import PeriodKind, current_period
from portal.core.permissions import Role
from portal.credits import jobs
from portal.credits.models import BranchSnapshotRow, ClosedPeriod, LedgerEntry, PayoutList, SnapshotRow
from portal.extensions import db
from portal.roster.models import Organisation, Person
from tests.bench.portal_hooks import demo_user

RANKED_BRANCH = "综采一队党支部"


def ledger_size(bench):
    """How many ledger entries the bench mine holds (for the table's note)."""
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))


def ranking_note(bench):
    """The month ranking's size, with the ledger size behind it."""
    return {"note": f"committee, this month, page 1; ledger {ledger_size(bench):,} entries"}


def ranking_branch(bench):
    """The branch whose month ranking the committee filters to."""
    branch = db.session.scalar(select(Organisation).where(Organisation.name == RANKED_BRANCH))
    if branch is None:
        raise LookupError(f"no {RANKED_BRANCH} in the bench database")
    return {"branch": branch.id, "note": f"committee, this month, {RANKED_BRANCH}"}


def busiest_member(bench):
    """The member of the secretary's branch with the most ledger entries (a full year of them)."""
    secretary = demo_user(Role.SECRETARY)
    branch_ids = [grant.organisation_id for grant in secretary.grants if grant.role == Role.SECRETARY]
    row = db.session.execute(
        select(LedgerEntry.person_id, func.count().label("entries"))
        .join(Person, Person.id == LedgerEntry.person_id)
        .where(Person.branch_id.in_(branch_ids))
        .group_by(LedgerEntry.person_id)
        .order_by(func.count().desc(), LedgerEntry.person_id)
        .limit(1)
    ).first()
    if row is None:
        raise LookupError("no ledger entries in the secretary's branch (was the activity generated?)")
    return {"person": row.person_id, "note": f"secretary, member with {row.entries} entries, page 1"}


def _reopen_last_month():
    """Undo the freezing of last month and every period ending in it or since, as if not yet closed."""
    since = current_period(PeriodKind.MONTH).previous().start
    ids = list(db.session.scalars(select(ClosedPeriod.id).where(ClosedPeriod.period_end >= since)))
    if db.session.scalar(select(PayoutList.id).where(PayoutList.period_id.in_(ids)).limit(1)):
        raise RuntimeError("a payout list refers to a period the benchmark would reopen")
    db.session.execute(delete(SnapshotRow).where(SnapshotRow.period_id.in_(ids)))
    db.session.execute(delete(BranchSnapshotRow).where(BranchSnapshotRow.period_id.in_(ids)))
    db.session.execute(delete(ClosedPeriod).where(ClosedPeriod.id.in_(ids)))
    db.session.commit()
    return len(ids)


def period_close(bench, runs):
    """Time the closing job (jobs.close_ended_periods, one commit) on last month reopened, per run."""
    results = []
    for _ in range(runs):
        reopened = _reopen_last_month()
        started = time.perf_counter()
        closed = jobs.close_ended_periods()
        seconds = time.perf_counter() - started
        if len(closed) != reopened:
            raise RuntimeError(f"reopened {reopened} periods but the job closed {len(closed)}")
        results.append({"seconds": seconds, "rows": ledger_size(bench), "lost": 0, "duplicated": 0, "written": 0,
                        "note": f"{len(closed)} periods ({', '.join(closed)}) at {localnow():%Y-%m-%d}"})
    return results
