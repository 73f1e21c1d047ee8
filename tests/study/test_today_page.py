"""The member's /study/today page brings 每日一学 and 每日一题 together."""

from datetime import UTC, datetime

import pytest

from portal.extensions import db
from tests.conftest import login
from tests.study.test_bank_scoping import make_question

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 on a Monday in Shanghai


@pytest.fixture()
def monday(now):
    now.set(NOW)


def test_today_shows_the_daily_question_and_answering_returns_to_it(client, world, monday):
    question = make_question(world.committee, stem="今天的每日一题是什么？", answer="B", explanation="解析在答题后出现")
    db.session.commit()
    login(client, world.users.member)
    page = client.get("/study/today").get_data(as_text=True)
    assert 'data-testid="daily-panel"' in page and "今天的每日一题是什么？" in page
    assert "解析在答题后出现" not in page
    answered = client.post("/study/daily/answer", data={
        "question_id": question.id, "answer": "B", "next": "/study/today"})
    assert answered.status_code == 302 and answered.location.endswith("/study/today#daily-question")
    page = client.get("/study/today").get_data(as_text=True)
    assert "回答正确" in page and "解析在答题后出现" in page


def test_staff_see_why_and_no_question(client, world, monday):
    make_question(world.committee, stem="今天的每日一题是什么？", answer="B")
    db.session.commit()
    login(client, world.users.staff)
    page = client.get("/study/today").get_data(as_text=True)
    assert 'data-testid="reader-problem"' in page
    assert "今天的每日一题是什么？" not in page
