"""Builders for weekly-test tests: bank questions, tests and attempts (saved through the services)."""

import itertools
from datetime import timedelta
from types import SimpleNamespace

from portal.core.clock import utcnow
from portal.extensions import db
from portal.study.models.quizzes import QuizStatus
from portal.study.services import attempts, bank, quizzes
from portal.study.services.quizzes import RuleSpec

_seq = itertools.count(1)


def make_question(org, kind="single", tags=(), difficulty=3, answer=None, options=None, stem=None,
                  explanation="解析：依据《安全生产法》"):
    """A bank question owned by `org` (checked by the bank's own rules)."""
    n = next(_seq)
    if kind in ("single", "multiple"):
        options = options or [f"选项甲{n}", f"选项乙{n}", f"选项丙{n}", f"选项丁{n}"]
        answer = answer or (["B"] if kind == "single" else ["A", "C"])
    elif kind == "true_false":
        options, answer = [], answer or ["T"]
    else:
        options, answer = [], answer or [["安全第一"]]
    fields = bank.clean_question(kind, stem or f"第 {n} 题：煤矿安全生产方针是什么？", options, answer,
                                 explanation=explanation, difficulty=difficulty, tags=tags)
    question = bank.build_question(org, fields)
    db.session.flush()
    return question


def make_bank(org, singles=12, multiples=6, true_falses=6, tag="安全生产"):
    """A small bank: single choice tagged `tag`, multiple choice and true/false questions."""
    return {
        "single": [make_question(org, "single", tags=[tag]) for _ in range(singles)],
        "multiple": [make_question(org, "multiple") for _ in range(multiples)],
        "true_false": [make_question(org, "true_false") for _ in range(true_falses)],
    }


def actor_of(person):
    """What the attempt services need of the logged-in user: their person."""
    return SimpleNamespace(person=person, person_id=person.id)


def window_now(hours_before=1, hours_after=24):
    """An open window around now."""
    now = utcnow()
    return now - timedelta(hours=hours_before), now + timedelta(hours=hours_after)


def make_quiz(actor, org, branches, rules=None, picks=(), publish=True, opens_at=None, closes_at=None, **settings):
    """A test saved (and by default published) through the services."""
    if opens_at is None or closes_at is None:
        opens_at, closes_at = window_now()
    if rules is None:
        rules = [RuleSpec("single", 3, tag="安全生产"), RuleSpec("multiple", 1), RuleSpec("true_false", 1)]
    quiz = quizzes.save_quiz(
        actor, organisation=org, title=settings.pop("title", "第 47 周安全生产测试"), opens_at=opens_at,
        closes_at=closes_at, branch_ids=[b.id for b in branches], rules=rules, pick_ids=list(picks), **settings)
    if publish:
        quizzes.publish(actor, quiz)
    db.session.commit()
    return quiz


def sample_values(world):
    """For the access matrix: a published, open test assigned to branch A and the member's open attempt."""
    make_bank(world.committee)
    # Published without quizzes.publish(): its audit row would count as a write in the CSRF test.
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a], title="矩阵测试", publish=False)
    quiz.status, quiz.published_at = QuizStatus.PUBLISHED, utcnow()
    attempt = attempts.start(actor_of(world.people.member), quiz)
    db.session.commit()
    return {"quiz_id": quiz.id, "attempt_id": attempt.id}
