"""A member's home page is today's to-do list: articles, the daily question, this week's tests,
the next session and unread messages, each a tap from what it is about."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from portal.credits import services as credits
from portal.credits.models import CreditRule, LedgerEntry
from portal.extensions import db
from portal.inbox.models import Message
from portal.inbox.services import notify
from portal.study.models.daily import DailyQuestion
from portal.study.services import agenda, meetings
from tests.conftest import login
from tests.home.helpers import NOW, TODAY, page_of, seed_day
from tests.study.article_factories import make_article, plan, token_of
from tests.study.meeting_helpers import draft
from tests.study.quiz_factories import make_quiz


def _read(client, article, now):
    """Open the article, stay the minimum time, confirm 我已读完."""
    token = token_of(page_of(client, f"/study/articles/{article.id}"))
    now.advance(seconds=article.reading_seconds)
    assert client.post(f"/study/articles/{article.id}/read", data={"token": token}).status_code == 302


def _section(page, testid):
    """The HTML of the element carrying data-testid=`testid` up to the next panel card."""
    start = page.index(f'data-testid="{testid}"')
    following = [page.find(marker, start + 1) for marker in ('data-testid="today-', 'data-testid="panel-')]
    ends = [i for i in following if i > 0]
    return page[start:min(ends) if ends else len(page)]


# --- 每日一学 ---------------------------------------------------------------------------------------

def test_todays_articles_read_and_unread_with_the_credit_the_rules_give(client, world, now):
    now.set(NOW)
    first, second = (make_article(world.committee, title=title, reading_seconds=30)
                     for title in ("学习党章", "安全规程"))
    plan(first, world.branch_a)
    plan(second, world.committee)  # the committee's plan reaches every branch
    plan(make_article(world.committee, title="明天的文章"), world.branch_a, TODAY + timedelta(days=1))
    plan(make_article(world.committee, title="二队的文章"), world.branch_b)
    db.session.commit()
    login(client, world.users.member)
    _read(client, first, now)
    reading = _section(page_of(client), "today-reading")
    assert "学习党章" in reading and "安全规程" in reading
    assert "明天的文章" not in reading and "二队的文章" not in reading
    rows = re.findall(r'data-testid="home-article"\s+href="([^"]+)">(.*?)</a>', reading, re.S)
    assert [href for href, _ in rows] == [f"/study/articles/{first.id}", f"/study/articles/{second.id}"]
    assert "已读" in rows[0][1] and "+1 分" not in rows[0][1]
    assert "未读" in rows[1][1] and "+1 分" in rows[1][1]
    # One point of the daily cap (2) is used: the next read earns 1 more.
    assert "每读完一篇 +1 分" in reading


def test_the_credit_shown_follows_the_rule_as_the_committee_set_it(client, world, now):
    now.set(NOW)
    for title in ("第一篇", "第二篇", "第三篇"):
        plan(make_article(world.committee, title=title), world.branch_a)
    credits.change_rule(world.users.committee, "study_read", name="每日一学", points=2, mode="fixed", daily_cap=3,
                        weekly_cap=None, monthly_cap=None, applies_to=["正式党员", "预备党员", "入党积极分子"])
    db.session.commit()
    login(client, world.users.member)
    reading = _section(page_of(client), "today-reading")
    assert "每读完一篇 +2 分，今日还可得 3 分" in reading


def test_when_todays_cap_is_used_up_the_home_page_says_so_and_never_claims_credit(client, world, now):
    now.set(NOW)
    articles = [make_article(world.committee, title=f"第{n}篇", reading_seconds=30) for n in range(1, 4)]
    for article in articles:
        plan(article, world.branch_a)
    db.session.commit()
    login(client, world.users.member)
    for article in articles[:2]:
        _read(client, article, now)
    page = page_of(client)
    reading = _section(page, "today-reading")
    assert "今日“每日一学”积分已达上限（2 分），今天再读不再计分" in reading
    assert "+1 分" not in reading and "积分已计入" not in page
    # Reading the third confirms it: nothing booked, and the page still says why.
    _read(client, articles[2], now)
    page = page_of(client)
    assert "积分已计入" not in page and "本次不再计分" in page
    booked = db.session.scalars(select(LedgerEntry.points).where(LedgerEntry.rule_code == "study_read")).all()
    assert booked == [1, 1]


def test_no_articles_today_says_so(client, world, now):
    now.set(NOW)
    login(client, world.users.member)
    assert "今天没有安排学习文章。" in _section(page_of(client), "today-reading")


def test_staff_are_told_study_credit_is_for_members(client, world, now):
    now.set(NOW)
    plan(make_article(world.committee, title="学习党章"), world.branch_a)
    db.session.commit()
    login(client, world.users.staff)
    page = page_of(client)
    reading = _section(page, "today-reading")
    assert "每日一学面向党员和入党积极分子" in reading and "学习党章" not in reading
    assert 'data-testid="daily-panel"' not in page  # as on 今日学习: no question whose credit is not for them


# --- 每日一题 ---------------------------------------------------------------------------------------

def test_the_daily_question_is_answered_on_the_home_page(client, world, now):
    now.set(NOW)
    seed_day(world, tests=0, messages=0)
    login(client, world.users.member)
    page = page_of(client)
    form = _section(page, "daily-panel")
    assert 'action="/study/daily/answer"' in form and 'name="next" value="/"' in form
    assert form.count('name="answer"') == 4 and "依据《中国共产党章程》" not in form  # no key before answering
    question_id = re.search(r'name="question_id" value="(\d+)"', form).group(1)
    answered = client.post("/study/daily/answer", data={"question_id": question_id, "answer": "A", "next": "/"})
    assert answered.status_code == 302 and answered.location.endswith("/#daily-question")
    page = page_of(client)
    assert "回答正确！积分：+1 分" in page  # what the ledger booked, said once
    panel = _section(page, "daily-panel")
    assert "依据《中国共产党章程》第十条。" in panel and 'data-testid="daily-credit">积分 +1 分<' in panel
    assert 'name="answer"' not in panel


def test_showing_the_home_page_writes_nothing(client, world, now):
    # A question drawn automatically and a credit rule never used: the page shows both and stores neither.
    now.set(NOW)
    seed_day(world, pick=False)
    login(client, world.users.member)
    page = page_of(client)
    assert 'data-testid="daily-stem"' in page and "每读完一篇 +1 分" in page
    assert db.session.scalar(select(func.count()).select_from(DailyQuestion)) == 0
    assert db.session.scalar(select(func.count()).select_from(CreditRule)) == 0


# --- 每周一测 ---------------------------------------------------------------------------------------

def test_an_open_test_starts_from_the_home_page_and_then_resumes_and_scores(client, world, now):
    now.set(NOW)
    _articles, _question, (quiz,), _meeting = seed_day(world, messages=0)
    login(client, world.users.member)
    tests = _section(page_of(client), "today-tests")
    assert quiz.title in tests and 'data-state="open"' in tests and "已开放，还剩 2 天 5 小时截止" in tests
    assert f'action="/study/quizzes/{quiz.id}/start"' in tests and "开始答题" in tests
    started = client.post(f"/study/quizzes/{quiz.id}/start")
    attempt_id = int(started.location.rsplit("/", 1)[-1])
    now.advance(minutes=10)
    tests = _section(page_of(client), "today-tests")
    assert 'data-state="started"' in tests and "继续答题" in tests and "本次作答还剩 20 分钟" in tests
    assert client.post(f"/study/attempts/{attempt_id}/submit", data={}).status_code == 302
    tests = _section(page_of(client), "today-tests")
    assert 'data-state="done"' in tests and "已交卷，得分 0 分" in tests
    assert f'href="/study/attempts/{attempt_id}"' in tests and "开始答题" not in tests


def test_only_this_weeks_tests_of_the_members_branch(client, world, now):
    monday = NOW - timedelta(hours=10)  # 00:00 on Monday 23 November
    now.set(monday - timedelta(days=6))  # published last week
    seed_day(world, tests=0, messages=0)
    make_quiz(world.users.committee, world.committee, [world.branch_a], title="上周的测试",
              opens_at=monday - timedelta(days=7), closes_at=monday - timedelta(minutes=1))
    now.set(NOW)
    make_quiz(world.users.committee, world.committee, [world.branch_b], title="二队的测试")
    make_quiz(world.users.committee, world.committee, [world.branch_a], title="周五开放的测试",
              opens_at=monday + timedelta(days=4), closes_at=monday + timedelta(days=6))
    make_quiz(world.users.committee, world.committee, [world.branch_a], title="草稿测试", publish=False)
    login(client, world.users.member)
    tests = _section(page_of(client), "today-tests")
    assert "上周的测试" not in tests and "二队的测试" not in tests and "草稿测试" not in tests
    assert "周五开放的测试" in tests and 'data-state="upcoming"' in tests and "11月27日 00:00 开放" in tests


def test_no_test_this_week_says_so(client, world, now):
    now.set(NOW)
    login(client, world.users.member)
    assert "本周没有需要参加的测试。" in _section(page_of(client), "today-tests")


def test_test_states_follow_the_clock_and_the_members_own_window():
    class Quiz:
        time_limit_minutes, id = 30, 1

    window = agenda.quizzes.Window(NOW, NOW + timedelta(days=1), extra_minutes=15)
    assert agenda._test_task(Quiz, window, [], NOW - timedelta(minutes=1)).state == "upcoming"
    task = agenda._test_task(Quiz, window, [], NOW + timedelta(hours=20, minutes=30))
    assert (task.state, task.time_left_label, task.time_limit) == ("open", "还剩 3 小时 30 分钟", 45)
    assert agenda._test_task(Quiz, window, [], NOW + timedelta(days=1)).state == "missed"


# --- 组织生活 ---------------------------------------------------------------------------------------

def test_the_next_session_and_check_in_once_it_opens(client, world, now):
    now.set(NOW)
    meeting = meetings.schedule(world.users.secretary, world.branch_a.id, draft(topic="学习新修订的安全生产法"))
    later = meetings.schedule(world.users.secretary, world.branch_a.id,
                              draft(starts=(NOW + timedelta(days=3)).replace(tzinfo=None), topic="三天后的党课"))
    cancelled = meetings.schedule(world.users.secretary, world.branch_a.id,
                                  draft(starts=(NOW + timedelta(hours=3)).replace(tzinfo=None), topic="已取消的会"))
    meetings.cancel(world.users.secretary, cancelled.id, "改期")
    db.session.commit()
    login(client, world.users.member)
    session = _section(page_of(client), "today-session")
    assert "学习新修订的安全生产法" in session and "三天后的党课" not in session and "已取消的会" not in session
    assert f'href="/study/meetings/{meeting.id}"' in session and "签到" not in session.replace("可以签到", "")
    now.set(meeting.starts_at - timedelta(minutes=10))
    client.post("/logout")  # a day later: a fresh log-in
    login(client, world.users.member)
    session = _section(page_of(client), "today-session")
    assert f'href="/study/meetings/{meeting.id}/checkin"' in session and 'data-testid="home-checkin"' in session
    client.post(f"/study/meetings/{meeting.id}/checkin", data={"code": meeting.checkin_code})
    session = _section(page_of(client), "today-session")
    assert "已签到" in session and 'data-testid="home-checkin"' not in session
    assert later.topic not in session


def test_someone_on_no_list_has_no_session(client, world, now):
    now.set(NOW)
    meetings.schedule(world.users.secretary, world.branch_a.id, draft(topic="一队的研讨"))
    db.session.commit()
    login(client, world.users.staff)  # 群众 are not on the default list
    assert "近期没有需要参加的组织生活。" in _section(page_of(client), "today-session")


# --- 消息 -----------------------------------------------------------------------------------------

def test_unread_messages_open_what_they_are_about(client, world, now):
    now.set(NOW)
    _articles, _question, (quiz,), meeting = seed_day(world, messages=0)
    notify(world.people.member, "read-one", "已经看过的消息")
    db.session.execute(Message.__table__.update().where(Message.key == "read-one").values(read_at=NOW))
    db.session.commit()
    login(client, world.users.member)
    inbox = _section(page_of(client), "panel-inbox")
    found = re.search(r'action="/inbox/(\d+)/open"', inbox)
    assert found and "请参加每月一研讨：学习新修订的安全生产法" in inbox and "已经看过的消息" not in inbox
    opened = client.post(f"/inbox/{found.group(1)}/open")
    assert opened.status_code == 302 and opened.location.endswith(f"/study/meetings/{meeting.id}")
    assert "没有未读消息。" in _section(page_of(client), "panel-inbox")


def test_accounts_without_a_person_get_no_member_panels(client, world, now):
    now.set(NOW)
    login(client, world.users.admin)
    page = page_of(client)
    assert 'data-testid="panel-admin"' in page and 'data-testid="panel-today"' not in page
    assert 'data-testid="panel-inbox"' not in page
