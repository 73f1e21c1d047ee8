"""Build a demo mine in the database: organisation tree, units, roster and six demo accounts.

Everything is added to the current session and nothing is committed here: the command
commits once, so a failure anywhere leaves the database as it was.
"""

import math
import random
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import insert, select

from portal.accounts.models import RoleGrant, User
from portal.accounts.passwords import hash_password, verify_password
from portal.core import audit, cache, clock
from portal.core.audit import AuditEntry
from portal.core.exceptions import ConflictError
from portal.core.permissions import ROLE_LABELS, Role
from portal.demo.mine import (
    BRANCHES,
    DEFAULT_MINE,
    MIN_BRANCHES,
    OFFICE_GROUPS,
    PEOPLE_PER_BRANCH,
    TEAM_GROUPS,
)
from portal.demo.people import (
    CAST_ACTIVIST,
    CAST_COMMITTEE,
    CAST_MEMBER,
    CAST_SECRETARY,
    CAST_STAFF,
    group_count,
    plan_people,
)
from portal.extensions import db
from portal.roster.models import Organisation, OrgKind, Person, Unit
from portal.roster.services import create_organisation, create_unit, person_fields

DEMO_PASSWORD = "Dangjian-2026"  # noqa: S105 - published on purpose: it is a demo
DEMO_MARK = "演示账号"
CHUNK_SIZE = 1000
NOT_EMPTY_MESSAGE = (
    "数据库中已有组织、人员或账号数据，演示数据只能载入空数据库，以免产生重复数据。"
    "如只想在空库时载入，请加 --if-empty。"
)
OFFICE_PROFILES = {"office", "safety"}

# Who gets a demo account, in the order of the printed table: (role, cast key).
ACCOUNT_ROLES = (
    (Role.ADMIN, None),
    (Role.COMMITTEE, CAST_COMMITTEE),
    (Role.SECRETARY, CAST_SECRETARY),
    (Role.MEMBER, CAST_MEMBER),
    (Role.ACTIVIST, CAST_ACTIVIST),
    (Role.STAFF, CAST_STAFF),
)


class DatabaseNotEmpty(ConflictError):
    """The database already holds data; the demo would duplicate or mix with it."""


@dataclass(frozen=True)
class DemoAccount:
    """One line of the printed account table."""

    role_label: str
    name: str
    login: str
    password: str


@dataclass
class LoadResult:
    """What load_demo built, for the summary the command prints."""

    seed: int
    mine: str
    branches: int
    groups: int
    units: int
    people: int
    statuses: Counter
    accounts: list


def database_has_data():
    """True if any organisation, unit, person or account exists."""
    return any(
        db.session.scalar(select(model.id).limit(1)) is not None
        for model in (Organisation, Unit, Person, User)
    )


def branch_count(people):
    """Branches for a mine of this size: about 125 people each, between 8 and 40."""
    return max(MIN_BRANCHES, min(len(BRANCHES), math.ceil(people / PEOPLE_PER_BRANCH)))


def load_demo(people=300, seed=None):
    """Build the whole demo mine in the current transaction (the caller commits)."""
    if database_has_data():
        raise DatabaseNotEmpty(NOT_EMPTY_MESSAGE)
    if seed is None:
        seed = random.SystemRandom().randrange(1, 1_000_000)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    plans = BRANCHES[: branch_count(people)]
    committee, branches, groups, units = _build_tree(plans)
    office = next(i for i, plan in enumerate(plans) if plan.name == "机关党支部")
    planned = plan_people(rng, people, plans, office, clock.localnow().date())
    _insert_people(planned, groups, units)
    cast = {p.cast: p.employee_no for p in planned if p.cast}
    accounts = _create_accounts(committee, branches[0], cast)
    audit.record("roster_imported", detail=f"演示数据：{len(planned)} 人（随机种子 {seed}）")
    db.session.flush()
    return LoadResult(
        seed=seed, mine=DEFAULT_MINE, branches=len(branches),
        groups=sum(len(g) for g in groups), units=sum(len(u) for u in units),
        people=len(planned), statuses=Counter(p.political_status for p in planned),
        accounts=accounts,
    )


def _build_tree(plans):
    """The committee, its branches with their 党小组, and the units each branch looks after."""
    committee = create_organisation(f"{DEFAULT_MINE}党委", OrgKind.COMMITTEE)
    branches, groups, units = [], [], []
    for index, plan in enumerate(plans):
        branch = create_organisation(plan.name, OrgKind.BRANCH, committee, sort_order=index + 1)
        short = plan.name.removesuffix("党支部")
        if group_count(plans, index) == 1:
            names = (f"{short}党小组",)
        elif plan.profile in OFFICE_PROFILES:
            names = OFFICE_GROUPS
        else:
            names = TEAM_GROUPS
        groups.append([
            create_organisation(name, OrgKind.GROUP, branch, sort_order=i + 1)
            for i, name in enumerate(names)
        ])
        units.append([create_unit(name, branch) for name in plan.units])
        branches.append(branch)
    return committee, branches, groups, units


def _insert_people(planned, groups, units):
    """Validate and encrypt each person through the roster rules, then insert in chunks."""
    rows = []
    for p in planned:
        fields = person_fields(
            name=p.name, gender=p.gender, id_number=p.id_number, phone=p.phone,
            unit=units[p.branch][p.unit], employee_no=p.employee_no, job_type=p.job_type,
            skill_level=p.skill_level, political_status=p.political_status,
            joined_party_on=p.joined_party_on, status=p.status,
            group=groups[p.branch][p.group] if p.group is not None else None,
        )
        # Bulk INSERT takes column values, not related objects.
        for relation in ("unit", "branch", "group"):
            related = fields.pop(relation)
            fields[f"{relation}_id"] = related.id if related is not None else None
        rows.append(fields)
    for start in range(0, len(rows), CHUNK_SIZE):
        db.session.execute(insert(Person), rows[start : start + CHUNK_SIZE])
    cache.bump("roster")  # bulk INSERTs pass no flush, so no watched-model bump


def _create_accounts(committee, first_branch, cast):
    """One account per role, each (but the admin) tied to the planned person for it."""
    people = {
        p.employee_no: p
        for p in db.session.scalars(select(Person).where(Person.employee_no.in_(cast.values())))
    }
    now = clock.utcnow()
    accounts = []
    for role, cast_key in ACCOUNT_ROLES:
        person = people[cast[cast_key]] if cast_key else None
        org = committee if role in (Role.ADMIN, Role.COMMITTEE) else first_branch
        user = User(
            login_name="admin" if person is None else None,
            display_name=person.name if person else ROLE_LABELS[Role.ADMIN],
            person=person, password_hash=hash_password(DEMO_PASSWORD),
            # Demo accounts may be tried at once; the printed note says so.
            must_change_password=False, password_changed_at=now,
        )
        db.session.add(user)
        db.session.add(RoleGrant(user=user, role=role, organisation=org))
        audit.record("account_created", target=user, detail=f"{DEMO_MARK}：{ROLE_LABELS[role]}")
        accounts.append(_describe(user, role, DEMO_PASSWORD))
    return accounts


def _describe(user, role, password):
    login = user.login_name or user.person.employee_no
    name = user.person.name if user.person else user.display_name
    return DemoAccount(ROLE_LABELS[role], name, login, password)


def demo_accounts():
    """The demo accounts already in the database, with the demo password if still valid."""
    entries = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "account_created",
            AuditEntry.target_type == User.__tablename__,
            AuditEntry.detail.startswith(DEMO_MARK),
        )
    ).all()
    users = [db.session.get(User, entry.target_id) for entry in entries]
    order = {role: i for i, (role, _) in enumerate(ACCOUNT_ROLES)}
    found = []
    for user in users:
        if user is None or not user.grants:
            continue
        role = min((Role(g.role) for g in user.grants), key=lambda r: order.get(r, len(order)))
        password = DEMO_PASSWORD if verify_password(user.password_hash, DEMO_PASSWORD) else "（已修改）"
        found.append((order.get(role, len(order)), _describe(user, role, password)))
    return [account for _, account in sorted(found, key=lambda pair: pair[0])]
