"""What a member is told about credit comes from what the ledger booked, never from the rule."""

from datetime import timedelta

from sqlalchemy import select

from portal.credits.models import LedgerEntry
from portal.credits.services import Source, award
from portal.extensions import db
from tests.credits.helpers import at
from tests.study.article_factories import NOW, make_article, plan, token_of
from tests.study.test_bank_scoping import make_question


def _flash(client):
    return client.get("/study/today").get_data(as_text=True)


def _read(client, article, now):
    token = token_of(client.get(f"/study/articles/{article.id}").get_data(as_text=True))
    now.advance(seconds=article.reading_seconds)
    response = client.post(f"/study/articles/{article.id}/read", data={"token": token})
    assert response.status_code == 302
    return _flash(client)


def test_reads_past_the_daily_cap_say_no_credit_was_given(client, login_as, world, now):
    now.set(NOW)
    articles = [make_article(world.committee, title=f"第{i}篇", reading_seconds=30) for i in range(3)]
    for article in articles:
        plan(article, world.committee)
    db.session.commit()
    login_as(world.users.member)
    first, second, third = (_read(client, article, now) for article in articles)
    assert "已记录本篇学习。积分：+1 分" in first and "已记录本篇学习。积分：+1 分" in second
    assert "今日“每日一学”积分已达上限（2 分），本次不再计分" in third
    assert "积分已计入" not in first + second + third and "+1 分" not in third
    booked = db.session.scalars(select(LedgerEntry.points).where(LedgerEntry.rule_code == "study_read")).all()
    assert booked == [1, 1]


def test_a_correct_daily_answer_says_the_points_booked(client, login_as, world, now):
    now.set(NOW)
    question = make_question(world.committee, stem="入党誓词中“永不叛党”之前是哪一句？", answer="A")
    db.session.commit()
    login_as(world.users.member)
    client.post("/study/daily/answer", data={"question_id": question.id, "answer": "A"})
    page = client.get("/study/daily/").get_data(as_text=True)
    assert "回答正确！积分：+1 分" in page
    # Later visits show what the ledger holds for the answer, not what the rule would give.
    assert 'data-testid="daily-credit">积分 +1 分<' in client.get("/study/daily/").get_data(as_text=True)


def test_a_correct_answer_the_ledger_did_not_credit_says_so(client, login_as, world, now):
    now.set(NOW)
    question = make_question(world.committee, stem="党的根本宗旨是什么？", answer="A")
    db.session.commit()
    login_as(world.users.staff)  # the rule leaves 群众 out
    client.post("/study/daily/answer", data={"question_id": question.id, "answer": "A"})
    page = client.get("/study/daily/").get_data(as_text=True)
    assert "回答正确！积分：按积分规则，群众不计“每日一题”积分" in page
    assert 'data-testid="daily-credit">本题未计积分<' in client.get("/study/daily/").get_data(as_text=True)


def test_someone_a_rule_leaves_out_is_told_so(world):
    refused = award(world.people.staff, "study_read", Source("article", 1), when=at(2026, 11, 5))
    assert refused.entry is None and refused.message == "按积分规则，群众不计“每日一学”积分"
    counted = award(world.people.activist, "study_read", Source("article", 1), when=at(2026, 11, 5))
    assert counted.message == "+1 分"


def test_an_award_says_booked_before_cut_by_a_cap_or_nothing(world):
    member = world.people.member
    first = award(member, "weekly_test", Source("attempt", 1), when=at(2026, 11, 5), score=60)
    assert (first.new, first.points, first.message) == (True, 6, "+6 分")
    again = award(member, "weekly_test", Source("attempt", 1), when=at(2026, 11, 5), score=60)
    assert (again.new, again.points, again.message) == (False, 6, "已计 +6 分")
    cut = award(member, "weekly_test", Source("attempt", 2), when=at(2026, 11, 6), score=90)
    assert (cut.points, cut.message) == (4, "+4 分（本周“每周一测”积分上限为 10 分）")
    none = award(member, "weekly_test", Source("attempt", 3), when=at(2026, 11, 6), score=90)
    assert none.entry is None and none.message == "本周“每周一测”积分已达上限（10 分），本次不再计分"
    zero = award(member, "weekly_test", Source("attempt", 4), when=at(2026, 11, 20), score=2)
    assert zero.entry is None and zero.message == "按成绩折算为 0 分，本次不计“每周一测”积分"
    next_week = award(member, "weekly_test", Source("attempt", 5), when=at(2026, 11, 5) + timedelta(days=7),
                      score=100)
    assert next_week.message == "+10 分"
