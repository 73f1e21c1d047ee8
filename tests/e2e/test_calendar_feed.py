"""The calendar's subscription address on a phone: generated with one tap, shown as a QR code for
a phone on the desk to scan, and copied with one more."""

import pytest
from playwright.sync_api import expect

from portal.study.services import calendar
from tests.e2e.conftest import check_layout, follow, identifier_of, login

pytestmark = pytest.mark.parametrize("viewport", ["phone"], indirect=True)


def test_a_member_gets_the_address_as_a_qr_code_and_copies_it(page, world):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, identifier_of(world.users.member))
    page.goto("/study/calendar")
    feed = page.get_by_test_id("feed")
    expect(feed.get_by_test_id("feed-qr")).to_have_count(0)
    follow(feed.get_by_role("button", name="生成订阅地址"))

    token = calendar.feed_token(world.people.member.id)
    url = f"{page.url.split('/study/')[0]}/study/calendar/feed/{token}.ics"
    expect(feed.get_by_test_id("feed-url")).to_have_text(url)
    image = feed.get_by_test_id("feed-qr")
    expect(image).to_be_visible()
    # Loaded and drawn: a broken image has no natural width.
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    check_layout(page)
    copy = feed.get_by_test_id("feed-copy")
    expect(copy).to_have_text("复制订阅地址")
    copy.click()
    expect(copy).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == url
