"""Check-in with the code: the window, wrong codes and the try limit, concurrency, the QR code,
leave requests and the sheet's counts (the secretary's one-pass sheet: test_meetings_attendance)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.core.audit import AuditEntry
from portal.credits.models import LedgerEntry
from portal.extensions import db
from portal.study.models.meetings import MeetingAttendee
from portal.study.services import attendance, meetings
from tests.conftest import run_concurrently
from tests.study.meeting_helpers import local, make_meeting

START = local(2026, 5, 20, 14, 30)  # ends 16:30


def _meeting(now, world):
    now.set(START - timedelta(days=2))
    meeting = make_meeting(world, starts=START.replace(tzinfo=None))
    db.session.commit()
    return meeting


def _row(meeting, person):
    db.session.expire_all()
    return meetings.attendee_row(meeting.id, person.id)


def _credits(person, rule="session_attend"):
    return db.session.scalars(select(LedgerEntry).where(LedgerEntry.person_id == person.id,
                                                        LedgerEntry.rule_code == rule)).all()


def _as(now, client, login_as, user, moment):
    """Move the clock, then log in afresh (a session idle past the limit would be logged out)."""
    now.set(moment)
    client.post("/logout")
    return login_as(user)


def _checkin(client, meeting, code):
    return client.post(f"/study/meetings/{meeting.id}/checkin", data={"code": code}, follow_redirects=True)


def test_check_in_within_the_window_marks_present_and_credits_once(client, world, login_as, now):
    meeting = _meeting(now, world)
    _as(now, client, login_as, world.users.member, START + timedelta(minutes=5))
    response = _checkin(client, meeting, meeting.checkin_code)
    assert "。积分：+3 分" in response.get_data(as_text=True)
    assert _row(meeting, world.people.member).status == "present"
    again = _checkin(client, meeting, meeting.checkin_code)
    assert "您已签到" in again.get_data(as_text=True)
    entries = _credits(world.people.member)
    assert len(entries) == 1 and entries[0].source_type == "meeting" and entries[0].source_id == meeting.id


def test_window_opens_30_minutes_before_start_and_closes_at_the_end(client, world, login_as, now):
    meeting = _meeting(now, world)
    _as(now, client, login_as, world.users.member, START - timedelta(minutes=31))
    early = _checkin(client, meeting, meeting.checkin_code).get_data(as_text=True)
    assert "签到尚未开始" in early and "5月20日 14:00" in early
    _as(now, client, login_as, world.users.member, START + timedelta(hours=2, minutes=1))
    late = _checkin(client, meeting, meeting.checkin_code).get_data(as_text=True)
    assert "会议已结束，签到已关闭" in late
    assert _row(meeting, world.people.member).status == "expected"
    assert _row(meeting, world.people.member).checkin_tries == 0  # refused before any try was counted
    _as(now, client, login_as, world.users.member, START - timedelta(minutes=30))
    assert "签到成功" in _checkin(client, meeting, meeting.checkin_code).get_data(as_text=True)


def test_check_in_at_the_last_minute_of_the_session_counts(client, world, login_as, now):
    meeting = _meeting(now, world)
    _as(now, client, login_as, world.users.activist, START + timedelta(hours=2))
    assert "签到成功" in _checkin(client, meeting, meeting.checkin_code).get_data(as_text=True)


def test_the_code_box_brings_up_the_number_pad(client, world, login_as, now):
    meeting = _meeting(now, world)
    _as(now, client, login_as, world.users.member, START)
    page = client.get(f"/study/meetings/{meeting.id}/checkin").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="code"[^>]*>', page).group(0)
    assert 'inputmode="numeric"' in box and 'pattern="[0-9 ]*"' in box and 'autocomplete="off"' in box


@pytest.mark.parametrize("typed", ["{a} {b}", "{wide}"])
def test_the_code_as_the_board_shows_it_or_in_full_width_digits_counts(client, world, login_as, now, typed):
    meeting = _meeting(now, world)
    code = meeting.checkin_code
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code)  # １２３４５６ from a Chinese keyboard
    _as(now, client, login_as, world.users.member, START)
    answer = _checkin(client, meeting, typed.format(a=code[:3], b=code[3:], wide=wide)).get_data(as_text=True)
    assert "签到成功" in answer and _row(meeting, world.people.member).status == "present"


def test_wrong_code_gets_a_clear_message_and_five_tries_at_most(client, world, login_as, now):
    meeting = _meeting(now, world)
    wrong = "000000" if meeting.checkin_code != "000000" else "111111"
    _as(now, client, login_as, world.users.member, START)
    first = _checkin(client, meeting, wrong).get_data(as_text=True)
    assert "签到码不正确，请核对会场显示的 6 位数字（还可尝试 4 次）" in first
    for _ in range(3):
        _checkin(client, meeting, wrong)
    fifth = _checkin(client, meeting, wrong).get_data(as_text=True)
    assert "尝试次数已用完" in fifth
    locked = _checkin(client, meeting, meeting.checkin_code).get_data(as_text=True)  # even the right code now
    assert "错误次数过多" in locked
    row = _row(meeting, world.people.member)
    assert row.status == "expected" and row.checkin_tries == 5
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "meeting_checkin_locked")) == 1
    assert _credits(world.people.member) == []


def test_parallel_wrong_guesses_cannot_pass_the_limit(app, world, now):
    meeting = _meeting(now, world)
    now.set(START)
    person_id, meeting_id = world.people.member.id, meeting.id
    guesses = iter(f"{n:06d}" for n in range(20) if f"{n:06d}" != meeting.checkin_code)

    def guess(code):
        from portal.roster.models import Person

        outcome = attendance.check_in(db.session.get(Person, person_id), meeting_id, code)
        db.session.commit()
        return outcome

    codes = [next(guesses) for _ in range(8)]
    results = run_concurrently(app, lambda: guess(codes.pop()), 8)
    counted = [r for r in results if not isinstance(r, Exception)]
    assert len(counted) == 5  # the other three were refused as locked
    db.session.expire_all()
    assert _row(meeting, world.people.member).checkin_tries == 5


def test_two_check_ins_at_once_leave_one_presence_and_one_credit(app, world, now):
    meeting = _meeting(now, world)
    now.set(START)
    person_id, meeting_id, code = world.people.member.id, meeting.id, meeting.checkin_code

    def check_in():
        from portal.roster.models import Person

        outcome = attendance.check_in(db.session.get(Person, person_id), meeting_id, code)
        db.session.commit()
        return outcome

    results = run_concurrently(app, check_in, 4)
    assert all(not isinstance(r, Exception) and r.ok for r in results), results
    assert sum("签到成功" in r.message for r in results) == 1
    db.session.expire_all()
    rows = db.session.scalars(select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting_id,
                                                            MeetingAttendee.person_id == person_id)).all()
    assert len(rows) == 1 and rows[0].status == "present"
    assert len(_credits(world.people.member)) == 1


def test_people_not_on_the_list_cannot_check_in(client, world, login_as, now):
    meeting = _meeting(now, world)
    _as(now, client, login_as, world.users.staff, START)  # in branch_a but 群众, not on the default list
    assert client.post(f"/study/meetings/{meeting.id}/checkin", data={"code": meeting.checkin_code}).status_code == 404
    assert meetings.attendee_row(meeting.id, world.people.staff.id) is None


def test_cancelled_session_refuses_check_in(client, world, login_as, now):
    meeting = _meeting(now, world)
    meetings.cancel(world.users.secretary, meeting.id, "停电")
    db.session.commit()
    _as(now, client, login_as, world.users.member, START)
    assert "会议已取消" in _checkin(client, meeting, meeting.checkin_code).get_data(as_text=True)


def test_checkin_board_shows_code_and_serves_qr_svg_with_the_checkin_url(client, world, login_as, now):
    meeting = _meeting(now, world)
    login_as(world.users.secretary)
    board = client.get(f"/study/meetings/{meeting.id}/checkin-board").get_data(as_text=True)
    assert f"{meeting.checkin_code[:3]} {meeting.checkin_code[3:]}" in board
    assert 'data-testid="checkin-qr"' in board
    # The address is a link and a copy button labelled in Chinese, never shown as text.
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*data-testid="checkin-link">([^<]+)</a>', board)
    assert link and link.group(1).endswith(f"/study/meetings/{meeting.id}/checkin?code={meeting.checkin_code}")
    assert link.group(2) == "打开签到页面" and f'data-copy="{link.group(1)}"' in board and ">复制签到链接<" in board
    visible = re.sub(r"<[^>]+>", " ", board)
    assert "http" not in visible and "/checkin?code=" not in visible
    qr = client.get(f"/study/meetings/{meeting.id}/checkin-qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    # The member's page opened from the QR code has the code filled in.
    client.post("/logout")
    login_as(world.users.member)
    page = client.get(f"/study/meetings/{meeting.id}/checkin?code={meeting.checkin_code}").get_data(as_text=True)
    assert f'value="{meeting.checkin_code}"' in page


def test_regenerated_code_replaces_the_old_one(client, world, login_as, now):
    meeting = _meeting(now, world)
    old = meeting.checkin_code
    login_as(world.users.secretary)
    client.post(f"/study/meetings/{meeting.id}/checkin-code")
    db.session.expire_all()
    new = _row(meeting, world.people.member).meeting.checkin_code
    assert new != old or len(new) == 6  # a fresh draw may repeat, one in a million
    assert new.isdigit() and len(new) == 6
    if new != old:
        client.post("/logout")
        _as(now, client, login_as, world.users.member, START)
        assert "签到码不正确" in _checkin(client, meeting, old).get_data(as_text=True)
        assert "签到成功" in _checkin(client, meeting, new).get_data(as_text=True)


def test_leave_request_before_the_session_with_a_reason(client, world, login_as, now):
    meeting = _meeting(now, world)
    login_as(world.users.member)
    url = f"/study/meetings/{meeting.id}/leave"
    empty = client.post(url, data={"reason": " "}, follow_redirects=True).get_data(as_text=True)
    assert "请填写请假原因" in empty and _row(meeting, world.people.member).status == "expected"
    client.post(url, data={"reason": "夜班下井"})
    row = _row(meeting, world.people.member)
    assert row.status == "leave" and row.leave_reason == "夜班下井"
    client.post("/logout")
    login_as(world.users.secretary)
    sheet = client.get(f"/study/meetings/{meeting.id}/attendance").get_data(as_text=True)
    assert "请假原因：夜班下井" in sheet
    client.post("/logout")
    _as(now, client, login_as, world.users.activist, START + timedelta(minutes=1))
    late = client.post(url, data={"reason": "临时有事"}, follow_redirects=True).get_data(as_text=True)
    assert "会议已经开始，不能在线请假" in late and _row(meeting, world.people.activist).status == "expected"


def test_leave_can_be_withdrawn_before_the_start(client, world, login_as, now):
    meeting = _meeting(now, world)
    login_as(world.users.member)
    client.post(f"/study/meetings/{meeting.id}/leave", data={"reason": "夜班"})
    client.post(f"/study/meetings/{meeting.id}/leave", data={"withdraw": "1"})
    assert _row(meeting, world.people.member).status == "expected"


def test_sheet_counts_no_shows_as_absent_after_the_end(client, world, login_as, now):
    meeting = _meeting(now, world)
    now.set(START)
    attendance.check_in(world.people.member, meeting.id, meeting.checkin_code)
    db.session.commit()
    _as(now, client, login_as, world.users.secretary, START + timedelta(hours=3))
    page = client.get(f"/study/meetings/{meeting.id}/attendance").get_data(as_text=True)
    assert "应到 3 人：出席 1，请假 0，缺席 2" in page
