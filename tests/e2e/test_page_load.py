"""A page whose stylesheet or script arrives late, as on a busy machine: what the user sees once it
has loaded is what the browser checks measure and act on."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import check_layout, follow, identifier_of, login, open_menu

LATE_SECONDS = 3
# Bootstrap's .btn without portal.css's phone rule, and with it.
BOOTSTRAP_BUTTON_HEIGHT = 38
PORTAL_BUTTON_HEIGHT = 44

pytestmark = pytest.mark.parametrize("viewport", ["phone"], indirect=True)  # portal.css's phone rules


def _hold_back(page, live, selector, attribute):
    """Have the server answer the asset the current page names in `selector` LATE_SECONDS late."""
    path = urlsplit(page.locator(selector).first.get_attribute(attribute)).path
    live.slow_paths[path] = LATE_SECONDS
    return path


def _search_button_height(page):
    return page.get_by_role("button", name="查询").bounding_box()["height"]


def _to_roster_by_a_bare_click(page):
    """Open 花名册 the way a case without `follow` would: click, then wait for the heading only."""
    open_menu(page).get_by_role("link", name="花名册", exact=True).click()
    expect(page.get_by_role("heading", name="花名册", level=1)).to_be_visible()


def test_layout_checks_measure_the_page_once_its_stylesheet_is_in(page, world, live):
    """portal.css comes late: the heading shows first, the checks wait and see 44px buttons."""
    login(page, identifier_of(world.users.secretary))
    css = _hold_back(page, live, 'link[rel=stylesheet][href*="portal.css"]', "href")

    _to_roster_by_a_bare_click(page)
    # The race exists here: the heading is visible while the page is still loading.
    assert page.evaluate("document.readyState") != "complete"
    check_layout(page)

    assert live.slowed == [css]
    assert _search_button_height(page) >= PORTAL_BUTTON_HEIGHT


def test_follow_returns_once_the_new_page_has_its_stylesheet(page, world, live):
    """After `follow` the roster's search button already has portal.css's phone height."""
    login(page, identifier_of(world.users.secretary))
    css = _hold_back(page, live, 'link[rel=stylesheet][href*="portal.css"]', "href")

    follow(open_menu(page).get_by_role("link", name="花名册", exact=True))

    height = _search_button_height(page)
    assert height >= PORTAL_BUTTON_HEIGHT, (
        f"查询按钮高 {height}px：portal.css 尚未生效（Bootstrap 默认 {BOOTSTRAP_BUTTON_HEIGHT}px）")
    assert live.slowed == [css]


def test_menu_opens_on_a_page_whose_script_comes_late(page, world, live):
    """Bootstrap's script comes late: the menu tap waits for it, and the menu opens."""
    login(page, identifier_of(world.users.secretary))
    script = _hold_back(page, live, 'script[src*="bootstrap"]', "src")

    _to_roster_by_a_bare_click(page)
    assert page.evaluate("document.readyState") != "complete"
    menu = open_menu(page)

    assert live.slowed == [script]
    expect(menu.get_by_role("link", name="花名册", exact=True)).to_be_visible()
    expect(menu.get_by_role("button", name="退出")).to_be_visible()
