"""每日一题 for secretaries and the committee: picking, withdrawing, and the per-day figures."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.core.exceptions import ConflictError, PermissionDenied, ValidationError
from portal.extensions import db
from portal.study.models.daily import DailyQuestion
from portal.study.services import daily
from tests import factories
from tests.conftest import login
from tests.study.test_bank_scoping import make_question

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)


@pytest.fixture()
def day(now):
    now.set(NOW)
    return TODAY


def _rows():
    return db.session.scalar(select(func.count()).select_from(DailyQuestion))


def test_secretary_picks_a_question_for_tomorrow(client, world, day):
    question = make_question(world.committee, stem="明天的题")
    db.session.commit()
    login(client, world.users.secretary)
    form = client.get(f"/study/daily/pick/{question.id}").get_data(as_text=True)
    select_box = form[form.index('name="organisation_id"'):form.index("</select>")]
    assert "综采一队党支部" in select_box and "掘进二队党支部" not in select_box and "示范煤矿党委" not in select_box
    response = client.post(f"/study/daily/pick/{question.id}", data={
        "organisation_id": world.branch_a.id, "day": (day + timedelta(days=1)).isoformat()})
    assert response.status_code == 302
    row = db.session.scalar(select(DailyQuestion))
    assert (row.organisation_id, row.day, row.question_id, row.auto) == (
        world.branch_a.id, day + timedelta(days=1), question.id, False)
    page = client.get("/study/daily/manage").get_data(as_text=True)
    assert "明天的题" in page and "综采一队党支部指定" in page and "取消指定" in page


def test_secretary_cannot_pick_for_another_branch_or_a_past_day(world, day):
    question = make_question(world.committee, stem="题")
    other = make_question(world.branch_b, stem="二队的题")
    db.session.commit()
    secretary = world.users.secretary
    with pytest.raises(PermissionDenied):
        daily.pick(secretary, world.branch_b.id, day, question.id)
    with pytest.raises(PermissionDenied):
        daily.pick(secretary, world.committee.id, day, question.id)
    with pytest.raises(ValidationError, match="只能为今天到"):
        daily.pick(secretary, world.branch_a.id, day - timedelta(days=1), question.id)
    with pytest.raises(ValidationError, match="不在“综采一队党支部”可用的题库中"):
        daily.pick(secretary, world.branch_a.id, day, other.id)
    db.session.rollback()
    assert _rows() == 0


def test_a_pick_cannot_change_once_someone_answered(world, day):
    first = make_question(world.branch_a, stem="第一题", answer="A")
    second = make_question(world.branch_a, stem="第二题", answer="A")
    db.session.commit()
    daily.pick(world.users.secretary, world.branch_a.id, day, first.id)
    daily.answer(world.people.member, first.id, "A")
    db.session.commit()
    with pytest.raises(ConflictError, match="已有 1 人作答"):
        daily.pick(world.users.secretary, world.branch_a.id, day, second.id)
    with pytest.raises(ConflictError, match="已有 1 人作答"):
        daily.unpick(world.users.secretary, world.branch_a.id, day)


def test_withdrawing_a_pick_falls_back_to_the_committee(client, world, day):
    committee_q = make_question(world.committee, stem="党委的题")
    branch_q = make_question(world.branch_a, stem="支部的题")
    db.session.commit()
    tomorrow = day + timedelta(days=1)
    daily.pick(world.users.committee, world.committee.id, tomorrow, committee_q.id)
    daily.pick(world.users.secretary, world.branch_a.id, tomorrow, branch_q.id)
    db.session.commit()
    login(client, world.users.secretary)
    client.post("/study/daily/unpick", data={"org": world.branch_a.id, "day": tomorrow.isoformat()})
    assert daily.resolve(world.branch_a, tomorrow).question.stem == "党委的题"
    # The secretary cannot withdraw the committee's pick.
    response = client.post("/study/daily/unpick", data={"org": world.committee.id, "day": tomorrow.isoformat()},
                           follow_redirects=True)
    assert "您不能管理该组织的题库" in response.get_data(as_text=True)
    assert _rows() == 1


def test_per_day_answered_count_and_correct_rate(client, world, day):
    question = make_question(world.committee, stem="统计题", answer="A")
    db.session.commit()
    extra = factories.make_person(world.unit_a, "钱七")
    other_branch = world.people.other
    daily.answer(world.people.member, question.id, "A")
    daily.answer(world.people.activist, question.id, "B")
    daily.answer(extra, question.id, "A")
    daily.answer(other_branch, question.id, "A")
    db.session.commit()
    login(client, world.users.secretary)
    page = client.get("/study/daily/manage").get_data(as_text=True)
    today_line = page[page.index("· 今天"):]
    assert "答题 3 人 · 正确率 67%" in today_line  # branch A only; 陈五 of branch B is not counted
    client.post("/logout")
    login(client, world.users.committee)
    page = client.get(f"/study/daily/manage?org={world.committee.id}").get_data(as_text=True)
    assert "答题 4 人 · 正确率 75%" in page[page.index("· 今天"):]
    page = client.get(f"/study/daily/manage?org={world.branch_b.id}").get_data(as_text=True)
    assert "答题 1 人 · 正确率 100%" in page[page.index("· 今天"):]


def test_secretary_cannot_view_another_branchs_figures(client, world, day):
    login(client, world.users.secretary)
    assert client.get(f"/study/daily/manage?org={world.branch_b.id}").status_code == 403
    assert client.get("/study/daily/manage").status_code == 200


def test_members_cannot_pick_or_manage(client, world, day):
    question = make_question(world.committee, stem="题")
    db.session.commit()
    login(client, world.users.member)
    assert client.get("/study/daily/manage").status_code == 403
    assert client.post(f"/study/daily/pick/{question.id}", data={
        "organisation_id": world.branch_a.id, "day": day.isoformat()}).status_code == 403
    assert _rows() == 0
