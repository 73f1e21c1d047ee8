"""Builders for test data; each returns saved (flushed) objects."""

import itertools
import random
from datetime import date

from portal.accounts.models import RoleGrant, User
from portal.accounts.passwords import hash_password
from portal.core.idcard import check_digit
from portal.core.permissions import Role
from portal.extensions import db
from portal.roster import services as roster
from portal.roster.models import OrgKind, PoliticalStatus

PASSWORD = "Mine-safety-2026"
_seq = itertools.count(1)


def make_id_number(birth=date(1985, 6, 15), male=True, region="140402", serial=None):
    """A valid 18-character ID number (correct check digit) for a birth date and gender."""
    serial = serial if serial is not None else next(_seq) % 500
    order = serial * 2 + (1 if male else 0)
    first17 = f"{region}{birth:%Y%m%d}{order:03d}"
    return first17 + check_digit(first17)


def make_phone():
    """A unique, well-formed mobile number."""
    return f"139{next(_seq) + random.randint(0, 10**7) * 10:08d}"[:11]


def make_org(name="XX煤矿党委", kind=OrgKind.COMMITTEE, parent=None):
    """An organisation node."""
    return roster.create_organisation(name, kind, parent)


def make_unit(name, branch):
    """A unit looked after by `branch`."""
    return roster.create_unit(name, branch)


def make_person(unit, name="张三", political_status=PoliticalStatus.FULL_MEMBER, male=True,
                employee_no=None, **extra):
    """A person on the roster with valid, unique ID and phone numbers."""
    n = next(_seq)
    fields = dict(
        name=name, gender="男" if male else "女",
        id_number=make_id_number(male=male, serial=n % 499),
        phone=f"138{n:08d}", unit=unit, employee_no=employee_no or f"E{n:05d}",
        political_status=political_status,
        joined_party_on=date(2010, 7, 1) if political_status in (
            PoliticalStatus.FULL_MEMBER, PoliticalStatus.PROBATIONARY) else None,
    )
    # Vary the birth year so ID numbers never collide across a test.
    fields["id_number"] = make_id_number(birth=date(1960 + n % 40, 1 + n % 12, 1 + n % 28),
                                         male=male, serial=n % 499)
    fields.update(extra)
    person = roster.build_person(**fields)
    db.session.add(person)
    db.session.flush()
    return person


def make_user(person=None, login_name=None, roles=(), password=PASSWORD, must_change=False):
    """An account with the given (role, organisation) grants."""
    user = User(
        person=person, login_name=login_name,
        display_name=person.name if person else (login_name or "用户"),
        password_hash=hash_password(password), must_change_password=must_change,
    )
    db.session.add(user)
    for role, org in roles:
        db.session.add(RoleGrant(user=user, role=Role(role), organisation=org))
    db.session.flush()
    return user
