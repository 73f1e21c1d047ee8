"""The paper's hand-in: the answered count, the confirmation listing unanswered questions (with and
without JavaScript), and what the result says about credit, from what the ledger booked."""

import re
from datetime import UTC, datetime

from sqlalchemy import select

from portal.credits.models import LedgerEntry
from portal.extensions import db
from portal.study.models.quizzes import AttemptItem, AttemptStatus, QuizAttempt
from portal.study.services import attempts
from tests.study.quiz_factories import make_bank, make_quiz

WEDNESDAY_NOON = datetime(2026, 11, 4, 4, 0, tzinfo=UTC)  # 12:00 in Beijing, mid-week


def _quiz(world, title="第 45 周测试", **settings):
    return make_quiz(world.users.committee, world.committee, [world.branch_a], title=title, **settings)


def _start(client, quiz):
    response = client.post(f"/study/quizzes/{quiz.id}/start")
    assert response.status_code == 302
    return db.session.get(QuizAttempt, int(response.location.rstrip("/").split("/")[-1]))


def _items(attempt):
    return db.session.scalars(
        select(AttemptItem).where(AttemptItem.attempt_id == attempt.id).order_by(AttemptItem.position)).all()


def _all_right(attempt):
    items = _items(attempt)
    return {"shown": [i.position for i in items], **{f"q{i.position}": i.answer for i in items}}


def _text(response):
    return response.get_data(as_text=True)


def test_the_paper_counts_the_answered_questions(world, login_as):
    make_bank(world.committee)
    quiz = _quiz(world)
    client = login_as(world.users.member)
    attempt = _start(client, quiz)
    first, second = _items(attempt)[:2]
    page = _text(client.get(f"/study/attempts/{attempt.id}"))
    assert re.search(r'data-testid="answered-count">已答 <span data-answered>0</span>/<span data-question-total>5<',
                     page)
    assert "还有 5 题未作答：第 1、2、3、4、5 题" in page
    for item in (first, second):
        client.post(f"/study/attempts/{attempt.id}/answer",
                    data={"position": item.position, f"q{item.position}": item.answer})
    page = _text(client.get(f"/study/attempts/{attempt.id}"))
    assert "已答 <span data-answered>2</span>/" in page
    assert "还有 3 题未作答：第 3、4、5 题" in page


def test_hand_in_without_javascript_saves_then_lists_the_unanswered_before_it_is_final(world, login_as):
    make_bank(world.committee)
    quiz = _quiz(world)
    client = login_as(world.users.member)
    attempt = _start(client, quiz)
    items = _items(attempt)
    left_out = {items[1].position, items[3].position}
    data = {"shown": [i.position for i in items], "then": "confirm"}
    data.update({f"q{i.position}": i.answer for i in items if i.position not in left_out})
    response = client.post(f"/study/attempts/{attempt.id}/save", data=data)
    assert response.status_code == 302 and response.location.endswith(f"/study/attempts/{attempt.id}?confirm=1")
    confirm = _text(client.get(response.location))
    assert "还有 2 题未作答：第 2、4 题" in confirm
    assert f'href="/study/attempts/{attempt.id}#q2"' in confirm and f'href="/study/attempts/{attempt.id}#q4"' in confirm
    assert f'action="/study/attempts/{attempt.id}/submit"' in confirm
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).status == AttemptStatus.OPEN  # not handed in yet
    assert [bool(i.given) for i in _items(attempt)] == [True, False, True, False, True]
    # 确定交卷 posts no answers: the saved ones are marked.
    done = _text(client.post(f"/study/attempts/{attempt.id}/submit", data={}, follow_redirects=True))
    assert "已交卷，得分 60。" in done
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).status == AttemptStatus.SUBMITTED


def test_a_paper_with_everything_answered_confirms_so(world, login_as):
    make_bank(world.committee)
    quiz = _quiz(world)
    client = login_as(world.users.member)
    attempt = _start(client, quiz)
    page = _text(client.post(f"/study/attempts/{attempt.id}/save", data={**_all_right(attempt), "then": "confirm"},
                             follow_redirects=True))
    assert "已全部作答" in page and 'data-testid="confirm-submit"' in page and "未作答：" not in page


def test_the_result_says_the_credit_booked_and_later_what_the_ledger_holds(world, login_as, now):
    now.set(WEDNESDAY_NOON)
    make_bank(world.committee)
    quiz = _quiz(world)
    client = login_as(world.users.member)
    attempt = _start(client, quiz)
    page = _text(client.post(f"/study/attempts/{attempt.id}/submit", data=_all_right(attempt), follow_redirects=True))
    booked = db.session.scalar(select(LedgerEntry).where(LedgerEntry.source_type == "quiz_attempt"))
    assert booked.points == 10
    assert 'data-testid="attempt-credit">本次获得 +10 学习积分<' in page
    again = _text(client.get(f"/study/attempts/{attempt.id}"))
    assert 'data-testid="attempt-credit">本次获得 +10 学习积分<' in again


def test_the_result_says_a_cap_cut_or_stopped_the_credit(world, login_as, now):
    now.set(WEDNESDAY_NOON)
    make_bank(world.committee, singles=20, multiples=10, true_falses=10)
    one, two, three = (_quiz(world, title=title) for title in ("周测一", "周测二", "周测三"))
    client = login_as(world.users.member)
    first = _start(client, one)
    items = _items(first)
    wrong = {"shown": [i.position for i in items],
             **{f"q{i.position}": i.answer for i in items if i.kind != "single"}}  # 2 of 5 right: 40
    client.post(f"/study/attempts/{first.id}/submit", data=wrong)
    second = _start(client, two)
    cut = _text(client.post(f"/study/attempts/{second.id}/submit", data=_all_right(second), follow_redirects=True))
    assert "本次获得 +6 学习积分（本周“每周一测”积分上限为 10 分）" in cut
    third = _start(client, three)
    none = _text(client.post(f"/study/attempts/{third.id}/submit", data=_all_right(third), follow_redirects=True))
    assert "本次未获得学习积分：本周“每周一测”积分已达上限（10 分），本次不再计分" in none
    points = db.session.scalars(select(LedgerEntry.points).order_by(LedgerEntry.id)).all()
    assert points == [4, 6]
    # Later the ledger alone speaks: nothing was booked for the third.
    later = _text(client.get(f"/study/attempts/{third.id}"))
    assert 'data-testid="attempt-credit">本次未获得学习积分<' in later


def test_a_blank_paper_and_a_practice_attempt_say_why_no_credit(world, login_as, now):
    now.set(WEDNESDAY_NOON)
    make_bank(world.committee)
    quiz = _quiz(world, attempts_allowed=2)
    client = login_as(world.users.member)
    first = _start(client, quiz)
    blank = _text(client.post(f"/study/attempts/{first.id}/submit", data={}, follow_redirects=True))
    assert "本次未获得学习积分：按成绩折算为 0 分，本次不计“每周一测”积分" in blank
    second = _start(client, quiz)
    practice = _text(client.post(f"/study/attempts/{second.id}/submit", data=_all_right(second),
                                 follow_redirects=True))
    assert 'data-testid="attempt-credit">本次为练习，不计学习积分<' in practice
    assert db.session.scalars(select(LedgerEntry)).all() == []


def test_the_unanswered_message():
    assert attempts.unanswered_message([3, 7]) == "还有 2 题未作答：第 3、7 题"
    assert attempts.unanswered_message([]) == "已全部作答"
