"""Branch sessions (组织生活) with their attendance and reflections, and the calendar feed token.

The sessions are 每月一研讨, 三会一课 (支部党员大会、支委会、党小组会、党课) and 主题党日.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.clock import utcnow
from portal.core.models import TimestampMixin, UTCDateTime
from portal.extensions import db


class MeetingKind(StrEnum):
    """The sessions a branch holds."""

    SEMINAR = "seminar"
    GENERAL = "general_meeting"
    COMMITTEE = "committee_meeting"
    GROUP = "group_meeting"
    LECTURE = "party_lecture"
    THEME_DAY = "theme_day"


KIND_LABELS = {
    MeetingKind.SEMINAR: "每月一研讨",
    MeetingKind.GENERAL: "支部党员大会",
    MeetingKind.COMMITTEE: "支委会",
    MeetingKind.GROUP: "党小组会",
    MeetingKind.LECTURE: "党课",
    MeetingKind.THEME_DAY: "主题党日",
}


class SpeakerRole(StrEnum):
    """The two mentor roles of the 专家+骨干 model a speaker can take."""

    EXPERT = "expert"
    BACKBONE = "backbone"


SPEAKER_ROLE_LABELS = {SpeakerRole.EXPERT: "专家导师", SpeakerRole.BACKBONE: "骨干导师"}


class AttendanceStatus(StrEnum):
    """Where a person on the list stands: still expected, present, absent or on leave."""

    EXPECTED = "expected"
    PRESENT = "present"
    ABSENT = "absent"
    LEAVE = "leave"


ATTENDANCE_LABELS = {
    AttendanceStatus.EXPECTED: "未签到",
    AttendanceStatus.PRESENT: "出席",
    AttendanceStatus.ABSENT: "缺席",
    AttendanceStatus.LEAVE: "请假",
}


def _in(values):
    return ", ".join(f"'{v}'" for v in values)


class Meeting(TimestampMixin, db.Model):
    """One scheduled session of a branch. Times are stored in UTC."""

    __tablename__ = "meeting"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(MeetingKind)})", name="kind"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_meeting_branch_starts", "branch_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    topic: Mapped[str] = mapped_column(String(120), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    place: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    online_url: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    materials: Mapped[str] = mapped_column(Text, nullable=False, default="")
    minutes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    minutes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checkin_code: Mapped[str] = mapped_column(String(6), nullable=False)
    # Bumped on every edit: the iCalendar SEQUENCE, and the key of "changed" notices.
    revision: Mapped[int] = mapped_column(nullable=False, default=1)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    branch = relationship("Organisation")
    speakers = relationship("MeetingSpeaker", cascade="all, delete-orphan", order_by="MeetingSpeaker.position",
                            back_populates="meeting")
    attachments = relationship("MeetingAttachment", cascade="all, delete-orphan",
                               order_by="MeetingAttachment.id", back_populates="meeting")

    @property
    def kind_label(self):
        """每月一研讨, 支委会, ..."""
        return KIND_LABELS[MeetingKind(self.kind)]

    @property
    def is_cancelled(self):
        """True once the session has been called off."""
        return self.cancelled_at is not None

    @property
    def location(self):
        """Where to go, as one line: the place and/or the online room."""
        parts = [p for p in (self.place, f"线上：{self.online_url}" if self.online_url else "") if p]
        return "；".join(parts)

    def has_started(self, now=None):
        """True once the start time has passed."""
        return (now or utcnow()) >= self.starts_at

    def has_ended(self, now=None):
        """True once the end time has passed."""
        return (now or utcnow()) >= self.ends_at


class MeetingSpeaker(db.Model):
    """A speaker: a person from the roster, or an outside expert named in free text."""

    __tablename__ = "meeting_speaker"
    __table_args__ = (CheckConstraint(f"role IN ({_in(SpeakerRole)})", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    role: Mapped[str] = mapped_column(String(10), nullable=False)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # The person's name when one is chosen (kept as it was), else the outside expert's.
    name: Mapped[str] = mapped_column(String(40), nullable=False)

    meeting = relationship("Meeting", back_populates="speakers")
    person = relationship("Person")

    @property
    def role_label(self):
        """专家导师 or 骨干导师."""
        return SPEAKER_ROLE_LABELS[SpeakerRole(self.role)]


class MeetingAttachment(TimestampMixin, db.Model):
    """A file among the session's materials, stored encrypted by core.uploads."""

    __tablename__ = "meeting_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    stored_name: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    extension: Mapped[str] = mapped_column(String(8), nullable=False)
    size: Mapped[int] = mapped_column(nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    meeting = relationship("Meeting", back_populates="attachments")


class MeetingAttendee(db.Model):
    """One person expected at a session, and what became of it: one row per person and session."""

    __tablename__ = "meeting_attendee"
    __table_args__ = (
        UniqueConstraint("meeting_id", "person_id"),
        CheckConstraint(f"status IN ({_in(AttendanceStatus)})", name="status"),
        Index("ix_meeting_attendee_person", "person_id", "meeting_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=AttendanceStatus.EXPECTED)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who recorded the status when it was not the person's own check-in or leave request.
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    leave_reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    leave_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # Check-in attempts with this session's code (right or wrong): capped against guessing.
    checkin_tries: Mapped[int] = mapped_column(nullable=False, default=0)

    meeting = relationship("Meeting")
    person = relationship("Person")
    marked_by = relationship("User")

    @property
    def status_label(self):
        """出席, 缺席, 请假 or 未签到."""
        return ATTENDANCE_LABELS[AttendanceStatus(self.status)]


class MeetingReflection(TimestampMixin, db.Model):
    """A person's 心得体会 on a session; editable until graded, graded once."""

    __tablename__ = "meeting_reflection"
    __table_args__ = (
        UniqueConstraint("meeting_id", "person_id"),
        CheckConstraint("grade IS NULL OR grade BETWEEN 0 AND 100", name="grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False, index=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    grade: Mapped[int | None] = mapped_column()
    grade_comment: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    meeting = relationship("Meeting")
    person = relationship("Person")
    graded_by = relationship("User")

    @property
    def is_graded(self):
        """True once the secretary has given a grade (the reflection is then final)."""
        return self.grade is not None


class CalendarFeed(TimestampMixin, db.Model):
    """The secret token of a person's iCalendar subscription URL; regenerating replaces it."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False, unique=True)
    token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
