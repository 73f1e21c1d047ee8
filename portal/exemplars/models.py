"""Six-role exemplar campaigns (六大员评选): categories, nominations, voting, objections and honours.

Voting keeps two tables that nothing joins. `VoterMark` records *that* a person voted in a
category (who, when, online or on paper); `Ballot` and `BallotChoice` record *what* a ballot
says, under a random id, with no voter, no cast time and no serial number. A unique key on
(category, person) in `voter_mark` makes a second ballot impossible, whoever sends it and however
often; marks and ballots are written in one transaction, so the number of people marked as
voted always equals the number of ballots in a category.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core import cache
from portal.core.clock import utcnow
from portal.core.files import TYPES as FILE_TYPES
from portal.core.models import TimestampMixin, UTCDateTime
from portal.extensions import db


def _in(values):
    return ", ".join(f"'{value}'" for value in values)


class Phase(StrEnum):
    """A campaign's phases, in the order they come."""

    DRAFT = "draft"
    NOMINATION = "nomination"
    QUALIFICATION = "qualification"
    VOTING = "voting"
    PUBLICITY = "publicity"
    FINAL = "final"


PHASES = list(Phase)
PHASE_LABELS = {
    Phase.DRAFT: "筹备中",
    Phase.NOMINATION: "提名",
    Phase.QUALIFICATION: "资格审查",
    Phase.VOTING: "投票",
    Phase.PUBLICITY: "公示",
    Phase.FINAL: "已公布",
}


class NominationSource(StrEnum):
    """Who put a nominee forward."""

    BRANCH = "branch"
    PEER = "peer"
    SELF = "self"


SOURCE_LABELS = {
    NominationSource.BRANCH: "支部推荐",
    NominationSource.PEER: "群众推荐",
    NominationSource.SELF: "个人自荐",
}


class NominationStatus(StrEnum):
    """Where a nomination stands."""

    PENDING = "pending"
    QUALIFIED = "qualified"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    DISQUALIFIED = "disqualified"  # an objection upheld during publicity


NOMINATION_STATUS_LABELS = {
    NominationStatus.PENDING: "待审核",
    NominationStatus.QUALIFIED: "资格审查通过",
    NominationStatus.REJECTED: "未通过资格审查",
    NominationStatus.WITHDRAWN: "已撤回",
    NominationStatus.DISQUALIFIED: "经异议核实取消资格",
}


class TieBreak(StrEnum):
    """What decides between equal scores, before the earlier nomination does."""

    VOTES = "votes"
    CREDIT = "credit"


TIE_BREAK_LABELS = {
    TieBreak.VOTES: "得票数多者在前，仍相同时积分高者在前",
    TieBreak.CREDIT: "积分高者在前，仍相同时得票数多者在前",
}


class Channel(StrEnum):
    """How a vote was cast."""

    ONLINE = "online"
    PAPER = "paper"


class ObjectionStatus(StrEnum):
    """An objection during publicity: open until the committee decides."""

    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


OBJECTION_STATUS_LABELS = {
    ObjectionStatus.OPEN: "待核实",
    ObjectionStatus.UPHELD: "异议成立",
    ObjectionStatus.DISMISSED: "异议不成立",
}


class Campaign(TimestampMixin, db.Model):
    """One 评选活动: its rules are set in the draft and fixed phase by phase (see services.campaigns)."""

    __tablename__ = "exemplar_campaign"
    __table_args__ = (
        CheckConstraint(f"phase IN ({_in(Phase)})", name="phase"),
        CheckConstraint("vote_weight BETWEEN 0 AND 100", name="vote_weight"),
        CheckConstraint(f"tie_break IN ({_in(TieBreak)})", name="tie_break"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(80), nullable=False)
    year: Mapped[int] = mapped_column(nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    phase: Mapped[str] = mapped_column(String(20), nullable=False, default=Phase.DRAFT)
    nomination_opens_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    nomination_closes_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    voting_opens_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    voting_closes_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    publicity_ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # Comma-separated NominationSource values and PoliticalStatus values.
    nominate_by: Mapped[str] = mapped_column(String(40), nullable=False)
    voter_statuses: Mapped[str] = mapped_column(String(60), nullable=False)
    multi_category: Mapped[bool] = mapped_column(nullable=False, default=False)
    # The frozen credit period that qualifies (min_credit) and scores (100 - vote_weight) nominees.
    credit_period: Mapped[str] = mapped_column(String(20), nullable=False)
    min_credit: Mapped[int] = mapped_column(nullable=False, default=0)
    vote_weight: Mapped[int] = mapped_column(nullable=False, default=60)
    tie_break: Mapped[str] = mapped_column(String(10), nullable=False, default=TieBreak.VOTES)
    live_tally: Mapped[bool] = mapped_column(nullable=False, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation = relationship("Organisation")
    categories = relationship("Category", back_populates="campaign", order_by="Category.sort_order",
                              cascade="all, delete-orphan")

    @property
    def phase_label(self):
        """The phase as the pages name it."""
        return PHASE_LABELS[Phase(self.phase)]

    @property
    def credit_weight(self):
        """The credit score's share of the total, in per cent."""
        return 100 - self.vote_weight

    @property
    def sources(self):
        """The NominationSource values this campaign accepts."""
        return [NominationSource(s) for s in self.nominate_by.split(",") if s]

    @property
    def statuses(self):
        """The political statuses whose holders may vote."""
        return [s for s in self.voter_statuses.split(",") if s]

    def reached(self, phase):
        """True once the campaign is in `phase` or past it."""
        return PHASES.index(Phase(self.phase)) >= PHASES.index(Phase(phase))


class Category(db.Model):
    """One of a campaign's categories (安全生产监督员 …), with its quota and how many a voter may choose."""

    __tablename__ = "exemplar_category"
    __table_args__ = (
        UniqueConstraint("campaign_id", "name"),
        CheckConstraint("quota >= 1", name="quota"),
        CheckConstraint("max_choices >= 1", name="max_choices"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("exemplar_campaign.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    description: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    quota: Mapped[int] = mapped_column(nullable=False, default=1)
    max_choices: Mapped[int] = mapped_column(nullable=False, default=1)
    members_only: Mapped[bool] = mapped_column(nullable=False, default=False)
    sort_order: Mapped[int] = mapped_column(nullable=False, default=0)

    campaign = relationship("Campaign", back_populates="categories")


class Nomination(db.Model):
    """A nominee in one category, with deeds and evidence; qualified or not by the checks and the committee."""

    __tablename__ = "exemplar_nomination"
    __table_args__ = (
        UniqueConstraint("category_id", "person_id"),
        # Set to the campaign's id when a nominee may stand in one category only: then this key
        # allows one nomination per person and campaign (NULLs never collide).
        UniqueConstraint("single_category_key", "person_id"),
        CheckConstraint(f"status IN ({_in(NominationStatus)})", name="status"),
        CheckConstraint(f"source IN ({_in(NominationSource)})", name="source"),
        Index("ix_exemplar_nomination_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("exemplar_campaign.id", ondelete="CASCADE"), nullable=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("exemplar_category.id", ondelete="CASCADE"), nullable=False)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False, index=True)
    single_category_key: Mapped[int | None] = mapped_column()
    source: Mapped[str] = mapped_column(String(10), nullable=False)
    nominated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, index=True)
    deeds: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(15), nullable=False, default=NominationStatus.PENDING)
    # The automatic checks as last run: lines "ok|name|reason" (see services.qualification).
    checks: Mapped[str] = mapped_column(Text, nullable=False, default="")
    credit_points: Mapped[int | None] = mapped_column()  # in the campaign's credit period, when checked
    decision_note: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    campaign = relationship("Campaign")
    category = relationship("Category")
    person = relationship("Person")
    nominated_by = relationship("User", foreign_keys=[nominated_by_id])
    files = relationship("EvidenceFile", back_populates="nomination", order_by="EvidenceFile.id",
                         cascade="all, delete-orphan")

    @property
    def status_label(self):
        """The status as the pages name it."""
        return NOMINATION_STATUS_LABELS[NominationStatus(self.status)]

    @property
    def source_label(self):
        """Who nominated, as the pages name it."""
        return SOURCE_LABELS[NominationSource(self.source)]

    @property
    def photo(self):
        """The nominee's photo among the files, or None."""
        return next((f for f in self.files if f.is_photo), None)


class EvidenceFile(db.Model):
    """A photo or a piece of evidence (image or PDF), stored encrypted outside the web root."""

    __tablename__ = "exemplar_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("exemplar_nomination.id", ondelete="CASCADE"),
                                               nullable=False, index=True)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    stored_name: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    extension: Mapped[str] = mapped_column(String(8), nullable=False)
    size: Mapped[int] = mapped_column(nullable=False)
    is_photo: Mapped[bool] = mapped_column(nullable=False, default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    nomination = relationship("Nomination", back_populates="files")

    @property
    def mime_type(self):
        """The MIME type its (checked) extension stands for."""
        return FILE_TYPES[self.extension][0]


class CandidateFlag(db.Model):
    """A committee's note that a person may not stand for now (a pending inquiry, say), until closed."""

    __tablename__ = "exemplar_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False, index=True)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_note: Mapped[str] = mapped_column(String(500), nullable=False, default="")

    person = relationship("Person")


class VoterMark(db.Model):
    """That a person voted in a category: who, when, how. Never what (see Ballot)."""

    __tablename__ = "exemplar_voter_mark"
    __table_args__ = (
        UniqueConstraint("category_id", "person_id"),
        CheckConstraint(f"channel IN ({_in(Channel)})", name="channel"),
        Index("ix_exemplar_voter_mark_campaign_person", "campaign_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("exemplar_campaign.id"), nullable=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("exemplar_category.id"), nullable=False)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False)
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # paper: the officer
    polling_point: Mapped[str | None] = mapped_column(String(60))  # paper: where it was entered


class Ballot(db.Model):
    """What one ballot says, under a random id: no voter, no time, no serial number, no channel.

    Stored without SQLite's hidden rowid, so not even the storage order follows the casting order.
    """

    __tablename__ = "exemplar_ballot"
    __table_args__ = (
        Index("ix_exemplar_ballot_category", "category_id"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("exemplar_campaign.id"), nullable=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("exemplar_category.id"), nullable=False)
    # SHA-256 of the voter's receipt code and the category: the voter can find it, nobody else can link it.
    receipt_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)


class BallotChoice(db.Model):
    """One candidate chosen on a ballot."""

    __tablename__ = "exemplar_ballot_choice"
    __table_args__ = (
        Index("ix_exemplar_ballot_choice_nomination", "nomination_id"),
        {"sqlite_with_rowid": False},
    )

    ballot_id: Mapped[str] = mapped_column(ForeignKey("exemplar_ballot.id"), primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("exemplar_nomination.id"), primary_key=True)


class Objection(db.Model):
    """An objection (异议) to a winner during publicity, decided by the committee."""

    __tablename__ = "exemplar_objection"
    __table_args__ = (
        UniqueConstraint("nomination_id", "person_id"),
        CheckConstraint(f"status IN ({_in(ObjectionStatus)})", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("exemplar_campaign.id"), nullable=False, index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("exemplar_nomination.id"), nullable=False)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=ObjectionStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(String(500), nullable=False, default="")

    nomination = relationship("Nomination")
    person = relationship("Person")

    @property
    def status_label(self):
        """The status as the pages name it."""
        return OBJECTION_STATUS_LABELS[ObjectionStatus(self.status)]


class Honour(db.Model):
    """A title won: what the honours wall shows, as it stood when the campaign was finalised."""

    __tablename__ = "exemplar_honour"
    __table_args__ = (Index("ix_exemplar_honour_year", "year", "category_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("exemplar_campaign.id"), nullable=False, index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("exemplar_nomination.id"), nullable=False, unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False, index=True)
    year: Mapped[int] = mapped_column(nullable=False)
    category_name: Mapped[str] = mapped_column(String(40), nullable=False)
    branch_name: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    rank: Mapped[int] = mapped_column(nullable=False)
    votes: Mapped[int] = mapped_column(nullable=False)
    score: Mapped[str] = mapped_column(String(12), nullable=False)  # as published, e.g. "87.25"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    nomination = relationship("Nomination")
    person = relationship("Person")


# The honours wall is cached by the newest title won: honours are only ever added (at finalising).
cache.append_only("exemplar_honours", Honour)
