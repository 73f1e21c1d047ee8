"""The calendar: the month page from registered sources, and the per-person iCalendar feed."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from portal.core import qr
from portal.extensions import db
from portal.study.services import calendar, meetings
from tests.study.meeting_helpers import local, make_meeting

NOW = local(2026, 5, 18, 9, 0)


@pytest.fixture()
def sessions(world, now):
    now.set(NOW)
    seminar = make_meeting(world, topic="五月研讨", starts=local(2026, 5, 20, 14, 30).replace(tzinfo=None),
                           place="三楼会议室", online_url="https://meet.example.cn/r/1")
    lecture = make_meeting(world, topic="专题党课", kind="party_lecture",
                           starts=local(2026, 6, 2, 9, 0).replace(tzinfo=None))
    cancelled = make_meeting(world, topic="被取消的主题党日", kind="theme_day",
                             starts=local(2026, 5, 22, 9, 0).replace(tzinfo=None))
    meetings.cancel(world.users.secretary, cancelled.id, "设备检修")
    db.session.commit()
    return seminar, lecture, cancelled


def _feed(client, token):
    response = client.get(f"/study/calendar/feed/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def test_month_page_lists_my_sessions_as_day_list_and_grid(client, world, login_as, sessions):
    login_as(world.users.member)
    page = client.get("/study/calendar").get_data(as_text=True)
    assert "2026年5月" in page and "五月研讨" in page and "被取消的主题党日" in page and "专题党课" not in page
    assert 'data-testid="day-list"' in page and 'data-testid="month-grid"' in page
    assert "5月20日</strong> 周三" in page
    june = client.get("/study/calendar?month=2026-06").get_data(as_text=True)
    assert "专题党课" in june and "五月研讨" not in june
    assert client.get("/study/calendar?month=2026-13").status_code == 404


def test_people_not_on_the_list_see_an_empty_month(client, world, login_as, sessions):
    login_as(world.users.staff)
    page = client.get("/study/calendar").get_data(as_text=True)
    assert "五月研讨" not in page and "本月没有日程" in page


def test_month_view_is_built_from_every_registered_source(world, sessions):
    def windows(person, start, end):
        return [calendar.CalendarEvent(uid="quiz-1@test", title="第 21 周测试", category="每周一测",
                                       starts_at=datetime(2026, 5, 18, 0, 0, tzinfo=UTC),
                                       ends_at=datetime(2026, 5, 24, 15, 0, tzinfo=UTC), url="/study/")]

    calendar.register("test-quizzes")(windows)
    try:
        view = calendar.month_view(world.people.member, "2026-05")
        titles = [(d.day.day, e.title) for d in view.busy_days for e in d.events]
        assert titles == [(18, "第 21 周测试"), (20, "每月一研讨：五月研讨"), (22, "主题党日：被取消的主题党日")]
        assert "meetings" in calendar.source_names()
    finally:
        calendar._SOURCES.pop("test-quizzes")
    assert [len(week) for week in view.weeks] == [7] * 5 and view.weeks[0][0].day.isoformat() == "2026-04-27"


def test_feed_parses_with_stable_uids_utc_times_alarm_and_cancelled_status(client, world, login_as, sessions):
    seminar, lecture, cancelled = sessions
    token = calendar.regenerate_token(world.people.member)
    db.session.commit()
    cal = _feed(client, token)  # no log-in: phone calendars cannot log in
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {f"meeting-{m.id}@dangjian-portal" for m in (seminar, lecture, cancelled)}
    first = events[f"meeting-{seminar.id}@dangjian-portal"]
    assert first.decoded("DTSTART") == datetime(2026, 5, 20, 6, 30, tzinfo=UTC)
    assert first.decoded("DTEND") == datetime(2026, 5, 20, 8, 30, tzinfo=UTC)
    assert str(first["SUMMARY"]) == "每月一研讨：五月研讨"
    assert str(first["LOCATION"]) == "三楼会议室；线上：https://meet.example.cn/r/1"
    assert f"/study/meetings/{seminar.id}" in str(first["DESCRIPTION"])
    assert str(first["STATUS"]) == "CONFIRMED"
    alarm = first.walk("VALARM")[0]
    assert alarm.decoded("TRIGGER") == -timedelta(hours=1)
    off = events[f"meeting-{cancelled.id}@dangjian-portal"]
    assert str(off["STATUS"]) == "CANCELLED" and "设备检修" in str(off["DESCRIPTION"])
    assert int(off["SEQUENCE"]) > int(first["SEQUENCE"])
    # The same session keeps its UID in the next fetch.
    again = {str(e["UID"]) for e in _feed(client, token).walk("VEVENT")}
    assert again == set(events)


def test_bad_token_is_404_and_regenerating_invalidates_the_old_url(client, world, login_as, sessions):
    assert client.get("/study/calendar/feed/not-a-real-token.ics").status_code == 404
    login_as(world.users.member)
    page = client.get("/study/calendar").get_data(as_text=True)
    assert "生成订阅地址" in page and "/calendar/feed/" not in page
    client.post("/study/calendar/feed")
    first = calendar.feed_token(world.people.member.id)
    page = client.get("/study/calendar").get_data(as_text=True)
    assert f"/study/calendar/feed/{first}.ics" in page
    # The URL carries the random token and nothing about the person.
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", first) and world.people.member.employee_no not in first
    client.post("/study/calendar/feed")
    db.session.expire_all()
    second = calendar.feed_token(world.people.member.id)
    assert second != first and len(second) >= 40
    assert client.get(f"/study/calendar/feed/{first}.ics").status_code == 404
    assert len(_feed(client, second).walk("VEVENT")) == 3


def test_feed_of_someone_else_shows_only_their_sessions(client, world, sessions):
    token = calendar.regenerate_token(world.people.other)
    db.session.commit()
    assert _feed(client, token).walk("VEVENT") == []


def test_the_feed_address_comes_with_a_qr_code_and_a_copy_button(client, world, login_as, sessions):
    login_as(world.users.member)
    assert client.get("/study/calendar/feed-qr.svg").status_code == 404  # no address yet
    assert "feed-qr" not in client.get("/study/calendar").get_data(as_text=True)
    client.post("/study/calendar/feed")
    url = f"http://localhost/study/calendar/feed/{calendar.feed_token(world.people.member.id)}.ics"
    page = client.get("/study/calendar").get_data(as_text=True)
    assert f'data-copy="{url}"' in page and 'src="/study/calendar/feed-qr.svg"' in page and "js/copy.js" in page
    response = client.get("/study/calendar/feed-qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert "no-store" in response.headers["Cache-Control"]
    assert response.data == qr.svg_response(url, "日历订阅二维码").get_data()  # the member's own address
    client.post("/study/calendar/feed")  # replaced: the code follows the new address
    db.session.expire_all()
    replaced = f"http://localhost/study/calendar/feed/{calendar.feed_token(world.people.member.id)}.ics"
    assert client.get("/study/calendar/feed-qr.svg").data == qr.svg_response(replaced, "日历订阅二维码").get_data()
