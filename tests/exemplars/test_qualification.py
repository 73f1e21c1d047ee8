"""Qualification: the automatic checks with their reasons, the committee's decision, flags, the inbox."""

import pytest
from sqlalchemy import select

from portal.core.exceptions import ConflictError, NotFound, ValidationError
from portal.exemplars.models import NominationStatus, Phase
from portal.exemplars.services import qualification
from portal.extensions import db
from portal.inbox.models import Message
from tests.credits.helpers import at, give
from tests.exemplars.helpers import DURING, credit_q1, new_campaign, nominate, to_phase


def _open(now, world, **overrides):
    campaign = new_campaign(now, world, **overrides)
    to_phase(now, world, campaign, Phase.NOMINATION)
    return campaign


def _checks(nomination):
    return {c.name: (c.passed, c.reason) for c in qualification.stored_checks(nomination)}


def test_the_checks_read_the_frozen_period_and_say_why(world, now):
    credit_q1(now, world)  # 张三 30, 陈五 10 in Q1
    campaign = _open(now, world, min_credit=20)
    safety = campaign.categories[0]
    zhang = nominate(now, world.users.committee, campaign, world.people.member, safety)
    chen = nominate(now, world.users.committee, campaign, world.people.other, safety)
    assert _checks(zhang)["学习积分"] == (True, "2026年第1季度积分 30 分，门槛 20 分")
    assert _checks(chen)["学习积分"] == (False, "2026年第1季度积分 10 分，门槛 20 分")
    assert _checks(zhang)["在岗情况"] == (True, "花名册状态：在岗")
    # Points earned after the period closed do not count towards it.
    give(now, world.users.committee, world.people.other, 50, at(2026, 6, 17))
    qualification.run_checks(chen)
    assert _checks(chen)["学习积分"][0] is False
    with pytest.raises(ValidationError, match="自动核查未通过（学习积分：2026年第1季度积分 10 分，门槛 20 分）"):
        qualification.decide(world.users.committee, chen.id, True)


def test_a_period_not_yet_frozen_cannot_qualify_anyone(world, now):
    campaign = _open(now, world)  # Q1 never closed in this test
    zhang = nominate(now, world.users.committee, campaign, world.people.member, campaign.categories[0])
    assert _checks(zhang)["学习积分"] == (False, "2026年第1季度尚未结算，暂时无法核对积分")


def test_an_open_flag_blocks_until_it_is_lifted(world, now):
    credit_q1(now, world)
    campaign = _open(now, world)
    zhang = nominate(now, world.users.committee, campaign, world.people.member, campaign.categories[0])
    flag = qualification.open_flag(world.users.committee, world.people.member.id, "违章作业正在调查")
    with pytest.raises(ValidationError, match="党委标记：违章作业正在调查"):
        qualification.decide(world.users.committee, zhang.id, True)
    qualification.close_flag(world.users.committee, flag.id, "调查结束，不予处理")
    with pytest.raises(ConflictError, match="该标记已解除"):
        qualification.close_flag(world.users.committee, flag.id)
    assert qualification.decide(world.users.committee, zhang.id, True).status == NominationStatus.QUALIFIED


def test_a_rejection_needs_a_reason_and_both_sides_are_told(world, now):
    credit_q1(now, world)
    campaign = _open(now, world)
    zhang = nominate(now, world.users.secretary, campaign, world.people.member, campaign.categories[0])
    with pytest.raises(ValidationError, match="不予通过时请写明原因"):
        qualification.decide(world.users.committee, zhang.id, False, " ")
    qualification.decide(world.users.committee, zhang.id, False, "事迹材料不足")
    db.session.commit()
    told = db.session.scalars(select(Message.person_id).where(Message.title.contains("资格审查结果"))).all()
    assert sorted(told) == sorted([world.people.member.id, world.people.secretary.id])
    assert zhang.decision_note == "事迹材料不足" and zhang.status == NominationStatus.REJECTED


def test_decisions_belong_to_the_committee_and_to_their_phases(world, now):
    credit_q1(now, world)
    campaign = _open(now, world)
    zhang = nominate(now, world.users.committee, campaign, world.people.member, campaign.categories[0])
    with pytest.raises(NotFound):
        qualification.decide(world.users.secretary, zhang.id, True)
    qualification.decide(world.users.committee, zhang.id, True)
    to_phase(now, world, campaign, Phase.VOTING)
    with pytest.raises(ValidationError, match="资格审查只能在提名或资格审查阶段进行"):
        qualification.decide(world.users.committee, zhang.id, False, "改主意")
    assert now.moment == DURING[Phase.VOTING]
