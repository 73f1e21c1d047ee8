"""Log-in and each role's home page, in a real browser at phone and desktop size."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_tap_targets, check_layout, identifier_of, is_phone, login, open_menu

# role -> (the panel that role's home page must show, whether the navigation offers 花名册)
HOME_PANELS = {
    "admin": ("panel-admin", "系统管理", True),
    "committee": ("panel-roster", "在岗人员", True),
    "secretary": ("panel-roster", "在岗人员", True),
    "member": ("panel-me", "我的信息", False),
    "activist": ("panel-me", "我的信息", False),
    "staff": ("panel-me", "我的信息", False),
}


@pytest.mark.parametrize("role", list(HOME_PANELS))
def test_each_role_logs_in_to_its_home_page(page, world, role):
    """Every role lands on its own home page; the navigation fits the role and the screen."""
    user = getattr(world.users, role)
    panel, heading, sees_roster = HOME_PANELS[role]

    login(page, identifier_of(user))

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("home-title")).to_have_text(f"您好，{user.display_name}")
    expect(page.get_by_test_id(panel)).to_be_visible()
    expect(page.get_by_test_id(panel).get_by_role("heading", level=2)).to_have_text(heading)
    if role != "admin":
        expect(page.get_by_test_id("panel-admin")).to_have_count(0)
    if not sees_roster:
        expect(page.get_by_test_id("panel-roster")).to_have_count(0)
    check_layout(page)

    menu = page.locator("#mainNav")
    toggler = page.get_by_role("button", name="展开菜单")
    if is_phone(page):
        expect(menu).to_be_hidden()
        expect(toggler).to_be_visible()
    else:
        expect(toggler).to_be_hidden()
        expect(menu).to_be_visible()
    open_menu(page)
    assert_tap_targets(page, scope="#mainNav")
    expect(page.get_by_test_id("current-user")).to_have_text(user.display_name)
    expect(menu.get_by_role("link", name="首页", exact=True)).to_be_visible()
    expect(menu.get_by_role("link", name="花名册", exact=True)).to_have_count(1 if sees_roster else 0)
    expect(menu.get_by_role("button", name="退出")).to_be_visible()


def test_failed_login_shows_chinese_message_and_stays(page, world):
    """A wrong password is refused in Chinese; the user stays on the log-in page."""
    identifier = identifier_of(world.users.member)

    login(page, identifier, "Wrong-password-2026")

    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("alert")).to_contain_text("账号或密码错误")
    expect(page.get_by_label("手机号 / 工号")).to_have_value(identifier)
    expect(page.get_by_label("密码", exact=True)).to_have_value("")
    expect(page.get_by_role("button", name="展开菜单")).to_have_count(0)
    check_layout(page)
