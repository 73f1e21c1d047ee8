from datetime import UTC, date, datetime

import pytest

from portal.core.periods import (
    Period,
    PeriodKind,
    current_period,
    ended_periods_since,
    parse_key,
    period_containing,
)

D, M, Q, Y = PeriodKind.DEKAD, PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR


@pytest.mark.parametrize(("day", "start", "end", "label"), [
    (date(2028, 2, 10), date(2028, 2, 1), date(2028, 2, 10), "2028年2月上旬"),
    (date(2028, 2, 11), date(2028, 2, 11), date(2028, 2, 20), "2028年2月中旬"),
    (date(2028, 2, 20), date(2028, 2, 11), date(2028, 2, 20), "2028年2月中旬"),
    (date(2028, 2, 21), date(2028, 2, 21), date(2028, 2, 29), "2028年2月下旬"),  # leap year
    (date(2028, 2, 29), date(2028, 2, 21), date(2028, 2, 29), "2028年2月下旬"),
    (date(2027, 2, 28), date(2027, 2, 21), date(2027, 2, 28), "2027年2月下旬"),
    (date(2026, 12, 31), date(2026, 12, 21), date(2026, 12, 31), "2026年12月下旬"),
])
def test_dekad_boundaries(day, start, end, label):
    period = period_containing(D, day)
    assert (period.start, period.end, period.label) == (start, end, label)


def test_month_quarter_and_year():
    assert period_containing(M, date(2028, 2, 15)).end == date(2028, 2, 29)
    q = period_containing(Q, date(2026, 9, 30))
    assert (q.start, q.end, q.label) == (date(2026, 7, 1), date(2026, 9, 30), "2026年第3季度")
    assert period_containing(Q, date(2026, 10, 1)).label == "2026年第4季度"
    assert period_containing(Y, date(2026, 5, 5)) == Period(Y, date(2026, 1, 1), date(2026, 12, 31))


def test_next_and_previous_cross_month_and_year_ends():
    last = period_containing(D, date(2026, 12, 25))
    assert last.next() == Period(D, date(2027, 1, 1), date(2027, 1, 10))
    assert last.next().previous() == last
    assert period_containing(Q, date(2026, 1, 5)).previous().label == "2025年第4季度"


def test_today_is_taken_in_asia_shanghai(now):
    # 16:30 UTC on 10 March is 00:30 on 11 March in Shanghai: the second 旬 has begun.
    now.set(datetime(2026, 3, 10, 16, 30, tzinfo=UTC))
    assert current_period(D).start == date(2026, 3, 11)
    now.set(datetime(2026, 3, 10, 15, 59, tzinfo=UTC))
    assert current_period(D).start == date(2026, 3, 1)


def test_keys_round_trip_and_refuse_bad_input():
    period = period_containing(D, date(2026, 11, 15))
    assert parse_key(period.key) == period
    for bad in ("dekad:2026-11-12", "week:2026-11-01", "month:2026-13-01", "", "month"):
        with pytest.raises(ValueError):
            parse_key(bad)


def test_ended_periods_since_lists_each_kind_once_in_end_order():
    ended = ended_periods_since(date(2026, 9, 25), today=date(2026, 10, 11))
    assert [p.label for p in ended] == [
        "2026年9月下旬", "2026年9月", "2026年第3季度", "2026年10月上旬",
    ]
