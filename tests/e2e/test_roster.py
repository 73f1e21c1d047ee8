"""The roster in a real browser: searching, masked numbers, an audited full view."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import check_layout, follow, identifier_of, login, open_menu


def _open_roster(page):
    follow(open_menu(page).get_by_role("link", name="花名册", exact=True))
    expect(page.get_by_role("heading", name="花名册", level=1)).to_be_visible()


def _search(page, text):
    page.get_by_role("searchbox", name="搜索").fill(text)
    follow(page.get_by_role("button", name="查询"))
    return page.get_by_test_id("person-list").get_by_role("link")


def test_secretary_finds_by_pinyin_initials_and_sees_masked_id(page, world):
    """"zs" finds 张三; a secretary sees the ID masked and no way to reveal it."""
    person = world.people.member
    full_id = person.reveal_id_number()

    login(page, identifier_of(world.users.secretary))
    _open_roster(page)
    check_layout(page)
    results = _search(page, "zs")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("张三")
    check_layout(page)

    follow(results.first)
    expect(page.get_by_role("heading", level=1)).to_contain_text("张三")
    masked = page.get_by_test_id("id-masked")
    expect(masked).to_have_text(full_id[:4] + "*" * 10 + full_id[-4:])
    assert re.fullmatch(r"\d{4}\*{10}[\dX]{4}", masked.inner_text())
    expect(page.get_by_test_id("phone-masked")).to_have_text(re.compile(r"^\d{3}\*{4}\d{4}$"))
    expect(page.get_by_role("button", name="查看完整号码")).to_have_count(0)
    expect(page.get_by_test_id("id-full")).to_have_count(0)
    assert full_id not in page.content()
    check_layout(page)


def test_admin_reveals_id_and_the_view_is_in_the_audit_log(page, world):
    """An administrator sees the full ID on request, and the audit log names them."""
    person = world.people.member
    full_id = person.reveal_id_number()
    admin = world.users.admin

    login(page, identifier_of(admin))
    _open_roster(page)
    results = _search(page, "张三")
    expect(results).to_have_count(1)
    follow(results.first)
    expect(page.get_by_test_id("id-masked")).to_be_visible()
    assert full_id not in page.content()

    follow(page.get_by_test_id("reveal-id"))
    expect(page.get_by_test_id("id-full")).to_have_text(full_id)
    expect(page.get_by_test_id("phone-masked")).to_be_visible()
    expect(page.get_by_text("本次查看已记入审计日志")).to_be_visible()
    check_layout(page)

    follow(open_menu(page).get_by_role("link", name="审计日志", exact=True))
    expect(page.get_by_role("heading", name="审计日志", level=1)).to_be_visible()
    entry = page.get_by_test_id("audit-entry").filter(has_text="查看完整身份证号")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(f"操作人：{admin.display_name}")
    expect(entry).to_contain_text(f"对象：人员 {person.name}")  # named, not numbered
    check_layout(page)
