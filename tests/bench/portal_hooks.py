"""Set-up and count-after hooks that look into the portal's database.

Each hook runs in the benchmark process inside an application context of the portal bound to
the bench database (see run.BenchDatabase.call); it reads through the portal's own services.
"""

from collections import Counter

from sqlalchemy import select

from portal.accounts.models import RoleGrant, User
from portal.core.permissions import Role
from portal.demo.generator import DEMO_PASSWORD
from portal.extensions import db
from portal.roster import services as roster
from portal.roster.models import Person

SEARCH_MATCHES = (24, 60)  # "a few dozen people"
SEARCH_IDEAL = 36


def demo_user(role):
    """The demo account holding `role` (the first by id), or None."""
    return db.session.scalar(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role(role)).order_by(User.id)
    )


def demo_login(bench, role):
    """(identifier, password, description) of the demo account for `role`."""
    user = demo_user(role)
    if user is None:
        raise LookupError(f"no demo account with role {role} in the bench database")
    identifier = user.login_name or user.person.employee_no
    orgs = "、".join(g.organisation.name for g in user.grants if g.role == role)
    return identifier, DEMO_PASSWORD, f"{user.display_name} ({role} of {orgs}, 工号 {identifier})"


def roster_scope(bench):
    """How many people the secretary sees on the roster (page 1 of /roster/ shows 30 of them)."""
    user = demo_user(Role.SECRETARY)
    page = roster.search_people(user, per_page=30)
    return {"note": f"secretary sees {page.total} people"}


def search_term(bench):
    """Pinyin initials that match a few dozen people the secretary may see, found by the portal's search."""
    user = demo_user(Role.SECRETARY)
    scope = roster.scope_condition(user, "roster.view")
    initials = db.session.scalars(select(Person.name_initials).where(scope)).all()
    prefixes = Counter(name[:2] for name in initials if len(name) >= 2)
    prefixes.update(name[:1] for name in initials if name)
    best = None
    for prefix in sorted(prefixes):
        total = roster.search_people(user, q=prefix, per_page=30).total
        in_range = SEARCH_MATCHES[0] <= total <= SEARCH_MATCHES[1]
        key = (not in_range, abs(total - SEARCH_IDEAL), prefix)
        if best is None or key < best[0]:
            best = (key, prefix, total)
    if best is None:
        raise LookupError("the secretary sees nobody on the roster")
    _key, prefix, total = best
    return {"q": prefix, "note": f"q={prefix}: {total} of {len(initials)} people match"}
