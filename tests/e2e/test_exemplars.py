"""六大员评选 in a real browser: a staff member votes in all six categories on one phone page,
keeps the receipt code in the browser, and once voting has closed finds their six ballots on
the public ballot list; a voter the campaign leaves out is told why instead of given a ballot."""

import re

from playwright.sync_api import expect

from portal.exemplars.models import Phase
from portal.exemplars.services.campaigns import DEFAULT_CATEGORIES, CategorySpec
from portal.extensions import db
from portal.roster.models import PoliticalStatus
from tests.e2e.conftest import (
    check_layout,
    follow,
    identifier_of,
    is_phone,
    login,
    open_menu,
)
from tests.exemplars.helpers import credit_q1, new_campaign, nominate, qualify, ready_to_vote, to_phase
from tests.factories import make_person

TITLE = "2026年度“六大员”评选"
# Per category (the six default roles, in order): at most this many choices, and the candidates.
SIX = {
    "安全生产监督员": (2, ["张三", "陈五", "孙建国"]),
    "改革创新攻坚员": (1, ["王书记", "周志强"]),
    "形势任务宣传员": (2, ["李四", "吴海燕"]),
    "矛盾纠纷调解员": (1, ["郑淑芬", "冯立新"]),
    "遵章守纪示范员": (1, ["刘委员", "褚卫东"]),
    "急难险重突击员": (2, ["蒋大勇", "韩明", "杨铁柱"]),
}
# What the staff member ticks: the maximum where the category allows two, one of two elsewhere.
CHOICES = {
    "安全生产监督员": ["张三", "孙建国"],
    "改革创新攻坚员": ["周志强"],
    "形势任务宣传员": ["吴海燕"],
    "矛盾纠纷调解员": ["冯立新"],
    "遵章守纪示范员": ["刘委员"],
    "急难险重突击员": ["蒋大勇", "杨铁柱"],
}
RECEIPT_CODE = re.compile(r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$")


def six_category_campaign(now, world):
    """A campaign in voting with the six default roles, two or three qualified candidates each."""
    assert [name for name, _description in DEFAULT_CATEGORIES] == list(SIX)
    credit_q1(now, world)
    campaign = new_campaign(now, world, categories=[
        CategorySpec(name, description, 1, SIX[name][0]) for name, description in DEFAULT_CATEGORIES])
    on_roster = {p.name: p for p in vars(world.people).values()}
    units = [world.unit_a, world.unit_b]
    for n, name in enumerate(name for _max, names in SIX.values() for name in names):
        if name not in on_roster:
            on_roster[name] = make_person(units[n % 2], name, PoliticalStatus.MASSES)
    db.session.commit()
    to_phase(now, world, campaign, Phase.NOMINATION)
    for category in campaign.categories:
        for name in SIX[category.name][1]:
            qualify(world, nominate(now, world.users.committee, campaign, on_roster[name], category))
    to_phase(now, world, campaign, Phase.VOTING)
    return campaign


def _tap(page, locator):
    """A finger's tap on a phone, a click on a desktop."""
    locator.tap() if is_phone(page) else locator.click()


def _candidate(category, name):
    """A candidate's checkbox row in a category of the ballot."""
    return category.locator(".candidate").filter(has_text=name)


def _open_campaign_from_menu(page):
    """六大员评选 from the main menu, then the campaign's own page."""
    follow(open_menu(page).get_by_role("link", name="六大员评选", exact=True))
    expect(page.get_by_role("heading", name="六大员评选", level=1)).to_be_visible()
    check_layout(page)
    follow(page.get_by_test_id("campaigns").get_by_role("link", name=TITLE))
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()


def test_staff_votes_in_six_categories_and_finds_the_ballots_after_the_close(page, world, now):
    campaign = six_category_campaign(now, world)
    staff = world.users.staff  # 赵六, 群众
    login(page, identifier_of(staff))
    _open_campaign_from_menu(page)
    expect(page.get_by_test_id("phase")).to_have_text("投票")
    check_layout(page)
    follow(page.get_by_test_id("actions").get_by_role("link", name="去投票"))

    # The ballot: all six categories on one page, each with its own counter.
    ballot = page.get_by_test_id("ballot")
    expect(ballot.locator("fieldset.ballot-category")).to_have_count(6)
    expect(page.locator("main")).to_contain_text("投出后不能更改")
    check_layout(page)  # candidate rows included: every label is 44px at least on a phone
    for n, (name, (most, candidates)) in enumerate(SIX.items(), start=1):
        category = ballot.get_by_test_id(f"category-{n}")
        expect(category.locator("legend")).to_contain_text(name)
        expect(category.locator("legend")).to_contain_text(f"最多选 {most} 人")
        expect(category.locator(".candidate")).to_have_count(len(candidates))
        counter = category.locator(".ballot-count")
        expect(counter).to_have_text("未选择（视为弃权）")
        for ticked, candidate in enumerate(CHOICES[name], start=1):
            row = _candidate(category, candidate)
            _tap(page, row.locator("label"))
            expect(row.get_by_role("checkbox")).to_be_checked()
            expect(counter).to_have_text(f"已选 {ticked} / {most} 人")

    # One more than allowed: the tick does not stay, the count stands, and a line beside it says why.
    safety = ballot.get_by_test_id("category-1")
    extra = _candidate(safety, "陈五")
    _tap(page, extra.locator("label"))
    expect(extra.get_by_role("checkbox")).not_to_be_checked()
    expect(safety.locator(".ballot-count")).to_have_text("已选 2 / 2 人")
    expect(safety.locator(".ballot-refusal")).to_have_text("本类别最多选 2 人，请先取消一人再选。")
    expect(safety.get_by_role("checkbox", checked=True)).to_have_count(2)
    reform = ballot.get_by_test_id("category-2")
    _tap(page, _candidate(reform, "王书记").locator("label"))
    expect(_candidate(reform, "王书记").get_by_role("checkbox")).not_to_be_checked()
    expect(_candidate(reform, "周志强").get_by_role("checkbox")).to_be_checked()
    check_layout(page)

    # Confirmation: every category with its names, and the warning.
    follow(page.get_by_role("button", name="下一步：确认选票"))
    expect(page.get_by_role("heading", name="请确认您的选票")).to_be_visible()
    lines = page.get_by_test_id("confirm-lines").locator("li")
    expect(lines).to_have_count(6)
    for n, (name, chosen) in enumerate(CHOICES.items()):
        expect(lines.nth(n)).to_contain_text(name)
        for candidate in chosen:
            expect(lines.nth(n)).to_contain_text(candidate)
    expect(page.get_by_test_id("final-warning")).to_contain_text("选票投出后不能更改")
    check_layout(page)

    # Cast: the receipt code, shown this once, kept in this browser on request.
    follow(page.get_by_test_id("cast"))
    expect(page.get_by_test_id("cast-done")).to_have_text("投票成功，您的选票已计入。")
    code = page.get_by_test_id("receipt-code").inner_text().strip()
    assert RECEIPT_CODE.match(code), code
    expect(page.get_by_test_id("receipt-lines").locator("li")).to_have_count(6)
    check_layout(page)
    keep = page.get_by_role("button", name="在本机浏览器中保存回执码")
    _tap(page, keep)
    expect(page.get_by_role("button", name="已保存在本机浏览器")).to_be_disabled()
    stored = page.evaluate(f"window.localStorage.getItem('exemplar-receipt-{campaign.id}')")
    assert stored == code
    follow(page.get_by_role("link", name="返回活动页面"))
    expect(page.get_by_test_id("voted")).to_contain_text("您已投票")
    assert code not in page.content()
    page.goto(f"/exemplars/{campaign.id}/vote")  # the ballot is not offered again, nor the code
    expect(page.get_by_test_id("vote-closed")).to_contain_text("您已投票")
    expect(page.get_by_test_id("ballot")).to_have_count(0)
    assert code not in page.content()

    # Days later voting has closed and the campaign is in publicity; the session has timed out.
    to_phase(now, world, campaign, Phase.PUBLICITY)
    page.goto("/")
    expect(page.get_by_role("alert")).to_contain_text("已自动退出")
    login(page, identifier_of(staff))
    _open_campaign_from_menu(page)
    expect(page.get_by_test_id("phase")).to_have_text("公示")
    follow(page.get_by_role("link", name="选票清单（核对我的选票）"))
    expect(page.get_by_role("heading", name="选票清单", level=1)).to_be_visible()
    finder = page.get_by_test_id("find-receipt")
    expect(finder.get_by_label("回执码")).to_have_value(code)  # from this browser's storage
    expect(page.get_by_test_id("invariant").locator("tbody tr")).to_have_count(6)
    for row in page.get_by_test_id("invariant").locator("tbody tr").all():
        expect(row.locator("td").nth(1)).to_have_text("1")
        expect(row.locator("td").nth(2)).to_have_text("1")
        expect(row.locator("td").nth(3)).to_have_text("一致")
    check_layout(page)
    follow(finder.get_by_role("button", name="查找"))
    found = page.get_by_test_id("found").locator("li")
    expect(found).to_have_count(6)
    for n, (name, chosen) in enumerate(CHOICES.items()):
        line = found.nth(n)
        expect(line).to_contain_text(f"{name}：")
        for candidate in SIX[name][1]:
            if candidate in chosen:
                expect(line).to_contain_text(candidate)
            else:
                expect(line).not_to_contain_text(candidate)
    # Each found ballot is on the public list under its receipt hash.
    first_hash = found.first.locator("div.small").inner_text().strip()
    expect(page.get_by_test_id("ballot-lines")).to_contain_text(first_hash)
    check_layout(page)


def test_a_voter_the_campaign_leaves_out_is_told_why_instead_of_a_ballot(page, world, now):
    campaign, _made = ready_to_vote(now, world, voter_statuses=["正式党员", "预备党员"])
    login(page, identifier_of(world.users.staff))
    _open_campaign_from_menu(page)
    actions = page.get_by_test_id("actions")
    expect(actions).to_contain_text("本次评选的投票人为正式党员、预备党员。")
    expect(actions.get_by_role("link", name="去投票")).to_have_count(0)
    check_layout(page)
    page.goto(f"/exemplars/{campaign.id}/vote")  # an address kept from a message, say
    expect(page.get_by_test_id("vote-closed")).to_have_text("本次评选的投票人为正式党员、预备党员。")
    expect(page.get_by_test_id("ballot")).to_have_count(0)
    check_layout(page)
