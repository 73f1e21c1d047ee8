"""The exemplar pages over HTTP: what each role sees and does, from the campaign page to the honours wall."""

import io
import re

from sqlalchemy import func, select

from portal.exemplars.models import Ballot, Honour, Phase, VoterMark
from portal.exemplars.services import voting
from portal.extensions import db
from tests.conftest import keyed, login
from tests.exemplars.helpers import to_phase


def _fresh_client(client, user):
    """A new browser logged in as `user` (the old session may have timed out while the clock moved)."""
    fresh = client.application.test_client()
    assert login(fresh, user).status_code == 302
    return fresh


def _ballot_form(campaign, choices):
    data = {}
    for category_id, ids in choices.items():
        data[f"c{category_id}"] = [str(i) for i in ids]
    return data


def test_a_voter_reviews_casts_and_gets_a_receipt_once(client, login_as, world, voting_campaign):
    campaign, (zhang, chen, wang) = voting_campaign
    safety, rescue = campaign.categories
    login_as(world.users.staff)
    page = client.get(f"/exemplars/{campaign.id}/vote").get_data(as_text=True)
    assert "安全生产监督员" in page and "张三" in page and "投出后不能更改" in page
    review = client.post(f"/exemplars/{campaign.id}/vote/review", data=_ballot_form(campaign, {safety.id: [zhang.id]}))
    text = review.get_data(as_text=True)
    assert review.status_code == 200 and "请确认您的选票" in text and "弃权（未选择）" in text
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0  # the review writes nothing
    form = keyed(_ballot_form(campaign, {safety.id: [zhang.id]}))
    cast = client.post(f"/exemplars/{campaign.id}/vote/cast", data=form)
    assert cast.status_code == 302 and cast.location.endswith(f"/exemplars/{campaign.id}/receipt")
    text = client.get(cast.location).get_data(as_text=True)
    assert "投票成功，您的选票已计入" in text and "安全生产监督员</span>：张三" in text
    code = re.search(r'data-testid="receipt-code">([A-Z0-9-]+)<', text).group(1)
    assert voting.normalise_code(code)
    # Shown once: the page again (a reload) has no code.
    again = client.get(cast.location).get_data(as_text=True)
    assert code not in again and "回执码只在投票后显示一次" in again
    # The same form sent again (a double tap): nothing more is written, and no code is shown.
    twice = client.post(f"/exemplars/{campaign.id}/vote/cast", data=form)
    assert twice.status_code == 302
    assert code not in client.get(twice.location).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(VoterMark)) == 2
    assert "您已投票" in client.get(f"/exemplars/{campaign.id}").get_data(as_text=True)


def test_a_review_with_too_many_names_keeps_the_choices_and_says_why(client, login_as, world, now):
    from portal.exemplars.services.campaigns import CategorySpec
    from tests.exemplars.helpers import ready_to_vote

    campaign, (zhang, chen, _wang) = ready_to_vote(
        now, world, categories=[CategorySpec("安全生产监督员", "", 1, 1), CategorySpec("急难险重突击员", "", 1, 1)])
    login_as(world.users.staff)
    safety = campaign.categories[0]
    response = client.post(f"/exemplars/{campaign.id}/vote/review",
                           data=_ballot_form(campaign, {safety.id: [zhang.id, chen.id]}))
    text = response.get_data(as_text=True)
    assert "最多选 1 人，您选了 2 人" in text
    for kept in (zhang, chen):
        assert f'value="{kept.id}" id="n{kept.id}" checked' in text


def test_a_forged_ballot_is_refused_in_chinese(client, login_as, world, voting_campaign):
    campaign, _made = voting_campaign
    login_as(world.users.staff)
    response = client.post(f"/exemplars/{campaign.id}/vote/cast",
                           data=keyed({f"c{campaign.categories[0].id}": "1 OR 1=1"}))
    assert response.status_code == 302
    assert "选票内容无效" in client.get(response.location).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


def test_the_whole_campaign_from_voting_to_the_honours_wall(client, login_as, world, now, voting_campaign):
    campaign, (zhang, chen, wang) = voting_campaign
    safety, rescue = campaign.categories
    receipts = {}
    for user, pick in ((world.users.staff, zhang), (world.users.member, zhang), (world.users.activist, chen)):
        receipts[user.id] = voting.cast_online(user, campaign.id, {safety.id: [pick.id], rescue.id: [wang.id]})
        db.session.commit()
    login_as(world.users.member)
    hidden = client.get(f"/exemplars/{campaign.id}/results").get_data(as_text=True)
    assert "票数在投票结束后公开" in hidden
    to_phase(now, world, campaign, Phase.PUBLICITY)
    client = _fresh_client(client, world.users.member)  # days later: a new session in a new browser
    results = client.get(f"/exemplars/{campaign.id}/results").get_data(as_text=True)
    assert "拟当选" in results and "选票 3 张 · 已投票 3 人" in results
    # The member finds their ballots by receipt code on the public list.
    found = client.post(f"/exemplars/{campaign.id}/ballots/find", data={"code": receipts[world.users.member.id].code})
    text = found.get_data(as_text=True)
    assert 'data-testid="found"' in text and "安全生产监督员</span>：张三" in text
    assert "没有找到" in client.post(f"/exemplars/{campaign.id}/ballots/find",
                                    data={"code": "AAAA-BBBB-CCCC-DDDD"}).get_data(as_text=True)
    csv = client.get(f"/exemplars/{campaign.id}/ballots.csv").get_data(as_text=True)
    assert csv.count("\r\n") == 1 + 6 and "张三" in csv
    # The committee finalises: 张三 and 王书记 get their titles on the wall.
    client = _fresh_client(client, world.users.committee)
    response = client.post(f"/exemplars/{campaign.id}/advance", data={"expected": "publicity"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Honour)) == 2
    client = _fresh_client(client, world.users.staff)
    wall = client.get("/exemplars/honours").get_data(as_text=True)
    assert "张三" in wall and "王书记" in wall and "安全生产监督员" in wall
    sheet = client.get("/exemplars/honours/export?year=2026")
    assert sheet.status_code == 200 and sheet.mimetype.endswith("spreadsheetml.sheet")


def test_the_committee_sets_up_a_campaign_from_the_form(client, login_as, world, now):
    from tests.exemplars.helpers import START, credit_q1

    credit_q1(now, world)
    now.set(START)
    login_as(world.users.committee)
    page = client.get("/exemplars/new").get_data(as_text=True)
    assert "安全生产监督员" in page and "急难险重突击员" in page
    data = keyed({
        "organisation_id": world.committee.id, "title": "2026年度“六大员”评选", "year": "2026",
        "nominate_by": ["branch", "self"], "voter_statuses": ["正式党员", "群众"],
        "credit_period": "quarter:2026-01-01",
        "min_credit": "10", "vote_weight": "70", "tie_break": "credit",
        "nomination_opens_at": "2026-06-16T09:00", "nomination_closes_at": "2026-06-20T18:00",
        "voting_opens_at": "2026-06-22T09:00", "voting_closes_at": "2026-06-26T18:00",
        "publicity_ends_at": "2026-07-03T18:00",
        "categories-0-name": "安全生产监督员", "categories-0-quota": "2", "categories-0-max_choices": "3",
        "categories-1-name": "", "categories-1-quota": "3", "categories-1-max_choices": "3",
    })
    response = client.post("/exemplars/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    detail = client.get(response.location).get_data(as_text=True)
    assert "综合得分 = 得票率 × 70% + 积分得分 × 30%" in detail and "2026年第1季度" in detail
    bad = dict(data, submit_key=keyed()["submit_key"], voting_opens_at="2026-06-19T09:00")
    refused = client.post("/exemplars/new", data=bad).get_data(as_text=True)
    assert "投票开始时间应晚于提名截止时间" in refused


def test_a_nomination_with_a_photo_and_a_fake_pdf(client, login_as, world, now):
    from tests.exemplars.helpers import credit_q1, new_campaign

    credit_q1(now, world)
    campaign = new_campaign(now, world)
    to_phase(now, world, campaign, Phase.NOMINATION)
    login_as(world.users.secretary)
    found = client.get(f"/exemplars/{campaign.id}/nominate?q=zs").get_data(as_text=True)
    assert "张三" in found
    form = client.get(f"/exemplars/{campaign.id}/nominate?person_id={world.people.member.id}").get_data(as_text=True)
    assert "提名张三" in form
    data = keyed({"person_id": world.people.member.id, "category_id": campaign.categories[0].id,
                  "deeds": "<script>alert(1)</script>带领班组安全生产无事故，发现并整改隐患十二项。",
                  "evidence": (io.BytesIO(b"MZ not a pdf"), "证书.pdf")})
    refused = client.post(f"/exemplars/{campaign.id}/nominate?person_id={world.people.member.id}", data=data,
                          content_type="multipart/form-data")
    assert "内容与扩展名不符" in refused.get_data(as_text=True)
    data = keyed({"person_id": world.people.member.id, "category_id": campaign.categories[0].id,
                  "deeds": "<script>alert(1)</script>带领班组安全生产无事故，发现并整改隐患十二项。"})
    made = client.post(f"/exemplars/{campaign.id}/nominate?person_id={world.people.member.id}", data=data,
                       content_type="multipart/form-data")
    assert made.status_code == 302
    page = client.get(made.location).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "带领班组安全生产无事故" in page and "待审核" in page


HOSTILE = "\u202e张\x00三\u200b"


def test_hostile_text_in_the_nomination_flag_and_polling_forms_is_cleaned_or_refused(client, login_as, world, now):
    from portal.exemplars.models import CandidateFlag, Nomination
    from tests.exemplars.helpers import credit_q1, new_campaign

    credit_q1(now, world)
    campaign = new_campaign(now, world)
    to_phase(now, world, campaign, Phase.NOMINATION)
    login_as(world.users.committee)
    url = f"/exemplars/{campaign.id}/nominate?person_id={world.people.member.id}"
    blank = client.post(url, data=keyed({"category_id": campaign.categories[0].id, "deeds": "\u200b\u200b \x07"}))
    assert "请填写主要事迹" in blank.get_data(as_text=True) or "主要事迹至少 20 字" in blank.get_data(as_text=True)
    made = client.post(url, data=keyed({"category_id": campaign.categories[0].id,
                                        "deeds": HOSTILE + "带领班组安全生产无事故，发现并整改隐患十二项。"}))
    assert made.status_code == 302
    deeds = db.session.scalar(select(Nomination.deeds))
    assert deeds.startswith("张三带领班组") and "\x00" not in deeds and "\u202e" not in deeds
    flagged = client.post("/exemplars/flags", data=keyed({"person_id": world.people.other.id, "reason": HOSTILE}))
    assert flagged.status_code == 302
    assert db.session.scalar(select(CandidateFlag.reason)) == "张三"
    refused = client.post("/exemplars/flags", data=keyed({"person_id": world.people.other.id, "reason": "\u200b",
                                                          "q": "陈五"}))
    assert "请写明标记原因" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CandidateFlag)) == 1


def test_a_cast_runs_a_bounded_number_of_statements(client, login_as, world, voting_campaign):
    """The vote storm's request, the same on both databases: the log-in check, the campaign (with its
    organisation and categories), the voter, the submit key, one read of the list, three inserts
    (marks, ballots, choices) and the key's result."""
    from tests.statements import CountStatements

    campaign, (zhang, chen, wang) = voting_campaign
    safety, rescue = campaign.categories
    login_as(world.users.staff)
    form = keyed(_ballot_form(campaign, {safety.id: [zhang.id, chen.id], rescue.id: [wang.id]}))
    with CountStatements() as seen:
        assert client.post(f"/exemplars/{campaign.id}/vote/cast", data=form).status_code == 302
    inserts = [sql for sql in seen.statements if sql.startswith("INSERT INTO exemplar")]
    assert len(inserts) == 3, inserts
    assert seen.count <= 9, "\n".join(seen.statements)
