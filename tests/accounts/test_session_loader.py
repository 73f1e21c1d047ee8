"""The log-in check: the account and its grants in one statement, nothing another module keeps."""

from sqlalchemy import select

from portal.accounts import sessions
from portal.accounts.models import User
from portal.core.permissions import Role
from portal.extensions import db
from portal.study.models.quizzes import AttemptItem
from tests.conftest import login
from tests.statements import CountStatements
from tests.study.quiz_factories import make_bank, make_quiz


def _member_with_attempt(app, world):
    make_bank(world.committee)
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a])
    client = app.test_client()
    assert login(client, world.users.member).status_code == 302
    started = client.post(f"/study/quizzes/{quiz.id}/start")
    attempt_id = int(started.location.rstrip("/").split("/")[-1])
    item = db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id,
                                                        AttemptItem.kind == "single")).first()
    return client, attempt_id, item


def test_the_account_and_its_grants_load_in_one_statement(app, world):
    secretary_id = world.users.secretary.id
    with app.app_context():
        with CountStatements() as seen:
            user = sessions.load_account(secretary_id)
            assert user.has_role(Role.SECRETARY) and [g.organisation.name for g in user.grants] == ["综采一队党支部"]
        assert seen.count == 1, [sql[:60] for sql in seen.statements]
        assert seen.naming("role_grant") and seen.naming("organisation")
        assert not seen.naming("data_version") and not seen.naming("max(ledger_entry.id)")
    with app.app_context():
        assert sessions.load_account(999999) is None


def test_a_page_outside_the_cached_parts_reads_no_data_versions(client, world):
    login(client, world.users.member)
    with CountStatements() as seen:
        assert client.get("/inbox/").status_code == 200
    assert not seen.naming("data_version") and not seen.naming("max(ledger_entry.id)")


def test_a_session_ended_elsewhere_is_refused(app, world):
    client, attempt_id, item = _member_with_attempt(app, world)
    member = db.session.get(User, world.users.member.id)
    member.session_version += 1  # logged out everywhere
    db.session.commit()
    response = client.post(f"/study/attempts/{attempt_id}/answer",
                           data={"position": item.position, f"q{item.position}": "A"})
    assert response.status_code == 302 and "/login" in response.location
    db.session.expire_all()
    assert db.session.get(AttemptItem, (attempt_id, item.position)).given is None


def test_a_disabled_account_is_refused(app, world):
    client, attempt_id, item = _member_with_attempt(app, world)
    db.session.get(User, world.users.member.id).active = False
    db.session.commit()
    response = client.post(f"/study/attempts/{attempt_id}/submit")
    assert response.status_code == 302 and "/login" in response.location
