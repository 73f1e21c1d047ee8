"""The day-before reminder job: one inbox message per expected attendee, however often it runs."""

from sqlalchemy import select

from portal.extensions import db
from portal.inbox.models import Message
from portal.study.jobs.meetings import SCHEDULE, remind_tomorrow
from portal.study.services import attendance, meetings
from tests.conftest import run_concurrently
from tests.study.meeting_helpers import local, make_meeting

TODAY_EVENING = local(2026, 5, 19, 18, 0)


def _reminders():
    db.session.expire_all()
    return db.session.scalars(select(Message).where(Message.key.startswith("meeting-tomorrow:"))).all()


def test_reminder_goes_once_to_the_expected_attendees_of_tomorrows_sessions(world, now):
    now.set(TODAY_EVENING)
    tomorrow = make_meeting(world, topic="明天的主题党日", kind="theme_day",
                            starts=local(2026, 5, 20, 8, 0).replace(tzinfo=None))
    make_meeting(world, topic="后天的党课", starts=local(2026, 5, 21, 8, 0).replace(tzinfo=None))
    called_off = make_meeting(world, topic="取消的会", starts=local(2026, 5, 20, 10, 0).replace(tzinfo=None))
    meetings.cancel(world.users.secretary, called_off.id, "")
    attendance.request_leave(world.people.activist, tomorrow.id, "外出培训")
    db.session.commit()
    remind_tomorrow()
    messages = _reminders()
    assert {m.person_id for m in messages} == {world.people.secretary.id, world.people.member.id}
    assert {m.key for m in messages} == {f"meeting-tomorrow:{tomorrow.id}"}
    assert messages[0].title == "明天主题党日：明天的主题党日" and "2026年5月20日 08:00–10:00" in messages[0].body
    assert messages[0].url == f"/study/meetings/{tomorrow.id}"
    remind_tomorrow()
    assert len(_reminders()) == 2


def test_two_scheduler_processes_at_once_still_send_one_reminder_each(app, world, now):
    now.set(TODAY_EVENING)
    make_meeting(world, starts=local(2026, 5, 20, 23, 30).replace(tzinfo=None))  # late tomorrow, local time
    db.session.commit()
    results = run_concurrently(app, remind_tomorrow, 2)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(_reminders()) == 3


def test_the_job_is_in_the_study_schedule():
    from portal.study.jobs import SCHEDULE as STUDY_SCHEDULE

    assert SCHEDULE[0] in STUDY_SCHEDULE and SCHEDULE[0][1] is remind_tomorrow
