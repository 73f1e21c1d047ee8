"""异常提醒: the detector registry finds planted bursts, frequent adjustments and outliers, not normal data."""

import pytest

from portal.core.periods import PeriodKind, period_containing
from portal.credits import anomalies, services
from portal.credits.services import Source
from tests.credits.helpers import at, commit, give
from tests.factories import make_person

NOVEMBER = period_containing(PeriodKind.MONTH, at(2026, 11, 1).date())


def award_at(now, person, source_id, moment):
    """A 3-point attendance credit written at `moment` (created_at follows the frozen clock)."""
    now.set(moment)
    return services.award(person, "session_attend", Source("session", source_id), when=moment).entry


def findings(branch_ids=None):
    return {f.detector.code: f.rows for f in anomalies.run_detectors(NOVEMBER, branch_ids)}


@pytest.fixture()
def normal_month(world, now):
    """Ordinary activity: attendance spread over the month, a couple of adjustments, similar totals."""
    people = world.people
    for n, person in enumerate([people.member, people.secretary, people.activist, people.other]):
        for day in range(1, 4 + n % 2):
            award_at(now, person, n * 100 + day, at(2026, 11, day * 5, 9 + n))
    give(now, world.users.committee, people.member, 2, at(2026, 11, 6))
    give(now, world.users.committee, people.member, -1, at(2026, 11, 7))
    now.set(at(2026, 11, 22))
    commit()
    return world


def test_normal_data_raises_no_finding(normal_month):
    found = findings()  # the study module's checks run too, over no study activity
    assert {"burst", "manual", "outlier"} <= set(found) and all(rows == [] for rows in found.values())


def test_a_burst_of_entries_within_a_minute_is_found(normal_month, now):
    member = normal_month.people.member
    for i in range(12):  # twelve entries 4 seconds apart: 44 seconds in all
        award_at(now, member, 1000 + i, at(2026, 11, 12, 21, 30, i * 4))
    other = normal_month.people.other
    for i in range(12):  # twelve entries 10 seconds apart: two minutes, no burst of ten within 60 s
        award_at(now, other, 2000 + i, at(2026, 11, 13, 8, 0, 0).replace(minute=i * 10 // 60, second=i * 10 % 60))
    commit()
    rows = findings()["burst"]
    assert [(r.person_id, r.name, r.branch_name) for r in rows] == [(member.id, "张三", "综采一队党支部")]
    assert "2026年11月12日 21:30:00 起 60 秒内入账 12 条" in rows[0].detail


def test_nine_quick_entries_are_not_a_burst(normal_month, now):
    for i in range(9):
        award_at(now, normal_month.people.member, 1000 + i, at(2026, 11, 12, 21, 30, i))
    commit()
    assert findings()["burst"] == []


def test_three_manual_adjustments_are_found_and_reversals_do_not_count(normal_month, now):
    committee, other = normal_month.users.committee, normal_month.people.other
    first = give(now, committee, other, 5, at(2026, 11, 8))
    give(now, committee, other, 5, at(2026, 11, 9))
    services.reverse(committee, first.id, "录错")
    commit()
    assert findings()["manual"] == []  # 张三 has two, 陈五 two plus a reversal
    give(now, committee, other, -2, at(2026, 11, 10))
    commit()
    rows = findings()["manual"]
    assert [r.name for r in rows] == ["陈五"] and rows[0].detail == "本期手动调整 3 次，合计 +8 分"


def test_points_far_above_the_branch_average_are_found(normal_month, now):
    crew = [make_person(normal_month.unit_b, f"掘进党员{i:02d}") for i in range(14)]
    for n, person in enumerate(crew):
        for day in (2, 9):
            award_at(now, person, 5000 + n * 10 + day, at(2026, 11, day, 8))
    star = crew[0]
    for i in range(18):  # 18 more attendances, spread out: 60 points against a branch average near 10
        award_at(now, star, 6000 + i, at(2026, 11, 1 + i, 14))
    commit()
    rows = findings()["outlier"]
    assert [r.person_id for r in rows] == [star.id]
    assert rows[0].detail.startswith("本期 60 分，支部平均") and rows[0].branch_name == "掘进二队党支部"
    # Within a branch that does not include the outlier, nothing is found.
    assert findings([normal_month.branch_a.id])["outlier"] == []


def test_other_modules_can_register_detectors(normal_month, monkeypatch):
    monkeypatch.setattr(anomalies, "DETECTORS", list(anomalies.DETECTORS))
    registered = [d.code for d in anomalies.DETECTORS]
    assert registered[:3] == ["burst", "manual", "outlier"]  # the ledger's own, then other modules'
    seen = []

    @anomalies.detector("example_check", "每篇文章都恰好读到最短时间", "说明")
    def _min_time(period, branch_ids):
        seen.append((period, branch_ids))
        return [anomalies.FindingRow(normal_month.people.member.id, "张三", "综采一队党支部", "30 篇均为 60 秒")]

    result = anomalies.run_detectors(NOVEMBER)
    assert [f.detector.code for f in result] == [*registered, "example_check"]
    assert result[-1].rows[0].detail == "30 篇均为 60 秒" and seen == [(NOVEMBER, None)]
    anomalies.detector("example_check", "新标题", "说明")(_min_time)  # registering again replaces it
    titles = [d.title for d in anomalies.DETECTORS]
    assert titles.count("新标题") == 1 and len(titles) == len(registered) + 1


def test_anomaly_page_explains_and_links_to_the_ledger(client, login_as, normal_month, now):
    member = normal_month.people.member
    for i in range(10):
        award_at(now, member, 1000 + i, at(2026, 11, 12, 21, 30, i))
    now.set(at(2026, 11, 22))
    commit()
    login_as(normal_month.users.committee)
    page = client.get("/credits/anomalies?period=month:2026-11-01").get_data(as_text=True)
    burst = page.split('data-testid="finding-burst"')[1].split("</section>")[0]
    assert "脚本刷分" in burst and "1 人" in burst
    assert f'href="/credits/people/{member.id}?period=month:2026-11-01"' in burst
    for quiet in ("manual", "outlier"):
        section = page.split(f'data-testid="finding-{quiet}"')[1].split("</section>")[0]
        assert "未发现" in section and "finding-row" not in section
    october = client.get("/credits/anomalies?period=month:2026-10-01").get_data(as_text=True)
    assert "finding-row" not in october
    assert client.get("/credits/anomalies?period=month:2026-11-07").status_code == 404
    client.post("/logout")
    login_as(normal_month.users.secretary)
    assert client.get("/credits/anomalies").status_code == 403
