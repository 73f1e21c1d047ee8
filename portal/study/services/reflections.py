"""Reflections (心得体会) on a session: written by the people on its list, graded once by the secretary.

A grade is final. Grading books the "reflection" credit (scored by the grade) in the same
transaction; the ledger is append-only, so a second grade would either be ignored by the
ledger's unique key (and leave the points out of step with the grade) or need a reversal.
A wrong grade is therefore corrected by the committee through the credits module (reverse the
entry, adjust by hand), never by grading again.
"""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.clock import utcnow
from portal.core.exceptions import ConflictError, NotFound, ValidationError
from portal.credits import services as credits
from portal.extensions import db
from portal.study.models.meetings import MeetingReflection
from portal.study.services import credit_rules, meetings

MIN_CHARS = 50
MAX_CHARS = 5000
RULE = credit_rules.REFLECTION


def own_reflection(person_id, meeting_id):
    """The person's reflection on a session, or None."""
    if person_id is None:
        return None
    return db.session.scalar(select(MeetingReflection).where(
        MeetingReflection.meeting_id == meeting_id, MeetingReflection.person_id == person_id))


def submit(person, meeting_id, body):
    """Write or rewrite one's reflection once the session has started; refused once graded."""
    meeting, _row = meetings.get_attending(person, meeting_id)
    body = (body or "").strip()
    if meeting.is_cancelled:
        raise ValidationError("会议已取消，无需提交心得体会")
    if not meeting.has_started():
        raise ValidationError("会议开始后才能提交心得体会")
    counted = len("".join(body.split()))
    if counted < MIN_CHARS:
        raise ValidationError(f"心得体会至少 {MIN_CHARS} 字（不计空格），目前 {counted} 字", field="body")
    if len(body) > MAX_CHARS:
        raise ValidationError(f"心得体会不能超过 {MAX_CHARS} 字", field="body")
    reflection = own_reflection(person.id, meeting.id)
    if reflection is not None:
        if reflection.is_graded:
            raise ConflictError("心得体会已评分，不能再修改")
        # Conditional: a grade given meanwhile wins, and the text it graded stays as it was.
        changed = db.session.execute(
            update(MeetingReflection)
            .where(MeetingReflection.id == reflection.id, MeetingReflection.grade.is_(None))
            .values(body=body, updated_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount
        db.session.expire(reflection)
        if not changed:
            raise ConflictError("心得体会已评分，不能再修改")
        return reflection
    reflection = MeetingReflection(meeting_id=meeting.id, person_id=person.id, body=body)
    try:
        with db.session.begin_nested():
            db.session.add(reflection)
    except IntegrityError:
        raise ConflictError("您已提交过心得体会，请刷新页面后修改") from None
    return reflection


def for_meeting(actor, meeting_id):
    """(session, its reflections by name) for the secretary."""
    meeting = meetings.get_managed(actor, meeting_id)
    rows = db.session.scalars(select(MeetingReflection).where(MeetingReflection.meeting_id == meeting.id)).all()
    return meeting, sorted(rows, key=lambda r: (r.is_graded, r.person.name_sort, r.id))


def get_managed(actor, reflection_id):
    """A reflection on a session the actor manages; NotFound otherwise."""
    reflection = db.session.get(MeetingReflection, reflection_id)
    if reflection is None:
        raise NotFound("心得体会不存在")
    meetings.get_managed(actor, reflection.meeting_id)
    return reflection


def grade(actor, reflection_id, score, comment=""):
    """Grade a reflection 0-100 once, with a comment; books the scored credit; audited."""
    reflection = get_managed(actor, reflection_id)
    comment = (comment or "").strip()
    if reflection.is_graded:
        raise ConflictError("该心得体会已评分，成绩确定后不能修改；如需更正积分，请联系党委冲销")
    if score is None or not 0 <= score <= 100:
        raise ValidationError("成绩应为 0 到 100 之间的整数", field="grade")
    if len(comment) > 500:
        raise ValidationError("评语不能超过 500 字", field="comment")
    with db.session.begin_nested():  # on SQLite: the write lock first, so the check below is current
        won = db.session.execute(
            update(MeetingReflection)
            .where(MeetingReflection.id == reflection.id, MeetingReflection.grade.is_(None))
            .values(grade=score, grade_comment=comment, graded_at=utcnow(), graded_by_id=actor.id)
            .execution_options(synchronize_session=False)).rowcount
    db.session.expire(reflection)
    if not won:
        raise ConflictError("该心得体会已评分，成绩确定后不能修改；如需更正积分，请联系党委冲销")
    credits.award(reflection.person, RULE, credits.Source("reflection", reflection.id), score=score)
    audit.record("reflection_graded", target=reflection, actor=actor,
                 detail=f"{reflection.person.name}：{score} 分")
    return reflection
