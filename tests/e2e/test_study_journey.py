"""A member's study on a phone after a shift: today's article, the daily question, the weekly test
with a reload in the middle, and the review once the test's window has closed."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.core import clock
from portal.extensions import db
from portal.study.services import bank, daily
from portal.study.services.quizzes import RuleSpec
from tests.e2e.conftest import check_layout, follow, identifier_of, login, open_menu
from tests.study.article_factories import make_article, plan
from tests.study.quiz_factories import make_bank, make_quiz


def _seed(world):
    today = clock.localnow().date()
    article = make_article(world.committee, title="坚持安全第一、预防为主", reading_seconds=30,
                           body="## 安全生产方针\n\n安全第一、预防为主、综合治理。", published_on=today)
    plan(article, world.branch_a, today)
    fields = bank.clean_question("single", "我国安全生产方针是“安全第一、（  ）、综合治理”。",
                                 ["预防为主", "效益优先", "质量第一"], "A", "《安全生产法》第三条。", 2, ["安全生产"])
    question = bank.build_question(world.committee, fields)
    db.session.flush()
    make_bank(world.committee)
    daily.pick(world.users.committee, world.committee.id, today, question.id)
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a], title="第 48 周安全生产测试",
                     rules=[RuleSpec("single", 2, tag="安全生产"), RuleSpec("true_false", 1)])
    db.session.commit()
    return article, quiz


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_member_studies_a_day_on_a_phone(page, world, now):
    article, quiz = _seed(world)
    page.clock.install()  # the reading countdown runs on the page's clock, moved on below
    login(page, identifier_of(world.users.member))

    # 每日一学: from the menu to today's article; the button unlocks once the reading time has passed.
    follow(open_menu(page).get_by_role("link", name="学习", exact=True))
    follow(page.get_by_test_id("link-study.today"))
    expect(page.get_by_test_id("today-item")).to_contain_text("坚持安全第一、预防为主")
    check_layout(page)
    follow(page.get_by_test_id("today-item").get_by_role("link"))
    expect(page.get_by_test_id("article-body")).to_contain_text("综合治理")
    button = page.get_by_test_id("read-button")
    expect(button).to_be_disabled()
    # Half a minute on the page: the browser's clock and the server's move on together.
    now.advance(seconds=article.reading_seconds + 1)
    page.clock.fast_forward(f"00:{article.reading_seconds + 1}")
    expect(button).to_be_enabled()
    follow(button)
    expect(page.get_by_role("alert")).to_contain_text("已记录本篇学习。积分：+1 分")
    check_layout(page)

    # 每日一题 on the same today page: instant feedback and the explanation.
    page.goto("/study/today")
    expect(page.get_by_test_id("today-item")).to_contain_text("已读")
    panel = page.get_by_test_id("daily-panel")
    panel.get_by_text("预防为主").click()
    follow(panel.get_by_role("button", name="提交答案"))
    expect(page.get_by_test_id("daily-feedback")).to_contain_text("回答正确")
    expect(page.get_by_test_id("daily-explanation")).to_contain_text("《安全生产法》第三条")
    check_layout(page)

    # 每周一测: answer one question, reload (as after a dropped connection), answer the rest, hand in.
    page.goto("/study/quizzes/")
    follow(page.get_by_role("link", name=quiz.title))
    follow(page.get_by_test_id("start"))
    questions = page.get_by_test_id("question")
    expect(questions).to_have_count(3)
    questions.nth(0).get_by_role("radio").first.check()
    expect(page.locator("[data-save-status]")).to_contain_text("第 1 题已自动保存")
    page.reload()
    expect(questions.nth(0).get_by_role("radio").first).to_be_checked()
    expect(page.get_by_test_id("time-left")).to_contain_text(re.compile(r"剩余 \d+ 分"))
    for n in (1, 2):
        questions.nth(n).get_by_role("radio").first.check()
        expect(page.locator("[data-save-status]")).to_contain_text(f"第 {n + 1} 题已自动保存")
    page.get_by_test_id("submit").click()  # 交卷 asks in the page first
    expect(page.get_by_test_id("confirm-unanswered")).to_have_text("已全部作答")
    follow(page.get_by_test_id("confirm-submit"))
    expect(page.get_by_test_id("attempt-score")).to_be_visible()
    expect(page.get_by_test_id("review-waiting")).to_be_visible()
    expect(page.get_by_test_id("review-item")).to_have_count(0)  # no answers while the window is open
    result_url = page.url

    # The next day (a new log-in: the idle time-out ended the session) the window has closed and
    # the same page shows every answer with its explanation.
    now.set(quiz.closes_at + timedelta(minutes=1))
    login(page, identifier_of(world.users.member))
    page.goto(result_url)
    expect(page.get_by_test_id("review-item")).to_have_count(3)
    expect(page.get_by_test_id("review-item").first).to_contain_text("正确答案")
    expect(page.get_by_test_id("review-item").first).to_contain_text("解析")
    check_layout(page)
