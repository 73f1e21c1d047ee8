"""Awards keep a rule's terms and the last closed period between requests, and drop them when they change.

Each award used to read its rule and the newest closed period; both change rarely, so a process
keeps them keyed by the "rules" and "closed_periods" data versions. These tests run each award in
its own app context, as separate requests are, with the cache warm.
"""

from datetime import date, datetime

from sqlalchemy import select

from portal.core import clock
from portal.core.periods import PeriodKind, period_containing
from portal.credits import services, standings
from portal.credits.models import CreditRule
from portal.credits.services import Source
from portal.extensions import db
from portal.roster.models import Person
from tests.statements import CountStatements


def at(y, m, d, hour=10):
    return datetime(y, m, d, hour, tzinfo=clock.LOCAL_TZ)


def _award(app, person_id, source_id, when, code="session_attend"):
    """Award in a request of its own: (points, rule id, booked on, statements run)."""
    with app.app_context(), CountStatements() as seen:
        entry = services.award(db.session.get(Person, person_id), code, Source("session", source_id), when=when)
        figures = (entry.points, entry.rule_id, entry.booked_on)
        db.session.commit()
    return (*figures, seen)


def _rule_id(code, version):
    return db.session.scalar(select(CreditRule.id).where(CreditRule.code == code, CreditRule.version == version))


def test_a_rule_is_read_once_and_a_change_applies_to_the_next_award(app, world):
    member_id = world.people.member.id
    services.ensure_default_rules()
    db.session.commit()
    clock.freeze(at(2026, 11, 20))
    _award(app, member_id, 1, at(2026, 11, 20))
    points, rule_id, _day, seen = _award(app, member_id, 2, at(2026, 11, 20))
    assert (points, rule_id) == (3, _rule_id("session_attend", 1))
    assert not seen.naming("credit_rule.points")  # kept from the award before

    with app.app_context():
        services.change_rule(world.users.committee, "session_attend", name="参加组织生活", points=5, mode="fixed",
                             daily_cap=None, weekly_cap=None, monthly_cap=None, applies_to=[])
        db.session.commit()
    points, rule_id, _day, seen = _award(app, member_id, 3, at(2026, 11, 20))
    assert (points, rule_id) == (5, _rule_id("session_attend", 2))
    assert seen.naming("credit_rule.points")  # the change moved the version: read again
    # Earned before the change: still the old version, kept under its own day.
    assert _award(app, member_id, 4, at(2026, 11, 10))[:2] == (3, _rule_id("session_attend", 1))


def test_a_rule_created_in_a_request_that_rolls_back_is_not_kept(app, world):
    member_id = world.people.member.id
    with app.app_context():
        services.award(db.session.get(Person, member_id), "session_attend", Source("session", 1),
                       when=at(2026, 11, 5))  # creates the default rule, then the request fails
        db.session.rollback()
    assert db.session.scalar(select(CreditRule.id)) is None
    points, rule_id, _day, _seen = _award(app, member_id, 1, at(2026, 11, 5))
    assert points == 3 and rule_id == _rule_id("session_attend", 1)


def test_closing_a_period_moves_the_next_late_award_though_the_last_close_was_kept(app, world):
    member_id = world.people.member.id
    services.ensure_default_rules()
    db.session.commit()
    clock.freeze(at(2026, 11, 11, 1))
    _award(app, member_id, 1, at(2026, 11, 9))
    *_, booked, seen = _award(app, member_id, 2, at(2026, 11, 9))
    assert booked == date(2026, 11, 9) and not seen.naming("closed_period.period_end")

    with app.app_context():
        standings.close_period(period_containing(PeriodKind.DEKAD, date(2026, 11, 9)))
        db.session.commit()
    *_, booked, seen = _award(app, member_id, 3, at(2026, 11, 9))
    assert booked == date(2026, 11, 11)  # the first 旬 of November is closed: counted in the next
    assert seen.naming("closed_period.period_end")
