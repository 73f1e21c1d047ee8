"""The weekly test (每周一测): tests, their assembly rules, windows, overrides and attempts."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.clock import utcnow
from portal.core.models import TimestampMixin, UTCDateTime
from portal.extensions import db


class QuizStatus(StrEnum):
    """A test is drafted, then published to its branches (and then no longer edited)."""

    DRAFT = "draft"
    PUBLISHED = "published"


class AttemptStatus(StrEnum):
    """An attempt is open until the member hands it in or its deadline closes it."""

    OPEN = "open"
    SUBMITTED = "submitted"  # handed in by the member
    EXPIRED = "expired"  # closed and marked at its deadline (by the job or when touched)


ATTEMPT_STATUS_LABELS = {
    AttemptStatus.OPEN: "答题中",
    AttemptStatus.SUBMITTED: "已交卷",
    AttemptStatus.EXPIRED: "超时自动交卷",
}

# How a multiple-choice answer that is partly right is scored (marking.mark's `partial`).
PARTIAL_POLICIES = ("none", "half", "proportional")


class Quiz(TimestampMixin, db.Model):
    """A test owned by an organisation, assigned to branches with an open window."""

    __tablename__ = "quiz"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published')", name="status"),
        CheckConstraint("partial_policy IN ('none', 'half', 'proportional')", name="partial_policy"),
        CheckConstraint("time_limit_minutes BETWEEN 1 AND 600", name="time_limit"),
        CheckConstraint("attempts_allowed BETWEEN 1 AND 10", name="attempts_allowed"),
        CheckConstraint("pass_mark BETWEEN 0 AND 100", name="pass_mark"),
        CheckConstraint("opens_at < closes_at", name="window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=QuizStatus.DRAFT)
    partial_policy: Mapped[str] = mapped_column(String(12), nullable=False, default="none")
    time_limit_minutes: Mapped[int] = mapped_column(nullable=False, default=30)
    attempts_allowed: Mapped[int] = mapped_column(nullable=False, default=1)
    pass_mark: Mapped[int] = mapped_column(nullable=False, default=60)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    organisation = relationship("Organisation")
    rules = relationship("QuizRule", cascade="all, delete-orphan", order_by="QuizRule.position",
                         back_populates="quiz")
    picks = relationship("QuizPick", cascade="all, delete-orphan", order_by="QuizPick.position",
                         back_populates="quiz")
    assignments = relationship("QuizAssignment", cascade="all, delete-orphan", back_populates="quiz")

    @property
    def is_published(self):
        """True once members can take it."""
        return self.status == QuizStatus.PUBLISHED

    @property
    def question_count(self):
        """How many questions every member's paper holds."""
        return sum(rule.count for rule in self.rules) + len(self.picks)

    @property
    def total_points(self):
        """The paper's total points (the score is scaled to 100 from it)."""
        return sum(rule.count * rule.points for rule in self.rules) + sum(p.points for p in self.picks)


class QuizRule(db.Model):
    """Draw `count` questions of `kind` (optionally with a tag and a difficulty) from the bank."""

    __tablename__ = "quiz_rule"
    __table_args__ = (
        CheckConstraint("count BETWEEN 1 AND 100", name="count"),
        CheckConstraint("points BETWEEN 1 AND 100", name="points"),
        CheckConstraint("difficulty IS NULL OR difficulty BETWEEN 1 AND 5", name="difficulty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    count: Mapped[int] = mapped_column(nullable=False)
    tag: Mapped[str | None] = mapped_column(String(30))
    difficulty: Mapped[int | None] = mapped_column()
    points: Mapped[int] = mapped_column(nullable=False, default=5)

    quiz = relationship("Quiz", back_populates="rules")


class QuizPick(db.Model):
    """A question picked by hand: it is on every member's paper."""

    __tablename__ = "quiz_pick"
    __table_args__ = (CheckConstraint("points BETWEEN 1 AND 100", name="points"),)

    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), primary_key=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    points: Mapped[int] = mapped_column(nullable=False, default=5)

    quiz = relationship("Quiz", back_populates="picks")
    question = relationship("Question")


class QuizAssignment(db.Model):
    """A branch whose members take the test."""

    __tablename__ = "quiz_assignment"

    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True, index=True)

    quiz = relationship("Quiz", back_populates="assignments")
    organisation = relationship("Organisation")


class QuizOverride(TimestampMixin, db.Model):
    """Another window and/or extra minutes for one person (三班倒 shift workers), with a reason."""

    __tablename__ = "quiz_override"
    __table_args__ = (
        UniqueConstraint("quiz_id", "person_id"),
        CheckConstraint("extra_minutes BETWEEN 0 AND 600", name="extra_minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), nullable=False, index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False, index=True)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extra_minutes: Mapped[int] = mapped_column(nullable=False, default=0)
    reason: Mapped[str] = mapped_column(String(200), nullable=False)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    quiz = relationship("Quiz")
    person = relationship("Person")


class QuizAttempt(TimestampMixin, db.Model):
    """One member's sitting of a test: their own paper, answers, deadline and score.

    `deadline_at` is fixed by the server at start (min(start + time limit, window end), with the
    person's override) and moved only when an override changes; every write to the attempt is
    an UPDATE guarded by `status = 'open' AND deadline_at > now`, so a late or replayed write
    changes nothing even when two processes race.
    """

    __tablename__ = "quiz_attempt"
    __table_args__ = (
        UniqueConstraint("quiz_id", "person_id", "number"),
        CheckConstraint("status IN ('open', 'submitted', 'expired')", name="status"),
        Index("ix_quiz_attempt_status_deadline", "status", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"), nullable=False, index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(nullable=False, default=1)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=AttemptStatus.OPEN)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    earned_points: Mapped[float | None] = mapped_column(Float)
    total_points: Mapped[int] = mapped_column(nullable=False, default=0)
    score: Mapped[float | None] = mapped_column(Float)  # out of 100, one decimal

    quiz = relationship("Quiz")
    person = relationship("Person")
    items = relationship("AttemptItem", cascade="all, delete-orphan", order_by="AttemptItem.position",
                         back_populates="attempt")

    @property
    def is_open(self):
        """True until handed in or closed at the deadline."""
        return self.status == AttemptStatus.OPEN

    @property
    def time_is_up(self):
        """True for an attempt still open past its deadline: the closing job (or a hand-in) closes it."""
        return self.is_open and self.deadline_at <= utcnow()

    @property
    def status_label(self):
        """答题中 / 时间已到 / 已交卷 / 超时自动交卷."""
        if self.time_is_up:
            return "时间已到，待交卷"
        return ATTEMPT_STATUS_LABELS[AttemptStatus(self.status)]

    @property
    def seconds_used(self):
        """Seconds from start to finish (None while open)."""
        if self.finished_at is None:
            return None
        return max(0, int((self.finished_at - self.started_at).total_seconds()))


class AttemptItem(db.Model):
    """One question on one member's paper, snapshotted at the draw so bank edits cannot change it.

    `option_order` lists the original option indices in the order this member sees them;
    answers (`given`) are stored as original option letters, so marking needs no mapping.
    """

    __tablename__ = "quiz_attempt_item"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    stem: Mapped[str] = mapped_column(Text, nullable=False)
    options: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    answer: Mapped[list] = mapped_column(JSON, nullable=False)
    explanation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    option_order: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    points: Mapped[int] = mapped_column(nullable=False)
    given: Mapped[list | None] = mapped_column(JSON)
    fraction: Mapped[float | None] = mapped_column(Float)

    attempt = relationship("QuizAttempt", back_populates="items")
