"""Ranking and ledger exports: real .xlsx files with Chinese headers, the right rows, the actor's scope."""

from sqlalchemy import func, select

from portal.core.audit import AuditEntry
from portal.credits import reports, services
from portal.extensions import db
from tests.credits.helpers import at, close_until, commit, workbook_rows


def test_committee_exports_the_person_ranking(client, login_as, november):
    login_as(november.users.committee)
    response = client.get("/credits/rankings/export?period=month:2026-11-01")
    rows = workbook_rows(response)
    assert rows[0] == reports.PERSON_HEADERS == ["排名", "姓名", "党支部", "积分", "名次变化"]
    assert rows[1:] == [
        [1, "李四", "综采一队党支部", 10, "新"],
        [1, "张三", "综采一队党支部", 10, "↑1"],
        [3, "陈五", "掘进二队党支部", 2, "↓2"],
    ]
    assert "2026%E5%B9%B411%E6%9C%88" in response.headers["Content-Disposition"]  # 2026年11月 in the file name
    # A read-only GET: nothing is written, so nothing is audited.
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.notin_(["login", "credit_adjusted"]))) == 0


def test_committee_exports_the_branch_ranking(client, login_as, november):
    login_as(november.users.committee)
    rows = workbook_rows(client.get("/credits/rankings/export?view=branch"))
    assert rows[0] == ["排名", "党支部", "党员人数", "参与人数", "参与率（%）", "总积分", "人均积分"]
    assert rows[1:] == [[1, "综采一队党支部", 2, 1, 50.0, 10, 5.0], [2, "掘进二队党支部", 2, 1, 50.0, 2, 1.0]]


def test_secretary_exports_only_their_branch(client, login_as, november):
    login_as(november.users.secretary)
    people = workbook_rows(client.get("/credits/rankings/export"))
    assert [row[1] for row in people[1:]] == ["李四", "张三"]
    assert all(row[2] == "综采一队党支部" for row in people[1:])
    branches = workbook_rows(client.get("/credits/rankings/export?view=branch"))
    assert [row[1] for row in branches[1:]] == ["综采一队党支部"]
    refused = client.get(f"/credits/rankings/export?branch={november.branch_b.id}")
    assert refused.status_code == 404


def test_export_of_a_closed_period_uses_the_frozen_ranking(client, login_as, november, now):
    close_until(now, at(2026, 12, 1, 0, 30))
    services.adjust(november.users.committee, november.people.other, 50, "结算后更正")  # lands in December
    commit()
    login_as(november.users.committee)
    response = client.get("/credits/rankings/export?period=month:2026-11-01")
    rows = workbook_rows(response)
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [(1, "李四", 10), (1, "张三", 10), (3, "陈五", 2)]
    assert "%E5%B7%B2%E7%BB%93%E7%AE%97" in response.headers["Content-Disposition"]  # 已结算


def test_ledger_export_has_every_entry_and_guards_formulas(client, login_as, november):
    committee, other = november.users.committee, november.people.other
    first = db.session.scalar(select(func.min(AuditEntry.target_id)).where(AuditEntry.action == "credit_adjusted"))
    services.reverse(committee, first, "录错了")  # 陈五's October 9 points
    commit()
    login_as(committee)
    rows = workbook_rows(client.get(f"/credits/people/{other.id}/export"))
    assert rows[0] == reports.LEDGER_HEADERS == [
        "入账日期", "获得时间", "积分规则", "规则版本", "积分", "来源", "补记说明", "原因", "状态", "记录人"]
    assert [row[4] for row in rows[1:]] == [-9, 2, 9]
    # A reversal says what it cancelled in words; the entry it cancelled, when (no ledger ids).
    assert rows[1][5] == "冲销：手动加减分（2026年10月5日 +9 分）" and rows[1][8] == "冲销记录"
    assert rows[3][8] == "已冲销（2026-11-22）" and rows[3][5] == "手动调整"
    assert rows[2][7] == "'=HYPERLINK(\"http://x\")"  # stays text, never a live formula
    assert rows[2][9] == "刘委员" and rows[2][2] == "手动加减分"
    october = workbook_rows(client.get(f"/credits/people/{other.id}/export?period=month:2026-10-01"))
    assert [row[4] for row in october[1:]] == [9]


def test_ledger_export_is_scoped(client, login_as, november):
    login_as(november.users.secretary)
    assert client.get(f"/credits/people/{november.people.other.id}/export").status_code == 404
    own = workbook_rows(client.get(f"/credits/people/{november.people.member.id}/export"))
    assert [row[4] for row in own[1:]] == [10, 1]
