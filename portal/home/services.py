"""What each role's home page shows, gathered from the domain services."""

from portal.accounts import services as accounts
from portal.core import audit
from portal.core.permissions import Role
from portal.credits import reports as credits
from portal.inbox import services as inbox
from portal.roster import services as roster


def dashboard(user):
    """The panels for this user's roles, in the order the home page shows them."""
    panels = {}
    if user.has_role(Role.ADMIN):
        panels["admin"] = _admin_panel()
    if user.has_permission("roster.view"):
        panels["roster"] = {
            "counts": roster.count_by_status(user),
            "branches": roster.branch_headcounts(user),
        }
    if user.person is not None or user.has_permission("credits.rankings"):
        panels["credits"] = credits.home_summary(user)
    if user.person is not None:
        panels["inbox"] = {
            "unread": inbox.unread_count(user.person_id),
            "latest": [m for m in inbox.messages_for(user.person_id, per_page=3).items if m.read_at is None],
        }
        panels["me"] = {"person": user.person}
    return panels


def _admin_panel():
    return {**accounts.account_overview(), "recent": audit.search_entries(per_page=8).items}
