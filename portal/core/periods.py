"""Assessment periods in Asia/Shanghai: 旬 (1-10, 11-20, 21-end), month, quarter, year."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from portal.core.clock import localnow


class PeriodKind(StrEnum):
    """The period lengths rankings and payouts use."""

    DEKAD = "dekad"  # 旬
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


KIND_LABELS = {
    PeriodKind.DEKAD: "旬",
    PeriodKind.MONTH: "月",
    PeriodKind.QUARTER: "季度",
    PeriodKind.YEAR: "年度",
}
_DEKAD_NAMES = ("上旬", "中旬", "下旬")


@dataclass(frozen=True, order=True)
class Period:
    """A closed interval of local dates [start, end] of one kind."""

    kind: PeriodKind
    start: date
    end: date

    @property
    def label(self):
        """How people name it: 2026年11月上旬, 2026年11月, 2026年第4季度, 2026年."""
        if self.kind == PeriodKind.DEKAD:
            return f"{self.start.year}年{self.start.month}月{_DEKAD_NAMES[(self.start.day - 1) // 10]}"
        if self.kind == PeriodKind.MONTH:
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        return f"{self.start.year}年"

    def contains(self, day):
        """True if the local date falls inside the period."""
        return self.start <= day <= self.end

    def next(self):
        """The period of the same kind that follows."""
        return period_containing(self.kind, self.end + timedelta(days=1))

    def previous(self):
        """The period of the same kind that precedes."""
        return period_containing(self.kind, self.start - timedelta(days=1))

    @property
    def key(self):
        """A stable text key for URLs and forms: dekad:2026-11-11."""
        return f"{self.kind}:{self.start.isoformat()}"


def _month_end(year, month):
    return date(year, month, calendar.monthrange(year, month)[1])


def period_containing(kind, day):
    """The period of `kind` that contains the local date `day`."""
    kind = PeriodKind(kind)
    if kind == PeriodKind.DEKAD:
        if day.day <= 10:
            return Period(kind, day.replace(day=1), day.replace(day=10))
        if day.day <= 20:
            return Period(kind, day.replace(day=11), day.replace(day=20))
        return Period(kind, day.replace(day=21), _month_end(day.year, day.month))
    if kind == PeriodKind.MONTH:
        return Period(kind, day.replace(day=1), _month_end(day.year, day.month))
    if kind == PeriodKind.QUARTER:
        first = 3 * ((day.month - 1) // 3) + 1
        return Period(kind, date(day.year, first, 1), _month_end(day.year, first + 2))
    return Period(kind, date(day.year, 1, 1), date(day.year, 12, 31))


def current_period(kind):
    """The period of `kind` that contains today in Asia/Shanghai."""
    return period_containing(kind, localnow().date())


def parse_key(key):
    """The Period for a key made by Period.key; ValueError if it is not one."""
    kind, _, start = (key or "").partition(":")
    period = period_containing(PeriodKind(kind), date.fromisoformat(start))
    if period.start.isoformat() != start:
        raise ValueError("not the first day of a period")
    return period


def recent_periods(kind, count, until=None):
    """The last `count` periods of `kind` up to the one containing `until` (newest first)."""
    period = period_containing(kind, until or localnow().date())
    result = []
    for _ in range(count):
        result.append(period)
        period = period.previous()
    return result


def ended_periods_since(day, today):
    """Every period (all kinds) that ends on or after `day` and before `today`, oldest first."""
    found = set()
    for kind in PeriodKind:
        period = period_containing(kind, day)
        while period.end < today:
            found.add(period)
            period = period.next()
    return sorted(found, key=lambda p: (p.end, list(PeriodKind).index(p.kind)))
