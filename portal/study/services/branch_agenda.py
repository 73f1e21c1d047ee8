"""What is due in a secretary's branches this week, for the home page: read only, a fixed number of statements.

Per branch: the monthly sessions (每月一研讨, 主题党日) not yet scheduled this month, sessions that
ended without minutes, reflections waiting for a grade, readers who have not read today's
articles and takers who have not finished this week's tests. Each figure comes with the page
that lists the people or sessions behind it.
"""

from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy import func, select

from portal.core.clock import LOCAL_TZ, utcnow
from portal.core.periods import PeriodKind, period_containing
from portal.extensions import db
from portal.roster.models import Person, PersonStatus
from portal.study.models.meetings import KIND_LABELS, Meeting, MeetingKind, MeetingReflection
from portal.study.models.quizzes import AttemptStatus, Quiz, QuizAssignment, QuizAttempt, QuizStatus
from portal.study.services import participation, quizzes
from portal.study.services.agenda import week_bounds
from portal.study.services.attempts import COUNTED_NUMBER

# The sessions a branch holds every month (每月一研讨, 主题党日), in the order the page lists them.
MONTHLY_KINDS = (MeetingKind.SEMINAR, MeetingKind.THEME_DAY)
# How many of the sessions without minutes, or with reflections to grade, a branch lists by name.
LISTED = 3


@dataclass
class TestProgress:
    """One of this week's tests in a branch: who is expected and how many have not handed in."""

    quiz_id: int
    title: str
    closes_at: datetime
    expected: int
    unfinished: int


@dataclass
class BranchDue:
    """What is due in one branch."""

    branch: object
    unscheduled: list = field(default_factory=list)  # Chinese names of the monthly sessions not scheduled
    no_minutes: list = field(default_factory=list)  # (meeting id, kind label, topic, starts_at), latest first
    no_minutes_count: int = 0
    to_grade: list = field(default_factory=list)  # (meeting id, topic, ungraded count), latest first
    to_grade_count: int = 0
    reading: object = None  # participation.TodayReading
    tests: list = field(default_factory=list)  # TestProgress

    @property
    def nothing_due(self):
        """True when the branch has nothing to do this week."""
        return not (self.unscheduled or self.no_minutes_count or self.to_grade_count
                    or (self.reading and self.reading.not_done) or any(t.unfinished for t in self.tests))


def branch_due(branches, now=None):
    """A BranchDue per branch, in the order given."""
    now = now or utcnow()
    today = now.astimezone(LOCAL_TZ).date()
    due = {b.id: BranchDue(b) for b in branches}
    if not due:
        return []
    ids = sorted(due)
    _unscheduled(due, ids, today)
    _without_minutes(due, ids, now)
    _to_grade(due, ids)
    for figures in participation.today_reading(branches, today):
        due[figures.branch.id].reading = figures
    _tests(due, ids, now)
    return [due[b.id] for b in branches]


def _local_midnight(day):
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)


def _unscheduled(due, ids, today):
    month = period_containing(PeriodKind.MONTH, today)
    held = set(db.session.execute(
        select(Meeting.branch_id, Meeting.kind).distinct()
        .where(Meeting.branch_id.in_(ids), Meeting.kind.in_([str(k) for k in MONTHLY_KINDS]),
               Meeting.cancelled_at.is_(None), Meeting.starts_at >= _local_midnight(month.start),
               Meeting.starts_at < _local_midnight(month.next().start))).all())
    for branch_id, item in due.items():
        item.unscheduled = [KIND_LABELS[k] for k in MONTHLY_KINDS if (branch_id, str(k)) not in held]


def _without_minutes(due, ids, now):
    missing = (Meeting.branch_id.in_(ids), Meeting.cancelled_at.is_(None), Meeting.ends_at <= now,
               Meeting.minutes == "")
    for branch_id, count in db.session.execute(
            select(Meeting.branch_id, func.count()).where(*missing).group_by(Meeting.branch_id)):
        due[branch_id].no_minutes_count = count
    for meeting_id, branch_id, kind, topic, starts_at in db.session.execute(
            select(Meeting.id, Meeting.branch_id, Meeting.kind, Meeting.topic, Meeting.starts_at).where(*missing)
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(LISTED * len(ids))):
        listed = due[branch_id].no_minutes
        if len(listed) < LISTED:
            listed.append((meeting_id, KIND_LABELS[MeetingKind(kind)], topic, starts_at))


def _to_grade(due, ids):
    for meeting_id, branch_id, topic, count in db.session.execute(
            select(Meeting.id, Meeting.branch_id, Meeting.topic, func.count(MeetingReflection.id))
            .join(MeetingReflection, MeetingReflection.meeting_id == Meeting.id)
            .where(Meeting.branch_id.in_(ids), MeetingReflection.grade.is_(None))
            .group_by(Meeting.id, Meeting.branch_id, Meeting.topic, Meeting.starts_at)
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc())):
        item = due[branch_id]
        item.to_grade_count += count
        if len(item.to_grade) < LISTED:
            item.to_grade.append((meeting_id, topic, count))


def _tests(due, ids, now):
    """Per branch, the tests of this week that have opened: takers expected and those not handed in."""
    week_start, week_end = week_bounds(now.astimezone(LOCAL_TZ).date())
    tests = db.session.execute(
        select(Quiz.id, Quiz.title, Quiz.closes_at, QuizAssignment.organisation_id)
        .join(QuizAssignment, QuizAssignment.quiz_id == Quiz.id)
        .where(QuizAssignment.organisation_id.in_(ids), Quiz.status == QuizStatus.PUBLISHED,
               Quiz.opens_at <= now, Quiz.opens_at < week_end, Quiz.closes_at >= week_start)
        .order_by(Quiz.closes_at, Quiz.id)).all()
    if not tests:
        return
    takers = (Person.status == PersonStatus.ON_POST, Person.political_status.in_(quizzes.TAKER_STATUSES))
    expected = dict(db.session.execute(
        select(Person.branch_id, func.count(Person.id)).where(Person.branch_id.in_(ids), *takers)
        .group_by(Person.branch_id)).all())
    finished = {(quiz_id, branch_id): count for quiz_id, branch_id, count in db.session.execute(
        select(QuizAttempt.quiz_id, Person.branch_id, func.count(QuizAttempt.id))
        .join(Person, Person.id == QuizAttempt.person_id)
        .where(QuizAttempt.quiz_id.in_(sorted({t.id for t in tests})), QuizAttempt.number == COUNTED_NUMBER,
               QuizAttempt.status != AttemptStatus.OPEN, Person.branch_id.in_(ids), *takers)
        .group_by(QuizAttempt.quiz_id, Person.branch_id))}
    for quiz_id, title, closes_at, branch_id in tests:
        count = expected.get(branch_id, 0)
        due[branch_id].tests.append(
            TestProgress(quiz_id, title, closes_at, count, count - finished.get((quiz_id, branch_id), 0)))
