"""A weekly test's paper: question points that add up to the 满分 it states, and a score that is their sum."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.clock import utcnow
from portal.extensions import db
from portal.study.models.quizzes import AttemptItem, QuizAttempt
from portal.study.services import marking
from portal.study.services.quizzes import RuleSpec
from tests.study.quiz_factories import make_bank, make_quiz

# 35 points in the rules: 100 / 35 shares out with remainders.
RULES = [RuleSpec("single", 3, tag="安全生产"), RuleSpec("multiple", 2), RuleSpec("true_false", 1, points=10)]


def _numbers(pattern, page):
    return [float(value) for value in re.findall(pattern, page)]


def _start(client, quiz):
    response = client.post(f"/study/quizzes/{quiz.id}/start")
    assert response.status_code == 302
    return db.session.get(QuizAttempt, int(response.location.rstrip("/").split("/")[-1]))


@pytest.mark.parametrize("weights", [[5, 5, 5], [5] * 10 + [10], [5, 5, 5, 5, 5, 10], [1, 100, 7, 3], [5] * 12, [4]])
def test_paper_points_add_up_to_the_full_marks(weights):
    points = marking.paper_points(weights)
    assert round(sum(points) * 10) == marking.FULL_MARKS * 10
    assert all(round(p * 10) == p * 10 for p in points)  # one decimal
    exact = [marking.FULL_MARKS * w / sum(weights) for w in weights]
    assert all(abs(p - e) < 0.1 for p, e in zip(points, exact, strict=True))


def test_equal_questions_differ_by_a_tenth_at_most_and_the_earlier_gets_it():
    assert marking.paper_points([5, 5, 5]) == [33.4, 33.3, 33.3]
    # The demo's test: ten questions of 5 points and a fill-in of 10, 60 in all.
    assert marking.paper_points([5] * 10 + [10]) == [8.4] * 3 + [8.3] * 7 + [16.7]
    assert marking.paper_points([5, 5, 5, 5, 5, 10]) == [14.3] * 5 + [28.5]


def test_earned_points_round_half_to_even_in_tenths():
    assert marking.earned_points(33.3, 0.5) == 16.6
    assert marking.earned_points(33.5, 0.5) == 16.8
    assert marking.earned_points(100.0, 2 / 3) == 66.7
    assert marking.earned_points(8.3, None) == 0.0


def test_the_points_on_the_paper_add_up_to_the_full_marks_it_shows(world, login_as):
    make_bank(world.committee)
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a], rules=RULES)
    client = login_as(world.users.member)
    intro = client.get(f"/study/quizzes/{quiz.id}").get_data(as_text=True)
    attempt = _start(client, quiz)
    page = client.get(f"/study/attempts/{attempt.id}").get_data(as_text=True)
    shown = _numbers(r'data-testid="question-points">([\d.]+)<', page)
    full = _numbers(r'data-testid="full-marks">(\d+)<', page)
    assert len(shown) == 6 and full == [100.0]
    assert round(sum(shown), 1) == full[0]
    assert sorted(shown) == [14.3] * 5 + [28.5]
    assert f"满分 {full[0]:g} 分" in intro  # the intro states the same full marks


def test_the_score_stored_is_the_sum_of_the_points_the_result_shows(world, login_as, now):
    make_bank(world.committee)
    opens = utcnow() - timedelta(hours=1)
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a], rules=RULES, partial_policy="half",
                     opens_at=opens, closes_at=opens + timedelta(hours=2))
    client = login_as(world.users.member)
    attempt = _start(client, quiz)
    items = db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)).all()
    data = {"shown": [i.position for i in items]}
    for item in items:  # singles right, one multiple half right, the other and true/false wrong
        if item.kind == "single":
            data[f"q{item.position}"] = item.answer
        elif item.kind == "multiple" and item.position == min(i.position for i in items if i.kind == "multiple"):
            data[f"q{item.position}"] = item.answer[:1]
        elif item.kind == "multiple":
            data[f"q{item.position}"] = [next(x for x in "ABCD" if x not in item.answer)]
        else:
            data[f"q{item.position}"] = "F" if item.answer == ["T"] else "T"
    client.post(f"/study/attempts/{attempt.id}/submit", data=data)
    db.session.expire_all()
    score = db.session.get(QuizAttempt, attempt.id).score
    assert score == round(3 * 14.3 + 7.2, 1) == 50.1  # half of 14.3 is 7.15: 7.2, half to even
    now.set(opens + timedelta(hours=3))  # the review opens once the test has closed
    page = client.get(f"/study/attempts/{attempt.id}").get_data(as_text=True)
    earned = re.findall(r'data-testid="review-points">得 ([\d.]+) / ([\d.]+) 分<', page)
    assert len(earned) == 6
    assert round(sum(float(e) for e, _ in earned), 1) == score
    assert round(sum(float(p) for _, p in earned), 1) == 100.0
    assert f"{score:g} <span" in page and "/ 100 分" in page
