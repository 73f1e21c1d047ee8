"""Inbox messages, one per person and key (a reminder is never delivered twice)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.clock import utcnow
from portal.core.models import UTCDateTime
from portal.extensions import db


class Message(db.Model):
    """A notice for a person; `key` names the event so sending it again does nothing."""

    __tablename__ = "inbox_message"
    __table_args__ = (
        UniqueConstraint("person_id", "key", name="uq_inbox_message_person_key"),
        Index("ix_inbox_message_person_created", "person_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False)
    key: Mapped[str] = mapped_column(String(120), nullable=False)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    url: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
