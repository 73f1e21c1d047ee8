"""每周一测 jobs: close attempts at their deadline, and remind people of a test closing tomorrow.

Both are safe to run twice or from two scheduler processes at once: an attempt is closed by a
guarded UPDATE only one process can win (so it is marked and credited once), and the inbox
keeps one message per (person, key).
"""

import logging
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import select

from portal.core.clock import format_datetime, localnow, to_local, utcnow
from portal.core.text import quoted
from portal.extensions import db
from portal.inbox.services import notify_many
from portal.roster.models import Person
from portal.study.models.quizzes import AttemptStatus, Quiz, QuizAttempt, QuizOverride, QuizStatus
from portal.study.services import attempts, quizzes

log = logging.getLogger(__name__)
CHUNK = 500  # people per INSERT, well under SQLite's bound-parameter limit


def close_expired_attempts(now=None):
    """Close and mark every open attempt past its deadline, one commit each; returns how many this run closed.

    A failure on one attempt is logged and rolled back; the others are still closed.
    """
    now = now or utcnow()
    closed = 0
    for attempt_id in attempts.expired_attempt_ids(now):
        try:
            if attempts.close_expired(attempt_id, now):
                closed += 1
            db.session.commit()
        except Exception:  # noqa: BLE001 - log, and go on closing the others
            db.session.rollback()
            log.exception("closing quiz attempt %s failed", attempt_id)
    if closed:
        log.info("closed %d expired quiz attempts", closed)
    return closed


def reminder_key(quiz):
    """The inbox key of a test's closing reminder: one message per person and test."""
    return f"quiz-closing:{quiz.id}"


def _finished_person_ids(quiz):
    return set(db.session.scalars(select(QuizAttempt.person_id).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.status != AttemptStatus.OPEN)))


def remind_closing_tomorrow(now=None):
    """Inbox message to each person whose window of a test closes tomorrow and who has not finished it.

    Returns how many people were due; the inbox keeps one message per person and test however
    often this runs.
    """
    now = now or localnow()
    tomorrow = now.date() + timedelta(days=1)
    horizon = now + timedelta(days=3)
    overridden = select(QuizOverride.quiz_id).where(QuizOverride.closes_at.between(now, horizon))
    tests = db.session.scalars(select(Quiz).where(
        Quiz.status == QuizStatus.PUBLISHED, Quiz.opens_at <= horizon,
        (Quiz.closes_at.between(now, horizon)) | Quiz.id.in_(overridden))).all()
    due_count = 0
    for quiz in tests:
        done = _finished_person_ids(quiz)
        closes = {o.person_id: o.closes_at for o in db.session.scalars(
            select(QuizOverride).where(QuizOverride.quiz_id == quiz.id, QuizOverride.closes_at.is_not(None)))}
        due = [pid for pid in db.session.scalars(select(Person.id).where(quizzes.takers_condition(quiz)))
               if pid not in done and to_local(closes.get(pid, quiz.closes_at)).date() == tomorrow]
        if due:
            with current_app.test_request_context():
                url = url_for("study.quiz_intro", quiz_id=quiz.id)
            for start in range(0, len(due), CHUNK):
                notify_many(due[start:start + CHUNK], reminder_key(quiz), f"每周一测{quoted(quiz.title)}明天截止",
                            f"请在 {format_datetime(quiz.closes_at)} 前完成（单独安排的以您的开放时间为准）。", url)
            due_count += len(due)
            db.session.commit()  # one test's reminders at a time
    return due_count


# (job id, function, cron fields in Asia/Shanghai)
SCHEDULE = [
    ("study.quizzes.close_expired_attempts", close_expired_attempts, {"minute": "*"}),
    ("study.quizzes.remind_closing_tomorrow", remind_closing_tomorrow, {"hour": "8-20", "minute": 10}),
]
