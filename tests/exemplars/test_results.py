"""Results: the published formula, the tie-break, objections that change the winners, finalising once."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.core.exceptions import ConflictError, ValidationError
from portal.credits.models import LedgerEntry
from portal.exemplars import jobs
from portal.exemplars.models import Honour, NominationStatus, Phase
from portal.exemplars.services import publicity, results, voting
from portal.extensions import db
from tests.conftest import keyed, login
from tests.exemplars.helpers import DURING, ready_to_vote, to_phase


def _cast(world, campaign, picks):
    """picks: [(user, {category index: [nominations]})]."""
    for user, choice in picks:
        chosen = {campaign.categories[i].id: [n.id for n in ns] for i, ns in choice.items()}
        voting.cast_online(user, campaign.id, chosen)
        db.session.commit()


def _rows(campaign, index=0):
    return {row.name: row for row in results.results(campaign)[index].rows}


def test_the_formula_as_published(world, now, voting_campaign):
    campaign, (zhang, chen, wang) = voting_campaign  # Q1 credits: 张三 30, 陈五 10
    u = world.users
    _cast(world, campaign, [(u.staff, {0: [chen]}), (u.member, {0: [chen]}), (u.activist, {0: [zhang, chen]}),
                            (u.secretary, {0: []})])
    to_phase(now, world, campaign, Phase.PUBLICITY)
    rows = _rows(campaign)
    # 4 ballots (one blank). 陈五: 3/4 = 75.00%, credit 10/30 = 33.33 -> 75*0.6 + 33.33*0.4 = 58.33
    assert (rows["陈五"].vote_share, rows["陈五"].credit_score, rows["陈五"].score) == (
        Decimal("75.00"), Decimal("33.33"), Decimal("58.33"))
    # 张三: 1/4 = 25.00%, credit 100 -> 15 + 40 = 55.00
    assert rows["张三"].score == Decimal("55.00")
    assert [r.name for r in results.results(campaign)[0].winners] == ["陈五"]
    assert "综合得分 = 得票率 × 60% + 积分得分 × 40%，保留两位小数" in results.formula_lines(campaign)


def test_equal_scores_follow_the_campaigns_tie_break(world, now):
    campaign, (zhang, chen, wang) = ready_to_vote(now, world, vote_weight=100, tie_break="credit")
    u = world.users
    _cast(world, campaign, [(u.staff, {0: [zhang]}), (u.member, {0: [chen]})])
    to_phase(now, world, campaign, Phase.PUBLICITY)
    rows = _rows(campaign)
    assert rows["张三"].score == rows["陈五"].score == Decimal("50.00")
    assert rows["张三"].position == 1 and rows["张三"].winner  # more Q1 points
    assert not rows["陈五"].winner


def test_a_candidate_without_votes_does_not_win(world, now, voting_campaign):
    campaign, (zhang, chen, wang) = voting_campaign
    _cast(world, campaign, [(world.users.staff, {0: [chen]})])
    to_phase(now, world, campaign, Phase.PUBLICITY)
    rescue = results.results(campaign)[1]
    assert rescue.rows[0].name == "王书记" and rescue.rows[0].score == Decimal("40.00")  # credit alone
    assert rescue.winners == []


def test_tallies_show_after_voting_closes_unless_the_campaign_shows_them_live(world, now):
    campaign, _made = ready_to_vote(now, world)
    assert not results.tallies_visible(campaign)
    campaign.live_tally = True
    assert results.tallies_visible(campaign)


def test_an_upheld_objection_gives_the_place_to_the_next(world, now, voting_campaign):
    campaign, (zhang, chen, wang) = voting_campaign
    u = world.users
    # 陈五: 3/3 votes -> 60 + 13.33; 张三: 1/3 -> 20 + 40.
    _cast(world, campaign, [(u.staff, {0: [chen]}), (u.member, {0: [chen]}), (u.activist, {0: [zhang, chen]})])
    to_phase(now, world, campaign, Phase.PUBLICITY)
    assert [r.name for r in results.results(campaign)[0].winners] == ["陈五"]
    with pytest.raises(ValidationError, match="只能对公示中的拟当选人员提出异议"):
        publicity.object_to(u.staff, campaign.id, zhang.id, "张三的材料有不实之处，需要核实。")
    objection = publicity.object_to(u.staff, campaign.id, chen.id, "陈五上月有违章记录，与遵章守纪不符。")
    db.session.commit()
    with pytest.raises(ConflictError, match="您已对该人员提出过异议"):
        publicity.object_to(u.staff, campaign.id, chen.id, "再次提出同样的异议内容。")
    db.session.rollback()
    assert publicity.blocker(campaign) == "还有 1 条异议未核实"
    publicity.decide_objection(u.committee, objection.id, True, "经核实属实")
    db.session.commit()
    assert chen.status == NominationStatus.DISQUALIFIED
    safety = results.results(campaign)[0]
    assert [r.name for r in safety.winners] == ["张三"]
    assert safety.rows[-1].name == "陈五" and safety.rows[-1].excluded and safety.rows[-1].position is None


def test_finalising_books_honours_and_credit_once(world, now, voting_campaign):
    campaign, (zhang, chen, wang) = voting_campaign
    u = world.users
    _cast(world, campaign, [(u.staff, {0: [zhang], 1: [wang]})])
    to_phase(now, world, campaign, Phase.PUBLICITY)
    now.set(DURING[Phase.FINAL])
    assert jobs.advance_campaigns() == [(campaign.id, "publicity", "final")]
    assert jobs.advance_campaigns() == []
    with pytest.raises(ConflictError):
        publicity.advance(u.committee, campaign.id, Phase.PUBLICITY)
    db.session.rollback()
    honours = db.session.scalars(select(Honour).order_by(Honour.category_name)).all()
    assert [(h.person.name, h.category_name, h.rank) for h in honours] == [
        ("张三", "安全生产监督员", 1), ("王书记", "急难险重突击员", 1)]
    credited = db.session.scalars(select(LedgerEntry.person_id).where(LedgerEntry.rule_code == "exemplar_title")).all()
    assert sorted(credited) == sorted([world.people.member.id, world.people.secretary.id])
    # A second finalisation (say, a second scheduler) books nothing more.
    publicity._finalise(campaign)
    assert db.session.scalar(select(func.count()).select_from(Honour)) == 2
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.rule_code == "exemplar_title")) == 2


def test_anyone_can_recount_the_tally_from_the_ballot_list(world, now, voting_campaign):
    campaign, (zhang, chen, wang) = voting_campaign
    u = world.users
    _cast(world, campaign, [(u.staff, {0: [zhang, chen], 1: [wang]}), (u.member, {0: [chen]}),
                            (u.activist, {1: [wang]})])
    to_phase(now, world, campaign, Phase.PUBLICITY)
    sheet = load_workbook(io.BytesIO(results.ballots_workbook(campaign).getvalue())).active
    recount = {}
    for category, _receipt, names in list(sheet.iter_rows(values_only=True))[1:]:
        for name in ([] if names == "弃权" else names.split("、")):
            recount[(category, name)] = recount.get((category, name), 0) + 1
    tally = {(r.category.name, row.name): row.votes for r in results.results(campaign) for row in r.rows}
    assert recount == {key: votes for key, votes in tally.items() if votes}
    assert all(r.consistent for r in results.results(campaign))
    assert sheet.max_row == 1 + 6  # three voters x two categories, abstentions included


def test_the_results_page_counts_once_voting_has_closed(client, login_as, world, now, voting_campaign):
    """The tally walks indexes, and after the close it is kept: a second view counts nothing again."""
    from tests.statements import CountStatements

    campaign, (zhang, chen, wang) = voting_campaign
    _cast(world, campaign, [(world.users.staff, {0: [zhang], 1: [wang]}), (world.users.member, {0: [chen]})])
    to_phase(now, world, campaign, Phase.PUBLICITY)
    login_as(world.users.activist)
    with CountStatements() as first:
        assert client.get(f"/exemplars/{campaign.id}/results").status_code == 200
    with CountStatements() as again:
        page = client.get(f"/exemplars/{campaign.id}/results").get_data(as_text=True)
    assert "选票 2 张 · 已投票 2 人" in page
    assert again.naming("exemplar_ballot") == [] and again.naming("exemplar_nomination") == []
    assert first.naming("exemplar_ballot_choice") and first.naming("exemplar_nomination")
    assert again.count <= 5, "\n".join(again.statements)  # log-in, campaign, what decides the key, menu


def test_the_honours_wall_is_kept_until_a_new_title_is_won(client, login_as, world, now, voting_campaign):
    from tests.statements import viewed_twice

    campaign, (zhang, chen, wang) = voting_campaign
    _cast(world, campaign, [(world.users.staff, {0: [zhang], 1: [wang]})])
    to_phase(now, world, campaign, Phase.FINAL)
    login_as(world.users.staff)
    page = viewed_twice(client, "/exemplars/honours")
    assert "张三" in page and "王书记" in page


def test_the_page_shows_an_upheld_objection_at_once(client, login_as, world, now, voting_campaign):
    campaign, (zhang, chen, wang) = voting_campaign
    u = world.users
    _cast(world, campaign, [(u.staff, {0: [chen]}), (u.member, {0: [chen]}), (u.activist, {0: [zhang, chen]})])
    to_phase(now, world, campaign, Phase.PUBLICITY)
    login_as(u.staff)
    page = client.get(f"/exemplars/{campaign.id}/results").get_data(as_text=True)
    assert page.count("拟当选") >= 1 and "经异议核实取消资格" not in page
    form = keyed(nomination_id=chen.id, reason="陈五上月有违章记录，与遵章守纪不符。")
    assert client.post(f"/exemplars/{campaign.id}/objections", data=form).status_code == 302
    objection = publicity.objections(campaign.id)[0]
    publicity.decide_objection(u.committee, objection.id, True, "经核实属实")
    db.session.commit()
    page = client.get(f"/exemplars/{campaign.id}/results").get_data(as_text=True)
    assert "经异议核实取消资格" in page


def test_an_empty_wall_says_so(client, login_as, world):
    login_as(world.users.staff)
    page = client.get("/exemplars/honours").get_data(as_text=True)
    assert "还没有评选结果" in page and 'data-testid="honour-category"' not in page


def test_each_form_on_the_results_page_is_shown_to_whom_it_is_for(app, world, now, voting_campaign):
    """During publicity a voter sees the objection form only; the committee also decides and finalises."""
    campaign, (zhang, chen, wang) = voting_campaign
    u = world.users
    _cast(world, campaign, [(u.staff, {0: [chen]}), (u.member, {0: [chen]})])
    to_phase(now, world, campaign, Phase.PUBLICITY)
    publicity.object_to(u.member, campaign.id, chen.id, "陈五上月有违章记录，与遵章守纪不符。")
    db.session.commit()
    path = f"/exemplars/{campaign.id}/results"
    voter, committee = app.test_client(), app.test_client()
    assert login(voter, u.staff).status_code == 302 and login(committee, u.committee).status_code == 302

    page = voter.get(path).get_data(as_text=True)
    assert 'data-testid="object"' in page and f'<option value="{chen.id}">陈五' in page
    assert 'data-testid="finalise"' not in page and "保存核实结果" not in page and "陈五上月有违章记录" not in page

    page = committee.get(path).get_data(as_text=True)
    assert 'data-testid="finalise"' in page and "结束公示，公布结果" in page
    assert "陈五上月有违章记录" in page and page.count("保存核实结果") == 1 and page.count('name="decision"') == 2

    publicity.decide_objection(u.committee, publicity.objections(campaign.id)[0].id, False, "经核实不属实")
    to_phase(now, world, campaign, Phase.FINAL)
    committee = app.test_client()  # the clock moved past the old session's idle limit
    assert login(committee, u.committee).status_code == 302
    page = committee.get(path).get_data(as_text=True)
    assert 'data-testid="finalise"' not in page and 'data-testid="object"' not in page
    assert "陈五上月有违章记录" in page and "经核实不属实" in page and "保存核实结果" not in page
