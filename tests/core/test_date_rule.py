"""The one date rule (core.clock): its functions, its filters, and no template or message dating another way."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from portal.core import clock

TEMPLATES = Path(__file__).resolve().parents[2] / "portal" / "templates"
PORTAL = TEMPLATES.parent
# A moment in Beijing: 2026-12-03 14:30:05 (06:30:05 UTC).
MOMENT = datetime(2026, 12, 3, 6, 30, 5, tzinfo=UTC)


@pytest.fixture()
def in_2026(now):
    now.set(datetime(2026, 12, 20, 2, 0, tzinfo=UTC))


def test_the_rule(in_2026):
    assert clock.format_date(date(2026, 12, 3)) == "2026年12月3日"
    assert clock.format_date(MOMENT) == "2026年12月3日"
    assert clock.format_date(datetime(2026, 12, 3, 17, 0, tzinfo=UTC)) == "2026年12月4日"  # Beijing's day
    assert clock.format_time(MOMENT) == "14:30"
    assert clock.format_time(MOMENT, seconds=True) == "14:30:05"
    assert clock.format_datetime(MOMENT) == "2026年12月3日 14:30"
    assert clock.format_month(date(2026, 1, 31)) == "2026年1月"
    assert clock.format_weekday(date(2026, 12, 3)) == "周四"
    assert [clock.format_date(None), clock.format_time(None), clock.format_datetime(None)] == ["", "", ""]


def test_short_forms_drop_only_the_current_year(in_2026):
    assert clock.format_date(date(2026, 1, 5), short=True) == "1月5日"
    assert clock.format_date(date(2025, 12, 30), short=True) == "2025年12月30日"
    assert clock.format_datetime(MOMENT, short=True) == "12月3日 14:30"
    assert clock.format_date(date(2027, 1, 2), short=True) == "2027年1月2日"


def test_a_span_names_the_day_once(in_2026):
    ends = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    assert clock.format_span(MOMENT, ends) == "2026年12月3日 14:30–16:00"
    assert clock.format_span(MOMENT, datetime(2026, 12, 4, 1, 0, tzinfo=UTC)) == \
        "2026年12月3日 14:30 至 2026年12月4日 09:00"


def test_the_filters_are_the_rule(app, in_2026):
    render = app.jinja_env.from_string(
        "{{ d|date }}|{{ d|date(short=True) }}|{{ m|time }}|{{ m|time(seconds=True) }}|{{ m|datetime }}|"
        "{{ d|month }}|{{ d|weekday }}")
    assert render.render(d=date(2026, 12, 3), m=MOMENT) == \
        "2026年12月3日|12月3日|14:30|14:30:05|2026年12月3日 14:30|2026年12月|周四"


# --- no other way -------------------------------------------------------------------------------------

# Filters of the rule and the keyword arguments they take; a format string is never passed.
RULE_FILTER_CALL = re.compile(r"\|\s*(date|time|datetime|month|weekday|span)\s*\(([^)]*)\)")
ALLOWED_ARGUMENTS = re.compile(r"^\s*((short|seconds)\s*=\s*True\s*,?\s*)*$")
EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)


def _template_problems(path):
    """Where a template formats a date outside the rule."""
    text = path.read_text(encoding="utf-8")
    problems = []
    for word in ("strftime(", "localtime", "format_local", ".weekday()", "%Y", "%m", "%H"):
        if word in text:
            problems.append(f"uses {word!r}")
    for name, arguments in RULE_FILTER_CALL.findall(text):
        if name != "span" and not ALLOWED_ARGUMENTS.match(arguments):
            problems.append(f"passes {arguments!r} to |{name}")
    for found in EXPRESSION.finditer(text):
        before = text[:found.start()]
        in_attribute = re.search(r"=\s*[\"'][^\"'<>]*$", before) is not None
        expression = found.group(1)
        if ".isoformat()" in expression and not in_attribute and "url_for(" not in expression:
            problems.append(f"shows an ISO date: {{{{{expression}}}}}")
        # A date put together by hand: {{ d.month }}月{{ d.day }}日
        if re.search(r"\.(year|month|day)\s*$", expression.strip()) and re.match(r"\s*[年月日]", text[found.end():]):
            problems.append(f"puts a date together by hand: {{{{{expression}}}}}")
    return problems


def test_no_template_formats_a_date_another_way():
    problems = {str(path.relative_to(TEMPLATES)): found for path in sorted(TEMPLATES.rglob("*.html"))
                if (found := _template_problems(path))}
    assert problems == {}, "use the date rule's filters (core.clock): |date |time |datetime |month |weekday |span"


def test_the_scan_catches_each_other_way(tmp_path):
    for other in ("{{ d.strftime('%Y-%m-%d') }}", "{{ m|localtime }}", "{{ m|datetime('%m-%d') }}",
                  "{{ d.isoformat() }}", "{{ d.month }}月{{ d.day }}日", "周{{ '一二三四五六日'[d.weekday()] }}"):
        page = tmp_path / "page.html"
        page.write_text(f"<p>{other}</p>", encoding="utf-8")
        assert _template_problems(page), other
    page.write_text('<a href="{{ url_for(\'x\', start=d.isoformat()) }}">{{ d|date(short=True) }}</a>'
                    '<input value="{{ d.isoformat() }}">{{ m|datetime(short=True, seconds=True) }}', encoding="utf-8")
    assert _template_problems(page) == []


# Python modules that may write dates in a machine format (ISO): exports, keys, URLs, parsers.
MACHINE_FORMATS = {
    "core/clock.py",  # the rule itself, and format_local for exports
    "core/backup.py",  # backup file names
    "credits/reports.py",  # the .xlsx exports
    "roster/importer.py", "roster/dates.py", "roster/exporter.py",  # sheets in and out
    "study/jobs/articles.py",  # a reminder's de-duplication key
    "study/services/calendar.py",  # the month key in URLs, iCalendar
    "demo/people.py",  # made-up ID numbers
    "study/forms/meetings.py", "study/forms/quizzes.py",  # the value of a datetime-local input
    "exemplars/forms.py",  # the value of a datetime-local input
    "core/xlsx.py",  # dates in CSV exports
}
PYTHON_DATE_FORMAT = re.compile(r"strftime\(|format_local\(|:%[YmdHM]|%m月|%d日")


def test_python_text_follows_the_rule_too():
    """Messages built in Python (flashes, errors, notices) use the rule's functions, not a format of their own."""
    offenders = []
    for path in sorted(PORTAL.rglob("*.py")):
        name = str(path.relative_to(PORTAL))
        if name in MACHINE_FORMATS:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if PYTHON_DATE_FORMAT.search(line):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == [], "format dates for people with core.clock's format_date / format_datetime / ..."
