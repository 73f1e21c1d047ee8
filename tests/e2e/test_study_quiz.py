"""每周一测 in a real browser: answers autosave as the member taps (quiz.js), a reload resumes them."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.study.models.quizzes import AttemptItem, AttemptStatus, QuizAttempt
from portal.study.services.quizzes import RuleSpec
from tests.e2e.conftest import check_layout, follow, identifier_of, login
from tests.study.quiz_factories import actor_of, make_bank, make_quiz


def test_member_takes_the_weekly_test_on_a_phone(page, world):
    """Tick an option: saved without a button; reload: still ticked; 交卷: confirmed, the score, no answers yet."""
    make_bank(world.committee)
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a],
                     rules=[RuleSpec("single", 2, tag="安全生产"), RuleSpec("true_false", 1)])
    login(page, identifier_of(world.users.member))
    page.goto("/study/quizzes/")
    follow(page.get_by_role("link", name=quiz.title))
    expect(page.get_by_test_id("partial-policy")).to_contain_text("全部选对才得分")
    check_layout(page)
    follow(page.get_by_test_id("start"))
    expect(page.get_by_test_id("question")).to_have_count(3)
    expect(page.get_by_test_id("time-left")).to_contain_text(re.compile(r"剩余 (29|30) 分"))
    check_layout(page)
    first = page.get_by_test_id("question").first
    first.get_by_role("radio").nth(1).check()
    expect(page.locator("[data-save-status]")).to_contain_text("第 1 题已自动保存")
    attempt = db.session.scalar(select(QuizAttempt))
    db.session.expire_all()
    stored = db.session.get(AttemptItem, (attempt.id, 1)).given
    assert stored and len(stored) == 1
    page.reload()  # a dropped connection or a closed tab: the answer is on the server
    expect(page.get_by_test_id("question").first.get_by_role("radio").nth(1)).to_be_checked()
    page.get_by_test_id("submit").click()  # 交卷 asks in the page first
    expect(page.get_by_test_id("confirm-unanswered")).to_have_text("还有 2 题未作答：第 2、3 题")
    follow(page.get_by_test_id("confirm-submit"))
    expect(page.get_by_test_id("attempt-score")).to_be_visible()
    expect(page.get_by_test_id("review-waiting")).to_contain_text("答案和解析将在测试截止")
    check_layout(page)
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).status == AttemptStatus.SUBMITTED


def test_secretary_pages_fit(page, world):
    """Writing a test, its page, overrides and results with a chart, at both sizes."""
    from portal.study.services import attempts

    make_bank(world.committee)
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a, world.branch_b])
    attempt = attempts.start(actor_of(world.people.member), quiz)
    attempts.submit(actor_of(world.people.member), attempt)
    db.session.commit()
    login(page, identifier_of(world.users.secretary))
    page.goto("/study/quizzes/manage")
    expect(page.get_by_test_id("quiz-item")).to_have_count(1)
    check_layout(page)
    page.goto("/study/quizzes/new")
    expect(page.get_by_test_id("rule-row")).to_have_count(6)
    check_layout(page)
    page.goto(f"/study/quizzes/{quiz.id}/manage")
    expect(page.get_by_test_id("quiz-rules")).to_contain_text("单选题 3 道（安全生产，每题 5 分）")
    check_layout(page)
    page.goto(f"/study/quizzes/{quiz.id}/overrides")
    expect(page.get_by_test_id("person-choices")).to_contain_text("张三")
    check_layout(page)
    page.goto(f"/study/quizzes/{quiz.id}/results")
    expect(page.get_by_test_id("result-table")).to_contain_text("张三")
    expect(page.get_by_test_id("score-chart").locator("svg")).to_be_visible()
    check_layout(page)
