"""Check-in with a short code, leave requests, and the secretary's attendance sheet.

Rules:
- Check-in opens 30 minutes before the start and closes at the end of the session.
- Only people on the session's list of expected attendees can check in (the secretary adds
  anyone else to the list first); everyone else is told the session does not exist.
- Every try with the code counts, and a person has MAX_CHECKIN_TRIES per session: a six-digit
  code cannot be guessed that way. The count is raised by one conditional UPDATE, so parallel
  tries cannot slip past the cap either. Reaching the cap is audited.
- Presence is set by a conditional UPDATE on the person's one row (unique per session and
  person): two check-ins at once leave one presence, and the credit is awarded once.
"""

import hmac
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from portal.core import audit
from portal.core.clock import format_local, utcnow
from portal.core.exceptions import ValidationError
from portal.core.text import clean as clean_text
from portal.credits import services as credits
from portal.extensions import db
from portal.study.models.meetings import ATTENDANCE_LABELS, AttendanceStatus, MeetingAttendee, MeetingReflection
from portal.study.services import credit_rules, meetings

CHECKIN_OPENS_BEFORE = timedelta(minutes=30)
MAX_CHECKIN_TRIES = 5
ATTEND_RULE = credit_rules.SESSION_ATTEND


@dataclass(frozen=True)
class CheckinOutcome:
    """What a check-in try came to: accepted or not, and the message for the member."""

    ok: bool
    message: str


def checkin_window(meeting):
    """(opens, closes) of check-in, both UTC."""
    return meeting.starts_at - CHECKIN_OPENS_BEFORE, meeting.ends_at


def regenerate_code(actor, meeting_id):
    """Give a session a new check-in code (the old one stops working); audited."""
    meeting = meetings.get_managed(actor, meeting_id)
    if meeting.is_cancelled:
        raise ValidationError("会议已取消，不需要签到码")
    meeting.checkin_code = meetings.new_code()
    audit.record("meeting_code_regenerated", target=meeting, actor=actor, detail=meeting.topic)
    return meeting


def check_in(person, meeting_id, code):
    """A member checks in with the session's code; returns a CheckinOutcome.

    A wrong code is not an exception: the try it used must be committed with the answer.
    Refusals that write nothing (closed window, cancelled, locked) raise ValidationError.
    """
    meeting, row = meetings.get_attending(person, meeting_id)
    if meeting.is_cancelled:
        raise ValidationError("会议已取消，无需签到")
    if row.status == AttendanceStatus.PRESENT:
        return CheckinOutcome(True, "您已签到，无需重复签到")
    _check_window(meeting)
    with db.session.begin_nested():  # on SQLite: take the write lock before counting the try
        tries = db.session.scalar(
            update(MeetingAttendee)
            .where(MeetingAttendee.id == row.id, MeetingAttendee.checkin_tries < MAX_CHECKIN_TRIES)
            .values(checkin_tries=MeetingAttendee.checkin_tries + 1)
            .returning(MeetingAttendee.checkin_tries)
            .execution_options(synchronize_session=False))
    if tries is None:
        raise ValidationError("签到码错误次数过多，本次会议已不能自助签到；请联系支部书记在签到表中为您登记",
                              field="code")
    typed = "".join((code or "").split())  # the board shows the code as "123 456"
    if not hmac.compare_digest(typed.encode(), meeting.checkin_code.encode()):
        left = MAX_CHECKIN_TRIES - tries
        if left == 0:
            audit.record("meeting_checkin_locked", target=meeting,
                         detail=f"{person.name} 连续输错签到码 {MAX_CHECKIN_TRIES} 次")
            return CheckinOutcome(False, "签到码不正确，尝试次数已用完；请联系支部书记在签到表中为您登记")
        return CheckinOutcome(False, f"签到码不正确，请核对会场显示的 6 位数字（还可尝试 {left} 次）")
    now = utcnow()
    won = db.session.execute(
        update(MeetingAttendee)
        .where(MeetingAttendee.id == row.id, MeetingAttendee.status != AttendanceStatus.PRESENT)
        .values(status=AttendanceStatus.PRESENT, checked_in_at=now, marked_by_id=None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.expire(row)
    if not won:
        return CheckinOutcome(True, "您已签到，无需重复签到")
    credit = _award(person, meeting)
    return CheckinOutcome(True, f"签到成功（{format_local(now, '%H:%M')}）。积分：{credit.message}")


def _check_window(meeting):
    opens, closes = checkin_window(meeting)
    now = utcnow()
    if now < opens:
        raise ValidationError(f"签到尚未开始：会议开始前 30 分钟起（{format_local(opens, '%m月%d日 %H:%M')}）可以签到",
                              field="code")
    if now > closes:
        raise ValidationError("会议已结束，签到已关闭；如确已参会，请联系支部书记补登", field="code")


def _award(person, meeting):
    """The attendance credit: once per person and session (the ledger's unique key)."""
    return credits.award(person, ATTEND_RULE, credits.Source("meeting", meeting.id), when=meeting.starts_at)


def request_leave(person, meeting_id, reason):
    """Ask for leave (请假) with a reason before the session starts."""
    meeting, row = meetings.get_attending(person, meeting_id)
    reason = clean_text(reason or "")
    if meeting.is_cancelled:
        raise ValidationError("会议已取消，无需请假")
    if meeting.has_started():
        raise ValidationError("会议已经开始，不能在线请假；请直接联系支部书记")
    if row.status == AttendanceStatus.PRESENT:
        raise ValidationError("您已签到，不能再请假")
    if not reason:
        raise ValidationError("请填写请假原因", field="reason")
    if len(reason) > 200:
        raise ValidationError("请假原因不能超过 200 字", field="reason")
    row.status = AttendanceStatus.LEAVE
    row.leave_reason = reason
    row.leave_requested_at = utcnow()
    row.marked_by_id = None
    return row


def withdraw_leave(person, meeting_id):
    """Take a leave request back before the session starts: the person is expected again."""
    meeting, row = meetings.get_attending(person, meeting_id)
    if row.status != AttendanceStatus.LEAVE:
        raise ValidationError("您没有请假")
    if meeting.has_started():
        raise ValidationError("会议已经开始，请直接签到或联系支部书记")
    row.status = AttendanceStatus.EXPECTED
    row.leave_reason = ""
    row.leave_requested_at = None
    return row


def mark(actor, meeting_id, person_id, status, note=""):
    """The secretary records or corrects one person's attendance; audited.

    Marking someone present awards the attendance credit (once). Taking presence away does not
    take the credit back: the ledger is append-only and only the committee reverses entries, so
    the returned warning tells the secretary to ask them. Returns (row, warning or None).
    """
    meeting = meetings.get_managed(actor, meeting_id)
    row = meetings.attendee_row(meeting.id, person_id)
    if row is None:
        raise ValidationError("该人员不在本次会议的名单中")
    note = clean_text(note or "")
    if status not in set(AttendanceStatus) or status == AttendanceStatus.EXPECTED:
        raise ValidationError("请选择出席、缺席或请假", field="status")
    if meeting.is_cancelled:
        raise ValidationError("会议已取消，不能登记考勤")
    if status != AttendanceStatus.LEAVE and not meeting.has_started():
        raise ValidationError("会议开始后才能登记出席或缺席")
    if status == AttendanceStatus.LEAVE and not (note or row.leave_reason):
        raise ValidationError("登记请假请填写原因", field="note")
    if len(note) > 200:
        raise ValidationError("备注不能超过 200 字", field="note")
    before = row.status
    row.status, row.marked_by_id = status, actor.id
    row.note = note
    if status == AttendanceStatus.LEAVE and note:
        row.leave_reason = note
    db.session.flush()
    warning = None
    if status == AttendanceStatus.PRESENT:
        _award(row.person, meeting)
    elif before == AttendanceStatus.PRESENT and _attendance_credit(row):
        warning = f"{row.person.name}已获得的参会积分不会自动扣回；如需冲销，请联系党委在积分明细中办理"
    audit.record("meeting_attendance_corrected", target=meeting, actor=actor,
                 detail=f"{row.person.name}：{ATTENDANCE_LABELS[AttendanceStatus(before)]} → "
                        f"{ATTENDANCE_LABELS[AttendanceStatus(status)]}" + (f"（{note}）" if note else ""))
    return row, warning


def _attendance_credit(row):
    return credits.entry_for(ATTEND_RULE, credits.Source("meeting", row.meeting_id), row.person_id)


@dataclass
class SheetRow:
    """One line of the attendance sheet."""

    row: MeetingAttendee
    status: str
    label: str
    reflection: MeetingReflection | None


def sheet(actor, meeting_id):
    """(session, lines, totals by shown status) for the secretary; 未签到 reads 缺席 once it has ended."""
    meeting = meetings.get_managed(actor, meeting_id)
    rows = db.session.scalars(select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id)).all()
    reflections = {r.person_id: r for r in db.session.scalars(
        select(MeetingReflection).where(MeetingReflection.meeting_id == meeting.id))}
    ended = meeting.has_ended()
    lines = []
    for row in sorted(rows, key=lambda r: (r.person.name_sort, r.person_id)):
        status = row.status
        if status == AttendanceStatus.EXPECTED and ended:
            status = AttendanceStatus.ABSENT
        lines.append(SheetRow(row, status, ATTENDANCE_LABELS[AttendanceStatus(status)], reflections.get(row.person_id)))
    totals = {status: sum(1 for line in lines if line.status == status) for status in AttendanceStatus}
    return meeting, lines, totals
