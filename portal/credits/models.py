"""Credit rules (versioned), the append-only ledger, running totals and frozen snapshots."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core import cache
from portal.core.clock import utcnow
from portal.core.models import UTCDateTime
from portal.extensions import db


class RuleMode:
    """How a rule turns an event into points."""

    FIXED = "fixed"  # always `points`
    SCORE = "score"  # `points` x score / 100, for a test mark out of 100


class CreditRule(db.Model):
    """One version of a rule. Editing a rule adds a version; entries keep theirs."""

    __tablename__ = "credit_rule"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        CheckConstraint("mode IN ('fixed', 'score')", name="mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    version: Mapped[int] = mapped_column(nullable=False, default=1)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    mode: Mapped[str] = mapped_column(String(10), nullable=False, default=RuleMode.FIXED)
    points: Mapped[int] = mapped_column(nullable=False)
    daily_cap: Mapped[int | None] = mapped_column()
    weekly_cap: Mapped[int | None] = mapped_column()
    monthly_cap: Mapped[int | None] = mapped_column()
    # Comma-separated political statuses the rule applies to; empty means everyone.
    applies_to: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[date | None] = mapped_column(Date)
    manual_only: Mapped[bool] = mapped_column(nullable=False, default=False)
    is_current: Mapped[bool] = mapped_column(nullable=False, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    @property
    def statuses(self):
        """The political statuses the rule applies to (empty: all)."""
        return [s for s in self.applies_to.split(",") if s]


class LedgerEntry(db.Model):
    """One credit (or debit). Never updated or deleted: a correction is a reversing entry.

    The database enforces it: triggers (migration 5e1f0a000008) refuse any UPDATE, DELETE or
    (on PostgreSQL) TRUNCATE of ledger_entry, whoever sends it, with an IntegrityError.
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (
        # The same event can never be credited twice to the same person under one rule.
        UniqueConstraint("rule_code", "source_type", "source_id", "person_id", name="uq_ledger_entry_source"),
        Index("ix_ledger_entry_person_booked", "person_id", "booked_on"),
        Index("ix_ledger_entry_booked_at", "booked_on", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False)
    # The branch at the time, so moving a person later does not rewrite history.
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    points: Mapped[int] = mapped_column(nullable=False)
    rule_id: Mapped[int] = mapped_column(ForeignKey("credit_rule.id"), nullable=False)
    rule_code: Mapped[str] = mapped_column(String(40), nullable=False)
    source_type: Mapped[str] = mapped_column(String(40), nullable=False)
    source_id: Mapped[int] = mapped_column(nullable=False)
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # The local date the entry counts towards: the earning date, or after the last closed period.
    booked_on: Mapped[date] = mapped_column(Date, nullable=False)
    late_note: Mapped[str | None] = mapped_column(String(120))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    rule = relationship("CreditRule", lazy="joined")
    person = relationship("Person")
    recorded_by = relationship("User")


class CreditTotal(db.Model):
    """Running points per person and period, kept with every entry so rankings never scan the ledger.

    Derived data: `flask credits rebuild-totals` recomputes it from the ledger.
    """

    __tablename__ = "credit_total"
    __table_args__ = (
        Index("ix_credit_total_period_branch", "kind", "period_start", "branch_id"),
        # A person's rank is 1 + the count of people above them: a range scan on this index.
        Index("ix_credit_total_period_points", "kind", "period_start", "points"),
    )

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    points: Mapped[int] = mapped_column(nullable=False, default=0)
    entries: Mapped[int] = mapped_column(nullable=False, default=0)


class ClosedPeriod(db.Model):
    """A period frozen by the closing job; its snapshot rows never change afterwards."""

    __tablename__ = "closed_period"
    __table_args__ = (UniqueConstraint("kind", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class SnapshotRow(db.Model):
    """A person's frozen total in a closed period (ranks come from standings.person_ranking)."""

    __tablename__ = "credit_snapshot_row"
    __table_args__ = (Index("ix_credit_snapshot_row_branch", "period_id", "branch_id"),)

    period_id: Mapped[int] = mapped_column(ForeignKey("closed_period.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    points: Mapped[int] = mapped_column(nullable=False)


class BranchSnapshotRow(db.Model):
    """A branch's frozen figures in a closed period: what its ranking needs, as the roster stood then."""

    __tablename__ = "credit_branch_snapshot_row"

    period_id: Mapped[int] = mapped_column(ForeignKey("closed_period.id"), primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    members: Mapped[int] = mapped_column(nullable=False)  # Party members on post
    participants: Mapped[int] = mapped_column(nullable=False)  # of them, those with points
    points: Mapped[int] = mapped_column(nullable=False)


class CapLock(db.Model):
    """One row per person and capped rule, locked by every award under that rule's caps.

    A cap is checked by adding up what the person already has; two awards at the same moment
    (other sources, other workers) would both pass a cap only one of them fits. Writing this row
    first makes the second award wait for the first to commit (PostgreSQL's row lock, SQLite's
    write lock) and then count its points. `checks` counts the awards checked.
    """

    __tablename__ = "credit_cap_lock"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    rule_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    checks: Mapped[int] = mapped_column(nullable=False, default=0)


class CreditAdjustment(db.Model):
    """A manual bonus or penalty decided by the committee: the source of a manual entry."""

    __tablename__ = "credit_adjustment"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False, index=True)
    points: Mapped[int] = mapped_column(nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class PayoutList(db.Model):
    """A quarter's payout list (季度兑现); once signed off it is locked."""

    __tablename__ = "credit_payout_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("closed_period.id"), nullable=False, unique=True)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    period = relationship("ClosedPeriod")
    signed_by = relationship("User")


# The ledger is append-only and periods only ever close: their newest ids version cached rankings.
cache.append_only("ledger", LedgerEntry)
cache.append_only("closed_periods", ClosedPeriod)
# A signed payout makes its quarter 已兑现 on the cached ranking pages.
cache.watch("payouts", PayoutList)
