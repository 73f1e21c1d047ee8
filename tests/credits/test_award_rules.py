"""Each award uses the rule version valid on its day and the periods closed by then.

Each award runs in an app context of its own, as separate requests do.
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


def at(y, m, d, hour=10):
    return datetime(y, m, d, hour, tzinfo=clock.LOCAL_TZ)


def _award(app, person_id, source_id, when, code="session_attend"):
    """Award in a request of its own: (points, rule id, booked on)."""
    with app.app_context():
        entry = services.award(db.session.get(Person, person_id), code, Source("meeting", source_id), when=when).entry
        figures = (entry.points, entry.rule_id, entry.booked_on)
        db.session.commit()
    return figures


def _rule_id(code, version):
    return db.session.scalar(select(CreditRule.id).where(CreditRule.code == code, CreditRule.version == version))


def test_a_rule_change_applies_to_the_next_award_and_not_to_earlier_days(app, world, now):
    member_id = world.people.member.id
    services.ensure_default_rules()
    db.session.commit()
    now.set(at(2026, 11, 20))
    _award(app, member_id, 1, at(2026, 11, 20))
    points, rule_id, _day = _award(app, member_id, 2, at(2026, 11, 20))
    assert (points, rule_id) == (3, _rule_id("session_attend", 1))

    with app.app_context():
        services.change_rule(world.users.committee, "session_attend", name="参加组织生活", points=5, mode="fixed",
                             daily_cap=None, weekly_cap=None, monthly_cap=None, applies_to=[])
        db.session.commit()
    points, rule_id, _day = _award(app, member_id, 3, at(2026, 11, 20))
    assert (points, rule_id) == (5, _rule_id("session_attend", 2))
    # Earned before the change: still the old version.
    assert _award(app, member_id, 4, at(2026, 11, 10))[:2] == (3, _rule_id("session_attend", 1))


def test_a_rule_created_in_a_request_that_rolls_back_is_not_kept(app, world):
    member_id = world.people.member.id
    with app.app_context():
        services.award(db.session.get(Person, member_id), "session_attend", Source("meeting", 1),
                       when=at(2026, 11, 5))  # creates the default rule, then the request fails
        db.session.rollback()
    assert db.session.scalar(select(CreditRule.id)) is None
    points, rule_id, _day = _award(app, member_id, 1, at(2026, 11, 5))
    assert points == 3 and rule_id == _rule_id("session_attend", 1)


def test_closing_a_period_moves_the_next_late_award_into_the_next_period(app, world, now):
    member_id = world.people.member.id
    services.ensure_default_rules()
    db.session.commit()
    now.set(at(2026, 11, 11, 1))
    _award(app, member_id, 1, at(2026, 11, 9))
    *_, booked = _award(app, member_id, 2, at(2026, 11, 9))
    assert booked == date(2026, 11, 9)

    with app.app_context():
        standings.close_period(period_containing(PeriodKind.DEKAD, date(2026, 11, 9)))
        db.session.commit()
    *_, booked = _award(app, member_id, 3, at(2026, 11, 9))
    assert booked == date(2026, 11, 11)  # the first 旬 of November is closed: counted in the next
