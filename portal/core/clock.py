"""The single source of "now", conversions to Asia/Shanghai, and the one way pages write dates.

The date rule (every page; the template filters of core.templating call these functions):

- a date is 2026年12月3日 (no leading zeros), a month 2026年12月, a weekday 周三;
- a time is 14:30 (Beijing time, 24-hour); seconds, 14:30:05, only where they matter: the
  audit log, a test's deadline, when a ranking was computed;
- a moment is a date and a time: 2026年12月3日 14:30;
- the short forms (short=True) drop the year of a date in the current year, 12月3日 and
  12月3日 14:30, for lists and headings where space is tight; another year keeps it.

Exports (.xlsx) and machine formats (URLs, form values, iCalendar) keep ISO dates: format_local.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
WEEKDAYS = "一二三四五六日"
_frozen = None


def utcnow():
    """Return the current time as an aware UTC datetime (tests can freeze it)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


def freeze(moment):
    """Freeze utcnow() at an aware datetime; None releases it. For tests only."""
    global _frozen
    if moment is not None and moment.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = moment.astimezone(UTC) if moment is not None else None


def localnow():
    """Return the current time in Asia/Shanghai."""
    return utcnow().astimezone(LOCAL_TZ)


def to_local(moment):
    """Convert an aware datetime to Asia/Shanghai (None passes through)."""
    if moment is None:
        return None
    return moment.astimezone(LOCAL_TZ)


def format_local(moment, fmt="%Y-%m-%d %H:%M"):
    """An aware datetime in Asia/Shanghai in a machine format (ISO by default): exports, never pages."""
    if moment is None:
        return ""
    return to_local(moment).strftime(fmt)


def _local_date(value):
    """The local date of a date, or of an aware datetime."""
    return to_local(value).date() if isinstance(value, datetime) else value


def format_date(value, short=False):
    """2026年12月3日 (a date, or an aware datetime's Beijing date); short: 12月3日 within the current year."""
    if value is None:
        return ""
    day = _local_date(value)
    if short and day.year == localnow().year:
        return f"{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def format_time(moment, seconds=False):
    """14:30 in Beijing time (14:30:05 with seconds)."""
    if moment is None:
        return ""
    return to_local(moment).strftime("%H:%M:%S" if seconds else "%H:%M")


def format_datetime(moment, short=False, seconds=False):
    """2026年12月3日 14:30 in Beijing time; short: 12月3日 14:30 within the current year."""
    if moment is None:
        return ""
    return f"{format_date(moment, short=short)} {format_time(moment, seconds=seconds)}"


def format_month(value):
    """2026年12月 (a date or an aware datetime)."""
    if value is None:
        return ""
    day = _local_date(value)
    return f"{day.year}年{day.month}月"


def format_weekday(value):
    """周三 (a date or an aware datetime)."""
    if value is None:
        return ""
    return f"周{WEEKDAYS[_local_date(value).weekday()]}"


def format_span(start, end):
    """Two moments as one span: 2026年12月3日 14:30–16:30 on one day, else both in full."""
    if start is None or end is None:
        return format_datetime(start or end)
    if _local_date(start) == _local_date(end):
        return f"{format_datetime(start)}–{format_time(end)}"
    return f"{format_datetime(start)} 至 {format_datetime(end)}"

