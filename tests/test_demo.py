"""`flask demo load`: a believable mine, valid identities, six working demo accounts."""

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.models import RoleGrant, User
from portal.accounts.passwords import check_policy
from portal.core.audit import AuditEntry
from portal.core.idcard import looks_like_phone, parse_id_number
from portal.core.permissions import Role
from portal.demo import generator
from portal.demo.mine import REGIONS
from portal.roster.models import Organisation, OrgKind, Person, PersonStatus, PoliticalStatus, Unit
from tests.tools.empty_db import empty_tables

MODELS = (Organisation, Unit, Person, User, RoleGrant, AuditEntry)
MEMBERS = {PoliticalStatus.FULL_MEMBER, PoliticalStatus.PROBATIONARY}


def run(app, *args):
    return app.test_cli_runner().invoke(args=["demo", "load", *args])


def counts(db):
    db.session.expire_all()
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in MODELS}


def wipe(db):
    db.session.rollback()
    empty_tables(db.engine, db.metadata)
    db.session.remove()


def people(db):
    return db.session.scalars(select(Person).order_by(Person.id)).all()


@pytest.fixture()
def loaded(app, db):
    result = run(app, "--people", "120", "--seed", "42")
    assert result.exit_code == 0, result.output
    return result


def test_builds_the_organisation_tree(db, loaded):
    orgs = db.session.scalars(select(Organisation)).all()
    by_kind = Counter(o.kind for o in orgs)
    assert by_kind[OrgKind.COMMITTEE] == 1
    assert by_kind[OrgKind.BRANCH] >= 8
    committee = next(o for o in orgs if o.kind == OrgKind.COMMITTEE)
    assert committee.name == "五阳煤矿党委"
    branches = [o for o in orgs if o.kind == OrgKind.BRANCH]
    assert "综采一队党支部" in {b.name for b in branches}
    for branch in branches:
        assert branch.parent_id == committee.id
        assert branch.name.endswith("党支部")
        groups = [o for o in orgs if o.parent_id == branch.id]
        assert 1 <= len(groups) <= 2
        assert all(g.kind == OrgKind.GROUP and committee.contains(g) for g in groups)
    units = db.session.scalars(select(Unit)).all()
    assert all(u.branch is not None for u in units)
    assert {u.branch_id for u in units} == {b.id for b in branches}
    assert len(units) > len(branches)  # some branches look after two units
    assert "已载入演示数据" in loaded.output


def test_identities_are_valid_unique_and_consistent(db, loaded):
    roster = people(db)
    assert len(roster) == 120
    ids, phones = set(), set()
    for person in roster:
        number = person.reveal_id_number()
        info = parse_id_number(number)
        assert info.gender == person.gender
        assert info.birth_date == person.birth_date
        assert number[:6] in REGIONS
        assert 1966 <= person.birth_date.year <= 2004
        phone = person.reveal_phone()
        assert looks_like_phone(phone)
        ids.add(number)
        phones.add(phone)
        assert 2 <= len(person.name) <= 3
        assert person.job_type
        assert person.unit.branch_id == person.branch_id
    assert len(ids) == len(phones) == len(roster)
    employee_nos = [p.employee_no for p in roster]
    assert all(employee_nos) and len(set(employee_nos)) == len(roster)


def test_party_standing_looks_like_a_mine(db, loaded):
    roster = people(db)
    statuses = Counter(p.political_status for p in roster)
    members = statuses[PoliticalStatus.FULL_MEMBER] + statuses[PoliticalStatus.PROBATIONARY]
    assert 0.25 <= members / len(roster) <= 0.35
    assert statuses[PoliticalStatus.PROBATIONARY] >= 1
    assert 0.03 <= statuses[PoliticalStatus.ACTIVIST] / len(roster) <= 0.08
    today = date.today()
    for person in roster:
        if person.political_status in MEMBERS:
            eighteen = person.birth_date.replace(year=person.birth_date.year + 18)
            assert eighteen < person.joined_party_on <= today
            assert person.group is not None and person.group.parent_id == person.branch_id
        else:
            assert person.joined_party_on is None
        if person.political_status == PoliticalStatus.PROBATIONARY:
            assert person.joined_party_on > today - timedelta(days=366)
    employment = Counter(p.status for p in roster)
    assert employment[PersonStatus.ON_POST] >= 0.9 * len(roster)
    assert employment[PersonStatus.RETIRED] and employment[PersonStatus.TRANSFERRED]


def test_six_demo_accounts_with_the_right_roles(db, loaded):
    users = db.session.scalars(select(User)).all()
    assert len(users) == 6
    by_role = {}
    for user in users:
        assert len(user.grants) == 1
        assert not user.must_change_password
        by_role[Role(user.grants[0].role)] = user
    assert set(by_role) == set(Role)
    committee = db.session.scalar(select(Organisation).where(Organisation.kind == OrgKind.COMMITTEE))
    branch = db.session.scalar(select(Organisation).where(Organisation.name == "综采一队党支部"))
    admin = by_role[Role.ADMIN]
    assert admin.login_name == "admin" and admin.person is None
    assert admin.grants[0].organisation_id == committee.id
    assert by_role[Role.COMMITTEE].grants[0].organisation_id == committee.id
    assert by_role[Role.COMMITTEE].person.political_status == PoliticalStatus.FULL_MEMBER
    expected = {
        Role.SECRETARY: PoliticalStatus.FULL_MEMBER,
        Role.MEMBER: PoliticalStatus.FULL_MEMBER,
        Role.ACTIVIST: PoliticalStatus.ACTIVIST,
        Role.STAFF: PoliticalStatus.MASSES,
    }
    for role, status in expected.items():
        user = by_role[role]
        assert user.grants[0].organisation_id == branch.id
        assert user.person.branch_id == branch.id
        assert user.person.political_status == status
        assert user.person.status == PersonStatus.ON_POST
        assert user.display_name == user.person.name
    for user in users:
        login = user.login_name or user.person.employee_no
        assert login in loaded.output and user.display_name in loaded.output
    assert generator.DEMO_PASSWORD in loaded.output
    assert "首次登录须修改密码" in loaded.output


def test_demo_accounts_log_in_through_the_form(app, db, loaded):
    check_policy(generator.DEMO_PASSWORD)  # a password the portal itself would accept
    for user in db.session.scalars(select(User)).all():
        client = app.test_client()  # a fresh client: a logged-in one is redirected anyway
        identifier = user.login_name or user.person.employee_no
        response = client.post("/login", data={"identifier": identifier,
                                               "password": generator.DEMO_PASSWORD})
        assert response.status_code == 302, identifier
        assert response.headers["Location"] == "/"
        assert user.display_name in client.get("/").get_data(as_text=True)


def test_if_empty_on_a_loaded_database_changes_nothing(app, db, loaded):
    before = counts(db)
    result = run(app, "--if-empty", "--people", "60")
    assert result.exit_code == 0, result.output
    assert "数据库已有数据，未载入演示数据" in result.output
    assert "admin" in result.output and generator.DEMO_PASSWORD in result.output
    assert counts(db) == before


def test_loading_twice_is_refused_and_changes_nothing(app, db, loaded):
    before = counts(db)
    result = run(app, "--people", "60")
    assert result.exit_code != 0
    assert "只能载入空数据库" in result.output
    assert counts(db) == before


def test_an_account_alone_makes_the_database_non_empty(app, db):
    db.session.add(User(login_name="someone", display_name="某人", password_hash="x"))
    db.session.commit()
    result = run(app, "--if-empty")
    assert result.exit_code == 0
    assert "未载入" in result.output
    assert counts(db)["Person"] == 0


def test_if_empty_on_an_empty_database_loads(app, db):
    result = run(app, "--if-empty", "--people", "60", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert counts(db)["Person"] == 60


def test_a_failure_writes_nothing(app, db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(generator, "_create_accounts", broken)
    result = run(app, "--people", "60", "--seed", "5")
    assert result.exit_code != 0
    assert isinstance(result.exception, RuntimeError)
    assert set(counts(db).values()) == {0}


def test_same_seed_same_people(app, db):
    def snapshot():
        return [(p.name, p.gender, p.birth_date, p.employee_no, p.political_status) for p in people(db)]

    assert run(app, "--people", "80", "--seed", "2026").exit_code == 0
    first = snapshot()
    wipe(db)
    assert run(app, "--people", "80", "--seed", "2026").exit_code == 0
    assert snapshot() == first
    wipe(db)
    assert run(app, "--people", "80", "--seed", "2027").exit_code == 0
    assert [p[0] for p in snapshot()] != [p[0] for p in first]


def test_a_larger_mine_gets_more_branches_of_100_to_150(app, db):
    result = run(app, "--people", "1500", "--seed", "9")
    assert result.exit_code == 0, result.output
    sizes = Counter(p.branch_id for p in people(db))
    assert len(sizes) == 12
    assert all(100 <= size <= 150 for size in sizes.values()), sizes
    assert generator.branch_count(5000) == 40
    assert generator.branch_count(300) == 8


def test_too_few_people_is_refused(app, db):
    result = run(app, "--people", "10")
    assert result.exit_code != 0
    assert set(counts(db).values()) == {0}


def test_demo_data_is_refused_in_production(app, db):
    app.config["ENV_NAME"] = "production"
    try:
        result = app.test_cli_runner().invoke(args=["demo", "load", "--people", "50"])
    finally:
        app.config["ENV_NAME"] = "testing"
    assert result.exit_code != 0 and "生产环境不能载入演示数据" in result.output
    assert db.session.scalar(select(func.count(Organisation.id))) == 0
