"""What a whole mine handing in at once runs: the autosave, hand-in and replay, statement by statement.

At a test's deadline every member autosaves and hands in within a minute. These tests bound the
number of statements each of those requests runs, the same on SQLite and PostgreSQL (a
regression here is a slower storm), and the refusals the autosave must still give.
"""

from sqlalchemy import func, select

from portal.credits import services as credits
from portal.credits.models import LedgerEntry
from portal.extensions import db
from portal.study.models.quizzes import AttemptItem, AttemptStatus, QuizAttempt
from portal.study.services.quizzes import RuleSpec
from tests.conftest import login
from tests.statements import CountStatements
from tests.study.quiz_factories import make_bank, make_question, make_quiz

RULES = [RuleSpec("single", 3), RuleSpec("true_false", 2)]


def _client(app, user):
    client = app.test_client()
    assert login(client, user).status_code == 302
    return client


def _started(app, world, user, quiz):
    """A logged-in client of `user` and their open attempt at `quiz`."""
    client = _client(app, user)
    response = client.post(f"/study/quizzes/{quiz.id}/start")
    assert response.status_code == 302
    return client, int(response.location.rstrip("/").split("/")[-1])


def _items(attempt_id):
    return db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)
                              .order_by(AttemptItem.position)).all()


def _single(attempt_id):
    return next(item for item in _items(attempt_id) if item.kind == "single")


def _quiz(world):
    make_bank(world.committee)
    return make_quiz(world.users.committee, world.committee, [world.branch_a], rules=RULES)


def test_an_autosave_is_the_log_in_check_one_read_and_two_updates(app, world):
    quiz = _quiz(world)
    client, attempt_id = _started(app, world, world.users.member, quiz)
    item = _single(attempt_id)
    with CountStatements() as seen:
        response = client.post(f"/study/attempts/{attempt_id}/answer",
                               data={"position": item.position, f"q{item.position}": item.answer[0]})
    assert response.status_code == 200 and response.get_json()["saved"] is True
    # The log-in check, the attempt with the question, the guarded UPDATE (first: it takes the
    # attempt's lock), then the answer.
    assert seen.count <= 4, seen.statements
    updates = [sql for sql in seen.statements if sql.startswith("UPDATE")]
    assert [sql.split()[1] for sql in updates] == ["quiz_attempt", "quiz_attempt_item"]
    db.session.expire_all()
    assert db.session.get(AttemptItem, (attempt_id, item.position)).given == item.answer


def test_a_position_not_on_the_paper_is_refused_and_writes_nothing(app, world):
    quiz = _quiz(world)
    client, attempt_id = _started(app, world, world.users.member, quiz)
    saved_before = db.session.get(QuizAttempt, attempt_id).last_saved_at
    for position in ("99", "", "x"):
        with CountStatements() as seen:
            response = client.post(f"/study/attempts/{attempt_id}/answer", data={"position": position, "q99": "A"})
        assert response.status_code == 400
        body = response.get_json()
        assert body["saved"] is False and body["message"] == "题目不存在" and body["closed"] is False
        assert 0 < body["remaining"] <= 60 * 60
        assert not [sql for sql in seen.statements if sql.startswith("UPDATE")]
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt_id).last_saved_at == saved_before
    assert all(item.given in (None, []) for item in _items(attempt_id))


def test_someone_elses_attempt_is_not_found_even_for_a_bad_position(app, world):
    quiz = _quiz(world)
    _owner, attempt_id = _started(app, world, world.users.member, quiz)
    other = _client(app, world.users.secretary)
    for position in ("1", "99"):
        response = other.post(f"/study/attempts/{attempt_id}/answer", data={"position": position, "q1": "A"})
        assert response.status_code == 404
    assert other.post("/study/attempts/999999/answer", data={"position": "1", "q1": "A"}).status_code == 404


def _answer_all(client, attempt_id):
    for item in _items(attempt_id):
        response = client.post(f"/study/attempts/{attempt_id}/answer",
                               data={"position": item.position, f"q{item.position}": item.answer[0]})
        assert response.status_code == 200


def _quiz_with_rules(world):
    """_quiz(), with the credit rules already written (as on any portal that has credited once)."""
    quiz = _quiz(world)
    credits.ensure_default_rules()
    db.session.commit()
    return quiz


def test_a_hand_in_marks_credits_and_answers_in_a_few_statements(app, world):
    quiz = _quiz_with_rules(world)
    # A first hand-in reads the credit rule and the last closed period; the ones after it find them kept.
    first, first_id = _started(app, world, world.users.secretary, quiz)
    _answer_all(first, first_id)
    assert first.post(f"/study/attempts/{first_id}/submit").status_code == 302
    client, attempt_id = _started(app, world, world.users.member, quiz)
    _answer_all(client, attempt_id)
    with CountStatements() as seen:
        response = client.post(f"/study/attempts/{attempt_id}/submit")
    assert response.status_code == 302 and response.location.endswith(f"/study/attempts/{attempt_id}")
    # log-in check, the attempt with its paper, test and person, the guarded UPDATE, the score, the
    # marks, the rule, the cap's lock and sum, the last closed period, the ledger INSERT and the
    # running totals
    assert seen.count <= 11, "\n".join(" ".join(s.split())[:100] for s in seen.statements)
    assert seen.statements.index(seen.naming("UPDATE quiz_attempt SET status")[0]) < seen.statements.index(
        seen.naming("INSERT INTO ledger_entry")[0])  # the deadline guard first, the credit last
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.score == 100.0
    assert all(item.fraction == 1.0 for item in _items(attempt_id))
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.source_id == attempt_id,
                                                        LedgerEntry.source_type == "quiz_attempt"))
    assert entry.points == 10
    assert "已交卷，得分 100" in client.get(f"/study/attempts/{attempt_id}").get_data(as_text=True)


def test_a_replayed_hand_in_reads_and_writes_nothing_more(app, world):
    quiz = _quiz(world)
    client, attempt_id = _started(app, world, world.users.member, quiz)
    _answer_all(client, attempt_id)
    assert client.post(f"/study/attempts/{attempt_id}/submit").status_code == 302
    with CountStatements() as seen:
        response = client.post(f"/study/attempts/{attempt_id}/submit")
    assert response.status_code == 302
    # the log-in check and the attempt with its paper: nothing is written
    assert seen.count <= 2 and not [sql for sql in seen.statements if not sql.startswith("SELECT")], seen.statements
    assert "已经交卷，无需重复提交" in client.get(f"/study/attempts/{attempt_id}").get_data(as_text=True)
    credited = db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.source_type == "quiz_attempt", LedgerEntry.source_id == attempt_id))
    assert credited == 1


def test_a_fill_in_autosave_stores_its_blanks_as_checked(app, world):
    blanks = make_question(world.committee, "fill", answer=[["安全第一"], ["预防为主"]])
    make_bank(world.committee)
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a], rules=[], picks=[blanks.id])
    client, attempt_id = _started(app, world, world.users.member, quiz)
    item = _items(attempt_id)[0]
    response = client.post(f"/study/attempts/{attempt_id}/answer", data={
        "position": item.position, f"q{item.position}_1": "  安全第一 ", f"q{item.position}_2": "预防为主"})
    assert response.status_code == 200 and response.get_json()["saved"] is True
    db.session.expire_all()
    assert db.session.get(AttemptItem, (attempt_id, item.position)).given == ["安全第一", "预防为主"]


def test_a_bad_answer_leaves_the_attempt_as_it_was(app, world):
    quiz = _quiz(world)
    client, attempt_id = _started(app, world, world.users.member, quiz)
    item = next(i for i in _items(attempt_id) if i.kind == "true_false")
    good = client.post(f"/study/attempts/{attempt_id}/answer",
                       data={"position": item.position, f"q{item.position}": "对"})
    assert good.get_json()["saved"] is True
    db.session.expire_all()
    saved_at = db.session.get(QuizAttempt, attempt_id).last_saved_at
    bad = client.post(f"/study/attempts/{attempt_id}/answer",
                      data={"position": item.position, f"q{item.position}": "也许"})
    assert bad.status_code == 400 and bad.get_json()["saved"] is False
    assert bad.get_json()["closed"] is False and bad.get_json()["remaining"] > 0
    db.session.expire_all()
    assert db.session.get(AttemptItem, (attempt_id, item.position)).given == ["T"]
    assert db.session.get(QuizAttempt, attempt_id).last_saved_at == saved_at


def test_a_hand_in_that_scores_nothing_skips_the_caps(app, world):
    quiz = _quiz_with_rules(world)
    client, attempt_id = _started(app, world, world.users.member, quiz)
    with CountStatements() as seen:
        assert client.post(f"/study/attempts/{attempt_id}/submit").status_code == 302
    assert not seen.naming("sum(CASE")  # nothing to cap: only the look-up for an earlier credit
    assert seen.naming("ledger_entry.source_id")
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt_id).score == 0
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def _whole_form(attempt_id, answers):
    """What 交卷 posts: every question shown, and the answers ticked ({position: letter})."""
    data = {"shown": [str(item.position) for item in _items(attempt_id)]}
    data.update({f"q{position}": letter for position, letter in answers.items()})
    return data


def test_the_whole_form_at_hand_in_stores_only_what_autosave_had_not(app, world):
    quiz = _quiz_with_rules(world)
    client, attempt_id = _started(app, world, world.users.member, quiz)
    _answer_all(client, attempt_id)
    singles = [item for item in _items(attempt_id) if item.kind == "single"]
    form = {item.position: item.answer[0] for item in _items(attempt_id)}
    changed = singles[0]
    form[changed.position] = next(letter for letter in "ABCD" if letter not in changed.answer)
    with CountStatements() as seen:
        response = client.post(f"/study/attempts/{attempt_id}/submit", data=_whole_form(attempt_id, form))
    assert response.status_code == 302
    assert seen.parameter_sets("SET given") == 1  # only the answer changed since its autosave
    db.session.expire_all()
    items = {item.position: item for item in _items(attempt_id)}
    assert items[changed.position].given == [form[changed.position]] and items[changed.position].fraction == 0
    assert all(item.fraction == 1.0 for position, item in items.items() if position != changed.position)
    assert db.session.get(QuizAttempt, attempt_id).status == AttemptStatus.SUBMITTED


def test_a_bad_answer_in_the_whole_form_refuses_the_hand_in(app, world):
    quiz = _quiz(world)
    client, attempt_id = _started(app, world, world.users.member, quiz)
    item = next(i for i in _items(attempt_id) if i.kind == "true_false")
    response = client.post(f"/study/attempts/{attempt_id}/submit",
                           data=_whole_form(attempt_id, {item.position: "也许"}))
    assert response.status_code == 302
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.status == AttemptStatus.OPEN and attempt.finished_at is None
    assert all(i.given is None for i in _items(attempt_id))
    assert "判断题" in client.get(f"/study/attempts/{attempt_id}").get_data(as_text=True)


def test_someone_elses_hand_in_is_not_found_whatever_its_form(app, world):
    quiz = _quiz(world)
    _owner, attempt_id = _started(app, world, world.users.member, quiz)
    item = next(i for i in _items(attempt_id) if i.kind == "true_false")
    other = _client(app, world.users.secretary)
    for answers in ({item.position: "也许"}, {item.position: "对"}, {}):
        response = other.post(f"/study/attempts/{attempt_id}/submit", data=_whole_form(attempt_id, answers))
        assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt_id).status == AttemptStatus.OPEN
    assert all(i.given is None for i in _items(attempt_id))


def test_a_replayed_hand_in_with_a_bad_form_is_told_it_was_handed_in(app, world):
    quiz = _quiz(world)
    client, attempt_id = _started(app, world, world.users.member, quiz)
    assert client.post(f"/study/attempts/{attempt_id}/submit").status_code == 302
    item = next(i for i in _items(attempt_id) if i.kind == "true_false")
    response = client.post(f"/study/attempts/{attempt_id}/submit",
                           data=_whole_form(attempt_id, {item.position: "也许"}))
    assert response.status_code == 302
    page = client.get(f"/study/attempts/{attempt_id}").get_data(as_text=True)
    assert "已经交卷，无需重复提交" in page and "判断题" not in page
