"""Renaming and moving organisations and units: the tree's rules, scope, people, audit, cache."""

import re
import threading

import pytest
from sqlalchemy import func, select

from portal.core import cache
from portal.core.audit import AuditEntry
from portal.core.exceptions import NotFound, PermissionDenied, PortalError
from portal.core.permissions import Role
from portal.extensions import db
from portal.roster import orgs
from portal.roster.models import Organisation, OrgKind, Person, Unit
from tests import factories
from tests.conftest import login, run_concurrently
from tests.statements import CountStatements


def _roster_version(app):
    """The roster version as a new request reads it."""
    with app.app_context(), app.test_request_context():
        return cache.versions("roster")[0]


def _audit(action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def _fresh(model, obj_id):
    db.session.expire_all()
    return db.session.get(model, obj_id)


def _flash(response):
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.fixture()
def tree(world):
    """world plus a general branch with a branch and a group under it, and a group in branch_a."""
    general = factories.make_org("机电党总支", OrgKind.GENERAL_BRANCH, world.committee)
    mech = factories.make_org("机电党支部", OrgKind.BRANCH, general)
    mech_group = factories.make_org("机电第一党小组", OrgKind.GROUP, mech)
    group_a = factories.make_org("综采第一党小组", OrgKind.GROUP, world.branch_a)
    mech_unit = factories.make_unit("机电一队", mech)
    db.session.commit()
    return world, general, mech, mech_group, group_a, mech_unit


# --- renaming -----------------------------------------------------------------------------

def test_committee_renames_a_branch_audited_and_the_roster_version_moves(app, client, world):
    before = _roster_version(app)
    login(client, world.users.committee)
    response = client.post(f"/roster/orgs/{world.branch_a.id}/edit", follow_redirects=True,
                           data={"name": " 综采一队\u200b党支部（新） ", "parent_id": world.committee.id})
    assert response.status_code == 200
    assert "组织“综采一队党支部”已更名为“综采一队党支部（新）”" in _flash(response)
    assert _fresh(Organisation, world.branch_a.id).name == "综采一队党支部（新）"
    [entry] = _audit("org_updated")
    assert entry.target_type == "organisation" and entry.target_id == world.branch_a.id
    assert entry.actor_id == world.users.committee.id
    assert entry.detail == "名称：综采一队党支部 → 综采一队党支部（新）"
    assert _roster_version(app) > before


def test_a_unit_is_renamed_and_its_people_stay(app, client, world):
    login(client, world.users.admin)
    response = client.post(f"/roster/units/{world.unit_a.id}/edit", follow_redirects=True,
                           data={"name": "综采一队（东）", "branch_id": world.branch_a.id})
    assert "单位“综采一队”已更名为“综采一队（东）”" in _flash(response)
    assert "随之调整" not in _flash(response)
    assert _fresh(Unit, world.unit_a.id).name == "综采一队（东）"
    assert db.session.get(Person, world.people.member.id).branch_id == world.branch_a.id
    [entry] = _audit("unit_updated")
    assert (entry.target_type, entry.target_id) == ("unit", world.unit_a.id)
    assert entry.detail == "名称：综采一队 → 综采一队（东）"


def test_the_top_organisation_can_be_renamed_but_has_no_parent_to_choose(client, world):
    login(client, world.users.admin)
    page = client.get(f"/roster/orgs/{world.committee.id}/edit").get_data(as_text=True)
    assert 'name="parent_id"' not in page and "最上级组织不能移动" in page
    response = client.post(f"/roster/orgs/{world.committee.id}/edit", data={"name": "五阳煤矿党委"})
    assert response.status_code == 302
    assert _fresh(Organisation, world.committee.id).name == "五阳煤矿党委"
    assert _fresh(Organisation, world.committee.id).parent_id is None


def test_saving_without_a_change_says_so_and_audits_nothing(app, client, world):
    before = _roster_version(app)
    login(client, world.users.admin)
    response = client.post(f"/roster/units/{world.unit_a.id}/edit", follow_redirects=True,
                           data={"name": "综采一队", "branch_id": world.branch_a.id})
    assert "单位“综采一队”未作修改" in _flash(response)
    assert _audit("unit_updated") == [] and _roster_version(app) == before


@pytest.mark.parametrize("name", ["", "   ", "\u200b\u200d\ufeff", "\u202e\u2066"])
def test_a_blank_or_invisible_name_is_refused(client, world, name):
    login(client, world.users.admin)
    org = client.post(f"/roster/orgs/{world.branch_a.id}/edit",
                      data={"name": name, "parent_id": world.committee.id})
    unit = client.post(f"/roster/units/{world.unit_a.id}/edit", data={"name": name, "branch_id": world.branch_b.id})
    assert org.status_code == unit.status_code == 400
    assert "请填写名称" in org.get_data(as_text=True) and "请填写单位名称" in unit.get_data(as_text=True)
    assert _fresh(Organisation, world.branch_a.id).name == "综采一队党支部"
    assert _fresh(Unit, world.unit_a.id).branch_id == world.branch_a.id
    assert _audit("org_updated") == [] and _audit("unit_updated") == []


def test_the_service_applies_the_text_rule_and_the_length_itself(world):
    with pytest.raises(PortalError, match="请填写组织名称"):
        orgs.edit_organisation(world.users.admin, world.branch_a.id, "\u200b \u2060")
    with pytest.raises(PortalError, match="单位名称不能超过 80 个字"):
        orgs.edit_unit(world.users.admin, world.unit_a.id, "队" * 81)


def test_a_duplicate_name_is_refused_where_adding_refuses_it(tree):
    world, general, mech, *_ = tree
    admin = world.users.admin
    with pytest.raises(PortalError, match="同一上级下已有同名组织"):
        orgs.edit_organisation(admin, world.branch_a.id, "掘进二队党支部")
    with pytest.raises(PortalError, match="已有同名单位"):
        orgs.edit_unit(admin, world.unit_a.id, "掘进二队")
    # The same name under another parent is fine; moving into a parent that has it is not.
    orgs.edit_organisation(admin, mech.id, "掘进二队党支部")
    with pytest.raises(PortalError, match="同一上级下已有同名组织"):
        orgs.edit_organisation(admin, mech.id, "掘进二队党支部", parent_id=world.committee.id)


def test_a_refused_rename_over_http_shows_why_and_writes_nothing(app, client, world):
    before = _roster_version(app)
    login(client, world.users.admin)
    response = client.post(f"/roster/units/{world.unit_a.id}/edit",
                           data={"name": "掘进二队", "branch_id": world.branch_b.id})
    assert response.status_code == 400 and "已有同名单位" in response.get_data(as_text=True)
    assert _fresh(Unit, world.unit_a.id).branch_id == world.branch_a.id
    assert db.session.get(Person, world.people.member.id).branch_id == world.branch_a.id
    assert _audit("unit_updated") == [] and _roster_version(app) == before


# --- moving organisations ----------------------------------------------------------------------

def test_a_branch_moves_under_a_general_branch_with_its_subtree_and_people(app, client, tree):
    world, general, mech, mech_group, group_a, _ = tree
    before = _roster_version(app)
    login(client, world.users.committee)
    response = client.post(f"/roster/orgs/{world.branch_a.id}/edit", follow_redirects=True,
                           data={"name": "综采一队党支部", "parent_id": general.id})
    assert "组织“综采一队党支部”已移至“机电党总支”，下级组织 1 个、人员 4 人随之移动" in _flash(response)
    branch = _fresh(Organisation, world.branch_a.id)
    group = db.session.get(Organisation, group_a.id)
    assert branch.parent_id == general.id
    assert branch.path == f"{general.path}{branch.id}/" and branch.depth == 2
    assert group.path == f"{branch.path}{group.id}/" and group.depth == 3
    assert general.contains(group) and not world.branch_b.contains(group)
    # Nothing else was touched, and the people keep their branch.
    assert db.session.get(Organisation, mech_group.id).path == f"{general.path}{mech.id}/{mech_group.id}/"
    assert db.session.get(Organisation, world.branch_b.id).path == f"{world.committee.path}{world.branch_b.id}/"
    assert db.session.scalar(select(func.count()).where(Person.branch_id == branch.id)) == 4
    [entry] = _audit("org_updated")
    assert entry.detail == "上级组织：示范煤矿党委 → 机电党总支（下级组织 1 个、人员 4 人随之移动）"
    assert _roster_version(app) > before
    page = client.get("/roster/orgs").get_data(as_text=True)
    assert page.index("机电党总支") < page.index("综采一队党支部") < page.index("综采第一党小组")


def test_a_general_branch_moves_nowhere_but_a_branch_moves_back_to_the_top(tree):
    world, general, mech, mech_group, *_ = tree
    change = orgs.edit_organisation(world.users.admin, mech.id, "机电党支部（直属）", parent_id=world.committee.id)
    assert change.summary == ("组织“机电党支部”已更名为“机电党支部（直属）”，并移至“示范煤矿党委”，"
                              "下级组织 1 个、人员 0 人随之移动")
    db.session.commit()
    assert _fresh(Organisation, mech_group.id).path == f"{world.committee.path}{mech.id}/{mech_group.id}/"


def test_moving_under_itself_or_its_own_descendant_is_refused(tree):
    world, general, mech, *_ = tree
    for target in (general, mech):
        with pytest.raises(PortalError, match="不能把组织移到它自身或它的下级组织之下"):
            orgs.edit_organisation(world.users.admin, general.id, "机电党总支", parent_id=target.id)
    db.session.rollback()
    assert _fresh(Organisation, general.id).parent_id == world.committee.id


def test_a_kind_that_cannot_sit_under_the_new_parent_is_refused(tree):
    world, general, mech, mech_group, group_a, _ = tree
    admin = world.users.admin
    with pytest.raises(PortalError, match="党支部下不能设立党支部"):
        orgs.edit_organisation(admin, world.branch_a.id, "综采一队党支部", parent_id=mech.id)
    with pytest.raises(PortalError, match="党总支下不能设立党小组"):
        orgs.edit_organisation(admin, group_a.id, "综采第一党小组", parent_id=general.id)
    with pytest.raises(PortalError, match="党支部下不能设立党总支"):
        orgs.edit_organisation(admin, general.id, "机电党总支", parent_id=world.branch_b.id)


def test_the_form_offers_only_parents_that_take_the_kind_outside_the_subtree(client, tree):
    world, general, mech, mech_group, group_a, _ = tree
    login(client, world.users.admin)
    page = client.get(f"/roster/orgs/{general.id}/edit").get_data(as_text=True)
    assert _options(page, "parent_id") == {world.committee.id}
    page = client.get(f"/roster/orgs/{group_a.id}/edit").get_data(as_text=True)
    assert _options(page, "parent_id") == {world.branch_a.id, world.branch_b.id, mech.id}
    # A parent outside the choices is refused by the form, and nothing moves.
    response = client.post(f"/roster/orgs/{general.id}/edit", data={"name": "机电党总支", "parent_id": mech.id})
    assert response.status_code == 400 and "不是有效的选择" in response.get_data(as_text=True)
    assert _fresh(Organisation, general.id).parent_id == world.committee.id


def test_a_group_with_members_does_not_move_to_another_branch(tree):
    world, general, mech, mech_group, group_a, _ = tree
    person = world.people.member
    person.group = group_a
    db.session.commit()
    with pytest.raises(PortalError, match="党小组“综采第一党小组”还有 1 名成员"):
        orgs.edit_organisation(world.users.admin, group_a.id, "综采第一党小组", parent_id=world.branch_b.id)
    db.session.rollback()
    person = _fresh(Person, person.id)
    person.group = None
    db.session.commit()
    change = orgs.edit_organisation(world.users.admin, group_a.id, "综采第一党小组", parent_id=world.branch_b.id)
    assert change.moved
    db.session.commit()
    assert _fresh(Organisation, group_a.id).path == f"{world.branch_b.path}{group_a.id}/"


# --- scope ------------------------------------------------------------------------------------

@pytest.fixture()
def scoped(tree):
    """A committee member whose grant is on the general branch only."""
    world, general, *_ = tree
    user = factories.make_user(login_name="jidian", roles=[(Role.COMMITTEE, general)])
    db.session.commit()
    return user


def test_only_what_the_user_manages_can_be_moved_or_chosen(client, tree, scoped):
    world, general, mech, mech_group, group_a, mech_unit = tree
    # Source outside the scope: not there for this user.
    with pytest.raises(NotFound):
        orgs.edit_organisation(scoped, world.branch_a.id, "综采一队党支部", parent_id=general.id)
    with pytest.raises(NotFound):
        orgs.edit_unit(scoped, world.unit_a.id, "综采一队", branch_id=mech.id)
    # Target outside the scope: refused, nothing written.
    with pytest.raises(PermissionDenied, match="您不能把组织移到该组织之下"):
        orgs.edit_organisation(scoped, mech.id, "机电党支部", parent_id=world.committee.id)
    with pytest.raises(PermissionDenied, match="您不能把单位调整到该党支部"):
        orgs.edit_unit(scoped, mech_unit.id, "机电一队", branch_id=world.branch_b.id)
    db.session.rollback()
    assert _fresh(Organisation, mech.id).parent_id == general.id

    login(client, scoped)
    page = client.get("/roster/orgs").get_data(as_text=True)
    assert f"/roster/orgs/{mech.id}/edit" in page and f"/roster/units/{mech_unit.id}/edit" in page
    assert f"/roster/orgs/{world.branch_a.id}/edit" not in page
    assert f"/roster/units/{world.unit_a.id}/edit" not in page
    assert client.get(f"/roster/orgs/{world.branch_a.id}/edit").status_code == 404
    assert client.get(f"/roster/units/{world.unit_a.id}/edit").status_code == 404
    page = client.get(f"/roster/units/{mech_unit.id}/edit").get_data(as_text=True)
    assert _options(page, "branch_id") == {mech.id}
    # The current parent stays a choice (a rename), even though the user does not manage it.
    page = client.get(f"/roster/orgs/{general.id}/edit").get_data(as_text=True)
    assert _options(page, "parent_id") == {world.committee.id}
    response = client.post(f"/roster/orgs/{general.id}/edit",
                           data={"name": "机电运输党总支", "parent_id": world.committee.id})
    assert response.status_code == 302
    assert _fresh(Organisation, general.id).name == "机电运输党总支"


# --- moving units --------------------------------------------------------------------------------

def test_a_unit_moves_to_another_branch_and_its_people_with_it_in_one_statement(app, client, tree):
    world, general, mech, mech_group, group_a, _ = tree
    in_group = world.people.member
    in_group.group = group_a
    other_branch = factories.make_person(world.unit_a, "周单列", branch=world.branch_b)
    db.session.commit()
    login(client, world.users.committee)
    # The roster list of the target branch, cached before the move.
    assert "张三" not in client.get(f"/roster/?branch={mech.id}").get_data(as_text=True)
    before = _roster_version(app)
    with CountStatements() as seen:
        response = client.post(f"/roster/units/{world.unit_a.id}/edit",
                               data={"name": "综采一队", "branch_id": mech.id})
    assert response.status_code == 302
    assert len([sql for sql in seen.naming("UPDATE person") if sql.lstrip().startswith("UPDATE")]) == 1
    flashed = _flash(client.get("/roster/orgs"))
    assert ("单位“综采一队”已移至“机电党支部”，4 人随之调整，其中 1 人原所在党小组已取消；"
            "另有 1 人的党支部为单独指定，未调整") in flashed
    assert _fresh(Unit, world.unit_a.id).branch_id == mech.id
    people = db.session.scalars(select(Person).where(Person.unit_id == world.unit_a.id)).all()
    assert {p.name: p.branch_id for p in people} == {
        "王书记": mech.id, "张三": mech.id, "李四": mech.id, "赵六": mech.id, "周单列": world.branch_b.id}
    assert db.session.get(Person, in_group.id).group_id is None
    assert db.session.get(Person, other_branch.id).branch_id == world.branch_b.id
    assert db.session.get(Person, world.people.other.id).branch_id == world.branch_b.id
    [entry] = _audit("unit_updated")
    assert entry.detail == ("所属党支部：综采一队党支部 → 机电党支部（4 人随之调整，其中 1 人原所在党小组已取消；"
                            "另有 1 人的党支部为单独指定，未调整）")
    assert entry.actor_id == world.users.committee.id
    assert _roster_version(app) > before
    # The next view of the roster shows the move.
    listed = client.get(f"/roster/?branch={mech.id}").get_data(as_text=True)
    assert "张三" in listed and "王书记" in listed and "周单列" not in listed


def test_rename_and_move_together_say_both(tree):
    world, general, mech, *_ = tree
    change = orgs.edit_unit(world.users.admin, world.unit_b.id, "掘进二队（新）", branch_id=mech.id)
    assert change.summary == "单位“掘进二队”已更名为“掘进二队（新）”，并移至“机电党支部”，2 人随之调整"
    assert change.detail == "名称：掘进二队 → 掘进二队（新）；所属党支部：掘进二队党支部 → 机电党支部（2 人随之调整）"


def test_a_unit_goes_to_branches_only(tree):
    world, general, *_ = tree
    with pytest.raises(PortalError, match="单位只能归属到党支部"):
        orgs.edit_unit(world.users.admin, world.unit_a.id, "综采一队", branch_id=general.id)
    with pytest.raises(PortalError, match="请选择所属党支部"):
        orgs.edit_unit(world.users.admin, world.unit_a.id, "综采一队", branch_id=999999)


def test_a_unit_without_a_branch_gets_one(client, world):
    unit = factories.make_unit("后勤科", None)
    db.session.commit()
    login(client, world.users.admin)
    page = client.get(f"/roster/units/{unit.id}/edit").get_data(as_text=True)
    assert "（未指定党支部）" in page
    response = client.post(f"/roster/units/{unit.id}/edit", follow_redirects=True,
                           data={"name": "后勤科", "branch_id": world.branch_b.id})
    assert "单位“后勤科”已移至“掘进二队党支部”，0 人随之调整" in _flash(response)
    assert _fresh(Unit, unit.id).branch_id == world.branch_b.id


def test_the_org_page_has_an_edit_action_per_row(client, tree):
    world, general, mech, mech_group, group_a, mech_unit = tree
    login(client, world.users.admin)
    page = client.get("/roster/orgs").get_data(as_text=True)
    for org in (world.committee, world.branch_a, world.branch_b, general, mech, mech_group, group_a):
        assert f'href="/roster/orgs/{org.id}/edit" aria-label="编辑 {org.name}"' in page
    for unit in (world.unit_a, world.unit_b, mech_unit):
        assert f'href="/roster/units/{unit.id}/edit" aria-label="编辑 {unit.name}"' in page


def _options(page, name):
    """The option values of the select `name` on a page."""
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return {int(value) for value in re.findall(r'value="(\d+)"', select_html)}


# --- at the same time -----------------------------------------------------------------------------

def _edit_unit_and_commit(user_id, unit_id, name, branch_id):
    from portal.accounts.models import User

    def action():
        change = orgs.edit_unit(db.session.get(User, user_id), unit_id, name, branch_id)
        db.session.commit()
        return change

    return action


def _one_each(actions):
    """One callable for run_concurrently that runs a different one of `actions` in each thread."""
    pending, lock = list(actions), threading.Lock()

    def run():
        with lock:
            action = pending.pop()
        return action()

    return run


def test_two_moves_of_one_unit_at_once_leave_its_people_with_its_branch(app, tree):
    world, general, mech, *_ = tree
    admin_id, unit_id = world.users.admin.id, world.unit_a.id
    results = run_concurrently(app, _one_each([_edit_unit_and_commit(admin_id, unit_id, "综采一队", branch_id)
                                               for branch_id in (mech.id, world.branch_b.id)]), 2)
    assert all(isinstance(result, orgs.UnitChange) for result in results), results
    assert sorted(result.people_moved for result in results) == [4, 4]
    unit = _fresh(Unit, unit_id)
    assert unit.branch_id in (mech.id, world.branch_b.id)
    branches = db.session.scalars(select(Person.branch_id).where(Person.unit_id == unit_id)).all()
    assert branches == [unit.branch_id] * 4


def test_two_units_renamed_to_one_name_at_once_one_is_refused_in_chinese(app, world):
    admin_id = world.users.admin.id
    results = run_concurrently(app, _one_each([_edit_unit_and_commit(admin_id, unit.id, "综采掘进联队", None)
                                               for unit in (world.unit_a, world.unit_b)]), 2)
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], PortalError), results
    assert refused[0].message == "已有同名单位"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(Unit.name == "综采掘进联队")) == 1
