"""A rule's caps hold when awards from different sources arrive at the same moment."""

from datetime import datetime

from sqlalchemy import func, select

from portal.core import clock
from portal.credits import services
from portal.credits.models import CapLock, LedgerEntry
from portal.credits.services import Source
from portal.extensions import db
from portal.roster.models import Person
from tests.conftest import run_concurrently

NOON = datetime(2026, 11, 5, 12, tzinfo=clock.LOCAL_TZ)


def _points_booked(person_id, rule_code):
    return db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
        LedgerEntry.person_id == person_id, LedgerEntry.rule_code == rule_code))


def _award_in_parallel(app, person_id, rule_code, count, **kwargs):
    """`count` awards of one rule to one person, each for its own source, all at once; their results."""
    sources = iter(range(1, count + 1))

    def one():
        entry = services.award(db.session.get(Person, person_id), rule_code, Source("meeting", next(sources)),
                               when=NOON, **kwargs).entry
        db.session.commit()
        return entry.points if entry is not None else 0

    return run_concurrently(app, one, count)


def test_a_daily_cap_is_never_exceeded_by_awards_at_the_same_moment(app, world):
    services.ensure_default_rules()  # 每日一学: 1 point each, at most 2 a day
    db.session.commit()
    member_id = world.people.member.id
    results = _award_in_parallel(app, member_id, "study_read", 8)
    assert all(isinstance(r, int) for r in results), results  # every award finished without an error
    assert sorted(results, reverse=True)[:3] == [1, 1, 0] and sum(results) == 2  # what the callers were told
    db.session.expire_all()
    assert _points_booked(member_id, "study_read") == 2  # and what the ledger holds
    assert db.session.get(CapLock, (member_id, "study_read")).checks == 8


def test_a_cap_cut_short_by_a_concurrent_award_books_only_what_is_left(app, world):
    services.ensure_default_rules()  # 每周一测: 10 points for 100 marks, at most 10 a week
    db.session.commit()
    member_id = world.people.member.id
    results = _award_in_parallel(app, member_id, "weekly_test", 4, score=70)  # 7 points each
    assert all(isinstance(r, int) for r in results), results
    assert sorted(results, reverse=True) == [7, 3, 0, 0]
    db.session.expire_all()
    assert _points_booked(member_id, "weekly_test") == 10


def test_a_rule_without_caps_takes_no_lock(app, world):
    services.ensure_default_rules()  # 参加组织生活: no cap
    db.session.commit()
    results = _award_in_parallel(app, world.people.member.id, "session_attend", 3)
    assert results == [3, 3, 3]
    assert db.session.scalar(select(func.count()).select_from(CapLock)) == 0
