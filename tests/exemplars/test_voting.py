"""Voting: who may vote, what a ballot may hold, one ballot per voter and category, paper ballots."""

import pytest
from sqlalchemy import func, select

from portal.core.exceptions import ConflictError, NotFound, PermissionDenied, ValidationError
from portal.exemplars.models import Ballot, BallotChoice, VoterMark
from portal.exemplars.services import voting
from portal.extensions import db
from tests.conftest import run_concurrently


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_voter_casts_every_category_in_one_go(world, voting_campaign):
    campaign, (zhang, chen, wang) = voting_campaign
    safety, rescue = campaign.categories
    receipt = voting.cast_online(world.users.staff, campaign.id, {safety.id: [zhang.id, chen.id], rescue.id: []})
    db.session.commit()
    assert receipt.lines == [("安全生产监督员", ["张三", "陈五"]), ("急难险重突击员", [])]
    assert len(voting.normalise_code(receipt.code)) == voting.RECEIPT_LENGTH
    # One mark and one ballot per category: the blank category is an abstention.
    assert _count(VoterMark) == 2 and _count(Ballot) == 2 and _count(BallotChoice) == 2
    assert voting.has_voted(campaign, world.people.staff.id)


def test_a_second_cast_writes_nothing(world, voting_campaign):
    campaign, (zhang, chen, wang) = voting_campaign
    safety, rescue = campaign.categories
    voting.cast_online(world.users.member, campaign.id, {safety.id: [zhang.id], rescue.id: [wang.id]})
    db.session.commit()
    with pytest.raises(ConflictError, match="您已经投过票"):
        voting.cast_online(world.users.member, campaign.id, {safety.id: [chen.id], rescue.id: []})
    db.session.rollback()
    assert _count(Ballot) == 2 and _count(VoterMark) == 2


@pytest.mark.parametrize("choices, message", [
    (lambda s, r, n: {s.id: [n[2].id]}, "不在候选人名单上"),  # 王书记 stands in the other category
    (lambda s, r, n: {s.id: [999999]}, "不在候选人名单上"),
    (lambda s, r, n: {s.id: [n[0].id, n[0].id]}, "不能选两次"),
    (lambda s, r, n: {999999: [n[0].id]}, "不存在的评选类别"),
])
def test_a_ballot_the_list_does_not_allow_is_refused(world, voting_campaign, choices, message):
    campaign, made = voting_campaign
    safety, rescue = campaign.categories
    with pytest.raises(ValidationError, match=message):
        voting.cast_online(world.users.member, campaign.id, choices(safety, rescue, made))
    db.session.rollback()
    assert _count(VoterMark) == 0 and _count(Ballot) == 0


def test_more_names_than_the_category_allows_are_refused(world, now):
    from portal.exemplars.services.campaigns import CategorySpec
    from tests.exemplars.helpers import ready_to_vote

    campaign, (zhang, chen, _wang) = ready_to_vote(
        now, world, categories=[CategorySpec("安全生产监督员", "", 1, 1), CategorySpec("急难险重突击员", "", 1, 1)])
    with pytest.raises(ValidationError, match="最多选 1 人，您选了 2 人"):
        voting.cast_online(world.users.member, campaign.id, {campaign.categories[0].id: [zhang.id, chen.id]})


def test_only_eligible_voters_may_vote(world, now):
    from tests.exemplars.helpers import ready_to_vote

    campaign, (zhang, _chen, _wang) = ready_to_vote(now, world, voter_statuses=["正式党员", "预备党员"])
    with pytest.raises(PermissionDenied, match="投票人为正式党员、预备党员"):
        voting.cast_online(world.users.staff, campaign.id, {campaign.categories[0].id: [zhang.id]})
    with pytest.raises(NotFound):  # an account without a roster person is outside every campaign
        voting.cast_online(world.users.admin, campaign.id, {campaign.categories[0].id: [zhang.id]})
    assert voting.ineligibility(campaign, None) == "您的账号没有关联花名册人员，不能投票"


def test_many_voters_at_once_give_exactly_that_many_ballots(app, world, voting_campaign):
    campaign, (zhang, chen, wang) = voting_campaign
    users = [world.users.member, world.users.activist, world.users.staff, world.users.secretary,
             world.users.committee]
    ids = [u.id for u in users]
    safety, rescue = campaign.categories
    choice = {safety.id: [zhang.id], rescue.id: [wang.id]}

    def cast(user_id):
        from portal.accounts.models import User

        user = db.session.get(User, user_id)
        receipt = voting.cast_online(user, campaign.id, choice)
        db.session.commit()
        return receipt

    queue = list(ids)
    results = run_concurrently(app, lambda: cast(queue.pop()), len(ids))
    assert all(isinstance(r, voting.Receipt) for r in results), results
    assert _count(VoterMark) == 2 * len(ids) and _count(Ballot) == 2 * len(ids)


def test_one_voter_many_times_at_once_gives_one_ballot(app, world, voting_campaign):
    campaign, (zhang, chen, wang) = voting_campaign
    safety, rescue = campaign.categories
    user_id = world.users.member.id

    def cast():
        from portal.accounts.models import User

        receipt = voting.cast_online(db.session.get(User, user_id), campaign.id,
                                     {safety.id: [zhang.id], rescue.id: [wang.id]})
        db.session.commit()
        return receipt

    results = run_concurrently(app, cast, 8)
    assert sum(isinstance(r, voting.Receipt) for r in results) == 1
    assert all(isinstance(r, (voting.Receipt, ConflictError)) for r in results), results
    assert _count(VoterMark) == 2 and _count(Ballot) == 2 and _count(BallotChoice) == 2


def test_nobody_votes_before_voting_opens_or_after_it_closes(world, now):
    from portal.exemplars.models import Phase
    from portal.exemplars.services import publicity
    from tests.exemplars.helpers import DURING, credit_q1, new_campaign, nominate, qualify, to_phase

    credit_q1(now, world)
    campaign = new_campaign(now, world)
    to_phase(now, world, campaign, Phase.NOMINATION)
    zhang = qualify(world, nominate(now, world.users.committee, campaign, world.people.member, campaign.categories[0]))
    to_phase(now, world, campaign, Phase.QUALIFICATION)
    ballot = {campaign.categories[0].id: [zhang.id]}
    with pytest.raises(ValidationError, match="投票只能在投票阶段进行，本活动目前处于资格审查阶段"):
        voting.cast_online(world.users.staff, campaign.id, ballot)
    to_phase(now, world, campaign, Phase.PUBLICITY)
    with pytest.raises(ValidationError, match="目前处于公示阶段"):
        voting.cast_online(world.users.staff, campaign.id, ballot)
    with pytest.raises(ValidationError, match="目前处于公示阶段"):
        voting.cast_paper(world.users.committee, campaign.id, world.people.staff.id, "调度室", ballot)
    with pytest.raises(ValidationError, match="提出异议只能在公示阶段进行"):
        now.set(DURING[Phase.FINAL])
        publicity.advance(world.users.committee, campaign.id, Phase.PUBLICITY)
        publicity.object_to(world.users.staff, campaign.id, zhang.id, "在结果公布之后才提出的异议。")
    db.session.rollback()
    assert _count(Ballot) == 0
