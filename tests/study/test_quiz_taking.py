"""Taking a weekly test over HTTP: autosave, resume, the server's clock, submit, overrides, no leaks."""

import json
import re
from datetime import timedelta

from sqlalchemy import func, select

from portal.core.clock import utcnow
from portal.credits.models import LedgerEntry
from portal.extensions import db
from portal.study.models.quizzes import AttemptItem, AttemptStatus, QuizAttempt
from portal.study.services import attempts, quizzes
from portal.study.services.quizzes import RuleSpec
from tests.conftest import keyed, login
from tests.study.quiz_factories import make_bank, make_question, make_quiz


def _client(app, user):
    """A separate browser logged in as `user` (login_as reuses one client)."""
    client = app.test_client()
    assert login(client, user).status_code == 302
    return client


def _quiz(world, **settings):
    make_bank(world.committee)
    return make_quiz(world.users.committee, world.committee, [world.branch_a], **settings)


def _start(client, quiz):
    response = client.post(f"/study/quizzes/{quiz.id}/start")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    attempt_id = int(response.location.rstrip("/").split("/")[-1])
    return db.session.get(QuizAttempt, attempt_id)


def _start_frozen(now, client, quiz):
    """Freeze `now` at the current time and start the test: (attempt, the moment it started)."""
    start = now.set(utcnow())
    return _start(client, quiz), start


def _item(attempt, kind):
    return next(i for i in db.session.scalars(
        select(AttemptItem).where(AttemptItem.attempt_id == attempt.id).order_by(AttemptItem.position))
        if i.kind == kind)


def _stored(attempt, position):
    db.session.expire_all()
    return db.session.get(AttemptItem, (attempt.id, position)).given


def _answer(client, attempt, item, value):
    """Autosave one answer the way quiz.js does."""
    return client.post(f"/study/attempts/{attempt.id}/answer",
                       data={"position": item.position, f"q{item.position}": value})


def _wrong_letter(item):
    return next(letter for letter in "ABCD" if letter not in item.answer)


def test_autosave_and_resume_with_the_time_left(world, login_as, now):
    quiz = _quiz(world, time_limit=20)
    client = login_as(world.users.member)
    attempt, start = _start_frozen(now, client, quiz)
    item = _item(attempt, "single")
    response = _answer(client, attempt, item, "C")
    assert response.status_code == 200 and response.get_json()["saved"] is True
    assert _stored(attempt, item.position) == ["C"]
    # The tab is closed; eight minutes later the member opens the test again.
    now.set(start + timedelta(minutes=8))
    resumed = client.post(f"/study/quizzes/{quiz.id}/start")
    assert resumed.location.endswith(f"/study/attempts/{attempt.id}")
    page = client.get(f"/study/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-remaining="720"' in page  # 12 of 20 minutes left, by the server's clock
    assert re.search(rf'name="q{item.position}"[^>]*value="C" checked', page)
    assert page.count('name="shown"') == 5  # the no-JS form says which questions it carries


def test_save_button_without_javascript_stores_the_whole_form(world, login_as):
    quiz = _quiz(world)
    client = login_as(world.users.member)
    attempt = _start(client, quiz)
    multiple, true_false = _item(attempt, "multiple"), _item(attempt, "true_false")
    shown = [multiple.position, true_false.position]
    response = client.post(f"/study/attempts/{attempt.id}/save", data={
        "shown": shown, f"q{multiple.position}": ["A", "C"], f"q{true_false.position}": "F"}, follow_redirects=True)
    assert "答案已保存" in response.get_data(as_text=True)
    assert _stored(attempt, multiple.position) == ["A", "C"]
    assert _stored(attempt, true_false.position) == ["F"]
    # Unticking every box of a shown question clears it; questions not on the post keep their answer.
    client.post(f"/study/attempts/{attempt.id}/save", data={"shown": [multiple.position]})
    assert _stored(attempt, multiple.position) == []
    assert _stored(attempt, true_false.position) == ["F"]


def test_bare_submit_hands_in_the_autosaved_answers(world, login_as):
    quiz = _quiz(world)
    client = login_as(world.users.member)
    attempt = _start(client, quiz)
    item = _item(attempt, "true_false")
    _answer(client, attempt, item, item.answer[0])
    client.post(f"/study/attempts/{attempt.id}/submit", data={})
    assert _stored(attempt, item.position) == item.answer
    assert db.session.get(QuizAttempt, attempt.id).score == 20.0


def test_bad_answer_is_refused_and_nothing_stored(world, login_as):
    quiz = _quiz(world)
    client = login_as(world.users.member)
    attempt = _start(client, quiz)
    item = _item(attempt, "single")
    response = _answer(client, attempt, item, ["A", "B"])
    assert response.status_code == 400
    assert response.get_json()["message"] == f"第 {item.position} 题：单选题只能有一个答案"
    assert _stored(attempt, item.position) is None


def test_answer_after_the_deadline_is_refused_and_not_stored(world, login_as, now):
    quiz = _quiz(world, time_limit=10)
    client = login_as(world.users.member)
    attempt, start = _start_frozen(now, client, quiz)
    item = _item(attempt, "single")
    _answer(client, attempt, item, item.answer[0])
    now.set(start + timedelta(minutes=10, seconds=1))
    response = _answer(client, attempt, item, _wrong_letter(item))
    assert response.status_code == 409
    body = response.get_json()
    assert body["saved"] is False and body["closed"] is True
    assert body["message"] == attempts.LATE_MESSAGE
    assert _stored(attempt, item.position) == item.answer  # the late change was not stored
    closed = db.session.get(QuizAttempt, attempt.id)
    assert closed.status == AttemptStatus.EXPIRED and closed.finished_at == attempt.deadline_at


def test_late_submit_is_refused_with_a_clear_message(world, login_as, now):
    quiz = _quiz(world, time_limit=10)
    client = login_as(world.users.member)
    attempt, start = _start_frozen(now, client, quiz)
    item = _item(attempt, "single")
    now.set(start + timedelta(minutes=11))
    response = client.post(f"/study/attempts/{attempt.id}/submit",
                           data={"shown": item.position, f"q{item.position}": item.answer[0]},
                           follow_redirects=True)
    assert attempts.LATE_MESSAGE in response.get_data(as_text=True)
    assert _stored(attempt, item.position) is None
    assert db.session.get(QuizAttempt, attempt.id).status == AttemptStatus.EXPIRED


def test_deadline_is_the_window_end_when_that_comes_first(world, login_as, now):
    moment = utcnow()
    quiz = _quiz(world, time_limit=60, opens_at=moment - timedelta(hours=1), closes_at=moment + timedelta(minutes=15))
    client = login_as(world.users.member)
    now.set(moment)
    attempt = _start(client, quiz)
    assert attempt.deadline_at == quiz.closes_at


def test_submit_marks_credits_once_and_a_replay_does_nothing(world, login_as):
    quiz = _quiz(world)
    client = login_as(world.users.member)
    attempt = _start(client, quiz)
    items = db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)).all()
    data = {"shown": [item.position for item in items]}
    for item in items:
        data[f"q{item.position}"] = item.answer if item.kind != "single" else _wrong_letter(item)
    first = client.post(f"/study/attempts/{attempt.id}/submit", data=data, follow_redirects=True)
    # 3 singles wrong, 1 multiple and 1 true/false right: 10 of 25 points.
    assert "已交卷，得分 40。积分：+4 分" in first.get_data(as_text=True)
    replay = client.post(f"/study/attempts/{attempt.id}/submit", data={}, follow_redirects=True)
    assert "已经交卷，无需重复提交" in replay.get_data(as_text=True)
    db.session.expire_all()
    done = db.session.get(QuizAttempt, attempt.id)
    assert done.status == AttemptStatus.SUBMITTED and done.score == 40.0
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.source_type == "quiz_attempt")).all()
    assert [(e.person_id, e.source_id, e.points) for e in entries] == [(world.people.member.id, attempt.id, 4)]
    # Answering after handing in is refused too.
    late = client.post(f"/study/attempts/{attempt.id}/answer", data={"position": 1, "q1": "A"})
    assert late.status_code == 409 and late.get_json()["message"] == attempts.CLOSED_MESSAGE


def test_one_attempt_unless_the_test_allows_more(world, login_as):
    quiz = _quiz(world)
    client = login_as(world.users.member)
    attempt = _start(client, quiz)
    client.post(f"/study/attempts/{attempt.id}/submit", data={})
    again = client.post(f"/study/quizzes/{quiz.id}/start", follow_redirects=True)
    assert "本测试只能作答 1 次，您已全部完成" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 1


def test_second_attempt_is_practice_without_credits(world, login_as):
    quiz = _quiz(world, attempts_allowed=2, title="可练习")
    client = login_as(world.users.member)
    first = _start(client, quiz)
    blank = client.post(f"/study/attempts/{first.id}/submit", data={}, follow_redirects=True)
    assert "已交卷，得分 0。积分：按成绩折算为 0 分，本次不计“每周一测”积分" in blank.get_data(as_text=True)
    second = _start(client, quiz)
    assert second.id != first.id and second.number == 2
    practice = client.post(f"/study/attempts/{second.id}/submit", data={}, follow_redirects=True)
    assert "积分：只有第一次作答计入学习积分" in practice.get_data(as_text=True)
    sources = db.session.scalars(select(LedgerEntry.source_id).where(LedgerEntry.source_type == "quiz_attempt")).all()
    assert sources in ([], [first.id])  # a score of 0 earns no points, but never the practice attempt
    assert second.id not in sources


def test_auto_close_at_the_deadline_by_the_job(world, login_as, now):
    from portal.study.jobs.quizzes import close_expired_attempts

    quiz = _quiz(world, time_limit=10)
    client = login_as(world.users.member)
    attempt, start = _start_frozen(now, client, quiz)
    item = _item(attempt, "true_false")
    _answer(client, attempt, item, item.answer[0])
    now.set(start + timedelta(minutes=9, seconds=59))
    assert close_expired_attempts() == 0
    now.set(start + timedelta(minutes=10))
    assert close_expired_attempts() == 1
    assert close_expired_attempts() == 0
    db.session.expire_all()
    done = db.session.get(QuizAttempt, attempt.id)
    assert done.status == AttemptStatus.EXPIRED and done.score == 20.0  # 5 of 25 points
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1


def test_an_attempt_past_its_deadline_is_shown_as_time_up_and_closed_by_the_members_post(world, login_as, now):
    quiz = _quiz(world, time_limit=10)
    client = login_as(world.users.member)
    attempt, start = _start_frozen(now, client, quiz)
    item = _item(attempt, "true_false")
    _answer(client, attempt, item, item.answer[0])
    now.set(start + timedelta(minutes=30))
    # Looking writes nothing: the page and the test's page say the time is up and offer to hand in.
    page = client.get(f"/study/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-testid="time-up"' in page and "交卷" in page
    intro = client.get(f"/study/quizzes/{quiz.id}").get_data(as_text=True)
    assert "答题时间已到" in intro and "交卷并查看成绩" in intro
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).status == AttemptStatus.OPEN
    # 交卷并查看成绩 (or the page's 交卷) closes it with the answers saved before the deadline.
    response = client.post(f"/study/quizzes/{quiz.id}/start")
    assert response.location.endswith(f"/study/attempts/{attempt.id}")
    page = client.get(response.location).get_data(as_text=True)
    assert "超时自动交卷" in page and 'data-testid="attempt-score"' in page
    db.session.expire_all()
    done = db.session.get(QuizAttempt, attempt.id)
    assert done.status == AttemptStatus.EXPIRED and done.score == 20.0 and done.finished_at == done.deadline_at


def test_extra_minutes_override_moves_an_open_deadline(app, world, login_as, now):
    quiz = _quiz(world, time_limit=10)
    client = login_as(world.users.member)
    attempt, start = _start_frozen(now, client, quiz)
    secretary = _client(app, world.users.secretary)
    response = secretary.post(f"/study/quizzes/{quiz.id}/overrides", data=keyed({
        "person_ids": [world.people.member.id], "extra_minutes": 15, "reason": "夜班升井晚", "group_id": 0}),
        follow_redirects=True)
    assert "已为 1 人单独安排" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).deadline_at == start + timedelta(minutes=25)
    from portal.core.audit import AuditEntry
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "quiz_override_granted"))
    assert "张三" in entry.detail and "夜班升井晚" in entry.detail and entry.actor_id == world.users.secretary.id
    # Twenty minutes in, the member can still answer.
    now.set(start + timedelta(minutes=20))
    item = _item(attempt, "single")
    ok = _answer(client, attempt, item, "A")
    assert ok.status_code == 200 and ok.get_json()["remaining"] == 300


def test_other_window_for_a_group(app, world, now):
    from portal.roster.models import OrgKind
    from tests import factories

    group = factories.make_org("一班党小组", OrgKind.GROUP, world.branch_a)
    world.people.activist.group_id = group.id
    db.session.commit()
    published = utcnow()
    quiz = _quiz(world, opens_at=published - timedelta(days=2), closes_at=published + timedelta(hours=1))
    later = now.set(published + timedelta(hours=2))  # the common window has closed
    client = _client(app, world.users.activist)
    closed = client.post(f"/study/quizzes/{quiz.id}/start", follow_redirects=True).get_data(as_text=True)
    assert "测试已于" in closed and "截止" in closed
    quizzes.grant_override(world.users.secretary, quiz, group_id=group.id, opens_at=later - timedelta(hours=1),
                           closes_at=later + timedelta(hours=5), reason="三班倒：夜班组")
    db.session.commit()
    attempt = _start(client, quiz)
    assert attempt.deadline_at == later + timedelta(minutes=30)
    # The member outside the group still cannot start.
    member = _client(app, world.users.member)
    assert "测试已于" in member.post(f"/study/quizzes/{quiz.id}/start", follow_redirects=True).get_data(as_text=True)


def test_override_needs_a_reason_and_writes_nothing_without(world, login_as):
    quiz = _quiz(world)
    secretary = login_as(world.users.secretary)
    response = secretary.post(f"/study/quizzes/{quiz.id}/overrides", data=keyed({
        "person_ids": [world.people.member.id], "extra_minutes": 15, "reason": "", "group_id": 0}))
    assert "请填写原因" in response.get_data(as_text=True)
    assert quizzes.overrides(quiz, world.users.secretary) == []


def test_answers_never_reach_the_browser_before_the_window_closes(world, login_as, now):
    make_bank(world.committee)
    secret = make_question(world.committee, "fill", answer=[["独一无二的填空答案"]],
                           explanation="只在截止后出现的解析")
    marker = make_question(world.committee, "single", options=["甲选项", "乙选项", "正确选项丙", "丁选项"],
                           answer=["C"], explanation="选丙的理由")
    moment = utcnow()
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a], rules=[RuleSpec("single", 1)],
                     picks=[secret.id, marker.id], opens_at=moment - timedelta(hours=1),
                     closes_at=moment + timedelta(minutes=50))
    client = login_as(world.users.member)
    attempt = _start(client, quiz)
    seen = []
    seen.append(client.get(f"/study/quizzes/{quiz.id}").get_data(as_text=True))
    seen.append(client.get(f"/study/attempts/{attempt.id}").get_data(as_text=True))
    seen.append(json.dumps(client.post(f"/study/attempts/{attempt.id}/answer",
                                       data={"position": 1, "q1": "A"}).get_json(), ensure_ascii=False))
    submitted = client.post(f"/study/attempts/{attempt.id}/submit", data={}, follow_redirects=True)
    seen.append(submitted.get_data(as_text=True))
    seen.append(json.dumps(client.post(f"/study/attempts/{attempt.id}/answer",
                                       data={"position": 1, "q1": "A"}).get_json(), ensure_ascii=False))
    seen.append(client.get(f"/study/attempts/{attempt.id}").get_data(as_text=True))
    seen.append(client.get("/study/quizzes/").get_data(as_text=True))
    for text in seen:
        assert "独一无二的填空答案" not in text and "只在截止后出现的解析" not in text and "选丙的理由" not in text
        assert "正确答案" not in text and "✓" not in text
    assert "答案和解析将在测试截止" in seen[-2]
    # After the window closes the member sees their answers, the correct ones and the explanations.
    now.set(moment + timedelta(hours=1))
    review = client.get(f"/study/attempts/{attempt.id}").get_data(as_text=True)
    assert "独一无二的填空答案" in review and "只在截止后出现的解析" in review and "选丙的理由" in review


def test_review_waits_for_overridden_windows(world, login_as, now):
    moment = utcnow()
    quiz = _quiz(world, opens_at=moment - timedelta(hours=2), closes_at=moment + timedelta(hours=1))
    quizzes.grant_override(world.users.secretary, quiz, person_ids=[world.people.activist.id],
                           closes_at=moment + timedelta(days=1), reason="出差")
    db.session.commit()
    client = login_as(world.users.member)
    attempt = _start(client, quiz)
    client.post(f"/study/attempts/{attempt.id}/submit", data={})
    now.set(moment + timedelta(hours=2))  # the common window has closed, the activist's has not
    page = client.get(f"/study/attempts/{attempt.id}").get_data(as_text=True)
    assert "答案和解析将在测试截止" in page and "正确答案" not in page


def test_member_cannot_open_or_answer_another_members_attempt(app, world, login_as):
    quiz = _quiz(world)
    owner = login_as(world.users.activist)
    attempt = _start(owner, quiz)
    other = _client(app, world.users.member)
    assert other.get(f"/study/attempts/{attempt.id}").status_code == 404
    assert other.post(f"/study/attempts/{attempt.id}/answer", data={"position": 1, "q1": "A"}).status_code == 404
    assert other.post(f"/study/attempts/{attempt.id}/save", data={"q1": "A"}).status_code == 404
    assert other.post(f"/study/attempts/{attempt.id}/submit", data={}).status_code == 404
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).is_open
    assert _stored(attempt, 1) is None


def test_people_outside_the_assigned_branches_cannot_take_it(app, world, login_as):
    quiz = _quiz(world)  # assigned to branch_a only
    client = login_as(world.users.committee)  # a person in branch_b
    assert client.get(f"/study/quizzes/{quiz.id}").status_code == 404
    assert client.post(f"/study/quizzes/{quiz.id}/start").status_code == 404
    staff = _client(app, world.users.staff)  # 群众 in branch_a: not a taker
    assert staff.get(f"/study/quizzes/{quiz.id}").status_code == 404


def test_autosave_needs_the_csrf_token(world, csrf_client):
    quiz = _quiz(world)
    client = csrf_client
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"identifier": world.people.member.employee_no, "password": "Mine-safety-2026",
                                "csrf_token": token})
    intro = client.get(f"/study/quizzes/{quiz.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', intro).group(1)
    started = client.post(f"/study/quizzes/{quiz.id}/start", data={"csrf_token": token})
    attempt_id = int(started.location.rstrip("/").split("/")[-1])
    refused = client.post(f"/study/attempts/{attempt_id}/answer", data={"position": 1, "q1": "A"})
    assert refused.status_code == 400
    assert _stored(db.session.get(QuizAttempt, attempt_id), 1) is None
    accepted = client.post(f"/study/attempts/{attempt_id}/answer", data={"position": 1, "q1": "A"},
                           headers={"X-CSRFToken": token})
    assert accepted.status_code == 200
