"""Weekly tests in the member's calendar and .ics feed: the last stretch before their own deadline."""

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from portal.core import clock
from portal.extensions import db
from portal.study.services import calendar, quizzes
from tests.study.quiz_factories import make_bank, make_quiz

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


def _quiz(now, world):
    now.set(NOW)
    make_bank(world.committee)
    opens, closes = quizzes.default_window(NOW.astimezone(clock.LOCAL_TZ).date())
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a], title="第 48 周安全生产测试",
                     opens_at=opens, closes_at=closes, time_limit=30)
    db.session.commit()
    return quiz


def test_the_deadline_is_in_the_members_calendar(world, now):
    quiz = _quiz(now, world)
    events = calendar.events_for(world.people.member, NOW - timedelta(days=7), NOW + timedelta(days=14))
    (event,) = [e for e in events if e.category == "每周一测"]
    assert event.title == "每周一测截止：第 48 周安全生产测试"
    assert event.ends_at == quiz.closes_at and event.starts_at == quiz.closes_at - timedelta(minutes=30)
    assert event.url == f"/study/quizzes/{quiz.id}"
    assert "限时 30 分钟" in event.description
    # Someone in another branch does not sit it, so it is not in their calendar.
    others = calendar.events_for(world.people.other, NOW - timedelta(days=7), NOW + timedelta(days=14))
    assert [e for e in others if e.category == "每周一测"] == []


def test_an_override_moves_the_calendar_entry(world, now):
    quiz = _quiz(now, world)
    later = quiz.closes_at + timedelta(days=2)
    quizzes.grant_override(world.users.secretary, quiz, person_ids=[world.people.member.id],
                           closes_at=later, reason="夜班，顺延两天")
    db.session.commit()
    events = calendar.events_for(world.people.member, NOW, NOW + timedelta(days=14))
    (event,) = [e for e in events if e.category == "每周一测"]
    assert event.ends_at == later


def test_the_feed_carries_the_test(client, world, now):
    quiz = _quiz(now, world)
    token = calendar.regenerate_token(world.people.member)
    db.session.commit()
    body = client.get(f"/study/calendar/feed/{token}.ics")
    assert body.status_code == 200
    parsed = Calendar.from_ical(body.data)
    summaries = [str(e["SUMMARY"]) for e in parsed.walk("VEVENT")]
    assert f"每周一测截止：{quiz.title}" in summaries
