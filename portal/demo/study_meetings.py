"""组织生活 in the demo mine: past sessions with attendance, minutes and reflections; upcoming ones.

For every branch: past sessions with attendance, minutes and graded reflections, upcoming sessions
later this month, and in the first branch one session running now (so the check-in board is live).

Upcoming sessions are scheduled through the service (their attendees get the "请参加" notice); past
ones are written as they would have ended up, without notices. Their credits go through
credits.award() only when the ledger has no session_attend entries yet: `flask demo load
--activity-days N` fills the ledger in bulk first, and its session entries already stand for the
demo's sessions.

Nothing is committed here: the command commits once.
"""

import calendar as _stdlib_calendar
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from portal.accounts.models import RoleGrant, User
from portal.core import clock
from portal.core.clock import LOCAL_TZ
from portal.core.permissions import Role
from portal.credits import services as credits
from portal.credits.models import LedgerEntry
from portal.extensions import db
from portal.study.models.meetings import AttendanceStatus, Meeting, MeetingAttendee, MeetingReflection, MeetingSpeaker
from portal.study.services import meetings, reflections

PAST = (
    ("seminar", "学习《煤矿安全规程》新修订内容", 35, (14, 30)),
    ("theme_day", "重温入党誓词，开展井下安全隐患“随手拍”", 12, (9, 0)),
)
UPCOMING = (
    ("seminar", "深入学习贯彻党的二十届三中全会精神", (14, 30)),
    ("party_lecture", "发扬斗争精神，守牢安全生产底线", (9, 0)),
)
NOW_TOPIC = "讨论本季度“六大员”推荐人选"
MATERIALS = """## 学习内容

1. 传达上级党委关于安全生产的部署要求；
2. 结合本队组实际，查找作业中的薄弱环节；
3. 每位党员谈一条“我为安全做什么”。

> 会后一周内提交心得体会，不少于 50 字。
"""
MINUTES = """**主持人**：支部书记

**会议议程**
1. 集中学习（45 分钟）
2. 分组讨论：结合班组实际谈体会
3. 支部书记总结，布置下一步工作

**形成意见**：每个班组确定一名安全监督党员，本月内完成隐患自查。
"""
REFLECTIONS = (
    "这次学习让我认识到，规程里的每一条都是用教训换来的。作为一名党员，我要带头执行敲帮问顶，"
    "在班前会上把风险讲清楚，把隐患消灭在萌芽状态。",
    "通过重温入党誓词，我更加明白了身上的责任。井下工作环境复杂，党员就要冲在前面，"
    "发现隐患及时上报，做到不安全不生产，用实际行动践行初心。",
    "讨论中师傅们讲的事例很有启发。今后我要把学习成果用到检修作业里，严格执行停电、验电、挂牌制度，"
    "同时主动帮助新工人熟悉岗位风险，做好传帮带。",
)
SPEAKERS = (("expert", "矿党校王老师"), ("backbone", None))


@dataclass
class MeetingDemo:
    """What load() wrote, for the command's summary."""

    meetings: int
    attendances: int
    reflections: int


def load(committee, branches, people=None, rng=None, today=None):
    """Write each branch's past and upcoming sessions; `people` keeps the shape the other loaders share."""
    import random

    rng = rng or random.Random(2026)  # noqa: S311 - reproducible demo data, not a secret
    today = today or clock.localnow().date()
    user = _committee_user(committee)
    if user is None or not branches:
        return MeetingDemo(0, 0, 0)
    award = db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.rule_code == "session_attend")) is None
    result = MeetingDemo(0, 0, 0)
    for index, branch in enumerate(branches):
        expected = meetings.default_attendee_ids(branch.id)
        if not expected:
            continue
        for kind, topic, days_ago, (hour, minute) in PAST:
            starts = _at(today - timedelta(days=days_ago + index % 3), hour, minute)
            _past_session(user, branch, kind, topic, starts, expected, rng, award, result)
        for offset, (kind, topic, (hour, minute)) in zip(_upcoming_days(today, rng), UPCOMING, strict=False):
            _schedule(user, branch, kind, topic, _at(today + timedelta(days=offset), hour, minute))
            result.meetings += 1
        if index == 0:  # running now: the demo secretary can show the check-in board at once
            now = clock.localnow().replace(second=0, microsecond=0, tzinfo=None)
            _schedule(user, branch, "general_meeting", NOW_TOPIC, now - timedelta(minutes=10))
            result.meetings += 1
    db.session.flush()
    return result


def _committee_user(committee):
    return db.session.scalar(select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(
        RoleGrant.role == Role.COMMITTEE, RoleGrant.organisation_id == committee.id).order_by(User.id))


def _at(day, hour, minute):
    return datetime.combine(day, time(hour, minute))


def _upcoming_days(today, rng):
    """Offsets (days from today) of the upcoming sessions: later this month where it has room."""
    left = _stdlib_calendar.monthrange(today.year, today.month)[1] - today.day
    if left >= 2:
        return sorted(rng.sample(range(1, left + 1), 2))
    return [1, 3]


def _schedule(user, branch, kind, topic, starts):
    draft = meetings.MeetingDraft(
        kind=kind, topic=topic, starts_local=starts, ends_local=starts + timedelta(minutes=90),
        place=f"{branch.name.removesuffix('党支部')}会议室", materials=MATERIALS,
        speakers=[meetings.Speaker("expert", None, "矿党校王老师")], attendee_ids=None,
    )
    return meetings.schedule(user, branch.id, draft)


def _past_session(user, branch, kind, topic, starts_local, expected, rng, award, result):
    """A session that has ended: check-ins, a few leaves, minutes, reflections (most graded)."""
    starts = starts_local.replace(tzinfo=LOCAL_TZ)
    meeting = Meeting(branch_id=branch.id, kind=kind, topic=topic, starts_at=starts,
                      ends_at=starts + timedelta(minutes=90), place=f"{branch.name.removesuffix('党支部')}会议室",
                      materials=MATERIALS, minutes=MINUTES, minutes_at=starts + timedelta(hours=3),
                      checkin_code=meetings.new_code(), created_by_id=user.id)
    meeting.speakers = [MeetingSpeaker(position=0, role=SPEAKERS[0][0], name=SPEAKERS[0][1])]
    db.session.add(meeting)
    db.session.flush()
    present = []
    for person_id in expected:
        roll = rng.random()
        row = MeetingAttendee(meeting_id=meeting.id, person_id=person_id)
        if roll < 0.82:
            row.status = AttendanceStatus.PRESENT
            row.checked_in_at = starts + timedelta(minutes=rng.randint(-25, 10))
            present.append(row)
        elif roll < 0.93:
            row.status, row.leave_reason = AttendanceStatus.LEAVE, rng.choice(("夜班下井", "外出培训", "家中有事"))
            row.leave_requested_at = starts - timedelta(days=1)
        else:
            row.status = AttendanceStatus.ABSENT
        db.session.add(row)
    db.session.flush()
    result.meetings += 1
    result.attendances += len(present)
    for row in present:
        if award:
            credits.award(row.person, "session_attend", credits.Source("meeting", meeting.id), when=starts)
        if rng.random() < 0.6:
            reflection = MeetingReflection(meeting_id=meeting.id, person_id=row.person_id,
                                           body=rng.choice(REFLECTIONS))
            db.session.add(reflection)
            db.session.flush()
            result.reflections += 1
            if rng.random() < 0.8:
                score, comment = rng.choice((70, 80, 85, 90, 95)), rng.choice(("联系实际，较好", "认识深刻", ""))
                if award:
                    reflections.grade(user, reflection.id, score, comment)
                else:  # the bulk activity's reflection entries already stand for these points
                    reflection.grade, reflection.grade_comment = score, comment
                    reflection.graded_at, reflection.graded_by_id = starts + timedelta(days=2), user.id
