"""The database itself keeps the ledger append-only: raw UPDATE, DELETE (and TRUNCATE) are refused."""

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from portal.core.periods import PeriodKind
from portal.credits import services, standings
from portal.credits.models import CreditTotal, LedgerEntry
from portal.credits.services import Source
from portal.extensions import db
from tests.credits.helpers import at
from tests.tools.scratch_db import is_postgresql


@pytest.fixture()
def booked(world):
    """Two committed entries of 张三: a graded reflection (5 points) and a session (3 points); returns their ids."""
    member = world.people.member
    reflection = services.award(member, "reflection", Source("reflection", 1), when=at(2026, 11, 5), score=100).entry
    session = services.award(member, "session_attend", Source("meeting", 7), when=at(2026, 11, 5)).entry
    db.session.commit()
    return reflection.id, session.id


def rows():
    """(id, points, reason) of every ledger row, read afresh with SQL."""
    db.session.rollback()
    return db.session.execute(text("SELECT id, points, reason FROM ledger_entry ORDER BY id")).all()


def month_total(person):
    """The person's running total for November 2026."""
    return db.session.scalar(select(CreditTotal.points).where(
        CreditTotal.person_id == person.id, CreditTotal.kind == str(PeriodKind.MONTH),
        CreditTotal.period_start == date(2026, 11, 1)))


def assert_refused(sql, operation, **params):
    """The statement fails with the database's append-only error; the transaction is rolled back."""
    with pytest.raises(IntegrityError, match=f"ledger_entry is append-only: {operation} refused"):
        db.session.execute(text(sql), params)
    db.session.rollback()


def test_an_update_is_refused_and_changes_nothing(booked):
    reflection_id, _session_id = booked
    before = rows()

    assert_refused("UPDATE ledger_entry SET points = 500, reason = 'tampered' WHERE id = :id", "UPDATE",
                   id=reflection_id)
    assert_refused("UPDATE ledger_entry SET points = points * 10", "UPDATE")

    assert rows() == before
    assert [points for _id, points, _reason in before] == [5, 3]


def test_a_delete_is_refused_and_changes_nothing(booked):
    reflection_id, _session_id = booked
    before = rows()

    assert_refused("DELETE FROM ledger_entry WHERE id = :id", "DELETE", id=reflection_id)
    assert_refused("DELETE FROM ledger_entry", "DELETE")  # SQLite's whole-table shortcut too

    assert rows() == before and len(before) == 2


@pytest.mark.skipif(not is_postgresql(), reason="SQLite has no TRUNCATE")
def test_truncate_is_refused_even_as_a_cascade(booked):
    before = rows()

    assert_refused("TRUNCATE ledger_entry", "TRUNCATE")
    assert_refused("TRUNCATE person CASCADE", "TRUNCATE")  # the ledger refers to person

    assert rows() == before


def test_an_update_through_the_orm_is_refused_too(booked):
    reflection_id, _session_id = booked
    db.session.get(LedgerEntry, reflection_id).points = 50

    with pytest.raises(IntegrityError, match="ledger_entry is append-only"):
        db.session.flush()
    db.session.rollback()

    assert db.session.get(LedgerEntry, reflection_id).points == 5


def test_an_insert_still_works(booked):
    reflection_id, _session_id = booked

    db.session.execute(text(
        "INSERT INTO ledger_entry (person_id, branch_id, points, rule_id, rule_code, source_type, source_id,"
        " earned_at, booked_on, created_at)"
        " SELECT person_id, branch_id, 2, rule_id, rule_code, source_type, 2, earned_at, booked_on, created_at"
        " FROM ledger_entry WHERE id = :id"), {"id": reflection_id})
    db.session.commit()

    assert [points for _id, points, _reason in rows()] == [5, 3, 2]


def test_award_adjust_and_reverse_add_rows_and_leave_the_others_alone(world, booked, now):
    member, committee = world.people.member, world.users.committee
    reflection_id, session_id = booked
    now.set(at(2026, 11, 6))

    adjustment = services.adjust(committee, member, 4, "积极参加抢险")
    reversal = services.reverse(committee, reflection_id, "心愿人反映未实际完成")
    db.session.commit()

    assert rows() == [(reflection_id, 5, None), (session_id, 3, None), (adjustment.id, 4, "积极参加抢险"),
                      (reversal.id, -5, "心愿人反映未实际完成")]
    assert db.session.get(LedgerEntry, reversal.id).reverses_id == reflection_id
    assert month_total(member) == 5 + 3 + 4 - 5


def test_rebuilding_the_totals_reads_the_ledger_and_leaves_it_as_it_was(world, booked):
    before = rows()

    standings.rebuild_totals()
    db.session.commit()

    assert rows() == before
    assert month_total(world.people.member) == 8
