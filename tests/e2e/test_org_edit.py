"""Editing the organisation tree in a real browser, at phone size too: rename, move, the people follow."""

from playwright.sync_api import expect

from tests.e2e.conftest import check_layout, follow, identifier_of, login


def test_admin_moves_a_unit_to_another_branch_and_renames_a_branch(page, world):
    login(page, identifier_of(world.users.admin))
    page.goto("/roster/orgs")
    expect(page.get_by_role("heading", name="组织机构", level=1)).to_be_visible()
    check_layout(page)

    follow(page.get_by_test_id("unit-list").get_by_role("link", name="编辑 综采一队"))
    expect(page.get_by_role("heading", name="编辑单位", level=1)).to_be_visible()
    check_layout(page)
    page.get_by_label("所属党支部").select_option(label="掘进二队党支部")
    follow(page.get_by_role("button", name="保存"))
    expect(page.get_by_text("单位“综采一队”已移至“掘进二队党支部”，4 人随之调整")).to_be_visible()
    expect(page.get_by_test_id("unit-list")).to_contain_text("掘进二队党支部")
    check_layout(page)

    follow(page.get_by_test_id("org-tree").get_by_role("link", name="编辑 综采一队党支部"))
    expect(page.get_by_role("heading", name="编辑组织", level=1)).to_be_visible()
    page.get_by_label("名称").fill("综采一队党支部（撤并）")
    follow(page.get_by_role("button", name="保存"))
    expect(page.get_by_text("组织“综采一队党支部”已更名为“综采一队党支部（撤并）”")).to_be_visible()
    expect(page.get_by_test_id("org-tree")).to_contain_text("综采一队党支部（撤并）")
    check_layout(page)
