"""Campaigns: setting one up, what each phase still lets change, who sees it, and moving on by the clock."""

import pytest
from sqlalchemy import select

from portal.core.exceptions import ConflictError, NotFound, ValidationError
from portal.exemplars import jobs
from portal.exemplars.models import Campaign, Phase
from portal.exemplars.services import campaigns, publicity
from portal.exemplars.services.campaigns import CategorySpec
from portal.extensions import db
from tests.credits.helpers import at
from tests.exemplars.helpers import DATES, DURING, credit_q1, fields, new_campaign, nominate, qualify, to_phase


def test_a_new_campaign_starts_in_its_draft_with_its_categories(world, now):
    campaign = new_campaign(now, world)
    assert campaign.phase == Phase.DRAFT
    assert [c.name for c in campaign.categories] == ["安全生产监督员", "急难险重突击员"]
    assert campaigns.plan_text(campaign) == "目前处于筹备中阶段，计划于 2026年6月16日 09:00 进入提名阶段"


@pytest.mark.parametrize("overrides, field, message", [
    (dict(title=" \u200b "), "title", "请填写活动名称"),
    (dict(categories=[CategorySpec("", "")]), "categories", "请至少设置一个评选类别"),
    (dict(categories=[CategorySpec("甲", ""), CategorySpec("甲", "")]), "categories", "类别“甲”重复了"),
    (dict(categories=[CategorySpec("甲", "", 0, 1)]), "categories", "当选名额应为 1 到 100"),
    (dict(nominate_by=[]), "nominate_by", "请至少选择一种提名方式"),
    (dict(voter_statuses=["党外人士"]), "voter_statuses", "请至少选择一类投票人"),
    (dict(vote_weight=120), "vote_weight", "得票所占权重应为 0 到 100"),
    (dict(credit_period="quarter:2026-04-01"), "credit_period", "须已结束"),
    (dict(credit_period="nonsense"), "credit_period", "请选择计算积分的考核周期"),
    (dict(voting_opens_at=DATES["nomination_closes_at"].replace(day=19)), "voting_opens_at", "应晚于提名截止时间"),
    (dict(publicity_ends_at=None), "publicity_ends_at", "请填写公示结束时间"),
])
def test_bad_settings_are_refused_in_chinese_and_nothing_is_written(world, now, overrides, field, message):
    now.set(DURING[Phase.DRAFT])
    with pytest.raises(ValidationError, match=message) as refused:
        campaigns.create(world.users.committee, organisation_id=world.committee.id, **fields(**overrides))
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(Campaign.id)) is None


def test_a_secretary_cannot_run_a_campaign(world, now):
    now.set(DURING[Phase.DRAFT])
    with pytest.raises(ValidationError, match="请选择由您负责的党委或党总支"):
        campaigns.create(world.users.secretary, organisation_id=world.branch_a.id, **fields())


def test_the_formula_is_fixed_once_voting_opens(world, now):
    campaign, _made = _voting(world, now)
    campaigns.update_settings(world.users.committee, campaign.id, **fields(vote_weight=10, title="改名",
                                                                           **_dates_of(campaign)))
    db.session.commit()
    assert campaign.vote_weight == 60 and campaign.title == "2026年度“六大员”评选"
    assert "formula" not in campaigns.editable(campaign) and "rules" not in campaigns.editable(campaign)


def test_the_rules_are_fixed_when_nomination_opens_but_the_formula_may_still_change(world, now):
    campaign = new_campaign(now, world)
    to_phase(now, world, campaign, Phase.NOMINATION)
    campaigns.update_settings(world.users.committee, campaign.id,
                              **fields(vote_weight=70, min_credit=50, **_dates_of(campaign)))
    assert campaign.vote_weight == 70 and campaign.min_credit == 0


def test_a_date_whose_phase_has_begun_cannot_move(world, now):
    campaign = new_campaign(now, world)
    to_phase(now, world, campaign, Phase.NOMINATION)
    later = campaign.voting_closes_at.replace(day=27)
    campaigns.update_settings(world.users.committee, campaign.id,
                              **fields(**{**_dates_of(campaign), "nomination_opens_at": at(2026, 6, 18),
                                          "voting_closes_at": later}))
    assert campaign.nomination_opens_at == DATES["nomination_opens_at"]  # begun: kept as it was
    assert campaign.voting_closes_at == later
    with pytest.raises(ValidationError, match="不能改到已经过去的时间"):
        campaigns.update_settings(world.users.committee, campaign.id,
                                  **fields(**{**_dates_of(campaign), "nomination_closes_at": at(2026, 6, 16, 12)}))


def _dates_of(campaign):
    return {name: getattr(campaign, name) for name in DATES}


def _voting(world, now):
    from tests.exemplars.helpers import ready_to_vote

    return ready_to_vote(now, world)


def test_members_see_a_campaign_only_after_its_draft(world, now):
    campaign = new_campaign(now, world)
    with pytest.raises(NotFound):
        campaigns.get_visible(world.users.member, campaign.id)
    assert campaigns.visible_campaigns(world.users.member) == []
    assert campaigns.visible_campaigns(world.users.committee) == [campaign]
    to_phase(now, world, campaign, Phase.NOMINATION)
    assert campaigns.get_visible(world.users.member, campaign.id) is campaign
    assert campaigns.visible_campaigns(world.users.staff) == [campaign]
    with pytest.raises(NotFound):
        campaigns.get_visible(world.users.admin, campaign.id)  # no roster person, not the committee


def test_the_clock_moves_a_campaign_on_and_a_second_run_changes_nothing(world, now):
    credit_q1(now, world)
    campaign = new_campaign(now, world)
    now.set(DURING[Phase.NOMINATION])
    assert jobs.advance_campaigns() == [(campaign.id, "draft", "nomination")]
    assert jobs.advance_campaigns() == []
    nomination = nominate(now, world.users.committee, campaign, world.people.member, campaign.categories[0])
    now.set(DURING[Phase.VOTING])
    # Qualification ended by the plan, but a nomination still waits: voting does not open yet.
    assert jobs.advance_campaigns() == [(campaign.id, "nomination", "qualification")]
    db.session.refresh(campaign)
    assert publicity.blocker(campaign) == "还有 1 条提名未完成资格审查"
    qualify(world, nomination)
    assert jobs.advance_campaigns() == [(campaign.id, "qualification", "voting")]
    now.set(DURING[Phase.FINAL])
    assert jobs.advance_campaigns() == [(campaign.id, "voting", "publicity"), (campaign.id, "publicity", "final")]
    assert jobs.advance_campaigns() == []


def test_the_committee_moves_on_from_the_phase_its_page_showed_only(world, now):
    campaign = new_campaign(now, world)
    publicity.advance(world.users.committee, campaign.id, Phase.DRAFT)
    db.session.commit()
    with pytest.raises(ConflictError, match="已处于提名阶段"):
        publicity.advance(world.users.committee, campaign.id, Phase.DRAFT)  # a second tap on the old page
    with pytest.raises(ValidationError, match="还没有通过资格审查的候选人"):
        publicity.advance(world.users.committee, campaign.id, Phase.NOMINATION)
        publicity.advance(world.users.committee, campaign.id, Phase.QUALIFICATION)
    with pytest.raises(NotFound):
        publicity.advance(world.users.secretary, campaign.id, campaign.phase)
