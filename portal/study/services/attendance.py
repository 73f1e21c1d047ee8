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
- The secretary saves the whole sheet at once (`record`): every line is checked first, and one
  fault refuses the whole sheet. Each changed line is one conditional UPDATE guarded by the status
  it was read with, so a check-in landing at the same moment is reported, not overwritten.
"""

import hmac
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update

from portal.core import audit
from portal.core.clock import format_date, format_datetime, format_span, format_time, to_local, utcnow
from portal.core.exceptions import ValidationError
from portal.core.text import clean as clean_text
from portal.core.xlsx import write_workbook
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
    return CheckinOutcome(True, f"签到成功（{format_time(now)}）。积分：{credit.message}")


def _check_window(meeting):
    opens, closes = checkin_window(meeting)
    now = utcnow()
    if now < opens:
        raise ValidationError(f"签到尚未开始：会议开始前 30 分钟起（{format_datetime(opens, short=True)}）可以签到",
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


MARK_STATUSES = (AttendanceStatus.PRESENT, AttendanceStatus.LEAVE, AttendanceStatus.ABSENT)
MAX_NOTE = 200
NOT_SAVED = "考勤未保存，请刷新考勤表后重新登记"


@dataclass(frozen=True)
class Mark:
    """One line of the attendance form.

    `status` None leaves the line as it is (nothing chosen); `seen` is the status the form was
    opened with, so a line that changed since (a check-in by code) is not overwritten unknowingly.
    """

    person_id: int | None
    status: str | None
    note: str = ""
    seen: str | None = None


@dataclass
class SavedSheet:
    """What record() did: the lines saved by status, the changes, the credits booked, what was left alone."""

    counts: dict = field(default_factory=lambda: {status: 0 for status in MARK_STATUSES})
    unmarked: int = 0  # lines left without a status (未签到 during the session)
    changed: list = field(default_factory=list)  # names
    stale: list = field(default_factory=list)  # "张三（现为出席）": changed by someone else meanwhile
    credits: dict = field(default_factory=dict)  # award message -> names
    credit_kept: list = field(default_factory=list)  # names: presence taken away, credit stays

    @property
    def saved(self):
        """How many lines now hold the status the form gave them."""
        return sum(self.counts.values())

    def messages(self):
        """(text, flash category) pairs telling the secretary exactly what was saved and booked."""
        totals = "，".join(f"{ATTENDANCE_LABELS[s]} {self.counts[s]} 人" for s in MARK_STATUSES)
        if self.changed:
            text = f"已保存 {self.saved} 人的考勤：{totals}（本次更改 {len(self.changed)} 人）"
        elif self.saved:
            text = f"考勤没有变化，未作更改（{self.saved} 人：{totals}）"
        else:
            text = "没有登记任何人的考勤"
        if self.unmarked:
            text += f"；另有 {self.unmarked} 人未登记"
        out = [(text, "success" if self.changed else "info")]
        if self.credits:
            out.append(("参会积分：" + "；".join(f"{_names(names)} {message}"
                                               for message, names in self.credits.items()), "success"))
        if self.credit_kept:
            out.append((f"{_names(self.credit_kept)}已获得的参会积分不会自动扣回；如需冲销，请联系党委在积分明细中办理",
                        "warning"))
        if self.stale:
            out.append(("以下人员的考勤在您打开考勤表后已有变化，本次未改动，请核对：" + "、".join(self.stale),
                        "warning"))
        return out


def _names(names):
    return "、".join(names) if len(names) <= 5 else f"{'、'.join(names[:5])}等 {len(names)} 人"


def note_of(row):
    """The note the form shows for a line: the secretary's note, else the member's own leave reason."""
    return row.note or (row.leave_reason if row.status == AttendanceStatus.LEAVE else "")


def record(actor, meeting_id, marks):
    """Save the whole attendance sheet in one pass; returns a SavedSheet. Audited line by line.

    Every line is checked before anything is written: a person not on the list, a status other
    than 出席/请假/缺席, or a rule broken on any line refuses the whole sheet. Lines whose status and
    note are unchanged are not touched (a check-in by code stays unless the secretary changes
    it); a line that changed since the form was opened is left alone and reported. Marking
    someone present awards the attendance credit once (credits.award); taking presence away does
    not take the credit back: the ledger is append-only and only the committee reverses entries.
    """
    meeting = meetings.get_managed(actor, meeting_id)
    if meeting.is_cancelled:
        raise ValidationError("会议已取消，不能登记考勤")
    rows = {row.person_id: row for row in db.session.scalars(
        select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id))}
    result = SavedSheet(unmarked=sum(1 for mark in marks if mark.status is None))
    for row, mark in _checked_changes(meeting, rows, marks):
        if mark is None:  # as it was
            result.counts[AttendanceStatus(row.status)] += 1
            continue
        before = row.status
        if (mark.seen is not None and mark.seen != before) or not _write(actor, row, mark):
            db.session.refresh(row)
            result.stale.append(f"{row.person.name}（现为{row.status_label}）")
            continue
        result.counts[AttendanceStatus(mark.status)] += 1
        result.changed.append(row.person.name)
        _after_change(actor, meeting, row, AttendanceStatus(before), mark, result)
    return result


def _checked_changes(meeting, rows, marks):
    """[(row, mark or None when unchanged)] for every line given a status; refuses the whole sheet on any fault."""
    seen_ids, lines = set(), []
    for mark in marks:
        row = rows.get(mark.person_id)
        if row is None:
            raise ValidationError(f"提交的人员不在本次会议的名单中。{NOT_SAVED}")
        if mark.person_id in seen_ids:
            raise ValidationError(f"{row.person.name}在表中出现了两次。{NOT_SAVED}")
        seen_ids.add(mark.person_id)
        if mark.status is None:
            continue
        if mark.status not in MARK_STATUSES:
            raise ValidationError(f"{row.person.name}的考勤只能登记为出席、请假或缺席。{NOT_SAVED}")
        note = clean_text(mark.note or "")
        if len(note) > MAX_NOTE:
            raise ValidationError(f"{row.person.name}的备注不能超过 {MAX_NOTE} 字。考勤未保存")
        mark = Mark(mark.person_id, mark.status, note, mark.seen)
        if mark.status == row.status and note == note_of(row):
            lines.append((row, None))
            continue
        if mark.status != row.status and mark.status != AttendanceStatus.LEAVE and not meeting.has_started():
            raise ValidationError(f"会议开始后才能登记出席或缺席（{row.person.name}）。考勤未保存")
        if mark.status == AttendanceStatus.LEAVE and not (note or row.leave_reason):
            raise ValidationError(f"请填写{row.person.name}的请假原因。考勤未保存")
        lines.append((row, mark))
    return lines


def _write(actor, row, mark):
    """Set one line, only if nobody changed it since it was read (a check-in at the same moment); True if set."""
    values = dict(status=mark.status, marked_by_id=actor.id, note=mark.note)
    if mark.status == AttendanceStatus.LEAVE and mark.note:
        values["leave_reason"] = mark.note
    done = db.session.execute(
        update(MeetingAttendee).where(MeetingAttendee.id == row.id, MeetingAttendee.status == row.status)
        .values(**values).execution_options(synchronize_session=False)).rowcount
    db.session.expire(row)
    return bool(done)


def _after_change(actor, meeting, row, before, mark, result):
    """The credit (or the warning that it stays) and the audit line for one changed line."""
    if mark.status == AttendanceStatus.PRESENT:
        message = _award(row.person, meeting).message
        result.credits.setdefault(message, []).append(row.person.name)
    elif before == AttendanceStatus.PRESENT and _attendance_credit(row):
        result.credit_kept.append(row.person.name)
    change = f"{ATTENDANCE_LABELS[before]} → {ATTENDANCE_LABELS[AttendanceStatus(mark.status)]}"
    audit.record("meeting_attendance_corrected", target=meeting, actor=actor,
                 detail=f"{row.person.name}：{change}" + (f"（{mark.note}）" if mark.note else ""))


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


# --- the sheet on paper ----------------------------------------------------------------------------

SHEET_HEADERS = ["序号", "姓名", "政治面貌", "考勤", "签到时间", "登记人", "请假原因 / 备注"]


def sheet_workbook(meeting, lines, totals):
    """The attendance sheet as .xlsx, with the session's facts on a second sheet: (stream, file name)."""
    data = [[index, line.row.person.name, line.row.person.political_status, line.label,
             to_local(line.row.checked_in_at).replace(tzinfo=None) if line.row.checked_in_at else None,
             line.row.marked_by.display_name if line.row.marked_by else "", note_of(line.row)]
            for index, line in enumerate(lines, start=1)]
    facts = [f"党组织：{meeting.branch.name}", f"会议类型：{meeting.kind_label}", f"会议主题：{meeting.topic}",
             f"时间：{format_span(meeting.starts_at, meeting.ends_at)}", f"地点：{meeting.place or '未填写'}",
             totals_text(lines, totals)]
    stream = write_workbook(SHEET_HEADERS, data, title="考勤", widths=[6, 12, 12, 8, 18, 12, 30],
                            extra_sheets=[("会议信息", facts)])
    return stream, f"考勤表_{format_date(meeting.starts_at)}_{meeting.topic}.xlsx"


def totals_text(lines, totals):
    """应到 16 人：出席 12，请假 2，缺席 1，未签到 1 (the last only while some are unmarked)."""
    text = (f"应到 {len(lines)} 人：出席 {totals[AttendanceStatus.PRESENT]}，请假 {totals[AttendanceStatus.LEAVE]}，"
            f"缺席 {totals[AttendanceStatus.ABSENT]}")
    return text + (f"，未签到 {totals[AttendanceStatus.EXPECTED]}" if totals[AttendanceStatus.EXPECTED] else "")
