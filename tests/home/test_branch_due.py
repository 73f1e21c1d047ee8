"""A secretary's home page: what is due in their branch this week, each figure linked to its list."""

import re
from datetime import timedelta

from portal.extensions import db
from portal.study.models.articles import ArticleRead
from portal.study.models.meetings import MeetingReflection
from portal.study.services import branch_agenda, meetings
from tests.conftest import login
from tests.home.helpers import NOW, TODAY, page_of
from tests.study.article_factories import at, make_article, plan
from tests.study.meeting_helpers import draft
from tests.study.quiz_factories import make_bank, make_quiz

EARLY_NOVEMBER = at(2026, 11, 4, 9)


def _session(world, branch, starts, kind="seminar", topic="学习安全生产法"):
    """A session of `branch` scheduled on 4 November by its manager (the committee for branch B)."""
    actor = world.users.secretary if branch is world.branch_a else world.users.committee
    return meetings.schedule(actor, branch.id, draft(starts=starts.replace(tzinfo=None), kind=kind, topic=topic))


def _panel(page):
    start = page.index('data-testid="panel-branches"')
    return page[start:page.index("</section>", start)]


def test_a_secretary_sees_what_is_due_in_their_own_branch(client, world, now):
    now.set(EARLY_NOVEMBER)
    ended = _session(world, world.branch_a, at(2026, 11, 5, 14, 30), topic="十一月研讨")
    _session(world, world.branch_a, at(2026, 11, 6, 14, 30), kind="theme_day", topic="取消的主题党日")
    _session(world, world.branch_b, at(2026, 11, 5, 14, 30), topic="二队研讨")
    db.session.flush()
    meetings.cancel(world.users.secretary, ended.id + 1, "改期")
    people = world.people
    db.session.add_all([
        MeetingReflection(meeting_id=ended.id, person_id=people.member.id, body="心得" * 30),
        MeetingReflection(meeting_id=ended.id, person_id=people.activist.id, body="心得" * 30, grade=80),
    ])
    now.set(NOW)
    article = make_article(world.committee, title="今日文章")
    plan(article, world.committee)
    db.session.add(ArticleRead(person_id=people.member.id, article_id=article.id, branch_id=world.branch_a.id,
                               started_at=NOW - timedelta(minutes=5), read_at=NOW))
    make_bank(world.committee)
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a, world.branch_b], title="第 48 周测试")
    db.session.commit()
    login(client, world.users.secretary)
    panel = _panel(page_of(client))
    assert "综采一队党支部" in panel and "掘进二队党支部" not in panel and "二队研讨" not in panel
    # The seminar was held; the theme day was cancelled, so it still has to be scheduled.
    assert "本月尚未安排主题党日" in panel and f'href="/study/meetings/new?branch_id={world.branch_a.id}">' in panel
    assert "1 场已结束的会议未填写会议记录" in panel and f'href="/study/meetings/{ended.id}/minutes"' in panel
    assert "1 篇心得体会待评分" in panel and f'href="/study/meetings/{ended.id}/reflections"' in panel
    # Readers: 王书记, 张三 and 李四 (群众 are not); 张三 has read today's article.
    assert "今日学习文章：2 / 3 人未读完" in panel
    assert f"/study/articles/participation?period=today&amp;branch={world.branch_a.id}" in panel
    assert "第 48 周测试" in panel and "3 / 3 人尚未交卷" in panel
    assert f'href="/study/quizzes/{quiz.id}/results"' in panel


def test_done_work_leaves_the_list(client, world, now):
    now.set(EARLY_NOVEMBER)
    held = [_session(world, world.branch_a, at(2026, 11, 5, 14, 30)),
            _session(world, world.branch_a, at(2026, 11, 6, 14, 30), kind="theme_day", topic="主题党日")]
    now.set(NOW)
    for meeting in held:
        meetings.save_minutes(world.users.secretary, meeting.id, "会议记录：传达学习了安全生产法。")
    db.session.commit()
    login(client, world.users.secretary)
    panel = _panel(page_of(client))
    assert "本周没有待办事项。" in panel
    assert not re.search(r'data-testid="due-(unscheduled|minutes|grading|reading|test)"', panel)


def test_the_figures_per_branch():
    reading = branch_agenda.participation.TodayReading(None, readers=5, articles=1, not_done=0)
    assert branch_agenda.BranchDue(None, reading=reading).nothing_due
    progress = branch_agenda.TestProgress(1, "测试", NOW, expected=5, unfinished=1)
    assert not branch_agenda.BranchDue(None, tests=[progress]).nothing_due


def test_the_committee_and_members_get_no_branch_panel(app, world, now):
    now.set(NOW)
    for user in (world.users.committee, world.users.member, world.users.admin):
        client = app.test_client()
        login(client, user)
        assert 'data-testid="panel-branches"' not in page_of(client)


def test_a_day_with_no_articles_shows_no_reading_line(client, world, now):
    now.set(NOW)
    plan(make_article(world.committee, title="明天的文章"), world.branch_a, TODAY + timedelta(days=1))
    db.session.commit()
    login(client, world.users.secretary)
    assert 'data-testid="due-reading"' not in _panel(page_of(client))
