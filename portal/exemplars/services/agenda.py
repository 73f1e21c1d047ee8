"""What the exemplar module puts on a user's home page.

A vote to cast, nominations open, winners in publicity; and for the committee, nominations to
review and objections to answer.
"""

from dataclasses import dataclass

from portal.core.clock import format_datetime
from portal.core.text import quoted
from portal.exemplars.models import Phase
from portal.exemplars.services import campaigns, publicity, qualification, voting


@dataclass(frozen=True)
class Task:
    """One line of the home page: what, until when, and where to do it."""

    text: str
    detail: str
    endpoint: str  # the exemplar page that does it, for the campaign
    campaign_id: int
    action: str
    urgent: bool = False


def home_tasks(user):
    """The user's exemplar tasks now, the most pressing first (a vote to cast, then what waits for review)."""
    person = campaigns.actor_person(user)
    tasks = []
    for campaign in campaigns.visible_campaigns(user):
        cid, title = campaign.id, quoted(campaign.title)
        manages = campaigns.manages(user, campaign)
        if campaign.phase == Phase.VOTING and voting.ineligibility(campaign, person) is None \
                and not voting.has_voted(campaign, person.id):
            tasks.append(Task(f"{title}正在投票", f"{format_datetime(campaign.voting_closes_at)} 截止，"
                              "投出后不能更改", "exemplars.vote", cid, "去投票", urgent=True))
        elif campaign.phase == Phase.NOMINATION and person is not None:
            tasks.append(Task(f"{title}正在提名", f"{format_datetime(campaign.nomination_closes_at)} 截止",
                              "exemplars.nominate", cid, "提名"))
        elif campaign.phase == Phase.PUBLICITY:
            tasks.append(Task(f"{title}拟当选名单公示中",
                              f"{format_datetime(campaign.publicity_ends_at)} 结束", "exemplars.results_page", cid,
                              "查看"))
        if manages and campaign.phase in (Phase.NOMINATION, Phase.QUALIFICATION):
            pending = qualification.pending_count(campaign.id)
            if pending:
                tasks.append(Task(f"{title}有 {pending} 条提名待资格审查", "投票开始前需审核完毕",
                                  "exemplars.nomination_list", cid, "审核"))
        if manages and campaign.phase == Phase.PUBLICITY:
            waiting = publicity.open_objection_count(campaign.id)
            if waiting:
                tasks.append(Task(f"{title}有 {waiting} 条异议待核实", "核实后才能公布结果",
                                  "exemplars.results_page", cid, "核实"))
    return sorted(tasks, key=lambda task: not task.urgent)
