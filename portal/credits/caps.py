"""A rule's caps: how many points its daily, weekly and monthly caps still leave a person.

award() takes the cap's lock first (`lock`): one row per person and capped rule, written by an
upsert, so two awards to the same person under the same rule at the same moment queue on that
row and the second reads the first one's points. Then `within` cuts the award to what is left.
"""

from datetime import timedelta

from sqlalchemy import case, func, select

from portal.core.clock import LOCAL_TZ
from portal.core.database import dialect_insert
from portal.core.periods import PeriodKind, period_containing
from portal.credits.models import CapLock, LedgerEntry
from portal.extensions import db


def has_caps(rule):
    """True if the rule has a daily, weekly or monthly cap."""
    return any(cap is not None for cap in (rule.daily_cap, rule.weekly_cap, rule.monthly_cap))


def lock(person_id, rule_code):
    """Wait for any other award to this person under this rule to commit (see CapLock)."""
    insert = dialect_insert()(CapLock).values(person_id=person_id, rule_code=rule_code, checks=1)
    db.session.execute(insert.on_conflict_do_update(
        index_elements=["person_id", "rule_code"], set_={"checks": CapLock.checks + 1}))


def within(rule, person_id, when, points):
    """`points` cut down to what the rule's daily, weekly and monthly caps leave.

    Returns (points, window, cap): the window ("今日", "本周", "本月") and cap that cut them most,
    or (points, None, None) when no cap cut them.
    """
    room_left, window, cap = room(rule, person_id, when)
    if room_left is not None and room_left < points:
        return room_left, window, cap
    return points, None, None


def room(rule, person_id, when):
    """(points the rule's caps still leave the person, the window and cap that leave fewest), read only.

    (None, None, None) for a rule without caps.
    """
    if not has_caps(rule):
        return None, None, None
    day = when.astimezone(LOCAL_TZ).date()
    monday = day - timedelta(days=day.weekday())
    windows = [(cap, start, end, label) for cap, start, end, label in (
        (rule.daily_cap, day, day, "今日"), (rule.weekly_cap, monday, monday + timedelta(days=6), "本周"),
        (rule.monthly_cap, *_month(day), "本月")) if cap is not None]
    booked = LedgerEntry.booked_on
    used = db.session.execute(
        select(*[func.coalesce(func.sum(case((booked.between(start, end), LedgerEntry.points), else_=0)), 0)
                 for _cap, start, end, _label in windows])
        .where(LedgerEntry.person_id == person_id, LedgerEntry.rule_code == rule.code,
               booked.between(min(w[1] for w in windows), max(w[2] for w in windows)))
    ).one()
    return min(((cap - spent, label, cap) for (cap, _start, _end, label), spent in zip(windows, used, strict=True)),
               key=lambda left: left[0])


def _month(day):
    period = period_containing(PeriodKind.MONTH, day)
    return period.start, period.end
