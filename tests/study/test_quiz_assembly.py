"""Assembling weekly tests from the bank: rules, shortages, unseen questions, per-attempt shuffling."""

import random
from datetime import date, datetime

import pytest

from portal.core.clock import LOCAL_TZ
from portal.core.exceptions import ValidationError
from portal.extensions import db
from portal.study.models.questions import QuestionKind
from portal.study.models.quizzes import AttemptItem, Quiz, QuizStatus
from portal.study.services import attempts, quizzes
from portal.study.services.quizzes import RuleSpec
from tests.study.quiz_factories import make_bank, make_question, make_quiz, window_now


def test_default_window_is_monday_to_sunday_in_shanghai():
    opens, closes = quizzes.default_window(date(2026, 11, 19))  # a Thursday
    assert opens == datetime(2026, 11, 16, 0, 0, tzinfo=LOCAL_TZ)
    assert closes == datetime(2026, 11, 22, 23, 59, tzinfo=LOCAL_TZ)


def test_paper_follows_the_rules(world):
    bank = make_bank(world.committee)
    make_question(world.committee, "single", tags=["党章党规"])  # wrong tag: never drawn by the tagged rule
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a, world.branch_b])
    items = quizzes.build_paper(quiz, world.people.member, rng=random.Random(1))
    kinds = [item.kind for item in items]
    assert kinds == ["single"] * 3 + ["multiple"] + ["true_false"]  # sections in the usual order
    tagged = {q.id for q in bank["single"]}
    assert {item.question_id for item in items if item.kind == "single"} <= tagged
    assert len({item.question_id for item in items}) == 5
    assert [item.position for item in items] == [1, 2, 3, 4, 5]


def test_not_enough_questions_is_refused_before_publishing(world):
    make_bank(world.committee, singles=2)
    opens, closes = window_now()
    quiz = quizzes.save_quiz(
        world.users.committee, organisation=world.committee, title="题量不足", opens_at=opens, closes_at=closes,
        branch_ids=[world.branch_a.id], rules=[RuleSpec("single", 3, tag="安全生产")])
    db.session.commit()
    assert quizzes.bank_shortages(quiz) == ["规则“单选题 3 道（安全生产，每题 5 分）”需要 3 道题，题库中只有 2 道可用"]
    with pytest.raises(ValidationError, match="题库题目不足，不能发布"):
        quizzes.publish(world.users.committee, quiz)
    db.session.rollback()
    assert db.session.get(Quiz, quiz.id).status == QuizStatus.DRAFT


def test_overlapping_rules_do_not_share_questions(world):
    # 3 tagged singles; a tagged rule of 3 plus a broad rule of 1 needs 4 distinct singles.
    make_bank(world.committee, singles=3)
    opens, closes = window_now()
    quiz = quizzes.save_quiz(
        world.users.committee, organisation=world.committee, title="重叠规则", opens_at=opens, closes_at=closes,
        branch_ids=[world.branch_a.id], rules=[RuleSpec("single", 1), RuleSpec("single", 3, tag="安全生产")])
    message = quizzes.bank_shortages(quiz)[0]
    assert "单选题 1 道" in message and "只有 0 道可用" in message


def test_secretary_assigns_only_their_own_branch(world):
    make_bank(world.branch_a)
    opens, closes = window_now()
    with pytest.raises(ValidationError, match="只能把测试布置给") as caught:
        quizzes.save_quiz(world.users.secretary, organisation=world.branch_a, title="越权", opens_at=opens,
                          closes_at=closes, branch_ids=[world.branch_b.id],
                          rules=[RuleSpec("single", 1)])
    assert caught.value.field == "branch_ids"


def test_branch_test_uses_the_committee_bank_but_not_another_branch(world):
    committee_q = make_question(world.committee, "single")
    other_branch_q = make_question(world.branch_b, "single")
    opens, closes = window_now()
    quiz = quizzes.save_quiz(world.users.secretary, organisation=world.branch_a, title="支部测试", opens_at=opens,
                             closes_at=closes, branch_ids=[world.branch_a.id], rules=[RuleSpec("single", 1)])
    pool = quizzes.rule_pools(quiz)[quiz.rules[0].id]
    assert committee_q.id in pool and other_branch_q.id not in pool
    with pytest.raises(ValidationError, match=f"题目 {other_branch_q.id} 不存在"):
        quizzes.save_quiz(world.users.secretary, organisation=world.branch_a, title="手选", opens_at=opens,
                          closes_at=closes, branch_ids=[world.branch_a.id], pick_ids=[other_branch_q.id])


def test_unseen_questions_are_preferred(world):
    singles = [make_question(world.committee, "single", tags=["安全生产"]) for _ in range(6)]
    rules = [RuleSpec("single", 3, tag="安全生产")]
    first = make_quiz(world.users.committee, world.committee, [world.branch_a], rules=rules, title="第一周")
    attempt = attempts.start(world.users.member, first, rng=random.Random(3))
    db.session.commit()
    seen = {item.question_id for item in attempt.items}
    second = make_quiz(world.users.committee, world.committee, [world.branch_a], rules=rules, title="第二周")
    for seed in range(5):
        items = quizzes.build_paper(second, world.people.member, rng=random.Random(seed))
        assert {item.question_id for item in items} == {q.id for q in singles} - seen
    # With only 6 questions, a third paper of 3 still fills up: seen ones come after unseen ones.
    rules4 = [RuleSpec("single", 4, tag="安全生产")]
    third = make_quiz(world.users.committee, world.committee, [world.branch_a], rules=rules4, title="第三周")
    items = quizzes.build_paper(third, world.people.member, rng=random.Random(0))
    assert len({i.question_id for i in items} & seen) == 1


def test_shuffle_is_stored_per_attempt_and_snapshotted(world):
    make_bank(world.committee)
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a],
                     rules=[RuleSpec("single", 8, tag="安全生产")])
    mine = attempts.start(world.users.member, quiz, rng=random.Random(11))
    theirs = attempts.start(world.users.activist, quiz, rng=random.Random(12))
    db.session.commit()
    orders = [item.option_order for item in mine.items]
    assert len(orders) == 8  # the rule's 8 singles, each with its own order
    assert all(sorted(order) == [0, 1, 2, 3] for order in orders)
    assert any(order != [0, 1, 2, 3] for order in orders)  # options are shuffled
    assert [i.question_id for i in mine.items] != [i.question_id for i in theirs.items]
    # The bank question is edited afterwards: the paper keeps what was drawn.
    item = mine.items[0]
    question = item.question_id
    stored = (item.stem, list(item.options), list(item.answer))
    from portal.study.models.questions import Question
    bank_question = db.session.get(Question, question)
    bank_question.stem, bank_question.answer = "改过的题干", ["D"]
    db.session.commit()
    db.session.expire_all()
    again = db.session.get(AttemptItem, (mine.id, item.position))
    assert (again.stem, again.options, again.answer) == stored
    assert again.option_order == orders[0]
    # Resuming returns the same paper in the same order.
    resumed = attempts.start(world.users.member, quiz, rng=random.Random(99))
    assert resumed.id == mine.id and [i.option_order for i in resumed.items] == orders


def test_true_false_options_are_not_shuffled(world):
    make_bank(world.committee)
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a], rules=[RuleSpec("true_false", 3)])
    attempt = attempts.start(world.users.member, quiz)
    assert [item.kind for item in attempt.items] == [QuestionKind.TRUE_FALSE] * 3
    assert [item.option_order for item in attempt.items] == [[], [], []]
