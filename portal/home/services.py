"""What each role's home page shows, gathered from the domain services.

The home page is a to-do list: a member's tasks for today, what is due in a secretary's branches
this week, what waits for the committee. It is the most visited page, so every panel reads a
fixed number of statements, and it only reads (every action on it posts to the page that owns it).
"""

from portal.accounts import services as accounts
from portal.core import audit
from portal.core.permissions import Role
from portal.credits import agenda as credits_agenda
from portal.credits import reports as credits
from portal.exemplars.services import agenda as exemplar_agenda
from portal.inbox import services as inbox
from portal.roster import services as roster
from portal.study.services import agenda, branch_agenda, daily

UNREAD_SHOWN = 5


def dashboard(user):
    """The panels for this user's roles, in the order the home page shows them."""
    panels = {}
    if user.person is not None:
        panels["today"] = member_today(user)
    exemplar_tasks = exemplar_agenda.home_tasks(user)
    if exemplar_tasks:
        panels["exemplars"] = exemplar_tasks
    branches = secretary_branches(user)
    if branches:
        panels["branches"] = branch_agenda.branch_due(branches)
    if user.has_permission("credits.payout"):
        panels["committee"] = credits_agenda.committee_agenda(user)
    if user.person is not None:
        panels["inbox"] = {"unread": inbox.unread_count(user.person_id),
                           "latest": inbox.unread_messages(user.person_id, UNREAD_SHOWN)}
    if user.person is not None or user.has_permission("credits.rankings"):
        panels["credits"] = credits.home_summary(user)
    if user.has_permission("roster.view"):
        panels["roster"] = {
            "counts": roster.count_by_status(user),
            "branches": roster.branch_headcounts(user),
        }
    if user.has_role(Role.ADMIN):
        panels["admin"] = _admin_panel()
    if user.person is not None:
        panels["me"] = {"person": user.person}
    return panels


def member_today(user):
    """A member's tasks for today: articles, the daily question, this week's tests, the next session."""
    person = user.person
    reading = agenda.reading_tasks(user)
    return {
        "reading": reading,
        # As on 今日学习: 每日一题 is offered to those 每日一学 counts for (why not is said above it).
        "daily": daily.panel(person) if reading.problem is None else None,
        "tests": agenda.week_tests(person),
        "session": agenda.next_session(person),
    }


def secretary_branches(user):
    """The branches under the user's 支部书记 grants (the committee has its own panel)."""
    return roster.branches_within([g.organisation for g in user.grants if g.role == Role.SECRETARY])


def _admin_panel():
    return {**accounts.account_overview(), "recent": audit.search_entries(per_page=8).items}
