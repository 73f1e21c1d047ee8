"""Builders for the session tests (and the access matrix): sessions, a PDF, a reflection, a feed token."""

import secrets
from datetime import datetime, timedelta

from portal.core.clock import LOCAL_TZ, localnow, utcnow
from portal.extensions import db
from portal.study.models.meetings import MeetingReflection
from portal.study.services import meetings

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def local(year, month, day, hour=0, minute=0):
    """An aware Asia/Shanghai datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


def draft(starts=None, hours=2, **fields):
    """A valid MeetingDraft starting at `starts` (naive local; default: tomorrow 14:30)."""
    if starts is None:
        starts = (localnow() + timedelta(days=1)).replace(hour=14, minute=30, second=0, microsecond=0,
                                                          tzinfo=None)
    values = dict(kind="seminar", topic="学习贯彻党的二十大精神", starts_local=starts,
                  ends_local=starts + timedelta(hours=hours), place="综采一队会议室")
    values.update(fields)
    return meetings.MeetingDraft(**values)


def make_meeting(world, actor=None, **fields):
    """A session of branch_a scheduled by its secretary (default attendees), flushed."""
    return meetings.schedule(actor or world.users.secretary, world.branch_a.id, draft(**fields))


def sample_values(world):
    """URL values for the access matrix: a started session of branch_a with a file and a reflection.

    Built from the models directly (not the services) so that nothing is audited: the CSRF test
    counts audit rows around the request.
    """
    from portal.core import uploads
    from portal.study.models.meetings import CalendarFeed, Meeting, MeetingAttachment, MeetingAttendee

    starts = utcnow() - timedelta(minutes=20)
    meeting = Meeting(branch_id=world.branch_a.id, kind="seminar", topic="矩阵测试研讨", starts_at=starts,
                      ends_at=starts + timedelta(hours=2), place="会议室", checkin_code="123456")
    db.session.add(meeting)
    db.session.flush()
    people = world.people
    db.session.add_all(MeetingAttendee(meeting_id=meeting.id, person_id=p.id)
                       for p in (people.secretary, people.member, people.activist))
    attachment = MeetingAttachment(meeting_id=meeting.id, filename="学习提纲.pdf", extension="pdf", size=len(PDF),
                                   stored_name=uploads.keep(meetings.UPLOAD_KIND, PDF, "pdf"))
    reflection = MeetingReflection(meeting_id=meeting.id, person_id=people.member.id, body="心得" * 40)
    feed = CalendarFeed(person_id=people.member.id, token=secrets.token_urlsafe(32))
    db.session.add_all([attachment, reflection, feed])
    db.session.commit()
    return {"meeting_id": meeting.id, "attachment_id": attachment.id, "reflection_id": reflection.id,
            "feed_token": feed.token}
