"""The single source of "now", and conversions to Asia/Shanghai for display."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
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
    """Format an aware datetime in Asia/Shanghai for display."""
    if moment is None:
        return ""
    return to_local(moment).strftime(fmt)
