"""Fixtures: app -> db -> factories, a fresh database state for every test."""

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from portal import create_app
from portal.core import clock, submit_keys
from portal.core.permissions import Role
from portal.extensions import db as _db
from portal.roster.models import OrgKind, PoliticalStatus
from tests import factories
from tests.tools.empty_db import empty_tables

_TMP = Path(tempfile.mkdtemp(prefix="portal-tests-"))


def database_url():
    """TEST_DATABASE_URL, or a throwaway SQLite file."""
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.sqlite'}"


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    Flask reuses an app context that is already pushed, which would share `g` (and the
    logged-in user cached there) and the database session between a test and its requests.
    """

    def open(self, *args, **kwargs):
        """Run the request inside a fresh app context."""
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app():
    """One app for the session, its schema built by the migrations (not create_all)."""
    app = create_app({
        "CONFIG": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        "UPLOAD_DIR": str(_TMP / "uploads"),
        "BACKUP_DIR": str(_TMP / "backups"),
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        _db.drop_all()
        with _db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(revision="heads")
        yield app
        _db.session.remove()


class FrozenNow:
    """The portal's "now" in one test: `set` freezes portal.core.clock there, `advance` moves it on."""

    def __init__(self):
        self.moment = None  # the frozen moment as last set, or None while the clock runs

    def set(self, moment):
        """Freeze the portal's clock at `moment` (an aware datetime); returns it."""
        clock.freeze(moment)
        self.moment = moment
        return moment

    def advance(self, **delta):
        """Move the frozen moment on by timedelta(**delta) (from the real time if none is set); returns it."""
        return self.set((self.moment or clock.utcnow()) + timedelta(**delta))


@pytest.fixture()
def now():
    """The portal's "now" for a test: now.set(moment), now.advance(minutes=5), now.moment.

    The clock is a module global, so the live server thread of the browser tests sees it too.
    This fixture alone releases it, when the test ends. `db` asks for it, so that happens only
    after the database is emptied and the live server has answered its last request.
    """
    frozen = FrozenNow()
    yield frozen
    clock.freeze(None)


@pytest.fixture()
def db(app, now):
    """The database, emptied after each test (the clock is released after it: see `now`)."""
    yield _db
    _db.session.rollback()
    empty_tables(_db.engine, _db.metadata)
    _db.session.remove()
    # Ids and versions start again in the emptied database: parts cached for this test must go.
    app.extensions["fragment_cache"].clear()


@pytest.fixture()
def client(app, db):
    """A test client (CSRF off unless a test turns it on)."""
    app.config["WTF_CSRF_ENABLED"] = False
    yield app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture()
def csrf_client(app, db):
    """A test client with CSRF protection on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture()
def world(db):
    """A small mine: a committee, two branches with units, and one account per role."""
    committee = factories.make_org("示范煤矿党委", OrgKind.COMMITTEE)
    branch_a = factories.make_org("综采一队党支部", OrgKind.BRANCH, committee)
    branch_b = factories.make_org("掘进二队党支部", OrgKind.BRANCH, committee)
    unit_a = factories.make_unit("综采一队", branch_a)
    unit_b = factories.make_unit("掘进二队", branch_b)
    people = SimpleNamespace(
        secretary=factories.make_person(unit_a, "王书记"),
        member=factories.make_person(unit_a, "张三"),
        activist=factories.make_person(unit_a, "李四", PoliticalStatus.ACTIVIST),
        staff=factories.make_person(unit_a, "赵六", PoliticalStatus.MASSES),
        committee=factories.make_person(unit_b, "刘委员"),
        other=factories.make_person(unit_b, "陈五"),
    )
    users = SimpleNamespace(
        admin=factories.make_user(login_name="admin", roles=[(Role.ADMIN, committee)]),
        committee=factories.make_user(people.committee, roles=[(Role.COMMITTEE, committee)]),
        secretary=factories.make_user(people.secretary, roles=[(Role.SECRETARY, branch_a)]),
        member=factories.make_user(people.member, roles=[(Role.MEMBER, branch_a)]),
        activist=factories.make_user(people.activist, roles=[(Role.ACTIVIST, branch_a)]),
        staff=factories.make_user(people.staff, roles=[(Role.STAFF, branch_a)]),
    )
    _db.session.commit()
    return SimpleNamespace(
        committee=committee, branch_a=branch_a, branch_b=branch_b, unit_a=unit_a, unit_b=unit_b,
        people=people, users=users,
    )


def keyed(data=None, **fields):
    """Form data as a creating form's page sends it: with a fresh one-time key (core.submit_keys)."""
    return {**(data or {}), **fields, "submit_key": submit_keys.new_key()}


def login(client, user, password=factories.PASSWORD):
    """Log in through the real form; returns the response."""
    identifier = user.login_name or user.person.employee_no
    return client.post("/login", data={"identifier": identifier, "password": password})


@pytest.fixture()
def login_as(client):
    """Log the test client in as a user: login_as(world.users.secretary)."""

    def _login(user, password=factories.PASSWORD):
        response = login(client, user, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return _login


def run_concurrently(app, action, count):
    """Run `action()` in `count` threads at once, each in its own app context and session.

    Returns what each call returned, or the exception it raised (after a rollback). For the
    guarantees that must hold under concurrency: one credit per source, one ballot, one claim.
    """
    import threading

    barrier = threading.Barrier(count)
    results = []

    def worker():
        with app.app_context():
            try:
                barrier.wait()
                results.append(action())
            except Exception as error:  # noqa: BLE001 - handed back to the test to assert on
                _db.session.rollback()
                results.append(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
