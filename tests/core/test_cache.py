"""Cached page parts: made once per key, keyed by the data they show, never shared across scopes."""

from flask import g
from sqlalchemy import literal, select

from portal.core import cache
from portal.core.cache import FragmentCache
from portal.core.permissions import Role
from portal.credits import services
from portal.credits.services import Source
from portal.extensions import db
from portal.roster import services as roster
from portal.roster.models import Person
from tests import factories
from tests.statements import CountStatements, viewed_twice


def test_a_part_is_made_once_per_key_until_it_expires():
    now = [0.0]
    store = FragmentCache(ttl=60, timer=lambda: now[0])
    made = []

    def make(text):
        made.append(text)
        return text

    assert store.get_or_make(("a",), lambda: make("一")) == "一"
    assert store.get_or_make(("a",), lambda: make("二")) == "一"  # cached
    assert store.get_or_make(("b",), lambda: make("三")) == "三"  # another key
    now[0] = 61.0
    assert store.get_or_make(("a",), lambda: make("四")) == "四"  # expired, made again
    assert made == ["一", "三", "四"]
    store.clear()
    assert store.get_or_make(("a",), lambda: make("五")) == "五"


def test_zero_seconds_turns_caching_off():
    store = FragmentCache(ttl=0)
    assert [store.get_or_make(("a",), lambda n=n: str(n)) for n in range(3)] == ["0", "1", "2"]


def _roster_version(app):
    """The roster version as a new request would read it (its own app context, so its own `g`)."""
    with app.app_context(), app.test_request_context():
        return cache.versions("roster")[0]


def test_writing_a_watched_model_moves_its_version_and_a_no_op_does_not(app, world):
    before = _roster_version(app)
    person = world.people.member
    person.job_type = person.job_type  # same value: dirty, but not modified
    db.session.commit()
    assert _roster_version(app) == before
    person.job_type = "采煤机司机"
    db.session.commit()
    moved = _roster_version(app)
    assert moved != before
    factories.make_unit("机电三队", world.branch_a)
    db.session.commit()
    assert _roster_version(app) not in (before, moved)


def test_the_versions_are_read_once_per_request(app, world):
    with app.test_request_context(), CountStatements() as seen:
        first = cache.versions("roster", "ledger")
        assert cache.versions("ledger", "roster") == (first[1], first[0])
        assert seen.count == 1
        assert "_data_versions" in g


def test_the_roster_list_is_reused_and_shows_an_edit_at_once(world, login_as):
    client = login_as(world.users.secretary)
    page = viewed_twice(client, "/roster/")
    assert "张三" in page

    member = world.people.member
    roster.update_person(world.users.secretary, member, **_fields(member, name="张三丰"))
    db.session.commit()
    listed = client.get("/roster/").get_data(as_text=True)
    assert "张三丰" in listed


def test_people_in_other_branches_never_come_from_a_cached_list(world, login_as, client):
    other_secretary = factories.make_user(factories.make_person(world.unit_b, "孙书记"),
                                          roles=[(Role.SECRETARY, world.branch_b)])
    db.session.commit()
    first = login_as(world.users.secretary).get("/roster/").get_data(as_text=True)
    client.post("/logout")
    second = login_as(other_secretary).get("/roster/").get_data(as_text=True)
    assert "张三" in first and "陈五" not in first
    assert "陈五" in second and "张三" not in second


def _fields(person, **changes):
    values = dict(
        name=person.name, gender=person.gender, id_number=person.reveal_id_number(),
        phone=person.reveal_phone(), unit=person.unit, employee_no=person.employee_no, job_type=person.job_type,
        skill_level=person.skill_level, political_status=person.political_status,
        joined_party_on=person.joined_party_on, status=person.status, group=person.group,
    )
    values.update(changes)
    return values


def _counter():
    made = []

    def make():
        made.append(len(made) + 1)
        return made[-1]

    return make


def test_memo_keeps_a_value_until_its_version_moves(app, world):
    make = _counter()
    with app.app_context():
        assert [cache.memo(("demo",), make, "roster") for _ in range(2)] == [1, 1]
        assert cache.memo(("other",), make, "roster") == 2  # another key
    with app.app_context():
        assert cache.memo(("demo",), make, "roster") == 1  # a later request
    factories.make_unit("机电三队", world.branch_a)
    db.session.commit()
    with app.app_context():
        assert cache.memo(("demo",), make, "roster") == 3  # the roster moved on


def test_memo_keeps_nothing_for_a_request_that_changed_its_version(app, world):
    make = _counter()
    member_id = world.people.member.id
    with app.app_context():
        db.session.get(Person, member_id).job_type = "采煤机司机"
        db.session.flush()  # bumps the roster version, uncommitted
        assert [cache.memo(("demo",), make, "roster") for _ in range(2)] == [1, 2]
        db.session.rollback()
    with app.app_context():
        # The rolled-back request's version number never committed: nothing it made is served.
        assert [cache.memo(("demo",), make, "roster") for _ in range(2)] == [3, 3]


def test_a_flush_adding_to_an_append_only_table_makes_its_version_read_again(app, world):
    services.ensure_default_rules()
    db.session.commit()
    with app.app_context():
        before = cache.versions("ledger")
        services.award(db.session.get(Person, world.people.member.id), "session_attend", Source("session", 1))
        with CountStatements() as seen:
            after = cache.versions("ledger")
            assert cache.versions("ledger", "roster")[0] == after[0]
        assert after[0] > before[0] and seen.count == 1
        db.session.rollback()


def test_versions_missing_from_what_a_request_read_are_read_then(app, world):
    with app.app_context():
        row = db.session.execute(cache.with_versions(select(literal(1)), ("rules",))).one()
        cache.remember_versions(row, ("rules",))
        with CountStatements() as seen:
            assert cache.versions("rules") == (row[-1],)
        assert seen.count == 0
        with CountStatements() as seen:
            ledger, rules = cache.versions("ledger", "rules")
            cache.versions("roster", "closed_periods")
        assert seen.count == 1 and rules == row[-1] and ledger == 0
