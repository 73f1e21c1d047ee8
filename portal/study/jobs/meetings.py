"""Session jobs: the day-before reminder in every expected attendee's inbox."""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from portal.core.clock import LOCAL_TZ, localnow
from portal.extensions import db
from portal.inbox.services import notify_many
from portal.study.models.meetings import Meeting
from portal.study.services import meetings


def remind_tomorrow():
    """Remind the people expected at tomorrow's sessions (not those on leave); returns messages added.

    Idempotent: each reminder's key is meeting-tomorrow:<id>, unique per person in the inbox, so
    running it every hour, twice, or in two processes at once sends each person one reminder.
    """
    tomorrow = localnow().date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)
    end = start + timedelta(days=1)
    upcoming = db.session.scalars(select(Meeting).where(
        Meeting.starts_at >= start, Meeting.starts_at < end, Meeting.cancelled_at.is_(None),
    ).order_by(Meeting.starts_at, Meeting.id)).all()
    added = 0
    for meeting in upcoming:
        people = meetings.expected_people(meeting.id)
        added += notify_many(people, f"meeting-tomorrow:{meeting.id}", f"明天{meeting.kind_label}：{meeting.topic}",
                             meetings.describe(meeting), url=meetings.meeting_path(meeting.id))
        db.session.commit()  # one session's reminders at a time
    return added


# (job id, function, cron fields in Asia/Shanghai): hourly in the daytime, so a session
# scheduled late in the day for tomorrow still gets its reminder.
SCHEDULE = [
    ("study.meetings.remind_tomorrow", remind_tomorrow, {"hour": "8-21", "minute": 0}),
]
