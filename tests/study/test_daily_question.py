"""每日一题: which question a member gets, answering once, no leak before answering, credits once."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.core.exceptions import ConflictError, ValidationError
from portal.credits.models import LedgerEntry
from portal.extensions import db
from portal.study.jobs import daily as daily_jobs
from portal.study.models.daily import DailyAnswer, DailyQuestion
from portal.study.services import daily
from tests.conftest import login, run_concurrently
from tests.study.test_bank_scoping import make_question

# 10:00 in Shanghai on a Monday.
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)


@pytest.fixture()
def day(now):
    now.set(NOW)
    return TODAY


def _answers():
    return db.session.scalar(select(func.count()).select_from(DailyAnswer))


def _credits(person):
    return db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.person_id == person.id, LedgerEntry.rule_code == "daily_question")).all()


def _pick(world, org, question, day, user=None):
    row = daily.pick(user or world.users.committee, org.id, day, question.id)
    db.session.commit()
    return row


# --- which question -------------------------------------------------------------------------------

def test_branch_pick_beats_committee_pick_beats_the_draw(world, day):
    bank_questions = [make_question(world.committee, stem=f"题库题{i}") for i in range(5)]
    committee_q = make_question(world.committee, stem="党委指定的题")
    branch_q = make_question(world.branch_a, stem="支部指定的题")
    db.session.commit()
    # Before any pick the draw may land on any question the branch's bank serves,
    # the two that are picked later included (which one depends on the ids).
    assert daily.resolve(world.branch_a, day).question in [*bank_questions, committee_q, branch_q]
    assert daily.resolve(world.branch_a, day).source == "自动抽题"
    _pick(world, world.committee, committee_q, day)
    assert daily.resolve(world.branch_a, day).question == committee_q
    assert daily.resolve(world.branch_b, day).question == committee_q
    _pick(world, world.branch_a, branch_q, day, user=world.users.secretary)
    assert daily.resolve(world.branch_a, day).question == branch_q
    assert daily.resolve(world.branch_a, day).source == "综采一队党支部指定"
    assert daily.resolve(world.branch_b, day).question == committee_q


def test_the_draw_is_deterministic_and_avoids_recent_questions(world, day):
    questions = [make_question(world.committee, stem=f"题{i}") for i in range(4)]
    db.session.commit()
    first = daily.draw(world.branch_a, day)
    assert all(daily.draw(world.branch_a, day) == first for _ in range(3))
    # Store the draws of three earlier days: today's draw must be the one question left.
    for back in (3, 2, 1):
        earlier = day - timedelta(days=back)
        resolved = daily.resolve(world.branch_a, earlier)
        daily.ensure_row(world.branch_a, earlier, resolved)
    db.session.commit()
    used = set(db.session.scalars(select(DailyQuestion.question_id)))
    assert len(used) == 3
    assert daily.draw(world.branch_a, day).id == ({q.id for q in questions} - used).pop()


def test_retired_questions_are_not_drawn_and_another_branchs_never(world, day):
    retired = make_question(world.committee, stem="停用的题")
    retired.retired_at = NOW
    other = make_question(world.branch_b, stem="二队自己的题")
    db.session.commit()
    assert daily.draw(world.branch_a, day) is None
    assert daily.draw(world.branch_b, day) == other


def test_the_job_stores_each_branchs_draw_once(world, day):
    make_question(world.committee, stem="题一")
    make_question(world.committee, stem="题二")
    db.session.commit()
    assert daily_jobs.draw_daily_questions(day) == 2
    assert daily_jobs.draw_daily_questions(day) == 0
    rows = db.session.scalars(select(DailyQuestion)).all()
    assert {r.organisation_id for r in rows} == {world.branch_a.id, world.branch_b.id}
    assert all(r.auto and r.picked_by_id is None for r in rows)


# --- the member's page --------------------------------------------------------------------------

FILL_KEY = "独一无二的填空答案"
EXPLANATION = "解析：这是只在答题后才出现的解析文字"


@pytest.mark.parametrize("kind,answer", [("single", "C"), ("multiple", "B、D"), ("true_false", "错"),
                                         ("fill", FILL_KEY)])
def test_the_answer_is_not_in_the_page_before_answering(client, world, day, kind, answer):
    question = make_question(world.committee, kind=kind, stem="今天的题目是什么？", answer=answer,
                             explanation=EXPLANATION)
    db.session.commit()
    login(client, world.users.member)
    page = client.get("/study/daily/").get_data(as_text=True)
    assert "今天的题目是什么？" in page and 'data-testid="daily-form"' in page
    assert EXPLANATION not in page and FILL_KEY not in page
    assert "正确答案：" not in page and "daily-correct" not in page and "checked" not in page
    given = {"single": ["C"], "multiple": ["B", "D"], "true_false": ["F"]}.get(kind)
    data = {"question_id": question.id, **({"blank": [FILL_KEY]} if kind == "fill" else {"answer": given})}
    page = client.post("/study/daily/answer", data=data, follow_redirects=True).get_data(as_text=True)
    assert "回答正确" in page and EXPLANATION in page and 'data-testid="daily-correct"' in page
    assert 'data-testid="daily-form"' not in page


def test_a_wrong_answer_shows_the_correct_one_and_earns_nothing(client, world, day):
    question = make_question(world.committee, stem="党的最高领导机关是？", answer="A", explanation="见党章")
    db.session.commit()
    login(client, world.users.member)
    page = client.post("/study/daily/answer", data={"question_id": question.id, "answer": "B"},
                       follow_redirects=True).get_data(as_text=True)
    assert "回答错误" in page and "您的答案：B" in page
    assert '正确答案：<span data-testid="daily-correct">A</span>' in page
    assert "见党章" in page
    assert _credits(world.people.member) == []


def test_a_correct_answer_earns_credits_once_and_a_second_submit_is_refused(client, world, day):
    question = make_question(world.committee, stem="安全生产方针？", answer="A")
    db.session.commit()
    login(client, world.users.member)
    client.post("/study/daily/answer", data={"question_id": question.id, "answer": "A"})
    page = client.post("/study/daily/answer", data={"question_id": question.id, "answer": "B"},
                       follow_redirects=True).get_data(as_text=True)
    assert "每日一题每天只能作答一次" in page
    answers = db.session.scalars(select(DailyAnswer)).all()
    assert len(answers) == 1 and answers[0].given == ["A"] and answers[0].correct
    entries = _credits(world.people.member)
    assert len(entries) == 1 and entries[0].source_type == "daily_answer" and entries[0].source_id == answers[0].id
    assert entries[0].points == 1


def test_a_concurrent_double_submit_is_one_answer_and_one_credit(app, world, day):
    question = make_question(world.committee, stem="并发题", answer="A")
    db.session.commit()
    person_id, question_id = world.people.member.id, question.id

    def submit():
        from portal.roster.models import Person

        result = daily.answer(db.session.get(Person, person_id), question_id, ["A"])
        db.session.commit()
        return result

    results = run_concurrently(app, submit, 4)
    assert sum(1 for r in results if isinstance(r, daily.Answered)) == 1
    assert all(isinstance(r, daily.Answered | ConflictError) for r in results), results
    assert _answers() == 1
    assert len(_credits(world.people.member)) == 1


def test_impossible_answers_are_refused_and_nothing_written(client, world, day):
    question = make_question(world.committee, stem="选择题", answer="A")
    db.session.commit()
    login(client, world.users.member)
    for data, message in [({"answer": ["A", "B"]}, "单选题只能有一个答案"), ({"answer": "F"}, "不在本题的选项中"),
                          ({}, "请先作答再提交")]:
        page = client.post("/study/daily/answer", data={"question_id": question.id, **data},
                           follow_redirects=True).get_data(as_text=True)
        assert message in page
    assert _answers() == 0


def test_an_answer_to_a_replaced_question_is_refused(client, world, day):
    old = make_question(world.committee, stem="旧题", answer="A")
    new = make_question(world.branch_a, stem="新题", answer="B")
    db.session.commit()
    _pick(world, world.committee, old, day)  # not left to the draw, which may choose either
    login(client, world.users.member)
    assert "旧题" in client.get("/study/daily/").get_data(as_text=True)
    _pick(world, world.branch_a, new, day, user=world.users.secretary)
    page = client.post("/study/daily/answer", data={"question_id": old.id, "answer": "A"},
                       follow_redirects=True).get_data(as_text=True)
    assert "今天的题目已更换" in page and "新题" in page
    assert _answers() == 0


def test_activists_get_credits_staff_answer_without(world, day):
    question = make_question(world.committee, stem="积分题", answer="A")
    db.session.commit()
    daily.answer(world.people.activist, question.id, "A")
    daily.answer(world.people.staff, question.id, "A")
    db.session.commit()
    assert len(_credits(world.people.activist)) == 1
    assert _credits(world.people.staff) == []
    assert _answers() == 2


def test_history_lists_earlier_days_with_the_answer(client, world, day, now):
    question = make_question(world.committee, stem="昨天的题", answer="D", explanation="昨天的解析")
    db.session.commit()
    now.set(NOW - timedelta(days=1))
    daily.answer(world.people.member, question.id, "B")
    db.session.commit()
    now.set(NOW)
    login(client, world.users.member)
    page = client.get("/study/daily/").get_data(as_text=True)
    history = page[page.index('data-testid="daily-history"'):]
    assert "昨天的题" in history and "答错" in history and "正确答案：D" in history and "昨天的解析" in history


def test_an_account_without_a_person_is_told(client, world, day):
    login(client, world.users.admin)
    page = client.get("/study/daily/").get_data(as_text=True)
    assert "您还没有所属党支部" in page
    with pytest.raises(ValidationError):
        daily.answer(None, 1, "A")


def test_panel_for_the_today_page(world, day):
    question = make_question(world.committee, kind="fill", stem="两空：__ 和 __", answer="甲|乙/丙")
    db.session.commit()
    panel = daily.panel(world.people.member, day)
    assert (panel.question_id, panel.blanks, panel.answered, panel.correct_text) == (question.id, 2, False, "")
    daily.answer(world.people.member, question.id, ["甲", "丙"])
    panel = daily.panel(world.people.member, day)
    assert panel.answered and panel.correct and panel.correct_text == "第1空：甲；第2空：乙（也可答：丙）"


@pytest.mark.parametrize("target,expected", [
    ("/study/today", "/study/today#daily-question"),
    ("//evil.example.com/study/", "/study/daily/#daily-question"),
    ("https://evil.example.com/", "/study/daily/#daily-question"),
    ("/study/\\evil", "/study/daily/#daily-question"),
])
def test_after_answering_the_member_returns_only_to_a_study_page(client, world, day, target, expected):
    question = make_question(world.committee, stem="回到哪里", answer="A")
    db.session.commit()
    login(client, world.users.member)
    response = client.post("/study/daily/answer", data={"question_id": question.id, "answer": "A", "next": target})
    assert response.status_code == 302 and response.location == expected
