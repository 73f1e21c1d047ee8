"""The daily question (每日一题): one question per organisation and day, answered once per member."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.clock import utcnow
from portal.core.models import TimestampMixin, UTCDateTime
from portal.extensions import db


class DailyQuestion(TimestampMixin, db.Model):
    """The question an organisation shows on a day: picked, or drawn automatically (`auto`).

    A secretary or the committee picks; a branch without its own pick uses the nearest
    ancestor's, and failing that a question drawn for it (stored with auto=True, no picker).
    """

    __tablename__ = "daily_question"
    __table_args__ = (UniqueConstraint("organisation_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), nullable=False, index=True)
    auto: Mapped[bool] = mapped_column(nullable=False, default=False)
    picked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    organisation = relationship("Organisation")
    question = relationship("Question")
    picked_by = relationship("User")


class DailyAnswer(db.Model):
    """A member's one answer on a day (the unique key makes a double submit one answer)."""

    __tablename__ = "daily_answer"
    __table_args__ = (
        UniqueConstraint("person_id", "day"),
        Index("ix_daily_answer_branch_day", "branch_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    daily_question_id: Mapped[int] = mapped_column(ForeignKey("daily_question.id"), nullable=False, index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False)
    # The member's branch when they answered, for the secretary's per-day figures.
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    day: Mapped[date] = mapped_column(Date, nullable=False)
    given: Mapped[list] = mapped_column(JSON, nullable=False)
    correct: Mapped[bool] = mapped_column(nullable=False)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    daily_question = relationship("DailyQuestion")
    person = relationship("Person")
