"""The home page's exemplar tasks: a vote to cast until it is cast, and the committee's reviews."""

from portal.exemplars.models import Phase
from portal.exemplars.services import voting
from portal.extensions import db
from tests.conftest import login
from tests.exemplars.helpers import credit_q1, new_campaign, nominate, to_phase


def _tasks(client):
    page = client.get("/").get_data(as_text=True)
    return page.count('data-testid="exemplar-task"'), page


def test_a_voter_sees_the_vote_on_the_home_page_until_it_is_cast(client, login_as, world, voting_campaign):
    campaign, (zhang, _chen, _wang) = voting_campaign
    login_as(world.users.staff)
    count, page = _tasks(client)
    assert count == 1 and "“2026年度‘六大员’评选”正在投票" in page and f'href="/exemplars/{campaign.id}/vote"' in page
    voting.cast_online(world.users.staff, campaign.id, {campaign.categories[0].id: [zhang.id]})
    db.session.commit()
    count, page = _tasks(client)
    assert count == 0 and 'data-testid="panel-exemplars"' not in page


def test_the_committee_is_told_what_waits_for_review(client, login_as, world, now):
    credit_q1(now, world)
    campaign = new_campaign(now, world)
    to_phase(now, world, campaign, Phase.NOMINATION)
    nominate(now, world.users.secretary, campaign, world.people.member, campaign.categories[0])
    login_as(world.users.committee)
    _count, page = _tasks(client)
    assert "有 1 条提名待资格审查" in page and f'href="/exemplars/{campaign.id}/nominations"' in page
    member = client.application.test_client()
    login(member, world.users.member)
    _count, page = _tasks(member)
    assert "待资格审查" not in page and "正在提名" in page
