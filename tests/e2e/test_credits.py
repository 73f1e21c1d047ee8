"""Credit rankings in a real browser: the table and the branch chart fit a phone and a desktop."""

import re
from datetime import datetime

from playwright.sync_api import expect

from portal.core import clock
from portal.credits import services
from portal.extensions import db
from portal.roster.models import OrgKind
from tests.e2e.conftest import check_layout, follow, identifier_of, is_phone, login, open_menu
from tests.factories import make_org, make_person, make_unit

NOW = datetime(2026, 11, 22, 10, tzinfo=clock.LOCAL_TZ)


def _seed(now, world):
    """A third branch with a long name, and points for people in every branch this month."""
    long_branch = make_org("机电运输管理科第二党支部", OrgKind.BRANCH, world.committee)
    unit = make_unit("机电运输管理科", long_branch)
    third = [make_person(unit, name) for name in ("周七", "吴八")]
    now.set(NOW)
    committee = world.users.committee
    for person, points in [(world.people.member, 12), (world.people.activist, 12), (world.people.secretary, 4),
                           (world.people.other, 7), (third[0], 9), (third[1], -2)]:
        services.adjust(committee, person, points, "测试数据")
    db.session.commit()


def test_committee_sees_the_ranking_table_and_branch_chart(page, world, now):
    """The ranking page at phone and desktop size: people with ties, then one bar per branch."""
    _seed(now, world)
    login(page, identifier_of(world.users.committee))
    follow(open_menu(page).get_by_role("link", name="积分排名", exact=True))

    expect(page.get_by_role("heading", name="积分排名", level=1)).to_be_visible()
    expect(page.get_by_test_id("period-label")).to_contain_text("2026年11月")
    expect(page.get_by_test_id("period-status")).to_have_text("实时")
    rows = page.get_by_test_id("person-row")
    expect(rows).to_have_count(6)
    expect(rows.nth(0)).to_contain_text("李四")
    expect(rows.nth(1)).to_contain_text("张三")
    assert rows.nth(0).locator("td").first.inner_text() == rows.nth(1).locator("td").first.inner_text() == "1"
    expect(page.get_by_test_id("distribution-chart").locator("svg")).to_be_visible()
    check_layout(page)

    follow(page.get_by_role("link", name="按支部", exact=True))
    expect(page.get_by_test_id("branch-table")).to_be_visible()
    expect(page.get_by_test_id("branch-row")).to_have_count(3)
    expect(page.get_by_test_id("branch-row").first).to_contain_text("综采一队党支部")
    chart = page.get_by_test_id("branch-chart").locator("svg")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.chart-bar")).to_have_count(3)
    expect(chart).to_have_attribute("role", "img")
    box = chart.bounding_box()
    width = page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    if is_phone(page):
        assert box["width"] > width * 0.8  # the chart uses the phone's width, not a thumbnail
    check_layout(page)

    follow(page.get_by_role("link", name="季度", exact=True))
    expect(page).to_have_url(re.compile(r"kind=quarter"))
    expect(page.get_by_test_id("period-label")).to_contain_text("2026年第4季度")
    check_layout(page)


def test_committee_finds_a_person_by_initials_and_adjusts_their_credits(page, world, now):
    """积分调整 on a phone and a desktop: search by initials, pick, fill in; no number is typed or shown."""
    now.set(NOW)
    db.session.commit()
    login(page, identifier_of(world.users.committee))
    follow(open_menu(page).get_by_role("link", name="积分排名", exact=True))
    follow(page.get_by_role("link", name="积分调整", exact=True))  # the credit pages' own menu
    expect(page.get_by_role("heading", name="积分调整", level=1)).to_be_visible()
    search = page.get_by_role("searchbox", name="查找人员：姓名、拼音或首字母")
    search.fill("zs")
    follow(page.get_by_role("button", name="查找", exact=True))
    matches = page.get_by_test_id("person-match")
    expect(matches).to_have_count(1)
    expect(matches.first).to_contain_text("张三")
    check_layout(page)
    follow(matches.first.get_by_role("button", name="选择"))
    target = page.get_by_test_id("adjust-target")
    expect(target).to_contain_text("张三")
    expect(target).to_contain_text("综采一队党支部")
    assert not re.search(rf"(?<![0-9A-Za-z]){world.people.member.id}(?![0-9A-Za-z])", target.inner_text())
    page.get_by_label("调整分值").fill("3")
    page.get_by_label("调整原因").fill("主动参加抢险救灾志愿服务")
    check_layout(page)
    follow(page.get_by_role("button", name="提交调整"))
    expect(page.get_by_text("已为 张三 调整 +3 分")).to_be_visible()
    expect(page.get_by_test_id("entry").first).to_contain_text("手动调整")
    check_layout(page)
