"""每周一测 built for thumbs: the bar stays in view, the count follows the taps, 交卷 warns about
unanswered questions by number, and the result says the credit the ledger booked."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from portal.credits.models import LedgerEntry
from portal.extensions import db
from portal.study.models.quizzes import AttemptItem, AttemptStatus, QuizAttempt
from portal.study.services.quizzes import RuleSpec
from tests.e2e.conftest import check_layout, follow, identifier_of, is_phone, login
from tests.study.quiz_factories import make_bank, make_quiz

RULES = [RuleSpec("single", 10, tag="安全生产"), RuleSpec("multiple", 3), RuleSpec("true_false", 3)]
QUESTIONS = 16


def _open_paper(page, world):
    make_bank(world.committee)
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a], rules=RULES)
    login(page, identifier_of(world.users.member))
    page.goto(f"/study/quizzes/{quiz.id}")
    follow(page.get_by_test_id("start"))
    expect(page.get_by_test_id("question")).to_have_count(QUESTIONS)
    return db.session.scalar(select(QuizAttempt))


def _tap_row(page, option):
    """Tap an option's row at its far end, away from the radio: the whole row is the target."""
    box = option.bounding_box()
    where = {"x": box["width"] - 4, "y": box["height"] / 2}
    option.tap(position=where) if is_phone(page) else option.click(position=where)


def _answer(page, position):
    question = page.locator(f"fieldset[data-position='{position}']")
    option = question.get_by_test_id("option").first
    _tap_row(page, option)
    expect(option.locator("input")).to_be_checked()


def _in_viewport(page, locator):
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_the_bar_stays_in_view_and_counts_the_answers(page, world):
    _open_paper(page, world)
    bar = page.get_by_test_id("quiz-bar")
    expect(bar.get_by_test_id("answered-count")).to_have_text(f"已答 0/{QUESTIONS}")
    expect(bar.get_by_test_id("save-state")).to_have_text("已保存")
    check_layout(page)  # option rows included: at phone size every label is 44px at least
    _answer(page, 1)
    expect(bar.get_by_test_id("answered-count")).to_have_text(f"已答 1/{QUESTIONS}")
    expect(page.locator("[data-save-status]")).to_contain_text("第 1 题已自动保存")
    expect(bar.get_by_test_id("save-state")).to_have_text("已保存")
    page.get_by_test_id("submit").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function("window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2")
    assert page.evaluate("window.scrollY") > 0  # the paper is longer than the screen
    assert _in_viewport(page, bar), bar.bounding_box()
    assert _in_viewport(page, bar.get_by_test_id("time-left"))
    _answer(page, QUESTIONS)  # the last question, at the bottom: the bar follows
    expect(bar.get_by_test_id("answered-count")).to_have_text(f"已答 2/{QUESTIONS}")
    assert _in_viewport(page, bar)
    # The count follows the tap at once; the autosave's answer comes after: wait for it before reading the rows.
    expect(page.locator("[data-save-status]")).to_contain_text(f"第 {QUESTIONS} 题已自动保存")
    expect(bar.get_by_test_id("save-state")).to_have_text("已保存")
    db.session.expire_all()
    assert sum(1 for item in db.session.scalars(select(AttemptItem)) if item.given) == 2


def test_hand_in_warns_about_the_unanswered_and_the_result_says_the_credit(page, world):
    attempt = _open_paper(page, world)
    answered = [p for p in range(1, QUESTIONS + 1) if p not in (3, 7)]
    for position in answered:
        _answer(page, position)
    expect(page.get_by_test_id("answered-count")).to_have_text(f"已答 {QUESTIONS - 2}/{QUESTIONS}")
    expect(page.get_by_test_id("unanswered-count")).to_have_text("还有 2 题未作答：第 3、7 题")
    submit = page.get_by_test_id("submit")
    box = submit.bounding_box()
    main = page.locator("main form[data-quiz-form]").bounding_box()
    assert box["width"] >= main["width"] - 1  # 交卷 spans the page
    submit.click()
    panel = page.get_by_test_id("confirm-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_test_id("confirm-unanswered")).to_have_text("还有 2 题未作答：第 3、7 题")
    check_layout(page)
    panel.get_by_test_id("confirm-cancel").click()
    expect(panel).to_be_hidden()
    _answer(page, 7)
    submit.click()
    expect(panel.get_by_test_id("confirm-unanswered")).to_have_text("还有 1 题未作答：第 3 题")
    follow(panel.get_by_test_id("confirm-submit"))
    expect(page.get_by_test_id("attempt-score")).to_be_visible()
    db.session.expire_all()
    done = db.session.get(QuizAttempt, attempt.id)
    assert done.status == AttemptStatus.SUBMITTED
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.source_id == attempt.id))
    credit = page.get_by_test_id("attempt-credit")
    if entry is None:  # a score that rounds to no credit says so
        expect(credit).to_have_text(re.compile(r"^本次未获得学习积分"))
    else:
        expect(credit).to_have_text(f"本次获得 +{entry.points} 学习积分")
    check_layout(page)
