"""Credit pages: my credits, a member's ledger, rankings and their scope, the period picker, home."""

import re

import pytest
from sqlalchemy import select

from portal.credits import services
from portal.credits.models import LedgerEntry
from portal.credits.services import Source
from tests.credits.conftest import NOW
from tests.credits.helpers import at, close_until, commit, give, table_rows
from tests.factories import make_person


def text(page):
    """The page's visible text, tags stripped and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def ranking(page):
    """(rank, name, points, change) of each person row."""
    return [(cells[0], cells[1].split()[0], cells[3], cells[4]) for cells in table_rows(page, "person-row")]


# --- rankings -------------------------------------------------------------------------------------

def test_committee_ranking_shows_ties_rank_changes_and_live_status(client, login_as, november):
    login_as(november.users.committee)
    page = client.get("/credits/rankings").get_data(as_text=True)
    assert ranking(page) == [("1", "李四", "10", "新"), ("1", "张三", "10", "↑1"), ("3", "陈五", "2", "↓2")]
    assert "2026年11月" in page and "实时" in page and "已结算（冻结）" not in page
    assert 'data-chart="histogram"' in page


def test_committee_branch_view_has_a_bar_per_branch(client, login_as, november):
    login_as(november.users.committee)
    page = client.get("/credits/rankings?view=branch").get_data(as_text=True)
    rows = table_rows(page, "branch-row")
    # 综采一队: 10 points over 2 Party members (李四 is an activist); 掘进二队: 2 over 2.
    assert [(r[0], r[1], r[4], r[6]) for r in rows] == [
        ("1", "综采一队党支部", "50.0%", "5.0"), ("2", "掘进二队党支部", "50.0%", "1.0")]
    chart = re.search(r'<svg[^>]*data-chart="bar".*?</svg>', page, re.S).group(0)
    assert chart.count('class="chart-bar"') == 2
    assert "综采一队党支部" in chart and "<title" in chart


def test_committee_can_filter_people_to_one_branch(client, login_as, november):
    login_as(november.users.committee)
    page = client.get(f"/credits/rankings?branch={november.branch_b.id}").get_data(as_text=True)
    assert ranking(page) == [("1", "陈五", "2", "—")]  # first in its branch in October too
    assert "名次为所选党支部内的排名" in page


def test_secretary_sees_only_their_branch_in_rankings(client, login_as, november):
    login_as(november.users.secretary)
    people = client.get("/credits/rankings").get_data(as_text=True)
    assert [row[1] for row in ranking(people)] == ["李四", "张三"]
    assert "陈五" not in people and "掘进二队党支部" not in people
    branches = client.get("/credits/rankings?view=branch").get_data(as_text=True)
    rows = table_rows(branches, "branch-row")
    assert len(rows) == 1 and rows[0][0] == "1 / 2" and rows[0][1] == "综采一队党支部"
    assert "掘进二队党支部" not in branches and "陈五" not in branches
    chart = re.search(r'<svg[^>]*data-chart="bar".*?</svg>', branches, re.S).group(0)
    assert chart.count('class="chart-bar"') == 1
    # Asking for the other branch by hand is refused, not answered with its people.
    other = client.get(f"/credits/rankings?branch={november.branch_b.id}")
    assert other.status_code == 404 and "陈五" not in other.get_data(as_text=True)


def test_ranking_is_paginated(client, login_as, world, now):
    for i in range(35):
        person = make_person(world.unit_b, f"掘进党员{i:02d}")
        give(now, world.users.committee, person, i + 1, at(2026, 11, 5))
    now.set(NOW)
    commit()
    login_as(world.users.committee)
    first = client.get("/credits/rankings").get_data(as_text=True)
    second = client.get("/credits/rankings?page=2").get_data(as_text=True)
    assert len(ranking(first)) == 30 and ranking(first)[0][:3] == ("1", "掘进党员34", "35")
    assert [r[0] for r in ranking(second)] == [str(n) for n in range(31, 36)]
    assert "第 2 / 2 页" in second


@pytest.mark.parametrize("query, message", [
    ("period=bogus", "考核周期无效"),
    ("period=month:2026-11-05", "考核周期无效"),  # not the first day of a month
    ("period=month:2026-13-01", "考核周期无效"),
    ("period=week:2026-11-02", "考核周期无效"),
    ("period=year:0001-01-01", "没有积分数据"),
    ("period=year:2021-01-01", "没有积分数据"),  # before the ledger's first entry (5 October 2026)
    ("period=month:2026-09-01", "没有积分数据"),
    ("period=month:2027-03-01", "尚未开始"),
    ("kind=fortnight", "考核周期类型无效"),
])
def test_bad_period_keys_get_a_clear_404(client, login_as, november, query, message):
    login_as(november.users.committee)
    response = client.get(f"/credits/rankings?{query}")
    assert response.status_code == 404
    assert message in response.get_data(as_text=True)


def test_period_picker_offers_the_periods_since_the_first_entry(client, login_as, november):
    login_as(november.users.committee)
    dekads = client.get("/credits/rankings?kind=dekad").get_data(as_text=True)
    assert "2026年11月下旬" in dekads and "本周期暂无积分记录" in dekads
    # The first entry is of 5 October: 十月上旬 to 十一月下旬, nothing before.
    assert dekads.count('<option value="dekad:') == 6
    assert "2026年10月上旬" in dekads and "2026年9月下旬" not in dekads
    early = client.get("/credits/rankings?period=dekad:2026-11-01").get_data(as_text=True)
    assert [r[1] for r in ranking(early)] == ["李四", "张三", "陈五"]
    years = client.get("/credits/rankings?kind=year").get_data(as_text=True)
    # 2026: 陈五 11 and 张三 11 tie (listed by pinyin), 李四 10.
    assert [(r[0], r[1]) for r in ranking(years)] == [("1", "陈五"), ("1", "张三"), ("3", "李四")]
    assert years.count('<option value="year:') == 1 and "2025年" not in years  # no empty years


def test_closed_periods_say_frozen_and_open_ones_live(client, login_as, november, now):
    close_until(now, at(2026, 12, 1, 0, 30))
    commit()
    login_as(november.users.committee)
    closed = client.get("/credits/rankings?period=month:2026-11-01").get_data(as_text=True)
    assert "已结算（冻结）" in closed and "实时" not in text(closed).replace("实时变化", "")
    assert ranking(closed)[0][:3] == ("1", "李四", "10")
    live = client.get("/credits/rankings").get_data(as_text=True)
    assert "2026年12月" in live and "实时" in live
    assert "2026年11月（已结算）" in live


# --- my credits and a member's ledger -------------------------------------------------------------

def test_my_credits_show_totals_ranks_chart_and_entries(client, login_as, november):
    login_as(november.users.member)
    page = client.get("/credits/mine").get_data(as_text=True)
    cards = text(page)
    assert "本月 · 2026年11月 10 分 第 1 名 / 共 3 人" in cards
    assert "本年度 · 2026年 11 分 第 1 名 / 共 3 人" in cards
    assert 'data-chart="line"' in page and "10月：1 分" in page and "11月：10 分" in page
    points = re.findall(r'data-testid="entry-points">([^<]+)<', page)
    assert points == ["+10", "+1"]
    assert "原因：测试" in page
    assert "陈五" not in page and "李四" not in page  # nobody else's entries


def test_my_credits_without_points_or_without_a_person(client, login_as, november):
    login_as(november.users.staff)
    page = client.get("/credits/mine").get_data(as_text=True)
    assert text(page).count("暂无积分") >= 4 and "暂无积分记录" in page
    client.post("/logout")
    login_as(november.users.admin)
    page = client.get("/credits/mine")
    assert page.status_code == 200 and "没有关联花名册人员" in page.get_data(as_text=True)


def test_thousands_separator_in_ranking_size(client, login_as, world, monkeypatch, now):
    from portal.credits import standings

    give(now, world.users.committee, world.people.member, 3, at(2026, 11, 5))
    now.set(NOW)
    commit()
    monkeypatch.setattr(standings, "ranking_size", lambda period, branch_ids=None: 1432)
    login_as(world.users.member)
    assert "第 1 名 / 共 1,432 人" in client.get("/credits/mine").get_data(as_text=True)


def test_ledger_filtered_to_a_period(client, login_as, november):
    login_as(november.users.member)
    page = client.get("/credits/mine?period=month:2026-10-01").get_data(as_text=True)
    assert re.findall(r'data-testid="entry-points">([^<]+)<', page) == ["+1"]
    assert "查看全部明细" in page
    assert client.get("/credits/mine?period=nonsense").status_code == 404


def test_member_can_never_open_another_ledger(client, login_as, november):
    login_as(november.users.member)
    for person in (november.people.other, november.people.activist, november.people.member):
        assert client.get(f"/credits/people/{person.id}").status_code == 403
        assert client.get(f"/credits/people/{person.id}/export").status_code == 403
    assert client.get("/credits/rankings").status_code == 403


def test_secretary_opens_own_branch_ledgers_only(client, login_as, november):
    login_as(november.users.secretary)
    own = client.get(f"/credits/people/{november.people.member.id}")
    assert own.status_code == 200 and "张三的积分" in own.get_data(as_text=True)
    assert "冲销" not in own.get_data(as_text=True)  # reversing is the committee's
    other = client.get(f"/credits/people/{november.people.other.id}")
    assert other.status_code == 404 and "陈五" not in other.get_data(as_text=True)
    assert client.get(f"/credits/people/{november.people.other.id}/export").status_code == 404


def test_ledger_marks_versions_reversals_and_late_entries(client, login_as, world, now):
    committee, member = world.users.committee, world.people.member
    services.award(member, "session_attend", Source("meeting", 1), when=at(2026, 11, 5))
    wrong = give(now, committee, member, 4, at(2026, 11, 6), reason="录入错误")
    now.set(at(2026, 11, 12))
    services.change_rule(committee, "session_attend", name="参加组织生活", points=4, mode="fixed", daily_cap=None,
                         weekly_cap=None, monthly_cap=None, applies_to=[])
    services.award(member, "session_attend", Source("meeting", 2), when=at(2026, 11, 12))
    reversal = services.reverse(committee, wrong.id, "重复录入")
    close_until(now, at(2026, 12, 1, 0, 30))
    late = services.award(member, "session_attend", Source("meeting", 3), when=at(2026, 11, 20)).entry
    commit()
    login_as(committee)
    page = client.get(f"/credits/people/{member.id}").get_data(as_text=True)
    entries = page.split('data-testid="entry"')[1:]
    by_id = {int(re.search(r'id="entry-(\d+)"', e).group(1)): e for e in entries}
    assert "第 2 版" in by_id[late.id] and "补记：原属2026年11月中旬" in by_id[late.id]
    assert 'data-testid="reversed"' in by_id[wrong.id] and "已于 2026年11月12日 冲销，不再计分" in by_id[wrong.id]
    assert 'data-testid="reversal"' in by_id[reversal.id] and "原因：重复录入" in by_id[reversal.id]
    assert "冲销：手动加减分（2026年11月6日 +4 分）" in by_id[reversal.id]
    first = db_entry(member.id, "meeting", 1)
    # No such session: the entry is named by its kind and date, never by an id.
    assert "第 2 版" not in by_id[first.id] and "2026年11月5日 · 组织生活" in by_id[first.id]
    assert not re.search(r"#\d|第 \d+ 条", text(page))
    # Only entries neither reversed nor reversing offer the 冲销 form.
    assert "确认冲销" not in by_id[wrong.id] and "确认冲销" not in by_id[reversal.id]
    assert "确认冲销" in by_id[first.id]


def db_entry(person_id, source_type, source_id):
    from portal.extensions import db

    return db.session.scalar(select(LedgerEntry).where(
        LedgerEntry.person_id == person_id, LedgerEntry.source_type == source_type,
        LedgerEntry.source_id == source_id))


# --- home and navigation --------------------------------------------------------------------------

def test_home_shows_each_role_its_credits(client, login_as, november):
    login_as(november.users.member)
    home = text(client.get("/").get_data(as_text=True))
    assert "本月积分 10 分 · 第 1 名" in home
    client.post("/logout")
    login_as(november.users.staff)
    assert "本月暂无积分" in text(client.get("/").get_data(as_text=True))
    client.post("/logout")
    login_as(november.users.committee)
    page = client.get("/").get_data(as_text=True)
    top = re.search(r'data-testid="top-branches".*?</ol>', page, re.S).group(0)
    assert text(top).index("综采一队党支部") < text(top).index("掘进二队党支部")
    client.post("/logout")
    login_as(november.users.secretary)
    home = text(client.get("/").get_data(as_text=True))
    assert "综采一队党支部：本月人均 5.0 分，参与率 50.0%，在 2 个党支部中排第 1 名" in home
    assert "掘进二队党支部" not in home


def test_navigation_offers_credit_pages_by_role(client, login_as, world):
    def nav(page):
        return re.search(r'id="mainNav".*?</ul>', page, re.S).group(0)

    login_as(world.users.member)
    menu = nav(client.get("/").get_data(as_text=True))
    assert "我的积分" in menu and "积分排名" not in menu and "积分规则" not in menu
    client.post("/logout")
    login_as(world.users.secretary)
    menu = nav(client.get("/").get_data(as_text=True))
    assert "积分排名" in menu and "积分规则" not in menu
    client.post("/logout")
    login_as(world.users.committee)
    menu = nav(client.get("/credits/rankings").get_data(as_text=True))
    assert "积分排名" in menu and "积分规则" in menu
    assert menu.count("active") == 1  # only the page being shown is highlighted
    client.post("/logout")
    login_as(world.users.admin)
    assert "我的积分" not in nav(client.get("/").get_data(as_text=True))
