"""Cached page parts: made once per key, keyed by the data they show, never shared across scopes."""

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


def test_the_versions_a_page_asks_for_are_read_in_one_statement(app, world):
    with app.test_request_context(), CountStatements() as seen:
        roster_version, ledger = cache.versions("roster", "ledger")
        assert cache.versions("ledger", "roster") == (ledger, roster_version)
    assert seen.count == 2 and ledger == 0
    assert seen.naming("data_version") and not seen.naming("closed_period")  # only the versions asked for


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


def test_an_award_moves_the_ledger_version(app, world):
    with app.app_context():
        before = cache.versions("ledger")[0]
        services.award(db.session.get(Person, world.people.member.id), "session_attend", Source("meeting", 1))
        assert cache.versions("ledger")[0] > before  # the new entry is the new version, before any commit
        db.session.rollback()
