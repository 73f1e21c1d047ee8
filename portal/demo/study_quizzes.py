"""每周一测 in the demo mine: last week's test, finished by most members, and this week's, open.

Both tests are the committee's, drawn from its bank (load portal/demo/study_bank.py first) and
assigned to every branch. Last week most members took theirs after a shift; this week about a
third have already, a night-shift group got extra time, and the demo accounts find the test
waiting. Papers are drawn and marked by the real services (so this week's papers prefer the
questions each member did not see last week); credits go through credits.award() only when the
ledger has no weekly_test entries yet (`--activity-days` already stands for them).

Nothing is committed here: the command commits once.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from portal.accounts.models import RoleGrant, User
from portal.core import clock
from portal.core.permissions import Role
from portal.credits.models import LedgerEntry
from portal.extensions import db
from portal.roster.models import Person
from portal.study.models.quizzes import AttemptStatus, QuizAttempt, QuizStatus
from portal.study.services import attempts, quizzes
from portal.study.services.quizzes import RuleSpec

RULES = [RuleSpec("single", 5), RuleSpec("multiple", 2), RuleSpec("true_false", 3, points=5),
         RuleSpec("fill", 1, points=10)]
TIME_LIMIT = 20
LAST_WEEK_SHARE = 0.85
THIS_WEEK_SHARE = 0.35


@dataclass
class QuizDemo:
    """What the loader wrote, for the summary the command prints."""

    tests: int
    attempts: int
    credited: int


def _committee_user(committee):
    return db.session.scalar(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.COMMITTEE, RoleGrant.organisation_id == committee.id).order_by(User.id))


def _test(user, committee, branches, title, opens, closes):
    quiz = quizzes.save_quiz(
        user, organisation=committee, title=title, description="本周学习内容测试，请在升井后抽空完成。",
        partial_policy="half", time_limit=TIME_LIMIT, attempts_allowed=1, pass_mark=60, opens_at=opens,
        closes_at=closes, branch_ids=[b.id for b in branches], rules=RULES)
    # Set directly: publish() refuses a window that has already closed (last week's).
    quiz.status, quiz.published_at = QuizStatus.PUBLISHED, opens - timedelta(days=1)
    db.session.flush()
    return quiz


def load(committee, branches, people=None, rng=None, today=None):
    """Last week's and this week's tests with realistic attempts; `people` keeps the shared shape."""
    import random

    rng = rng or random.Random(2026)  # noqa: S311 - reproducible demo data, not a secret
    today = today or clock.localnow().date()
    user = _committee_user(committee)
    if user is None or not branches:
        return QuizDemo(0, 0, 0)
    opens, closes = quizzes.default_window(today)
    last = _test(user, committee, branches, f"第 {(today - timedelta(days=7)).isocalendar().week} 周学习测试",
                 opens - timedelta(days=7), closes - timedelta(days=7))
    this = _test(user, committee, branches, f"第 {today.isocalendar().week} 周学习测试", opens, closes)
    if quizzes.bank_shortages(last):
        return QuizDemo(0, 0, 0)  # no demo bank: the tests are there, nobody has taken them
    credit = db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.rule_code == "weekly_test").limit(1)) is None
    with_account = set(db.session.scalars(select(User.person_id).where(User.person_id.is_not(None))))
    takers = db.session.scalars(select(Person).where(quizzes.takers_condition(last)).order_by(Person.id)).all()
    skill = {p.id: min(0.95, max(0.3, rng.gauss(0.72, 0.15))) for p in takers}
    count = _sit_all(last, takers, skill, rng, LAST_WEEK_SHARE, clock.utcnow(), credit, skip=set())
    count += _sit_all(this, takers, skill, rng, THIS_WEEK_SHARE, clock.utcnow() - timedelta(minutes=30), credit,
                      skip=with_account)
    _night_shift(user, this, takers)
    credited = db.session.scalar(select(func.count()).select_from(LedgerEntry)
                                 .where(LedgerEntry.source_type == "quiz_attempt")) or 0
    return QuizDemo(2, count, credited)


def _sit_all(quiz, takers, skill, rng, share, latest, credit, skip):
    """Papers drawn by the service, answered after a shift within the window, marked and credited."""
    pools = quizzes.rule_pools(quiz)
    span = (min(latest, quiz.closes_at) - quiz.opens_at).total_seconds()
    count = 0
    for person in takers:
        if person.id in skip or rng.random() > share or span < 3600:
            continue
        started = quiz.opens_at + timedelta(seconds=rng.uniform(0, span - 3600))
        items = quizzes.build_paper(quiz, person, pools=pools, rng=rng)
        for item in items:
            item.given = _answer(rng, item, skill[person.id])
        finished = started + timedelta(minutes=rng.uniform(5, TIME_LIMIT - 1))
        attempt = QuizAttempt(quiz_id=quiz.id, person_id=person.id, number=1, status=AttemptStatus.SUBMITTED,
                              started_at=started, deadline_at=started + timedelta(minutes=TIME_LIMIT),
                              last_saved_at=finished, finished_at=finished, items=items,
                              total_points=sum(i.points for i in items))
        db.session.add(attempt)
        db.session.flush()
        attempts.mark_and_credit(attempt, credit=credit)
        count += 1
    return count


def _answer(rng, item, skill):
    if rng.random() < skill - 0.05 * (item.points > 5):
        return [alternatives[0] for alternatives in item.answer] if item.kind == "fill" else list(item.answer)
    if item.kind == "true_false":
        return ["F"] if item.answer == ["T"] else ["T"]
    if item.kind == "fill":
        return ["不清楚"] * len(item.answer)
    letters = [chr(ord("A") + i) for i in range(len(item.options))]
    if item.kind == "multiple" and len(item.answer) > 2 and rng.random() < 0.5:
        return sorted(item.answer[:-1])  # missed one: half credit under the test's policy
    return [rng.choice([letter for letter in letters if letter not in item.answer] or letters)]


def _night_shift(user, quiz, takers):
    """A few people of the first branch on night shift get 30 more minutes (audited, as a secretary would)."""
    night = [p.id for p in takers if p.branch_id == takers[0].branch_id][:3] if takers else []
    finished = set(db.session.scalars(select(QuizAttempt.person_id).where(QuizAttempt.quiz_id == quiz.id)))
    night = [pid for pid in night if pid not in finished]
    if night:
        quizzes.grant_override(user, quiz, person_ids=night, extra_minutes=30, reason="夜班（零点班）升井较晚")

