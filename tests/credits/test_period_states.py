"""A period says what it is: 进行中 (实时), 已结束，待结算, 已结算, 已兑现; and only periods with data are offered."""

import re

from portal.core.periods import PeriodKind
from portal.credits import period_states
from portal.credits.period_states import PeriodState
from tests.credits.helpers import at, close_until, commit, give


def _status(page):
    """The badge beside the period's name, and the line under it."""
    badge = re.search(r'data-testid="period-status" data-state="(\w+)">([^<]+)<', page)
    note = re.search(r'data-testid="period-note">(.*?)</p>', page, re.S).group(1)
    return badge.group(1), badge.group(2), " ".join(note.split())


def _options(page):
    """The period picker's option texts."""
    picker = page[page.index('name="period"'):page.index("</select>")]
    return re.findall(r"<option[^>]*>([^<]+)</option>", picker)


def test_a_past_month_not_yet_closed_says_so_and_is_not_live(client, login_as, world, now):
    give(now, world.users.committee, world.people.member, 5, at(2026, 1, 10))
    now.set(at(2026, 2, 1, 0, 2))  # February has begun; the 00:05 closing job has not run yet
    commit()
    login_as(world.users.committee)
    january = client.get("/credits/rankings?period=month:2026-01-01").get_data(as_text=True)
    state, badge, note = _status(january)
    assert (state, badge) == ("ended", "已结束，待结算")
    assert "实时" not in badge and "尚未结束" not in note and "本周期已于 2026年1月31日 结束，尚待结算" in note
    february = client.get("/credits/rankings").get_data(as_text=True)
    assert _status(february)[:2] == ("live", "实时") and "本周期尚未结束" in _status(february)[2]
    assert _options(february) == ["2026年2月（进行中）", "2026年1月（已结束，待结算）"]


def test_a_closed_month_is_frozen_not_live(client, login_as, world, now):
    give(now, world.users.committee, world.people.member, 5, at(2026, 1, 10))
    close_until(now, at(2026, 3, 12, 0, 30))
    commit()
    login_as(world.users.committee)
    january = client.get("/credits/rankings?period=month:2026-01-01").get_data(as_text=True)
    state, badge, note = _status(january)
    assert (state, badge) == ("closed", "已结算（冻结）")
    assert "本周期尚未结束" not in note and "排名按结算时冻结的数据显示" in note
    assert _options(january) == ["2026年3月（进行中）", "2026年2月（已结算）", "2026年1月（已结算）"]


def test_a_signed_quarter_is_paid_and_the_cached_ranking_learns_it(client, login_as, world, now):
    give(now, world.users.committee, world.people.member, 12, at(2026, 8, 3))
    close_until(now, at(2026, 10, 1, 0, 30))
    now.set(at(2026, 10, 8))
    commit()
    login_as(world.users.committee)
    before = client.get("/credits/rankings?period=quarter:2026-07-01").get_data(as_text=True)  # cached
    assert _status(before)[:2] == ("closed", "已结算（冻结）")
    signed = client.post("/credits/payout/sign", data={"period": "quarter:2026-07-01", "note": ""})
    assert signed.status_code == 302
    after = client.get("/credits/rankings?period=quarter:2026-07-01").get_data(as_text=True)
    assert _status(after)[:2] == ("paid", "已兑现") and "本季度兑现名单已签认" in _status(after)[2]
    assert "2026年第3季度（已兑现）" in _options(after)
    payout = client.get("/credits/payout").get_data(as_text=True)
    assert _options(payout) == ["2026年第4季度（进行中）", "2026年第3季度（已兑现）"]


def test_an_empty_ledger_offers_only_the_current_period(world, now):
    now.set(at(2026, 5, 20))
    for kind in PeriodKind:
        choices = period_states.period_choices(kind)
        assert len(choices) == 1 and choices[0][1] == PeriodState.LIVE


def test_years_before_the_first_entry_are_not_offered(client, login_as, world, now):
    give(now, world.users.committee, world.people.member, 3, at(2025, 12, 30))
    now.set(at(2026, 12, 3))
    commit()
    years = [period.label for period, _ in period_states.period_choices(PeriodKind.YEAR)]
    assert years == ["2026年", "2025年"]
    login_as(world.users.committee)
    page = client.get("/credits/rankings?kind=year").get_data(as_text=True)
    assert _options(page) == ["2026年（进行中）", "2025年（已结束，待结算）"]
    assert "2024年" not in page and "2021年" not in page
