"""The secretary's attendance sheet: everyone on one form, saved with one submit (one service call).

What was checked in by code stays unless changed; presence is credited once through credits.award;
a correction away from 出席 keeps the credit and says so; a person not on the list or a status
other than 出席/请假/缺席 refuses the whole sheet with a Chinese message and writes nothing.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from portal.core.audit import AuditEntry
from portal.core.exceptions import ValidationError
from portal.credits.models import LedgerEntry
from portal.extensions import db
from portal.study.models.meetings import MeetingAttendee
from portal.study.services import attendance, meetings
from tests import factories
from tests.security.form_crawler import parse_forms
from tests.study.meeting_helpers import local, make_meeting

START = local(2026, 5, 20, 14, 30)  # ends 16:30
AUDIT = "meeting_attendance_corrected"


class Sheet:
    """The attendance form as the page shows it, changed line by line as a secretary would, then sent once."""

    def __init__(self, client, meeting):
        self.client, self.url = client, f"/study/meetings/{meeting.id}/attendance"
        page = client.get(self.url)
        assert page.status_code == 200
        form = next(f for f in parse_forms(self.url, page.get_data(as_text=True))
                    if any(c.name.endswith("-person_id") for c in f.fields))
        self.lines = {}  # index -> {"person_id", "seen", "status", "note"}
        for control in form.fields:
            match = re.fullmatch(r"lines-(\d+)-(\w+)", control.name)
            if match is None:
                continue
            line = self.lines.setdefault(int(match.group(1)), {"status": None})
            if control.kind == "radio":
                line.setdefault("offered", []).append(control.value)
                if control.checked:
                    line["status"] = control.value
            else:
                line[match.group(2)] = control.value
        self.people = {int(line["person_id"]): index for index, line in self.lines.items()}

    def line(self, person):
        """The line of a person (as the page filled it)."""
        return self.lines[self.people[person.id]]

    def set(self, person, status, note=None):
        """Choose a status (and note) for one person."""
        line = self.line(person)
        line["status"] = status
        if note is not None:
            line["note"] = note
        return self

    def send(self, **extra):
        """POST the whole sheet once, as the browser does: unchosen lines send no status."""
        data = MultiDict()
        for index, line in self.lines.items():
            for key in ("person_id", "seen", "note"):
                data.add(f"lines-{index}-{key}", line[key])
            if line["status"] is not None:
                data.add(f"lines-{index}-status", line["status"])
        for key, value in extra.items():
            data.add(key, value)
        return self.client.post(self.url, data=data, follow_redirects=True)


def _meeting(now, world, extra=0):
    """A session of branch_a with its default list (王书记, 张三, 李四) and `extra` more members."""
    now.set(START - timedelta(days=2))
    added = [factories.make_person(world.unit_a, f"成员{n:02d}") for n in range(extra)]
    meeting = make_meeting(world, starts=START.replace(tzinfo=None))
    db.session.commit()
    return meeting, added


def _status(meeting, person):
    db.session.expire_all()
    return meetings.attendee_row(meeting.id, person.id).status


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _credits(person):
    return db.session.scalars(select(LedgerEntry).where(LedgerEntry.person_id == person.id,
                                                        LedgerEntry.rule_code == "session_attend")).all()


def _text(response):
    return response.get_data(as_text=True)


def _as_secretary(now, client, login_as, world, moment):
    now.set(moment)
    client.post("/logout")
    return login_as(world.users.secretary)


def test_one_submit_saves_every_line_and_says_exactly_what_was_saved(client, world, login_as, now):
    meeting, (first, second, third) = _meeting(now, world, extra=3)
    people = world.people
    now.set(START + timedelta(minutes=2))
    attendance.check_in(people.member, meeting.id, meeting.checkin_code)
    db.session.commit()
    checked_in_at = meetings.attendee_row(meeting.id, people.member.id).checked_in_at
    _as_secretary(now, client, login_as, world, START + timedelta(minutes=20))

    sheet = Sheet(client, meeting)
    assert sheet.line(people.member)["status"] == "present"  # the check-in by code, shown as chosen
    assert sheet.line(people.secretary)["status"] is None  # not yet marked: nothing chosen
    sheet.set(people.secretary, "present").set(people.activist, "leave", "夜班下井")
    sheet.set(first, "present").set(second, "absent").set(third, "absent")
    page = _text(sheet.send())

    assert "已保存 6 人的考勤：出席 3 人，请假 1 人，缺席 2 人（本次更改 5 人）" in page
    assert "参会积分：成员00、王书记 +3 分" in page  # in the sheet's order
    assert "应到 6 人：出席 3，请假 1，缺席 2。" in page
    assert [_status(meeting, p) for p in (people.secretary, people.member, people.activist, first, second, third)] \
        == ["present", "present", "leave", "present", "absent", "absent"]
    member = meetings.attendee_row(meeting.id, people.member.id)
    assert member.checked_in_at == checked_in_at and member.marked_by_id is None  # untouched
    assert meetings.attendee_row(meeting.id, people.activist.id).leave_reason == "夜班下井"
    assert [len(_credits(p)) for p in (people.secretary, people.member, first, second)] == [1, 1, 1, 0]
    assert _count(AuditEntry, AuditEntry.action == AUDIT) == 5

    again = _text(Sheet(client, meeting).send())  # the same sheet once more: nothing to change
    assert "考勤没有变化，未作更改（6 人：出席 3 人，请假 1 人，缺席 2 人）" in again
    assert [len(_credits(p)) for p in (people.secretary, people.member, first)] == [1, 1, 1]
    assert _count(AuditEntry, AuditEntry.action == AUDIT) == 5


def test_a_correction_from_present_to_absent_keeps_the_credit_and_says_so(client, world, login_as, now):
    meeting, _ = _meeting(now, world)
    activist = world.people.activist
    _as_secretary(now, client, login_as, world, START + timedelta(hours=3))
    Sheet(client, meeting).set(activist, "present", "忘带手机，书记补登").send()
    assert _status(meeting, activist) == "present" and len(_credits(activist)) == 1

    page = _text(Sheet(client, meeting).set(activist, "absent", "").send())
    assert "李四已获得的参会积分不会自动扣回；如需冲销，请联系党委在积分明细中办理" in page
    assert _status(meeting, activist) == "absent"
    assert len(_credits(activist)) == 1  # the ledger is append-only: the committee reverses entries
    details = db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == AUDIT)
                                 .where(AuditEntry.detail.like("李四%")).order_by(AuditEntry.id)).all()
    assert details == ["李四：未签到 → 出席（忘带手机，书记补登）", "李四：出席 → 缺席"]

    Sheet(client, meeting).set(activist, "present").send()  # present again: the credit booked before stands
    assert len(_credits(activist)) == 1


def _nothing_written(meeting, world):
    db.session.expire_all()
    rows = db.session.scalars(select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id)).all()
    assert {row.status for row in rows} == {"expected"}
    assert _count(AuditEntry, AuditEntry.action == AUDIT) == 0
    assert _count(LedgerEntry) == 0


def test_a_person_not_on_the_list_refuses_the_whole_sheet(client, world, login_as, now):
    meeting, _ = _meeting(now, world)
    _as_secretary(now, client, login_as, world, START + timedelta(minutes=10))
    sheet = Sheet(client, meeting).set(world.people.member, "present").set(world.people.secretary, "present")
    outsider = world.people.other  # another branch's member
    page = _text(sheet.send(**{"lines-9-person_id": str(outsider.id), "lines-9-seen": "expected",
                               "lines-9-status": "present", "lines-9-note": ""}))
    assert "提交的人员不在本次会议的名单中。考勤未保存，请刷新考勤表后重新登记" in page
    assert outsider.name not in page
    _nothing_written(meeting, world)
    assert meetings.attendee_row(meeting.id, outsider.id) is None


@pytest.mark.parametrize("forged", ["expected", "vip", "出席"])
def test_a_forged_status_refuses_the_whole_sheet(client, world, login_as, now, forged):
    meeting, _ = _meeting(now, world)
    _as_secretary(now, client, login_as, world, START + timedelta(minutes=10))
    sheet = Sheet(client, meeting).set(world.people.member, "present").set(world.people.activist, forged)
    page = _text(sheet.send())
    assert "李四的考勤只能登记为出席、请假或缺席。考勤未保存" in page
    _nothing_written(meeting, world)


def test_a_refused_sheet_comes_back_with_the_secretarys_choices(client, world, login_as, now):
    meeting, _ = _meeting(now, world)
    _as_secretary(now, client, login_as, world, START + timedelta(minutes=10))
    sheet = Sheet(client, meeting).set(world.people.member, "absent").set(world.people.activist, "leave", "")
    response = sheet.send()
    assert response.status_code == 200 and "请填写李四的请假原因。考勤未保存" in _text(response)
    _nothing_written(meeting, world)
    shown = parse_forms(sheet.url, _text(response))[-1]
    chosen = {c.name: c.value for c in shown.fields if c.kind == "radio" and c.checked}
    index = {p: i for p, i in sheet.people.items()}
    assert chosen[f"lines-{index[world.people.member.id]}-status"] == "absent"
    assert chosen[f"lines-{index[world.people.activist.id]}-status"] == "leave"


def test_before_the_start_only_leave_can_be_marked(client, world, login_as, now):
    meeting, _ = _meeting(now, world)
    _as_secretary(now, client, login_as, world, START - timedelta(hours=1))
    sheet = Sheet(client, meeting)
    assert sheet.line(world.people.member)["offered"] == ["leave"]  # 出席/缺席 are greyed out
    forged = _text(Sheet(client, meeting).set(world.people.member, "present").send())
    assert "会议开始后才能登记出席或缺席（张三）。考勤未保存" in forged
    _nothing_written(meeting, world)
    page = _text(Sheet(client, meeting).set(world.people.member, "leave", "外出培训").send())
    assert "已保存 1 人的考勤：出席 0 人，请假 1 人，缺席 0 人（本次更改 1 人）；另有 2 人未登记" in page
    assert _status(meeting, world.people.member) == "leave"


def test_a_check_in_after_the_sheet_was_opened_is_not_overwritten(client, world, login_as, now):
    meeting, _ = _meeting(now, world)
    _as_secretary(now, client, login_as, world, START + timedelta(minutes=5))
    sheet = Sheet(client, meeting).set(world.people.member, "absent").set(world.people.activist, "present")
    attendance.check_in(world.people.member, meeting.id, meeting.checkin_code)  # meanwhile, by code
    db.session.commit()
    page = _text(sheet.send())
    assert "以下人员的考勤在您打开考勤表后已有变化，本次未改动，请核对：张三（现为出席）" in page
    assert "已保存 1 人的考勤：出席 1 人，请假 0 人，缺席 0 人（本次更改 1 人）" in page
    assert _status(meeting, world.people.member) == "present"
    assert _status(meeting, world.people.activist) == "present"


def test_no_shows_are_offered_as_absent_once_the_session_has_ended(client, world, login_as, now):
    meeting, _ = _meeting(now, world)
    now.set(START)
    attendance.check_in(world.people.member, meeting.id, meeting.checkin_code)
    db.session.commit()
    _as_secretary(now, client, login_as, world, START + timedelta(hours=3))
    sheet = Sheet(client, meeting)
    assert sheet.line(world.people.activist)["status"] == "absent"
    page = _text(sheet.send())
    assert "已保存 3 人的考勤：出席 1 人，请假 0 人，缺席 2 人（本次更改 2 人）" in page
    assert _status(meeting, world.people.activist) == "absent"


def test_the_service_checks_every_line_before_writing_any(world, now):
    meeting, _ = _meeting(now, world)
    now.set(START + timedelta(minutes=10))
    secretary, people = world.users.secretary, world.people
    good = attendance.Mark(people.member.id, "present", seen="expected")
    for bad, message in [
        (attendance.Mark(people.other.id, "present"), "提交的人员不在本次会议的名单中"),
        (attendance.Mark(None, "present"), "提交的人员不在本次会议的名单中"),
        (attendance.Mark(people.member.id, "absent"), "张三在表中出现了两次"),
        (attendance.Mark(people.activist.id, "leave"), "请填写李四的请假原因"),
        (attendance.Mark(people.activist.id, "absent", "长" * 201), "李四的备注不能超过 200 字"),
    ]:
        with pytest.raises(ValidationError, match=message):
            attendance.record(secretary, meeting.id, [good, bad])
        db.session.rollback()
        _nothing_written(meeting, world)
    saved = attendance.record(secretary, meeting.id, [good, attendance.Mark(people.activist.id, None)])
    assert saved.saved == 1 and saved.unmarked == 1 and saved.changed == ["张三"]
    assert saved.credits == {"+3 分": ["张三"]}


def test_a_cancelled_session_shows_the_list_without_a_form(client, world, login_as, now):
    meeting, _ = _meeting(now, world)
    meetings.cancel(world.users.secretary, meeting.id, "改期")
    db.session.commit()
    _as_secretary(now, client, login_as, world, START - timedelta(days=1))
    page = _text(client.get(f"/study/meetings/{meeting.id}/attendance"))
    assert "张三" in page and 'data-testid="attendance-form"' not in page
    refused = _text(client.post(f"/study/meetings/{meeting.id}/attendance", follow_redirects=True, data={
        "lines-0-person_id": str(world.people.member.id), "lines-0-seen": "expected",
        "lines-0-status": "leave", "lines-0-note": "有事"}))
    assert "会议已取消，不能登记考勤" in refused
    assert _status(meeting, world.people.member) == "expected"
