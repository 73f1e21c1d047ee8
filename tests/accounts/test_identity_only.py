"""identity_only views: a weekly test's autosave and hand-in check the session with a few columns."""

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


def test_an_autosave_checks_the_session_without_the_grants(app, world):
    client, attempt_id, item = _member_with_attempt(app, world)
    with CountStatements() as seen:
        response = client.post(f"/study/attempts/{attempt_id}/answer",
                               data={"position": item.position, f"q{item.position}": "A"})
    assert response.status_code == 200
    assert not seen.naming("role_grant")
    assert not seen.naming("max(ledger_entry.id)")  # the newest ledger id is for cached pages only


def test_a_session_ended_elsewhere_is_refused_by_an_identity_only_view(app, world):
    client, attempt_id, item = _member_with_attempt(app, world)
    member = db.session.get(User, world.users.member.id)
    member.session_version += 1  # logged out everywhere
    db.session.commit()
    response = client.post(f"/study/attempts/{attempt_id}/answer",
                           data={"position": item.position, f"q{item.position}": "A"})
    assert response.status_code in (302, 401)
    db.session.expire_all()
    assert db.session.get(AttemptItem, (attempt_id, item.position)).given is None


def test_a_disabled_account_is_refused_by_an_identity_only_view(app, world):
    client, attempt_id, item = _member_with_attempt(app, world)
    db.session.get(User, world.users.member.id).active = False
    db.session.commit()
    response = client.post(f"/study/attempts/{attempt_id}/submit")
    assert response.status_code in (302, 401) and "/login" in response.location


def test_an_identity_gives_the_full_account_when_asked_for_more(app, world):
    with app.app_context():
        identity = sessions.load_identity(world.users.secretary.id)
        assert (identity.id, identity.person_id) == (world.users.secretary.id, world.people.secretary.id)
        assert identity.get_id() == f"{identity.id}:{identity.session_version}" and identity.is_active
        with CountStatements() as seen:
            assert identity.has_permission("study.manage", world.branch_a)
            assert identity.has_role(Role.SECRETARY) and identity.person.name == "王书记"
        assert seen.count == 2  # the account with its grants once, then its person
    with app.app_context():
        assert sessions.load_identity(999999) is None
