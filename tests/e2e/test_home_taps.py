"""A member's three daily tasks from the home page on a phone, counting the taps.

Targets from the home page: today's article read in at most 3 taps (open, read, confirm), the daily
question in at most 2 taps plus choosing the options, the weekly test's first question in at most
2 taps. Every tap goes through `Taps`, so a page that adds a step fails here.
"""

import pytest
from playwright.sync_api import expect

from portal.core import clock
from portal.extensions import db
from portal.study.services import bank, daily, meetings
from portal.study.services.quizzes import RuleSpec
from tests.e2e.conftest import check_layout, identifier_of, is_phone, login, wait_until_loaded
from tests.study.article_factories import make_article, plan
from tests.study.meeting_helpers import draft
from tests.study.quiz_factories import make_bank, make_quiz

ARTICLE_TAPS, QUESTION_TAPS, TEST_TAPS = 3, 2, 2


class Taps:
    """Taps on links and buttons (`follow` when a page opens), and the options chosen, counted apart."""

    def __init__(self, page):
        self.page, self.count, self.options = page, 0, 0

    def open(self, target):
        """Tap a link or button that opens another page."""
        self.count += 1
        with self.page.expect_navigation(wait_until="load"):
            self._tap(target)

    def choose(self, option):
        """Tap an answer option (not counted against the target: the question decides how many)."""
        self.options += 1
        self._tap(option)

    def _tap(self, target):
        if is_phone(self.page):
            target.tap()
        else:
            target.click()


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
    meetings.schedule(world.users.secretary, world.branch_a.id, draft(topic="学习新修订的安全生产法"))
    db.session.commit()
    return article, quiz


def _home(page):
    page.goto("/")
    wait_until_loaded(page)
    expect(page.get_by_test_id("panel-today")).to_be_visible()


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_a_members_three_daily_tasks_from_the_home_page(page, world, now):
    article, quiz = _seed(world)
    page.clock.install()  # the reading countdown runs on the page's clock, moved on below
    login(page, identifier_of(world.users.member))
    expect(page.get_by_test_id("reading-credit")).to_have_text("每读完一篇 +1 分")
    check_layout(page)

    # 每日一学: open the article, read it for its minimum time, confirm.
    taps = Taps(page)
    taps.open(page.get_by_test_id("home-article").filter(has_text=article.title))
    expect(page.get_by_test_id("article-body")).to_contain_text("综合治理")
    now.advance(seconds=article.reading_seconds + 1)  # the server's clock, which decides
    page.clock.fast_forward(f"00:{article.reading_seconds + 1}")  # the page's countdown
    button = page.get_by_test_id("read-button")
    expect(button).to_be_enabled()
    taps.open(button)
    expect(page.get_by_role("alert")).to_contain_text("已记录本篇学习。积分：+1 分")
    assert taps.count <= ARTICLE_TAPS, f"读完今日文章用了 {taps.count} 次点击"
    _home(page)
    expect(page.get_by_test_id("home-article")).to_contain_text("已读")

    # 每日一题, on the home page itself: choose, submit, and the result is back on the home page.
    taps = Taps(page)
    panel = page.get_by_test_id("daily-panel")
    taps.choose(panel.get_by_text("预防为主"))
    taps.open(panel.get_by_role("button", name="提交答案"))
    assert page.url.endswith("/#daily-question")
    expect(page.get_by_role("alert")).to_contain_text("回答正确！积分：+1 分")
    expect(page.get_by_test_id("daily-feedback")).to_contain_text("回答正确")
    expect(page.get_by_test_id("daily-explanation")).to_contain_text("《安全生产法》第三条")
    expect(page.get_by_test_id("daily-credit")).to_have_text("积分 +1 分")
    assert taps.count <= QUESTION_TAPS and taps.options == 1, f"每日一题用了 {taps.count} 次点击"
    check_layout(page)

    # 每周一测: 开始答题 starts the attempt and lands on the first question.
    _home(page)
    taps = Taps(page)
    test = page.get_by_test_id("home-test").filter(has_text=quiz.title)
    expect(test).to_contain_text("已开放")
    taps.open(test.get_by_role("button", name="开始答题"))
    first = page.get_by_test_id("question").first
    expect(first).to_be_visible()
    expect(first).to_be_in_viewport()
    expect(first.get_by_role("radio").first).to_be_enabled()
    assert taps.count <= TEST_TAPS, f"进入每周一测第一题用了 {taps.count} 次点击"
    _home(page)
    expect(page.get_by_test_id("home-test-start")).to_have_text("继续答题")
    check_layout(page)


def test_every_roles_home_page_fits_the_screen(page, world):
    _seed(world)
    for user in (world.users.member, world.users.secretary, world.users.committee):
        page.context.clear_cookies()  # the next account logs in afresh
        login(page, identifier_of(user))
        expect(page.get_by_test_id("home-title")).to_contain_text(user.display_name)
        check_layout(page)
