"""Transactions behave the same on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.roster.models import Organisation, OrgKind


def _count():
    return db.session.scalar(select(func.count(Organisation.id)))


def test_a_savepoint_as_the_first_write_is_undone_by_rollback(db):
    with db.session.begin_nested():
        db.session.add(Organisation(name="党委", kind=OrgKind.COMMITTEE, path="/"))
    db.session.rollback()
    assert _count() == 0


def test_a_failed_savepoint_keeps_the_rest_of_the_transaction(db):
    db.session.add(Organisation(name="甲党委", kind=OrgKind.COMMITTEE, path="/"))
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Organisation(name=None, kind=OrgKind.COMMITTEE, path="/"))
    db.session.commit()
    assert _count() == 1
