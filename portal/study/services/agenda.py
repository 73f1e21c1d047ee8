"""A member's study tasks for the home page: today's articles, this week's tests, the next session.

Read only (the home page is a GET), and a fixed number of statements whatever the member has to
do: the home page is the portal's most visited page. What a task will earn comes from the credit
rules through credits.prospect(), never from a figure written here.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from portal.core.clock import LOCAL_TZ, localnow, utcnow
from portal.credits import services as credits
from portal.extensions import db
from portal.study.models.meetings import AttendanceStatus, Meeting, MeetingAttendee
from portal.study.models.quizzes import AttemptStatus, Quiz, QuizAssignment, QuizAttempt, QuizOverride, QuizStatus
from portal.study.services import attendance, quizzes, reading
from portal.study.services.attempts import COUNTED_NUMBER


def week_bounds(today=None):
    """Monday 00:00 of the week containing `today` and the Monday after, in Asia/Shanghai (aware datetimes)."""
    monday, _sunday = reading.week_of(today or localnow().date())
    start = datetime.combine(monday, time(0), tzinfo=LOCAL_TZ)
    return start, start + timedelta(days=7)


# --- 每日一学 ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReadingTasks:
    """Today's articles for the member, and what the next read earns (None when nothing is left to read)."""

    problem: str | None
    items: list = field(default_factory=list)  # reading.PlanItem of today
    credit: object = None  # credits.Prospect of the next read

    @property
    def unread(self):
        """Today's articles not read yet."""
        return [item for item in self.items if item.read is None]

    @property
    def credit_line(self):
        """What reading earns today, as the home page says it ("" when everything is read)."""
        if self.credit is None:
            return ""
        if self.credit.room == 0:
            return f"{self.credit.note}，今天再读不再计分"
        if self.credit.points <= 0:
            return self.credit.note
        line = f"每读完一篇 {self.credit.message}"
        if self.credit.room is not None and self.credit.room < self.credit.points * len(self.unread):
            line += f"，今日还可得 {self.credit.room} 分"
        return line


def reading_tasks(user, today=None):
    """Today's assigned articles, read or not, with the credit the next read gives or why none."""
    board = reading.today_board(user, today)
    if board.problem is not None:
        return ReadingTasks(board.problem)
    unread = any(item.read is None for item in board.todays)
    credit = credits.prospect(user.person, reading.CREDIT_RULE) if unread else None
    return ReadingTasks(None, board.todays, credit)


# --- 每周一测 ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuizTask:
    """One of this week's tests as the member stands with it.

    `state`: upcoming (not open yet), open (may start), started (an attempt is running), time_up
    (its time ran out, not yet closed), done (handed in) or missed (closed, never started).
    """

    quiz: Quiz
    window: quizzes.Window
    state: str
    attempt: QuizAttempt | None = None  # the running attempt, else the counted one
    seconds_left: int = 0  # until the window closes (open) or the attempt's deadline (started)

    @property
    def time_limit(self):
        """Minutes the member has once started (the test's limit plus any extra minutes)."""
        return self.quiz.time_limit_minutes + self.window.extra_minutes

    @property
    def time_left_label(self):
        """还剩 2 天 5 小时 / 还剩 3 小时 20 分钟 / 还剩 15 分钟."""
        minutes = max(self.seconds_left, 0) // 60
        days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
        if days:
            return f"还剩 {days} 天 {hours} 小时" if hours else f"还剩 {days} 天"
        if hours:
            return f"还剩 {hours} 小时 {minutes} 分钟" if minutes else f"还剩 {hours} 小时"
        return f"还剩 {max(minutes, 1)} 分钟"


_STATE_ORDER = {"started": 0, "time_up": 0, "open": 1, "upcoming": 2, "done": 3, "missed": 4}


def week_tests(person, now=None):
    """The tests whose window (the member's own, with an override) falls in this week, most urgent first.

    Three statements: the tests with the member's override, their assembly rules and picks
    (for the question count), and the member's attempts.
    """
    if person is None or person.branch_id is None or person.political_status not in quizzes.TAKER_STATUSES:
        return []
    now = now or utcnow()
    week_start, week_end = week_bounds(now.astimezone(LOCAL_TZ).date())
    opens = func.coalesce(QuizOverride.opens_at, Quiz.opens_at)
    closes = func.coalesce(QuizOverride.closes_at, Quiz.closes_at)
    rows = db.session.execute(
        select(Quiz, QuizOverride)
        .join(QuizAssignment, and_(QuizAssignment.quiz_id == Quiz.id,
                                   QuizAssignment.organisation_id == person.branch_id))
        .outerjoin(QuizOverride, and_(QuizOverride.quiz_id == Quiz.id, QuizOverride.person_id == person.id))
        .options(selectinload(Quiz.rules), selectinload(Quiz.picks))
        .where(Quiz.status == QuizStatus.PUBLISHED, opens < week_end, closes >= week_start)
        .order_by(Quiz.closes_at, Quiz.id)
    ).all()
    if not rows:
        return []
    mine = {}
    for attempt in db.session.scalars(select(QuizAttempt).where(
            QuizAttempt.person_id == person.id, QuizAttempt.quiz_id.in_([quiz.id for quiz, _ in rows]))
            .order_by(QuizAttempt.number)):
        mine.setdefault(attempt.quiz_id, []).append(attempt)
    tasks = [_test_task(quiz, _window(quiz, override), mine.get(quiz.id, []), now) for quiz, override in rows]
    return sorted(tasks, key=lambda task: (_STATE_ORDER[task.state], task.window.closes_at, task.quiz.id))


def _window(quiz, override):
    """quizzes.window_for() from an override already read."""
    if override is None:
        return quizzes.Window(quiz.opens_at, quiz.closes_at)
    return quizzes.Window(override.opens_at or quiz.opens_at, override.closes_at or quiz.closes_at,
                          override.extra_minutes, override.reason)


def _test_task(quiz, window, attempts, now):
    running = next((a for a in attempts if a.status == AttemptStatus.OPEN), None)
    if running is not None:
        if running.deadline_at <= now:
            return QuizTask(quiz, window, "time_up", running)
        return QuizTask(quiz, window, "started", running, int((running.deadline_at - now).total_seconds()))
    counted = next((a for a in attempts if a.number == COUNTED_NUMBER), None)
    if counted is not None:
        return QuizTask(quiz, window, "done", counted)
    if now < window.opens_at:
        return QuizTask(quiz, window, "upcoming")
    if now < window.closes_at:
        return QuizTask(quiz, window, "open", seconds_left=int((window.closes_at - now).total_seconds()))
    return QuizTask(quiz, window, "missed")


# --- 组织生活 ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NextSession:
    """The next session the member is on the list for, and whether check-in is open now."""

    meeting: Meeting
    row: MeetingAttendee
    checkin_open: bool

    @property
    def checked_in(self):
        """True once the member is marked present."""
        return self.row.status == AttendanceStatus.PRESENT

    @property
    def on_leave(self):
        """True when the member has asked for leave."""
        return self.row.status == AttendanceStatus.LEAVE


def next_session(person, now=None):
    """The member's next session that has not ended or been cancelled (one statement), or None."""
    if person is None:
        return None
    now = now or utcnow()
    found = db.session.execute(
        select(Meeting, MeetingAttendee).join(MeetingAttendee, MeetingAttendee.meeting_id == Meeting.id)
        .where(MeetingAttendee.person_id == person.id, Meeting.ends_at > now, Meeting.cancelled_at.is_(None))
        .order_by(Meeting.starts_at, Meeting.id).limit(1)
    ).first()
    if found is None:
        return None
    meeting, row = found
    opens, closes = attendance.checkin_window(meeting)
    return NextSession(meeting, row, opens <= now <= closes)
