"""每日一学: articles, the study plan that assigns them, and reads."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.clock import utcnow
from portal.core.models import TimestampMixin, UTCDateTime
from portal.extensions import db

MIN_READING_SECONDS = 10
MAX_READING_SECONDS = 3600


class Article(TimestampMixin, db.Model):
    """A study text in Markdown, from a file under content/articles (slug set) or written in the portal.

    Articles are retired, never deleted: old plans and reads keep pointing at them.
    """

    __tablename__ = "article"
    __table_args__ = (
        CheckConstraint(f"reading_seconds BETWEEN {MIN_READING_SECONDS} AND {MAX_READING_SECONDS}",
                        name="reading_seconds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    published_on: Mapped[date] = mapped_column(Date, nullable=False)
    reading_seconds: Mapped[int] = mapped_column(nullable=False)
    source: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), nullable=False, index=True)
    # The content file's name without ".md" (None for articles written in the portal) and the
    # sha256 of its bytes: `flask content sync` updates an article only when the file changed.
    slug: Mapped[str | None] = mapped_column(String(120), unique=True)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation = relationship("Organisation")
    created_by = relationship("User")
    tags = relationship("ArticleTag", cascade="all, delete-orphan", order_by="ArticleTag.tag",
                        back_populates="article")

    @property
    def tag_names(self):
        """The tags as a list of strings."""
        return [t.tag for t in self.tags]

    @property
    def from_file(self):
        """True for articles kept in content/articles (edited there, not in the portal)."""
        return self.slug is not None

    @property
    def reading_label(self):
        """The minimum reading time as people say it: 1分30秒."""
        minutes, seconds = divmod(self.reading_seconds, 60)
        if not minutes:
            return f"{seconds}秒"
        return f"{minutes}分{seconds}秒" if seconds else f"{minutes}分钟"


class ArticleTag(db.Model):
    """A tag on an article (安全生产, 党章党规, ...)."""

    __tablename__ = "article_tag"

    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(30), primary_key=True, index=True)

    article = relationship("Article", back_populates="tags")


class StudyAssignment(db.Model):
    """The study plan: an article to read on a local date by one branch.

    When `organisation` is the committee, the article is for every branch beneath it.
    """

    __tablename__ = "study_assignment"
    __table_args__ = (
        UniqueConstraint("article_id", "organisation_id", "day"),
        Index("ix_study_assignment_day_org", "day", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"), nullable=False, index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    article = relationship("Article")
    organisation = relationship("Organisation")


class ArticleRead(db.Model):
    """A completed reading: once per person and article (the unique key holds under concurrency)."""

    __tablename__ = "article_read"
    __table_args__ = (
        UniqueConstraint("person_id", "article_id"),
        Index("ix_article_read_article_branch", "article_id", "branch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"), nullable=False)
    # The reader's branch at the time, so participation history survives transfers.
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    article = relationship("Article")
    person = relationship("Person")

    @property
    def seconds_on_page(self):
        """Seconds between the page being served and the reader confirming."""
        return int((self.read_at - self.started_at).total_seconds())
