"""季度兑现: the frozen list of a closed quarter by branch, a single audited sign-off, then locked."""

import pytest
from sqlalchemy import func, select

from portal.core.audit import AuditEntry
from portal.core.exceptions import ConflictError, ValidationError
from portal.credits import payout, services
from portal.credits.models import PayoutList
from portal.credits.services import Source
from portal.extensions import db
from tests.credits.helpers import at, close_until, commit, give, table_rows

Q3 = "quarter:2026-07-01"


def signed_audits():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "credit_payout_signed"))


@pytest.fixture()
def closed_q3(world, now):
    """Third quarter: 张三 12, 王书记 5, 陈五 8; closed on 2026-10-01; now 2026-10-08."""
    committee, people = world.users.committee, world.people
    give(now, committee, people.member, 12, at(2026, 8, 3))
    give(now, committee, people.secretary, 5, at(2026, 8, 4))
    give(now, committee, people.other, 8, at(2026, 9, 1))
    close_until(now, at(2026, 10, 1, 0, 30))
    now.set(at(2026, 10, 8))
    commit()
    return world


def test_payout_list_groups_frozen_points_by_branch_with_subtotals(client, login_as, closed_q3):
    # A late award for the quarter after closing goes to the next period, not onto the list.
    services.award(closed_q3.people.member, "session_attend", Source("session", 1), when=at(2026, 9, 20))
    commit()
    login_as(closed_q3.users.committee)
    page = client.get("/credits/payout").get_data(as_text=True)  # the latest closed quarter by default
    assert "2026年第3季度学习积分兑现名单" in page
    assert [r[:2] + r[3:] for r in table_rows(page, "payout-row")] == [
        ["1", "张三", "12"], ["3", "王书记", "5"], ["2", "陈五", "8"]]
    assert [r for r in table_rows(page, "payout-subtotal")] == [["小计（2 人）", "17"], ["小计（1 人）", "8"]]
    assert "合计：3 人，25 分" in page
    assert page.index("综采一队党支部") < page.index("掘进二队党支部")
    assert 'data-testid="sign-form"' in page and "使用浏览器的打印功能" in page


def test_signing_off_locks_the_list_and_is_audited(client, login_as, closed_q3, now):
    login_as(closed_q3.users.committee)
    signed = client.post("/credits/payout/sign", data={"period": Q3, "note": "已核对"}, follow_redirects=True)
    page = signed.get_data(as_text=True)
    assert "2026年第3季度兑现名单已签认并锁定" in page
    assert "已签认并锁定：刘委员 于 2026年10月8日 10:00 签认" in page and "备注：已核对" in page
    assert 'data-testid="sign-form"' not in page
    listed = db.session.scalar(select(PayoutList))
    assert listed.signed_by_id == closed_q3.users.committee.id and listed.signed_at is not None
    assert signed_audits() == 1
    now.set(at(2026, 10, 8, 11))  # an hour later (within the session's idle limit)
    again = client.post("/credits/payout/sign", data={"period": Q3, "note": "再签一次"}, follow_redirects=True)
    text = again.get_data(as_text=True)
    assert "已由刘委员于 2026年10月8日 10:00 签认并锁定，不能重复签认" in text
    db.session.expire_all()
    assert db.session.scalar(select(PayoutList)).note == "已核对" and signed_audits() == 1


def test_an_open_quarter_cannot_be_signed(client, login_as, closed_q3):
    login_as(closed_q3.users.committee)
    page = client.get("/credits/payout?period=quarter:2026-10-01").get_data(as_text=True)
    assert "本季度尚未结束" in page and 'data-testid="sign-form"' not in page
    refused = client.post("/credits/payout/sign", data={"period": "quarter:2026-10-01"}, follow_redirects=True)
    assert "本季度尚未结算" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PayoutList)) == 0 and signed_audits() == 0


def test_payout_refuses_what_is_not_a_quarter(client, login_as, closed_q3):
    login_as(closed_q3.users.committee)
    month = client.get("/credits/payout?period=month:2026-09-01")
    assert month.status_code == 400 and "季度兑现只针对季度" in month.get_data(as_text=True)
    assert client.get("/credits/payout?period=quarter:2026-08-01").status_code == 404
    bad = client.post("/credits/payout/sign", data={"period": "month:2026-09-01"}, follow_redirects=True)
    assert "季度兑现只针对季度" in bad.get_data(as_text=True) and signed_audits() == 0


def test_only_the_committee_sees_or_signs_payouts(client, login_as, closed_q3):
    login_as(closed_q3.users.secretary)
    assert client.get("/credits/payout").status_code == 403
    assert client.post("/credits/payout/sign", data={"period": Q3}).status_code == 403
    assert signed_audits() == 0


def test_a_second_signer_is_refused_by_the_service(closed_q3):
    committee = closed_q3.users.committee
    period = services.period_from_key(Q3)
    payout.sign_payout(committee, period, "第一次")
    commit()
    with pytest.raises(ConflictError, match="不能重复签认"):
        payout.sign_payout(committee, period, "第二次")
    db.session.rollback()
    with pytest.raises(ValidationError, match="尚未结算"):
        payout.sign_payout(committee, services.period_from_key("quarter:2026-10-01"))


def test_an_unsigned_list_row_is_signed_once(closed_q3):
    committee = closed_q3.users.committee
    period = services.period_from_key(Q3)
    frozen = payout.payout_sheet(period).closed
    db.session.add(PayoutList(period_id=frozen.id))
    commit()
    payout.sign_payout(committee, period, "补签")
    commit()
    assert db.session.scalar(select(PayoutList)).signed_by_id == committee.id
    with pytest.raises(ConflictError):
        payout.sign_payout(committee, period)
