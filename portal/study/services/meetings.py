"""Branch sessions: scheduling, editing, cancelling, materials, minutes, and who may see what.

A session belongs to one branch. Secretaries manage their own branches' sessions, the committee
any (both through "study.manage", scoped by the organisation tree). Members see a session when
they are on its list of expected attendees; everyone else gets "not found", never a hint.
"""

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from portal.accounts import services as accounts
from portal.core import audit, uploads
from portal.core.clock import LOCAL_TZ, format_span, utcnow
from portal.core.exceptions import NotFound, PermissionDenied, ValidationError
from portal.core.files import TYPES as FILE_TYPES
from portal.core.files import check as checked_file
from portal.core.permissions import Role
from portal.core.text import clean as clean_text
from portal.extensions import db
from portal.inbox.services import notify_many
from portal.roster import services as roster
from portal.roster.models import Organisation, OrgKind, Person, PersonStatus, PoliticalStatus
from portal.study.models.meetings import (
    AttendanceStatus,
    Meeting,
    MeetingAttachment,
    MeetingAttendee,
    MeetingKind,
    MeetingReflection,
    MeetingSpeaker,
    SpeakerRole,
)

UPLOAD_KIND = "meetings"
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS = 10
MAX_DURATION = timedelta(hours=12)
MAX_MATERIALS = 20000
MAX_SPEAKERS = 5
ATTACHMENT_TYPES = ("pdf", "docx", "xlsx", "pptx", "jpg", "png")
# Who is expected by default: the branch's Party members and activists on post (for a 党小组会,
# those of the chosen group; for a 支委会, the branch committee as the portal knows it).
DEFAULT_STATUSES = (PoliticalStatus.FULL_MEMBER, PoliticalStatus.PROBATIONARY, PoliticalStatus.ACTIVIST)

@dataclass
class Speaker:
    """One speaker row of the form: a roster person (person_id) or an outside name."""

    role: str
    person_id: int | None = None
    name: str = ""


@dataclass
class MeetingDraft:
    """What a secretary enters for a session; times are naive Asia/Shanghai wall-clock times."""

    kind: str
    topic: str
    starts_local: datetime | None
    ends_local: datetime | None
    place: str = ""
    online_url: str = ""
    materials: str = ""
    speakers: list = field(default_factory=list)
    attendee_ids: list | None = None  # None: the default list for the kind (and group)
    group_id: int | None = None  # the 党小组 of a 党小组会: whose members the default list holds
    uploads: list = field(default_factory=list)


def new_code():
    """A fresh six-digit check-in code (from the secrets module: not predictable)."""
    return f"{secrets.randbelow(10**6):06d}"


# --- scope --------------------------------------------------------------------------------

def manageable_branches(actor):
    """The branches whose sessions the actor may schedule."""
    return roster.branches_within(actor.scopes("study.manage"))


def _branch_for(actor, branch_id):
    branch = next((b for b in manageable_branches(actor) if b.id == branch_id), None)
    if branch is None:
        raise ValidationError("请选择您负责的党支部", field="branch_id")
    return branch


def get_managed(actor, meeting_id):
    """A session the actor manages; NotFound otherwise (no hint that it exists)."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not actor.has_permission("study.manage", meeting.branch):
        raise NotFound("会议不存在")
    return meeting


def attendee_row(meeting_id, person_id):
    """The person's row on the session's list, or None."""
    if person_id is None:
        return None
    return db.session.scalar(select(MeetingAttendee).where(
        MeetingAttendee.meeting_id == meeting_id, MeetingAttendee.person_id == person_id))


def get_visible(actor, meeting_id):
    """A session the actor manages or is expected at; NotFound otherwise."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is not None and (actor.has_permission("study.manage", meeting.branch)
                                or attendee_row(meeting_id, actor.person_id) is not None):
        return meeting
    raise NotFound("会议不存在")


def get_attending(person, meeting_id):
    """(session, the person's row) for a session the person is expected at; NotFound otherwise."""
    meeting = db.session.get(Meeting, meeting_id)
    row = attendee_row(meeting_id, getattr(person, "id", None)) if meeting is not None else None
    if row is None:
        raise NotFound("会议不存在")
    return meeting, row


def branch_people(branch_id):
    """People on post in a branch, by name: whom the attendee and speaker lists offer."""
    return db.session.scalars(select(Person).where(
        Person.branch_id == branch_id, Person.status == PersonStatus.ON_POST,
    ).order_by(Person.name_sort, Person.id)).all()


def selectable_people(branch_id, meeting_id=None):
    """Whom the scheduling form offers: the branch's people, plus anyone already on the session's list."""
    people = list(branch_people(branch_id))
    if meeting_id is not None:
        known = {p.id for p in people}
        people += [row.person for row in _attendee_rows(meeting_id) if row.person_id not in known]
    return people


def attendee_ids(meeting_id):
    """The ids of the people on a session's list."""
    return [row.person_id for row in _attendee_rows(meeting_id)]


def branch_groups(branch_id):
    """The branch's 党小组, in the tree's order: what the group picker offers."""
    return db.session.scalars(select(Organisation).where(
        Organisation.parent_id == branch_id, Organisation.kind == OrgKind.GROUP,
    ).order_by(Organisation.sort_order, Organisation.id)).all()


def committee_person_ids(branch_id):
    """The branch committee (支委) as the portal knows it: whoever holds the secretary role on the branch.

    That role is given to the 支部书记 and the 组织委员; other committee members (宣传委员, 纪检委员)
    hold no role of their own, so the secretary ticks them by hand.
    """
    return accounts.person_ids_holding(Role.SECRETARY, branch_id)


def default_attendee_ids(branch_id, kind=None, group_id=None):
    """The default list for a session kind: see `invitation_defaults`."""
    people = branch_people(branch_id)
    key = _default_key(kind, group_id)
    if key is None:
        return []
    committee = committee_person_ids(branch_id) if kind == MeetingKind.COMMITTEE else set()
    return [p.id for p in people if key in _default_keys(p, committee)]


def invitation_defaults(branch_id):
    """{person id: the default lists they are on}, keyed as `_default_key` names them (for the form's script).

    支委会: the branch committee (`committee_person_ids`); 党小组会: the chosen group's members and
    activists on post; every other kind: the branch's members, probationary members and activists on post.
    """
    committee = committee_person_ids(branch_id)
    return {p.id: sorted(_default_keys(p, committee)) for p in branch_people(branch_id)}


def _default_key(kind, group_id):
    """The name of a default list: the kind, or "group_meeting:<group id>"; None for a group meeting without a group."""
    if kind == MeetingKind.GROUP:
        return f"{MeetingKind.GROUP}:{group_id}" if group_id else None
    return str(kind or MeetingKind.SEMINAR)


def _default_keys(person, committee):
    """The default lists a person of the branch is on."""
    keys = set()
    if person.id in committee:
        keys.add(str(MeetingKind.COMMITTEE))
    if person.political_status in DEFAULT_STATUSES:
        keys.update(str(k) for k in MeetingKind if k not in (MeetingKind.COMMITTEE, MeetingKind.GROUP))
        if person.group_id:
            keys.add(f"{MeetingKind.GROUP}:{person.group_id}")
    return keys


# --- scheduling ---------------------------------------------------------------------------

def schedule(actor, branch_id, draft):
    """Create a session for a branch the actor manages, notify the expected attendees; audited."""
    branch = _branch_for(actor, branch_id)
    fields = _checked_fields(draft)
    people = _checked_attendees(branch.id, draft)
    speakers = _checked_speakers(branch.id, draft.speakers)
    files = _checked_uploads(draft.uploads, already=0)
    meeting = Meeting(branch_id=branch.id, created_by_id=actor.id, checkin_code=new_code(),
                      **fields)
    meeting.speakers = speakers
    db.session.add(meeting)
    db.session.flush()
    db.session.add_all(MeetingAttendee(meeting_id=meeting.id, person_id=pid) for pid in people)
    _store_uploads(actor, meeting, files)
    db.session.flush()
    _notify_scheduled(meeting, people)
    audit.record("meeting_scheduled", target=meeting, actor=actor,
                 detail=f"{branch.name} {meeting.kind_label}：{meeting.topic}")
    return meeting


def update(actor, meeting_id, draft):
    """Change a session; people added are notified, everyone is told when time or place moved."""
    meeting = get_managed(actor, meeting_id)
    if meeting.is_cancelled:
        raise ValidationError("会议已取消，不能修改")
    fields = _checked_fields(draft)
    wanted = set(_checked_attendees(meeting.branch_id, draft, meeting.id))
    speakers = _checked_speakers(meeting.branch_id, draft.speakers, meeting)
    files = _checked_uploads(draft.uploads, already=len(meeting.attachments))
    rows = {row.person_id: row for row in _attendee_rows(meeting.id)}
    _check_removable(meeting, [rows[pid] for pid in rows if pid not in wanted])
    moved = any(getattr(meeting, k) != fields[k] for k in ("starts_at", "ends_at", "place", "online_url"))
    for key, value in fields.items():
        setattr(meeting, key, value)
    meeting.revision += 1
    meeting.speakers = speakers
    for pid, row in rows.items():
        if pid not in wanted:
            db.session.delete(row)
    added = [pid for pid in wanted if pid not in rows]
    db.session.add_all(MeetingAttendee(meeting_id=meeting.id, person_id=pid) for pid in added)
    _store_uploads(actor, meeting, files)
    db.session.flush()
    _notify_scheduled(meeting, added)
    if moved:
        kept = [pid for pid in wanted if pid not in added]
        _notify(meeting, kept, f"meeting-changed:{meeting.id}:{meeting.revision}", "时间或地点有变更")
    audit.record("meeting_updated", target=meeting, actor=actor, detail=f"{meeting.kind_label}：{meeting.topic}")
    return meeting


def cancel(actor, meeting_id, reason):
    """Call a session off before it starts; the expected attendees are notified; audited."""
    meeting = get_managed(actor, meeting_id)
    reason = clean_text(reason or "")
    if meeting.is_cancelled:
        raise ValidationError("会议已经取消")
    if meeting.has_started():
        raise ValidationError("会议已经开始，不能取消")
    if len(reason) > 200:
        raise ValidationError("取消原因不能超过 200 字", field="reason")
    meeting.cancelled_at = utcnow()
    meeting.cancel_reason = reason
    meeting.revision += 1
    db.session.flush()
    people = [row.person_id for row in _attendee_rows(meeting.id)]
    _notify(meeting, people, f"meeting-cancelled:{meeting.id}", "已取消", reason)
    audit.record("meeting_cancelled", target=meeting, actor=actor, detail=f"{meeting.topic}：{reason or '未注明原因'}")
    return meeting


def save_minutes(actor, meeting_id, text):
    """Write the session's minutes (会议记录, Markdown) once it has started; audited."""
    meeting = get_managed(actor, meeting_id)
    text = (text or "").strip()
    if meeting.is_cancelled:
        raise ValidationError("会议已取消，无需填写会议记录")
    if not meeting.has_started():
        raise ValidationError("会议开始后才能填写会议记录", field="minutes")
    if not text:
        raise ValidationError("请填写会议记录", field="minutes")
    if len(text) > MAX_MATERIALS:
        raise ValidationError(f"会议记录不能超过 {MAX_MATERIALS} 字", field="minutes")
    meeting.minutes = text
    meeting.minutes_at = utcnow()
    audit.record("meeting_minutes_saved", target=meeting, actor=actor, detail=meeting.topic)
    return meeting


def _checked_fields(draft):
    """The session's own columns from a draft, or ValidationError naming the field."""
    if draft.kind not in set(MeetingKind):
        raise ValidationError("请选择会议类型", field="kind")
    topic = (draft.topic or "").strip()
    if not topic:
        raise ValidationError("请填写会议主题", field="topic")
    if len(topic) > 120:
        raise ValidationError("会议主题不能超过 120 字", field="topic")
    if draft.starts_local is None:
        raise ValidationError("请填写开始时间", field="starts_local")
    if draft.ends_local is None:
        raise ValidationError("请填写结束时间", field="ends_local")
    starts_at = draft.starts_local.replace(tzinfo=LOCAL_TZ)
    ends_at = draft.ends_local.replace(tzinfo=LOCAL_TZ)
    if ends_at <= starts_at:
        raise ValidationError("结束时间必须晚于开始时间", field="ends_local")
    if ends_at - starts_at > MAX_DURATION:
        raise ValidationError("一次会议不能超过 12 小时，请核对结束时间", field="ends_local")
    place = (draft.place or "").strip()
    online_url = (draft.online_url or "").strip()
    if not place and not online_url:
        raise ValidationError("请填写会议地点或线上会议室链接（至少一项）", field="place")
    if len(place) > 120:
        raise ValidationError("会议地点不能超过 120 字", field="place")
    if online_url and not re.fullmatch(r"https?://[^\s<>\"']{3,490}", online_url):
        raise ValidationError("线上会议室链接应以 http:// 或 https:// 开头，且不含空格", field="online_url")
    materials = (draft.materials or "").strip()
    if len(materials) > MAX_MATERIALS:
        raise ValidationError(f"学习材料不能超过 {MAX_MATERIALS} 字", field="materials")
    return dict(kind=draft.kind, topic=topic, starts_at=starts_at, ends_at=ends_at, place=place,
                online_url=online_url, materials=materials)


def _checked_attendees(branch_id, draft, meeting_id=None):
    """The person ids to expect: each on post in the branch (or already on this session's list).

    Without a list the draft takes the default for its kind (and, for a 党小组会, its group).
    """
    group_id = _checked_group(branch_id, draft)
    if draft.attendee_ids is None:
        ids = default_attendee_ids(branch_id, draft.kind, group_id)
        if not ids:
            raise ValidationError(_NO_DEFAULT.get(draft.kind, _NO_DEFAULT[None]), field="attendee_ids")
        return ids
    allowed = {p.id for p in branch_people(branch_id)}
    if meeting_id is not None:
        allowed |= {row.person_id for row in _attendee_rows(meeting_id)}
    ids = list(dict.fromkeys(draft.attendee_ids))
    if not ids:
        raise ValidationError("请至少选择一名应到人员", field="attendee_ids")
    if any(pid not in allowed for pid in ids):
        raise ValidationError("应到人员只能从本支部在岗人员中选择", field="attendee_ids")
    return ids


_NO_DEFAULT = {
    MeetingKind.COMMITTEE: "系统中没有本支部支委的记录，请勾选参加支委会的支委",
    MeetingKind.GROUP: "请选择党小组，或勾选参加党小组会的人员",
    None: "该支部没有在岗的党员或入党积极分子，请手动选择应到人员",
}


def _checked_group(branch_id, draft):
    """The draft's 党小组 (a group of this branch, for a 党小组会 only), or None."""
    if draft.group_id is None or draft.kind != MeetingKind.GROUP:
        return None
    if draft.group_id not in {g.id for g in branch_groups(branch_id)}:
        raise ValidationError("请选择本支部的党小组", field="group_id")
    return draft.group_id


def _check_removable(meeting, rows):
    """People who checked in, asked for leave, were marked or wrote a reflection stay on the list."""
    written = set(db.session.scalars(select(MeetingReflection.person_id).where(
        MeetingReflection.meeting_id == meeting.id)))
    kept = [row for row in rows if row.status != AttendanceStatus.EXPECTED or row.person_id in written]
    if kept:
        names = "、".join(row.person.name for row in kept)
        raise ValidationError(f"已签到、请假、登记过考勤或提交过心得体会的人员不能移出名单：{names}",
                              field="attendee_ids")


def _checked_speakers(branch_id, rows, meeting=None):
    """MeetingSpeaker objects from the form rows: a branch person, or an outside expert's name."""
    allowed = {p.id: p for p in branch_people(branch_id)}
    if meeting is not None:  # a speaker chosen earlier stays valid after a transfer
        allowed.update({s.person_id: s.person for s in meeting.speakers if s.person_id})
    speakers = []
    for row in rows:
        name = (row.name or "").strip()
        if row.person_id is None and not name:
            continue
        if row.role not in set(SpeakerRole):
            raise ValidationError("请选择主讲人的导师类型", field="speakers")
        if row.person_id is not None:
            person = allowed.get(row.person_id)
            if person is None:
                raise ValidationError("主讲人只能从本支部人员中选择，外部专家请填写姓名", field="speakers")
            name = person.name
        elif not 2 <= len(name) <= 40:
            raise ValidationError("外部专家姓名应为 2 到 40 字", field="speakers")
        speakers.append(MeetingSpeaker(position=len(speakers), role=row.role, person_id=row.person_id, name=name))
    if len(speakers) > MAX_SPEAKERS:
        raise ValidationError(f"主讲人最多 {MAX_SPEAKERS} 位", field="speakers")
    return speakers


# --- attachments --------------------------------------------------------------------------

def _checked_uploads(files, already):
    """(extension, name, bytes) of each upload after checking type, content and size (core.files)."""
    files = [f for f in files if f.filename]
    if already + len(files) > MAX_ATTACHMENTS:
        raise ValidationError(f"每次会议最多 {MAX_ATTACHMENTS} 个附件", field="attachments")
    checked = [checked_file(upload, allowed=ATTACHMENT_TYPES, max_bytes=MAX_ATTACHMENT_BYTES, field="attachments")
               for upload in files]
    return [(f.extension, f.name, f.data) for f in checked]


def _store_uploads(actor, meeting, checked):
    for extension, name, data in checked:
        stored = uploads.keep(UPLOAD_KIND, data, extension)
        db.session.add(MeetingAttachment(meeting_id=meeting.id, filename=name, stored_name=stored,
                                         extension=extension, size=len(data), uploaded_by_id=actor.id))


def attachment_file(actor, meeting_id, attachment_id):
    """(attachment, bytes, MIME type) of a material the actor may see; NotFound otherwise."""
    meeting = get_visible(actor, meeting_id)
    attachment = db.session.get(MeetingAttachment, attachment_id)
    if attachment is None or attachment.meeting_id != meeting.id:
        raise NotFound("附件不存在")
    try:
        data = uploads.load(UPLOAD_KIND, attachment.stored_name)
    except ValidationError:
        raise NotFound("附件文件已丢失，请联系支部书记重新上传") from None
    return attachment, data, FILE_TYPES[attachment.extension][0]


def remove_attachment(actor, meeting_id, attachment_id):
    """Delete one material file of a session the actor manages."""
    meeting = get_managed(actor, meeting_id)
    attachment = db.session.get(MeetingAttachment, attachment_id)
    if attachment is None or attachment.meeting_id != meeting.id:
        raise NotFound("附件不存在")
    meeting.attachments.remove(attachment)
    db.session.flush()
    uploads.discard(UPLOAD_KIND, attachment.stored_name)
    return attachment


# --- lists --------------------------------------------------------------------------------

def my_meetings(person, past=False, page=1, per_page=20):
    """The sessions a person is expected at: upcoming (soonest first) or past (latest first)."""
    now = utcnow()
    query = (select(Meeting, MeetingAttendee).join(MeetingAttendee, MeetingAttendee.meeting_id == Meeting.id)
             .where(MeetingAttendee.person_id == person.id))
    if past:
        query = query.where(Meeting.ends_at < now).order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    else:
        query = query.where(Meeting.ends_at >= now).order_by(Meeting.starts_at, Meeting.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total


def managed_meetings(actor, past=False, branch_id=None, page=1, per_page=20):
    """Sessions of the branches the actor manages (optionally one), paginated."""
    branches = manageable_branches(actor)
    ids = [b.id for b in branches if branch_id in (None, b.id)]
    now = utcnow()
    query = select(Meeting).where(Meeting.branch_id.in_(ids))
    if past:
        query = query.where(Meeting.ends_at < now).order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    else:
        query = query.where(Meeting.ends_at >= now).order_by(Meeting.starts_at, Meeting.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False), branches


def attendance_counts(meeting_ids):
    """{meeting id: {status: count}} for a page of sessions."""
    counts = {}
    if not meeting_ids:
        return counts
    rows = db.session.execute(select(MeetingAttendee.meeting_id, MeetingAttendee.status, func.count())
                              .where(MeetingAttendee.meeting_id.in_(meeting_ids))
                              .group_by(MeetingAttendee.meeting_id, MeetingAttendee.status))
    for meeting_id, status, count in rows:
        counts.setdefault(meeting_id, {})[status] = count
    return counts


def _attendee_rows(meeting_id):
    return db.session.scalars(select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting_id)).all()


def expected_people(meeting_id):
    """Ids of the people on the list who have not asked for leave."""
    return list(db.session.scalars(select(MeetingAttendee.person_id).where(
        MeetingAttendee.meeting_id == meeting_id, MeetingAttendee.status != AttendanceStatus.LEAVE)))


def require_manager(actor, meeting):
    """PermissionDenied unless the actor manages the session's branch (for services given an object)."""
    if not actor.has_permission("study.manage", meeting.branch):
        raise PermissionDenied("只有本支部书记或党委可以操作")


# --- notices ------------------------------------------------------------------------------

def meeting_path(meeting_id):
    """The session page's path, built without a request (jobs send notices too)."""
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT", "/"))
    return adapter.build("study.meeting_detail", {"meeting_id": meeting_id})


def describe(meeting):
    """When and where, in one line for notices: 2026年5月20日 14:30–16:00，三楼会议室."""
    return f"{format_span(meeting.starts_at, meeting.ends_at)}，{meeting.location}"


def _notify(meeting, person_ids, key, what, extra=""):
    if not person_ids:
        return 0
    title = f"{meeting.kind_label}{what}：{meeting.topic}"
    body = describe(meeting) + (f"\n原因：{extra}" if extra else "")
    return notify_many(person_ids, key, title, body, url=meeting_path(meeting.id))


def _notify_scheduled(meeting, person_ids):
    if not person_ids:
        return 0
    title = f"请参加{meeting.kind_label}：{meeting.topic}"
    return notify_many(person_ids, f"meeting-scheduled:{meeting.id}", title, describe(meeting),
                       url=meeting_path(meeting.id))
