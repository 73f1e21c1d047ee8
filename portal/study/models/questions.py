"""The question bank (题库): questions owned by an organisation, shared with its subtree."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import TimestampMixin, UTCDateTime
from portal.extensions import db


class QuestionKind(StrEnum):
    """The four kinds of question Chinese study tests use."""

    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    FILL = "fill"


KIND_LABELS = {
    QuestionKind.SINGLE: "单选题",
    QuestionKind.MULTIPLE: "多选题",
    QuestionKind.TRUE_FALSE: "判断题",
    QuestionKind.FILL: "填空题",
}

OPTION_LETTERS = "ABCDEF"


class Question(TimestampMixin, db.Model):
    """One question of an organisation's bank.

    `answer` is a list: option letters (single/multiple), ["T"] or ["F"] (true/false), or
    one list of accepted answers per blank (fill-in).

    Questions that have been used are retired, never deleted, so old attempts keep them.
    """

    __tablename__ = "question"
    __table_args__ = (
        CheckConstraint("kind IN ('single', 'multiple', 'true_false', 'fill')", name="kind"),
        CheckConstraint("difficulty BETWEEN 1 AND 5", name="difficulty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    stem: Mapped[str] = mapped_column(Text, nullable=False)
    options: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    answer: Mapped[list] = mapped_column(JSON, nullable=False)
    explanation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    difficulty: Mapped[int] = mapped_column(nullable=False, default=3)
    # sha256 of kind + normalised stem + options: finds the same question imported twice.
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    organisation = relationship("Organisation")
    tags = relationship("QuestionTag", cascade="all, delete-orphan", order_by="QuestionTag.tag",
                        back_populates="question")

    @property
    def kind_label(self):
        """单选题, 多选题, ..."""
        return KIND_LABELS[QuestionKind(self.kind)]

    @property
    def tag_names(self):
        """The tags as a list of strings."""
        return [t.tag for t in self.tags]


class QuestionTag(db.Model):
    """A tag on a question (安全生产, 党章党规, ...); tests are assembled by tag."""

    __tablename__ = "question_tag"

    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(30), primary_key=True, index=True)

    question = relationship("Question", back_populates="tags")
