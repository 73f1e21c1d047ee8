"""Marking, results, statistics, export, credits and the jobs of the weekly test."""

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.core import clock
from portal.core.clock import utcnow
from portal.credits.models import LedgerEntry
from portal.extensions import db
from portal.inbox.models import Message
from portal.roster.models import PoliticalStatus
from portal.study.jobs import quizzes as jobs
from portal.study.models.quizzes import AttemptStatus, QuizAttempt
from portal.study.services import attempts, quiz_results
from portal.study.services.quizzes import RuleSpec
from tests import factories
from tests.conftest import keyed, run_concurrently
from tests.study.quiz_factories import actor_of, make_bank, make_question, make_quiz


def _sit(quiz, person, answers):
    """Start, answer ({position: raw}) and hand in, as `person`."""
    attempt = attempts.start(actor_of(person), quiz)
    if answers:
        attempts.save(actor_of(person), attempt, answers)
    attempts.submit(actor_of(person), attempt)
    db.session.commit()
    return attempt


@pytest.mark.parametrize(("policy", "expected"), [("none", 0.0), ("half", 50.0), ("proportional", 66.7)])
def test_multiple_choice_partial_policies(world, policy, expected):
    question = make_question(world.committee, "multiple", options=["甲", "乙", "丙", "丁"], answer=["A", "C", "D"])
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a], rules=[], picks=[question.id],
                     partial_policy=policy)
    attempt = _sit(quiz, world.people.member, {1: ["A", "C"]})
    assert attempt.score == expected
    wrong = _sit(make_quiz(world.users.committee, world.committee, [world.branch_a], rules=[],
                           picks=[question.id], partial_policy=policy, title="错选"),
                 world.people.activist, {1: ["A", "B"]})
    assert wrong.score == 0.0  # a wrong option earns nothing under every policy


def _statistics_world(world):
    """Five takers in branch A on the same three hand-picked questions (5 points each, half credit)."""
    q1 = make_question(world.committee, "single", options=["甲", "乙", "丙", "丁"], answer=["B"])
    q2 = make_question(world.committee, "multiple", options=["甲", "乙", "丙", "丁"], answer=["A", "C"])
    q3 = make_question(world.committee, "true_false", answer=["T"])
    extra = [factories.make_person(world.unit_a, name) for name in ("孙七", "周八")]
    db.session.commit()
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a, world.branch_b], rules=[],
                     picks=[q1.id, q2.id, q3.id], partial_policy="half")
    people = [world.people.secretary, world.people.member, world.people.activist, *extra]
    answers = [
        {1: "B", 2: ["A", "C"], 3: "T"},  # 15/15 = 100
        {1: "B", 2: ["A"], 3: "T"},  # 12.5/15 = 83.3
        {1: "C", 2: ["A", "C"], 3: "F"},  # 5/15 = 33.3
        {1: "C", 2: ["A", "B"], 3: "T"},  # 5/15 = 33.3
        {3: "T"},  # 5/15 = 33.3
    ]
    sat = [_sit(quiz, person, given) for person, given in zip(people, answers, strict=True)]
    return quiz, (q1, q2, q3), sat


def test_results_and_hand_computed_statistics(world):
    quiz, (q1, q2, q3), sat = _statistics_world(world)
    assert [a.score for a in sat] == [100.0, 83.3, 33.3, 33.3, 33.3]
    rows = quiz_results.result_rows(world.users.secretary, quiz)
    assert [r.person.name for r in rows] == ["王书记", "张三", "李四", "孙七", "周八"]
    assert quiz_results.summary(quiz, rows) == {"expected": 5, "finished": 5, "missing": 0, "average": 56.6,
                                                "pass_rate": 40.0}
    stats = {s.question_id: s for s in quiz_results.question_stats(rows)}
    # Top 27% of 5 = the best paper (王书记); bottom = the worst, ties broken by the later attempt (周八).
    assert (stats[q1.id].correct_rate, stats[q1.id].common_wrong, stats[q1.id].discrimination) == (0.4, "C（丙）", 1.0)
    assert (stats[q2.id].correct_rate, stats[q2.id].common_wrong, stats[q2.id].discrimination) == (0.4, "B（乙）", 1.0)
    assert (stats[q3.id].correct_rate, stats[q3.id].common_wrong, stats[q3.id].discrimination) == (0.8, "错误", 0.0)


def test_results_page_lists_who_did_not_take_it_and_only_own_branches(app, world, login_as):
    q1 = make_question(world.committee, "single")
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a, world.branch_b], rules=[],
                     picks=[q1.id])
    _sit(quiz, world.people.member, {1: q1.answer})
    _sit(quiz, world.people.other, {1: q1.answer})  # branch B
    page = login_as(world.users.secretary).get(f"/study/quizzes/{quiz.id}/results").get_data(as_text=True)
    assert "张三" in page and "王书记" in page and "未参加" in page
    assert "陈五" not in page  # another branch's member
    assert '<svg' in page  # the score distribution chart
    committee = app.test_client()
    from tests.conftest import login
    login(committee, world.users.committee)
    assert "陈五" in committee.get(f"/study/quizzes/{quiz.id}/results").get_data(as_text=True)


def test_secretary_cannot_see_another_branchs_test(world, login_as):
    make_bank(world.committee)
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_b])
    client = login_as(world.users.secretary)
    for path in ("results", "results/export", "manage", "overrides"):
        assert client.get(f"/study/quizzes/{quiz.id}/{path}").status_code == 404, path


def test_export_has_chinese_headers_and_the_rows(world, login_as):
    quiz, _questions, _sat = _statistics_world(world)
    response = login_as(world.users.secretary).get(f"/study/quizzes/{quiz.id}/results/export")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("姓名", "党支部", "状态", "得分", "是否及格", "用时（分钟）", "交卷时间")
    assert rows[1][:5] == ("王书记", "综采一队党支部", "已交卷", 100, "及格")
    assert len(rows) == 6


def test_credits_once_per_counted_attempt(world):
    q1 = make_question(world.committee, "single")
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a], rules=[], picks=[q1.id])
    attempt = _sit(quiz, world.people.member, {1: q1.answer})
    attempts.submit(actor_of(world.people.member), attempt)  # replayed
    attempts.close_if_expired(attempt, utcnow() + timedelta(days=1))  # and the job coming by later
    db.session.commit()
    entries = db.session.scalars(select(LedgerEntry)).all()
    assert [(e.rule_code, e.source_type, e.source_id, e.points) for e in entries] == [
        ("weekly_test", "quiz_attempt", attempt.id, 10)]


def _expired_attempts(now, world, count):
    question = make_question(world.committee, "true_false")
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a], rules=[], picks=[question.id],
                     time_limit=5)
    people = [factories.make_person(world.unit_a, f"倒班{i}") for i in range(count)]
    db.session.commit()
    started = now.set(utcnow())
    for person in people:
        attempt = attempts.start(actor_of(person), quiz)
        attempts.save(actor_of(person), attempt, {1: "T"})
    db.session.commit()
    now.set(started + timedelta(minutes=6))
    return quiz, people


def test_closing_job_twice_in_a_row_marks_and_credits_once(world, now):
    _quiz, people = _expired_attempts(now, world, 3)
    assert jobs.close_expired_attempts() == 3
    assert jobs.close_expired_attempts() == 0
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 3


def test_closing_job_in_two_processes_at_once_marks_and_credits_once(app, world, now):
    _quiz, people = _expired_attempts(now, world, 6)
    results = run_concurrently(app, jobs.close_expired_attempts, 2)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 6
    db.session.expire_all()
    statuses = db.session.scalars(select(QuizAttempt.status)).all()
    assert statuses == [AttemptStatus.EXPIRED] * 6
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 6


def test_submit_racing_the_closing_job_finishes_once(app, world):
    question = make_question(world.committee, "true_false")
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a], rules=[], picks=[question.id])
    attempt = attempts.start(actor_of(world.people.member), quiz)
    attempts.save(actor_of(world.people.member), attempt, {1: "T"})
    db.session.commit()
    attempt_id = attempt.id

    def submit():
        mine = db.session.get(QuizAttempt, attempt_id)
        result = attempts.submit(actor_of(mine.person), mine)
        db.session.commit()
        return result.finished_now

    results = run_concurrently(app, submit, 3)
    assert sorted(results) == [False, False, True]
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1


def test_reminder_for_a_test_closing_tomorrow_once_per_person(world):
    make_bank(world.committee)
    now = utcnow()
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a], opens_at=now - timedelta(days=5),
                     closes_at=now + timedelta(days=1))
    _sit(quiz, world.people.member, {})
    # Due: the secretary and the activist; the member has finished, staff do not sit tests.
    assert jobs.remind_closing_tomorrow(clock.localnow()) == 2
    jobs.remind_closing_tomorrow(clock.localnow())  # again: the inbox keeps one message each
    messages = db.session.scalars(select(Message)).all()
    assert sorted(m.person_id for m in messages) == sorted([world.people.secretary.id, world.people.activist.id])
    assert all(m.title == f"每周一测“{quiz.title}”明天截止" and m.url == f"/study/quizzes/{quiz.id}" for m in messages)


def test_no_reminder_two_days_ahead(world):
    make_bank(world.committee)
    now = utcnow()
    make_quiz(world.users.committee, world.committee, [world.branch_a], closes_at=now + timedelta(days=2, hours=1),
              opens_at=now - timedelta(hours=1))
    assert jobs.remind_closing_tomorrow(clock.localnow()) == 0


def test_activist_can_take_but_masses_cannot(world):
    make_bank(world.committee)
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a])
    assert world.people.activist.political_status == PoliticalStatus.ACTIVIST
    assert attempts.start(actor_of(world.people.activist), quiz).is_open
    from portal.core.exceptions import NotFound
    with pytest.raises(NotFound):
        attempts.start(actor_of(world.people.staff), quiz)


def test_secretary_writes_a_test_and_is_told_the_bank_is_short(world, login_as):
    make_bank(world.committee, singles=2)
    db.session.commit()
    client = login_as(world.users.secretary)
    form = client.get("/study/quizzes/new").get_data(as_text=True)
    assert "本周一" in form or "默认本周一" in form
    response = client.post("/study/quizzes/new", data=keyed({
        "title": "十一月第三周测试", "organisation_id": world.branch_a.id, "partial_policy": "half",
        "time_limit": 20, "attempts_allowed": 1, "pass_mark": 60, "opens_at": "2026-11-16T00:00",
        "closes_at": "2099-11-22T23:59", "branch_ids": [world.branch_a.id],
        "rules-0-kind": "single", "rules-0-count": 10, "rules-0-tag": "安全生产", "rules-0-points": 5,
        "rules-1-kind": "true_false", "rules-1-count": 2, "rules-1-points": 5,
    }), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "测试已保存为草稿" in page
    assert "规则“单选题 10 道（安全生产，每题 5 分）”需要 10 道题，题库中只有 2 道可用" in page
    quiz_id = int(response.request.path.split("/")[3])
    published = client.post(f"/study/quizzes/{quiz_id}/publish", follow_redirects=True).get_data(as_text=True)
    assert "题库题目不足，不能发布" in published
    from portal.study.models.quizzes import Quiz
    assert db.session.get(Quiz, quiz_id).status == "draft"


def test_secretary_cannot_assign_another_branch_over_http(world, login_as):
    make_bank(world.committee)
    db.session.commit()
    client = login_as(world.users.secretary)
    response = client.post("/study/quizzes/new", data=keyed({
        "title": "越权", "organisation_id": world.branch_a.id, "partial_policy": "none", "time_limit": 20,
        "attempts_allowed": 1, "pass_mark": 60, "opens_at": "2026-11-16T00:00", "closes_at": "2099-11-22T23:59",
        "branch_ids": [world.branch_b.id], "rules-0-kind": "single", "rules-0-count": 1, "rules-0-points": 5}))
    assert "只能把测试布置给本组织下、您负责的党支部" in response.get_data(as_text=True)
    from portal.study.models.quizzes import Quiz
    assert db.session.scalar(select(func.count()).select_from(Quiz)) == 0


def test_rule_with_a_difficulty(world):
    easy = [make_question(world.committee, "single", difficulty=1) for _ in range(2)]
    make_question(world.committee, "single", difficulty=5)
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a],
                     rules=[RuleSpec("single", 2, difficulty=1)])
    attempt = attempts.start(actor_of(world.people.member), quiz)
    assert {i.question_id for i in attempt.items} == {q.id for q in easy}
