"""Dates as offices write them in a roster, and the year-month dates some of them only know.

A Party member's join date (入党时间) often survives only as a year and a month in old
files (2009.02, 2009年2月). Such a date is kept as the 1st of the month with the precision
"month", and shown and exported as it was given, never with a made-up day. Every other date
needs a day. Text goes through the portal's text rule first (core.text.clean_code), so
full-width digits and separators (２００９．０２) read like ASCII ones.
"""

import re
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

from openpyxl.utils.datetime import from_excel

from portal.core import clock
from portal.core.text import clean_code


class DatePrecision(StrEnum):
    """How much of a stored date was given."""

    DAY = "day"
    MONTH = "month"


class PartialDate(NamedTuple):
    """A date and how much of it is known (the day of a month-precision date is the 1st)."""

    value: date
    precision: DatePrecision = DatePrecision.DAY


_SEPARATOR = r"\s*[-/.年]\s*"
_DAY_TEXT = (
    rf"^(\d{{4}}){_SEPARATOR}(\d{{1,2}})\s*[-/.月]\s*(\d{{1,2}})\s*日?(?:\s+\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?$"
)
_MONTH_TEXT = rf"^(\d{{4}}){_SEPARATOR}(\d{{1,2}})\s*月?$"

_DAY = re.compile(_DAY_TEXT)
_MONTH = re.compile(_MONTH_TEXT)
_COMPACT_DAY = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# An Excel serial day number (a date cell formatted as General): 1927-05-18 .. 2173-10-14.
_SERIALS = range(10_000, 100_000)


def parse_date(value, allow_month=False):
    """A PartialDate from an Excel date cell or text such as 2010-07-01, 2010/7/1, 2010年7月1日, 20100701.

    With `allow_month`, a year and a month alone (2010-07, 2010/7, 2010.07, 2010年7月) is read
    as that month. Returns None for an empty cell; raises ValueError for anything else.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return PartialDate(value.date())
    if isinstance(value, date):
        return PartialDate(value)
    if isinstance(value, bool):
        raise ValueError("not a date")
    if isinstance(value, float) and not value.is_integer():
        # 2009.02 typed into a General cell is the number 2009.02: read it as Excel shows it.
        value = repr(value)
    elif isinstance(value, int | float):
        number = int(value)
        if number in _SERIALS:
            return PartialDate(from_excel(number).date())
        value = str(number)
    text = clean_code(str(value))
    if not text:
        return None
    match = _DAY.match(text) or _COMPACT_DAY.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return PartialDate(date(year, month, day))
    match = _MONTH.match(text) if allow_month else None
    if match:
        year, month = (int(part) for part in match.groups())
        return PartialDate(date(year, month, 1), DatePrecision.MONTH)
    raise ValueError("not a date")


def month_only(value):
    """The 1st of the month of an Excel date cell that shows only a year and a month."""
    if isinstance(value, datetime):
        value = value.date()
    return PartialDate(value.replace(day=1), DatePrecision.MONTH)


def format_date(value, precision=DatePrecision.DAY):
    """A date as the portal shows it (core.clock's rule): 2009年2月15日, or 2009年2月 when only the month is known."""
    if value is None:
        return ""
    if precision == DatePrecision.MONTH:
        return clock.format_month(value)
    return clock.format_date(value)


def sheet_value(value, precision=DatePrecision.DAY):
    """A date as an exported sheet holds it: a date cell, or text 2009-02 when only the month is known.

    The text reads back through the importer as the same month, so a sheet exported, edited and
    imported again keeps what was known.
    """
    if value is not None and precision == DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value
