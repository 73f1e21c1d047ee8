"""A member's full day for the home page tests: articles, a daily question, a weekly test, a session, messages."""

from datetime import timedelta

from portal.core.clock import utcnow
from portal.extensions import db
from portal.inbox.services import notify
from portal.study.services import daily, meetings
from tests.study.article_factories import NOW, TODAY, make_article, plan
from tests.study.meeting_helpers import draft
from tests.study.quiz_factories import make_bank, make_quiz
from tests.study.test_bank_scoping import make_question

__all__ = ["NOW", "TODAY", "seed_day", "page_of"]


def seed_day(world, articles=2, tests=1, messages=2, pick=True):
    """Today's plan for branch A: `articles` articles, a daily question (the committee's pick for today,
    else drawn from the bank), `tests` open tests, a session tomorrow and `messages` unread reminders
    for the member; committed. Returns what it made."""
    made = [make_article(world.committee, title=f"今日学习第{n + 1}篇", reading_seconds=30) for n in range(articles)]
    for article in made:
        plan(article, world.branch_a, TODAY)
    question = make_question(world.committee, stem="党的最高领导机关是什么？", answer="A",
                             options=("党的全国代表大会和它所产生的中央委员会", "国务院", "全国政协", "中央军委"),
                             explanation="依据《中国共产党章程》第十条。")
    make_bank(world.committee)
    if pick:
        daily.pick(world.users.committee, world.committee.id, TODAY, question.id)
    quizzes = [make_quiz(world.users.committee, world.committee, [world.branch_a], title=f"第 48 周测试（{n + 1}）",
                         opens_at=utcnow() - timedelta(hours=2), closes_at=utcnow() + timedelta(days=2, hours=5))
               for n in range(tests)]
    meeting = meetings.schedule(world.users.secretary, world.branch_a.id, draft(topic="学习新修订的安全生产法"))
    for n in range(messages):
        url = f"/study/quizzes/{quizzes[0].id}" if quizzes else None
        notify(world.people.member, f"test-message:{n}", f"提醒第{n + 1}条", "请查看", url=url)
    db.session.commit()
    return made, question, quizzes, meeting


def page_of(client, url="/"):
    """The page's text (asserting a 200)."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)
