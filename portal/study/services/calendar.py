"""The study calendar: events from registered sources, a month view, and the iCalendar feed.

Each area of the study module that has something with a date registers one *source*: a function
(person, start, end) -> iterable of CalendarEvent for the events overlapping [start, end), both
aware UTC datetimes. The month page and the .ics feed only ever ask the registry, so a new source
(e.g. the weekly test windows) is one `register("name")` away:

    @calendar.register("quizzes")
    def quiz_windows(person, start, end): ...
"""

import calendar as _stdlib_calendar
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from icalendar import Alarm, Calendar, Event
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.core.clock import LOCAL_TZ, format_datetime, format_month, format_weekday, localnow, utcnow
from portal.core.exceptions import NotFound
from portal.extensions import db
from portal.roster.models import Person
from portal.study.models.meetings import CalendarFeed, Meeting, MeetingAttendee
from portal.study.services import quizzes
from portal.study.services.meetings import meeting_path

UID_DOMAIN = "dangjian-portal"
FEED_PAST = timedelta(days=180)
FEED_FUTURE = timedelta(days=400)
ALARM_BEFORE = timedelta(hours=1)
WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")


@dataclass(frozen=True)
class CalendarEvent:
    """One entry of a person's calendar; times are aware UTC datetimes, `url` a path in the portal."""

    uid: str
    title: str
    starts_at: datetime
    ends_at: datetime
    category: str
    url: str = ""
    location: str = ""
    description: str = ""
    cancelled: bool = False
    sequence: int = 0
    stamp: datetime | None = None

    @property
    def local_day(self):
        """The Asia/Shanghai date the event starts on."""
        return self.starts_at.astimezone(LOCAL_TZ).date()


_SOURCES = {}


def register(name):
    """Decorator: add a calendar source under `name` (registering a name twice replaces it)."""

    def decorator(function):
        _SOURCES[name] = function
        return function

    return decorator


def source_names():
    """The names of the registered sources, in registration order."""
    return list(_SOURCES)


def events_for(person, start, end):
    """Every registered source's events for a person overlapping [start, end), by start time."""
    events = []
    for source in _SOURCES.values():
        events.extend(source(person, start, end))
    return sorted(events, key=lambda e: (e.starts_at, e.ends_at, e.uid))


# --- the month page -------------------------------------------------------------------------

@dataclass
class Day:
    """One day of the month grid."""

    day: date
    in_month: bool
    is_today: bool
    events: list = field(default_factory=list)

    @property
    def weekday_label(self):
        """周一 ... 周日."""
        return format_weekday(self.day)


@dataclass
class MonthView:
    """A month of a person's calendar: weeks of days (Monday first) and the neighbouring months."""

    first: date
    weeks: list
    previous: str
    next: str

    @property
    def label(self):
        """2026年5月."""
        return format_month(self.first)

    @property
    def key(self):
        """The month's key in URLs: 2026-05."""
        return self.first.strftime("%Y-%m")

    @property
    def busy_days(self):
        """The days of this month that have events (the phone list)."""
        return [d for week in self.weeks for d in week if d.in_month and d.events]

    @property
    def event_count(self):
        """How many events the month holds."""
        return sum(len(d.events) for d in self.busy_days)


def parse_month(key):
    """The first day of the month a `YYYY-MM` key names (today's month if empty); NotFound if invalid."""
    if not key:
        return localnow().date().replace(day=1)
    try:
        year, month = (int(part) for part in key.split("-"))
        first = date(year, month, 1)
    except (ValueError, TypeError):
        raise NotFound("月份无效，请用日历上的“上个月 / 下个月”切换") from None
    if not 2000 <= year <= 2100:
        raise NotFound("月份超出范围")
    return first


def month_view(person, key=None):
    """The month `key` (YYYY-MM) of a person's calendar, built from every source."""
    first = parse_month(key)
    days_in_month = _stdlib_calendar.monthrange(first.year, first.month)[1]
    last = first.replace(day=days_in_month)
    grid_start = first - timedelta(days=first.weekday())
    grid_end = last + timedelta(days=6 - last.weekday())
    events = events_for(person, _utc_midnight(grid_start), _utc_midnight(grid_end + timedelta(days=1)))
    today = localnow().date()
    days = {}
    current = grid_start
    while current <= grid_end:
        days[current] = Day(current, current.month == first.month, current == today)
        current += timedelta(days=1)
    for event in events:
        if event.local_day in days:
            days[event.local_day].events.append(event)
    ordered = list(days.values())
    previous = (first - timedelta(days=1)).strftime("%Y-%m")
    following = (last + timedelta(days=1)).strftime("%Y-%m")
    return MonthView(first, [ordered[i:i + 7] for i in range(0, len(ordered), 7)], previous, following)


def _utc_midnight(day):
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)


# --- the iCalendar feed ---------------------------------------------------------------------

def feed_token(person_id):
    """The person's current feed token, or None before they first ask for the URL."""
    if person_id is None:
        return None
    return db.session.scalar(select(CalendarFeed.token).where(CalendarFeed.person_id == person_id))


def regenerate_token(person):
    """Give the person a new secret feed token; the old URL stops working at once."""
    token = secrets.token_urlsafe(32)
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.person_id == person.id))
    if feed is not None:
        feed.token = token
        return token
    try:
        with db.session.begin_nested():
            db.session.add(CalendarFeed(person_id=person.id, token=token))
    except IntegrityError:  # created at the same moment by another request: replace that one
        feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.person_id == person.id))
        feed.token = token
    return token


def person_for_token(token):
    """The person a feed token belongs to; NotFound for an unknown or replaced token."""
    person = None
    if token and len(token) <= 64:
        person = db.session.scalar(select(Person).join(CalendarFeed, CalendarFeed.person_id == Person.id)
                                   .where(CalendarFeed.token == token))
    if person is None:
        raise NotFound("订阅链接无效或已更换")
    return person


def ics(person, base_url):
    """The person's calendar as iCalendar bytes (half a year back, a year ahead)."""
    now = utcnow()
    cal = Calendar()
    cal.add("prodid", "-//党建学习管理平台//学习日程//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "党建学习日程")
    cal.add("x-wr-timezone", "Asia/Shanghai")
    for item in events_for(person, now - FEED_PAST, now + FEED_FUTURE):
        cal.add_component(_vevent(item, base_url, now))
    return cal.to_ical()


def _vevent(item, base_url, now):
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", item.stamp or now)
    event.add("dtstart", item.starts_at.astimezone(UTC))
    event.add("dtend", item.ends_at.astimezone(UTC))
    event.add("summary", f"【已取消】{item.title}" if item.cancelled else item.title)
    event.add("categories", [item.category])
    event.add("sequence", item.sequence)
    event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
    if item.location:
        event.add("location", item.location)
    link = base_url.rstrip("/") + item.url if item.url else ""
    event.add("description", "\n".join(p for p in (item.description, link) if p))
    if link:
        event.add("url", link)
    if not item.cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", item.title)
        alarm.add("trigger", -ALARM_BEFORE)
        event.add_component(alarm)
    return event


# --- the sources ----------------------------------------------------------------------------

@register("meetings")
def meeting_events(person, start, end):
    """The sessions the person is expected at (cancelled ones too, marked as such)."""
    meetings = db.session.scalars(
        select(Meeting).join(MeetingAttendee, MeetingAttendee.meeting_id == Meeting.id)
        .where(MeetingAttendee.person_id == person.id, Meeting.starts_at < end, Meeting.ends_at > start)
        .order_by(Meeting.starts_at)
    ).all()
    return [
        CalendarEvent(
            uid=f"meeting-{m.id}@{UID_DOMAIN}", title=f"{m.kind_label}：{m.topic}", starts_at=m.starts_at,
            ends_at=m.ends_at, category="组织生活", url=meeting_path(m.id), location=m.location,
            description=m.branch.name + (f"\n取消原因：{m.cancel_reason}" if m.cancel_reason else ""),
            cancelled=m.is_cancelled, sequence=m.revision, stamp=m.updated_at,
        )
        for m in meetings
    ]


@register("quizzes")
def quiz_deadlines(person, start, end):
    """Each weekly test the person sits, shown as the stretch before it closes.

    From the latest start that still gets the full time limit to the close of the person's own
    window (an override counts), so the calendar and the phone's alarm say when to begin.
    """
    events = []
    for quiz in quizzes.quizzes_for_member(person):
        window = quizzes.window_for(quiz, person.id)
        begins = max(window.opens_at, window.closes_at - timedelta(minutes=quiz.time_limit_minutes))
        if window.closes_at <= start or begins >= end:
            continue
        opens, closes = format_datetime(window.opens_at), format_datetime(window.closes_at)
        events.append(CalendarEvent(
            uid=f"quiz-{quiz.id}@{UID_DOMAIN}", title=f"每周一测截止：{quiz.title}", starts_at=begins,
            ends_at=window.closes_at, category="每周一测", url=quiz_path(quiz.id),
            description=f"开放时间 {opens} 至 {closes}，限时 {quiz.time_limit_minutes} 分钟",
            stamp=quiz.published_at,
        ))
    return events


def quiz_path(quiz_id):
    """A test's page path, built without a request (the feed and jobs have none)."""
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT", "/"))
    return adapter.build("study.quiz_intro", {"quiz_id": quiz_id})
