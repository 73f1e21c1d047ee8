"""Forms of branch sessions: scheduling, cancelling, check-in, leave, attendance, minutes, reflections."""

from wtforms import (
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms import ValidationError as WTFormsValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.core.clock import to_local
from portal.core.files import Upload
from portal.core.forms import CheckboxListField, CodeField, CreatingForm, PortalForm, TextRuleMeta
from portal.study.models.meetings import ATTENDANCE_LABELS, KIND_LABELS, SPEAKER_ROLE_LABELS, MeetingKind, SpeakerRole
from portal.study.services.attendance import MARK_STATUSES, Mark, note_of
from portal.study.services.meetings import MAX_SPEAKERS, MeetingDraft, Speaker

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
OUTSIDE = ""


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class SpeakerForm(Form):
    """One speaker: a person of the branch, or an outside expert by name."""

    Meta = TextRuleMeta

    role = SelectField("导师类型", choices=[SelectChoice(r.value, SPEAKER_ROLE_LABELS[r]) for r in SpeakerRole])
    person_id = SelectField("本支部人员", coerce=_int_or_none, choices=[], validate_choice=False)
    name = StringField("或外部专家姓名", validators=[Optional(), Length(max=40, message="姓名不能超过 40 字")])


class MeetingForm(CreatingForm):
    """Schedule or edit a session; times are entered in Beijing time."""

    branch_id = HiddenField()
    kind = SelectField("会议类型", choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()])
    topic = StringField("会议主题", validators=[DataRequired("请填写会议主题"),
                                            Length(max=120, message="会议主题不能超过 120 字")])
    starts_local = DateTimeLocalField("开始时间（北京时间）", format=LOCAL_FORMAT,
                                      validators=[InputRequired("请填写开始时间")])
    ends_local = DateTimeLocalField("结束时间（北京时间）", format=LOCAL_FORMAT,
                                    validators=[InputRequired("请填写结束时间")])
    place = StringField("会议地点", validators=[Optional(), Length(max=120, message="会议地点不能超过 120 字")])
    online_url = StringField("线上会议室链接", validators=[Optional(), Length(max=500, message="链接过长")])
    speakers = FieldList(FormField(SpeakerForm), min_entries=2, max_entries=MAX_SPEAKERS)
    materials = TextAreaField("学习材料（Markdown）", validators=[Optional(), Length(max=20000)])
    attachments = MultipleFileField("附件（PDF、docx、xlsx、pptx、JPG、PNG，每个不超过 5 MB）")
    # Only for a 党小组会: picking a group ticks its members (meeting-form.js; the service, when no list is given).
    group_id = SelectField("党小组", coerce=_int_or_none, choices=[], validate_choice=False)
    attendee_ids = CheckboxListField("应到人员", coerce=int)

    def offer_people(self, people, groups=()):
        """Fill the attendee, speaker and group choices with the branch's people and 党小组."""
        self.attendee_ids.choices = [SelectChoice(p.id, f"{p.name}（{p.political_status}）") for p in people]
        self.group_id.choices = [SelectChoice(OUTSIDE, "— 选择党小组 —")] + [SelectChoice(g.id, g.name) for g in groups]
        for entry in self.speakers:
            entry.form.person_id.choices = [SelectChoice(OUTSIDE, "— 不选（外部专家请填写姓名）—")] + [
                SelectChoice(p.id, p.name) for p in people]

    def preset(self, kind, group_id):
        """A new session's kind and 党小组 as the address asked for them (an unknown kind: 每月一研讨)."""
        self.kind.data = kind if kind in set(MeetingKind) else MeetingKind.SEMINAR
        self.group_id.data = group_id

    def load(self, meeting, attendee_ids):
        """Show a session's values (or, for a new one, the default attendees) in the form."""
        self.attendee_ids.data = list(attendee_ids)
        if meeting is None:
            return
        for name in ("kind", "topic", "place", "online_url", "materials"):
            getattr(self, name).data = getattr(meeting, name)
        self.starts_local.data = to_local(meeting.starts_at).replace(tzinfo=None)
        self.ends_local.data = to_local(meeting.ends_at).replace(tzinfo=None)
        while len(self.speakers) < min(len(meeting.speakers) + 1, MAX_SPEAKERS):
            self.speakers.append_entry()
        for entry, speaker in zip(self.speakers, meeting.speakers, strict=False):
            entry.form.role.data = speaker.role
            entry.form.person_id.data = speaker.person_id
            entry.form.name.data = "" if speaker.person_id else speaker.name

    def draft(self, files):
        """The entered values as the service's MeetingDraft (`files`: request.files' uploads)."""
        return MeetingDraft(
            kind=self.kind.data, topic=self.topic.data, starts_local=self.starts_local.data,
            ends_local=self.ends_local.data, place=self.place.data, online_url=self.online_url.data,
            materials=self.materials.data,
            speakers=[Speaker(e.form.role.data, e.form.person_id.data, e.form.name.data or "")
                      for e in self.speakers],
            attendee_ids=list(self.attendee_ids.data or []), group_id=self.group_id.data,
            uploads=[Upload(f.filename, f.read()) for f in files if f and f.filename],
        )


class CancelForm(PortalForm):
    """Call a session off."""

    reason = StringField("取消原因", validators=[Optional(), Length(max=200, message="取消原因不能超过 200 字")])


class CheckinForm(PortalForm):
    """A member's check-in with the code shown in the room."""

    # The phone's number pad (full-width digits typed anyway are folded by CodeField).
    code = CodeField("签到码", validators=[DataRequired("请输入 6 位签到码"),
                                          Length(max=12, message="签到码为 6 位数字")],
                     render_kw={"inputmode": "numeric", "pattern": "[0-9 ]*", "autocomplete": "off",
                                "enterkeyhint": "done"})


class LeaveForm(PortalForm):
    """Ask for leave before a session (or take the request back)."""

    reason = StringField("请假原因", validators=[Optional(), Length(max=200, message="请假原因不能超过 200 字")])
    withdraw = HiddenField()


MARK_LABELS = {s: ATTENDANCE_LABELS[s] for s in MARK_STATUSES}
MAX_LINES = 3000  # far above any branch session; a longer post is refused, not cut short


class AttendanceLineForm(Form):
    """One person's line of the attendance sheet: the status chosen (or none), a note, what was shown."""

    Meta = TextRuleMeta

    person_id = HiddenField()
    seen = HiddenField()  # the status the line had when the sheet was opened
    # The service refuses anything but 出席/请假/缺席, in Chinese, and writes nothing.
    status = RadioField("考勤", choices=[SelectChoice(s.value, label) for s, label in MARK_LABELS.items()],
                        validate_choice=False)
    # Its length is checked by the service, which names the person in its message.
    note = StringField("备注 / 请假原因")


class AttendanceForm(PortalForm):
    """The whole attendance sheet, saved with one submit."""

    lines = FieldList(FormField(AttendanceLineForm), max_entries=MAX_LINES + 1)

    def load(self, lines):
        """One line per person on the sheet: their current status and note, or what was just sent for them."""
        sent = {e.form.person_id.data: e.form for e in self.lines} if self.is_submitted() else {}
        while self.lines.entries:
            self.lines.pop_entry()
        for line in lines:
            data = {"person_id": line.row.person_id, "seen": line.row.status,
                    "status": line.status if line.status in MARK_STATUSES else None, "note": note_of(line.row)}
            mine = sent.get(str(line.row.person_id))
            if mine is not None:
                data.update(status=mine.status.data or None, note=mine.note.data or "", seen=mine.seen.data)
            self.lines.append_entry(data)

    def validate_lines(self, field):
        """A sheet longer than any session's list is refused, not cut short."""
        if len(field.entries) > MAX_LINES:
            raise WTFormsValidationError(f"一次最多登记 {MAX_LINES} 人")

    def marks(self):
        """The lines as the service's Marks (a person id that is not a number names nobody)."""
        return [Mark(_number_or_none(e.form.person_id.data), e.form.status.data or None, e.form.note.data or "",
                     e.form.seen.data or None) for e in self.lines]


def _number_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class MinutesForm(PortalForm):
    """The session's minutes."""

    minutes = TextAreaField("会议记录（Markdown）", validators=[DataRequired("请填写会议记录"),
                                                         Length(max=20000, message="会议记录不能超过 20000 字")])


class ReflectionForm(PortalForm):
    """A member's reflection on a session."""

    body = TextAreaField("心得体会（Markdown）", validators=[DataRequired("请填写心得体会"),
                                                       Length(max=5000, message="心得体会不能超过 5000 字")])


class GradeForm(PortalForm):
    """The secretary's grade for one reflection."""

    grade = IntegerField("成绩（0-100）", validators=[InputRequired("请填写成绩"),
                                                  NumberRange(0, 100, "成绩应为 0 到 100 之间的整数")])
    comment = StringField("评语", validators=[Optional(), Length(max=500, message="评语不能超过 500 字")])
