"""The committee's home page: the periods' state and what waits for sign-off, with links."""

import re

from portal.core.periods import PeriodKind, period_containing
from portal.credits import payout
from portal.extensions import db
from tests.conftest import login
from tests.credits.helpers import at, close_until, give
from tests.home.helpers import page_of

Q3 = period_containing(PeriodKind.QUARTER, at(2026, 9, 1).date())


def _panel(page):
    start = page.index('data-testid="panel-committee"')
    return page[start:page.index("</section>", start)]


def _committee_page(app, world):
    client = app.test_client()
    login(client, world.users.committee)
    return _panel(page_of(client))


def test_the_periods_state_and_a_closed_quarter_waiting_for_sign_off(app, world, now):
    give(now, world.users.committee, world.people.member, 5, at(2026, 9, 15))
    close_until(now, at(2026, 10, 20, 0, 30))
    now.set(at(2026, 10, 20))
    db.session.commit()
    panel = _committee_page(app, world)
    states = re.findall(r'<a class="list-group-item list-group-item-action" href="([^"]+)">\s*'
                        r'<span class="d-block">([^<]+)</span>\s*'
                        r'<span class="d-block small text-muted">([^<]+)<', panel)
    assert states == [
        ("/credits/rankings?period=dekad:2026-10-11", "旬：2026年10月中旬 进行中", "最近已结算：2026年10月上旬"),
        ("/credits/rankings?period=month:2026-10-01", "月：2026年10月 进行中", "最近已结算：2026年9月"),
        ("/credits/rankings?period=quarter:2026-10-01", "季度：2026年第4季度 进行中", "最近已结算：2026年第3季度"),
        ("/credits/rankings?period=year:2026-01-01", "年度：2026年 进行中", "尚无已结算的年度"),
    ]
    payout_line = re.search(r'data-testid="payout-unsigned"\s+href="([^"]+)">\s*<span>([^<]+)<', panel)
    assert payout_line.groups() == ("/credits/payout?period=quarter:2026-07-01", "2026年第3季度兑现名单已结算，待签认")
    assert 'data-testid="periods-overdue"' not in panel
    payout.sign_payout(world.users.committee, Q3)
    db.session.commit()
    panel = _committee_page(app, world)
    assert 'data-testid="payout-unsigned"' not in panel and "没有待签认的季度兑现名单。" in panel


def test_a_period_left_unclosed_is_flagged(app, world, now):
    give(now, world.users.committee, world.people.member, 5, at(2026, 9, 15))
    now.set(at(2026, 10, 20))
    db.session.commit()
    panel = _committee_page(app, world)
    assert "尚无已结算的月" in panel
    assert 'data-testid="periods-overdue"' in panel and "超过一天仍未结算" in panel


def test_anomalies_this_month_are_counted_and_linked(app, world, now):
    now.set(at(2026, 11, 10, 9))
    db.session.commit()
    panel = _committee_page(app, world)
    assert "2026年11月暂无异常提醒" in panel
    for hour in (10, 11, 12):  # three manual adjustments of one person in a month
        give(now, world.users.committee, world.people.member, 2, at(2026, 11, 10, hour))
    db.session.commit()
    # Within the minute the count is the one cached (CACHE_SECONDS); then it is counted again.
    assert "2026年11月暂无异常提醒" in _committee_page(app, world)
    app.extensions["fragment_cache"].clear()
    panel = _committee_page(app, world)
    assert "2026年11月异常提醒：1 项检查发现 1 人需要核查" in panel
    assert 'href="/credits/anomalies?period=month:2026-11-01"' in panel


def test_only_the_committee_gets_the_panel(app, world, now):
    now.set(at(2026, 11, 2))
    for user in (world.users.secretary, world.users.member, world.users.admin):
        client = app.test_client()
        login(client, user)
        assert 'data-testid="panel-committee"' not in page_of(client)
