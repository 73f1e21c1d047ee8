"""The study plan: who may assign what to whom, duplicates refused, the week and month pages."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.exceptions import ConflictError, PermissionDenied, ValidationError
from portal.extensions import db
from portal.study.models.articles import StudyAssignment
from portal.study.services import articles as services
from tests.conftest import keyed
from tests.study.article_factories import NOW, TODAY, make_article, plan


@pytest.fixture()
def article(world, now):
    now.set(NOW)
    found = make_article(world.committee, title="党员的八项义务")
    db.session.commit()
    return found


def assignments():
    return db.session.execute(
        select(StudyAssignment.article_id, StudyAssignment.organisation_id, StudyAssignment.day)
        .order_by(StudyAssignment.id)).all()


def post_plan(client, article, day, *org_ids):
    return client.post("/study/articles/plan/new", data=keyed({
        "article_id": article.id, "day": day.isoformat(), "organisation_ids": [str(i) for i in org_ids]}))


def test_a_secretary_assigns_to_their_own_branch(client, login_as, world, article):
    login_as(world.users.secretary)
    response = post_plan(client, article, TODAY, world.branch_a.id)
    assert response.status_code == 302
    assert assignments() == [(article.id, world.branch_a.id, TODAY)]
    page = client.get(response.location).get_data(as_text=True)
    assert "已安排 1 个组织" in page and "党员的八项义务" in page and "综采一队党支部" in page


def test_a_secretary_cannot_assign_to_another_branch_or_the_committee(client, login_as, world, article):
    login_as(world.users.secretary)
    for target in (world.branch_b, world.committee):
        response = post_plan(client, article, TODAY, world.branch_a.id, target.id)
        assert response.status_code == 200
        assert "只能给您负责的党支部安排学习" in response.get_data(as_text=True)
    assert assignments() == []
    page = client.get("/study/articles/plan/new").get_data(as_text=True)
    assert "综采一队党支部" in page and "掘进二队党支部" not in page and "全体党支部" not in page


def test_the_committee_assigns_to_every_branch_at_once(client, login_as, world, article):
    login_as(world.users.committee)
    assert post_plan(client, article, TODAY, world.committee.id).status_code == 302
    assert assignments() == [(article.id, world.committee.id, TODAY)]


def test_duplicates_are_refused_with_a_message(client, login_as, world, article):
    plan(article, world.committee)
    db.session.commit()
    login_as(world.users.secretary)
    response = post_plan(client, article, TODAY, world.branch_a.id)
    assert "已安排给示范煤矿党委（全体党支部）在 2026年11月23日 学习，不能重复安排" in response.get_data(as_text=True)
    assert post_plan(client, article, TODAY + timedelta(days=1), world.branch_a.id).status_code == 302  # another day
    assert len(assignments()) == 2


def test_a_branch_assignment_blocks_the_whole_committee_the_same_day(world, article):
    plan(article, world.branch_b)
    with pytest.raises(ConflictError, match="已安排给掘进二队党支部"):
        services.assign(world.users.committee, article.id, TODAY, [world.committee.id])


def test_overlapping_choices_in_one_request_are_refused(world, article):
    with pytest.raises(ValidationError, match="已包含综采一队党支部"):
        services.assign(world.users.committee, article.id, TODAY, [world.committee.id, world.branch_a.id])
    assert assignments() == []


def test_past_days_retired_and_other_branches_articles_are_refused(world, article):
    committee = world.users.committee
    with pytest.raises(ValidationError, match="不能安排到已经过去的日期"):
        services.assign(committee, article.id, TODAY - timedelta(days=1), [world.branch_a.id])
    own = make_article(world.branch_b, title="掘进二队的文章")
    with pytest.raises(ValidationError, match="属于掘进二队党支部，不能安排给综采一队党支部"):
        services.assign(committee, own.id, TODAY, [world.branch_a.id])
    with pytest.raises(ValidationError, match="请选择文章"):  # the secretary cannot even see it
        services.assign(world.users.secretary, own.id, TODAY, [world.branch_a.id])
    article.retired_at = NOW
    with pytest.raises(ValidationError, match="已下架"):
        services.assign(committee, article.id, TODAY, [world.branch_a.id])
    assert assignments() == []


def test_removing_an_assignment(client, login_as, world, article):
    today = plan(article, world.branch_a)
    past = plan(article, world.branch_a, TODAY - timedelta(days=2))
    committee_wide = plan(article, world.committee, TODAY + timedelta(days=1))
    db.session.commit()
    login_as(world.users.secretary)
    client.post(f"/study/articles/plan/{past.id}/delete")
    client.post(f"/study/articles/plan/{committee_wide.id}/delete")
    assert len(assignments()) == 3
    assert client.post(f"/study/articles/plan/{today.id}/delete").status_code == 302
    assert len(assignments()) == 2
    with pytest.raises(ValidationError, match="已经过去的学习安排不能删除"):
        services.remove_assignment(world.users.secretary, past.id)
    with pytest.raises(Exception, match="不在您的管理范围内"):
        services.remove_assignment(world.users.secretary, committee_wide.id)


def test_the_plan_page_by_week_and_month(client, login_as, world, article):
    other = make_article(world.committee, title="十二月的文章")
    plan(article, world.committee, TODAY + timedelta(days=2))
    plan(other, world.branch_a, TODAY.replace(month=12, day=3))
    plan(other, world.branch_b, TODAY + timedelta(days=1))
    db.session.commit()
    login_as(world.users.secretary)
    week = client.get("/study/articles/plan").get_data(as_text=True)
    assert "2026年11月23日 至 2026年11月29日" in week and week.count('data-testid="plan-day"') == 7
    assert "党员的八项义务" in week and "（全体党支部）" in week
    assert "掘进二队党支部" not in week  # another branch's plan is not the secretary's business
    month = client.get("/study/articles/plan?view=month&start=2026-12-01").get_data(as_text=True)
    assert "2026年12月1日 至 2026年12月31日" in month and "十二月的文章" in month and "党员的八项义务" not in month
    assert client.get("/study/articles/plan?start=garbage").status_code == 200


def test_members_cannot_reach_the_plan(client, login_as, world, article):
    login_as(world.users.member)
    assert client.get("/study/articles/plan").status_code == 403
    assert post_plan(client, article, TODAY, world.branch_a.id).status_code == 403
    assert assignments() == []


def test_assign_requires_the_permission(world, article):
    with pytest.raises(PermissionDenied):
        services.assign(world.users.member, article.id, TODAY, [world.branch_a.id])
