"""Shared helpers for the credit page tests: moments, awarding, reading pages and workbooks."""

import io
import re
from datetime import datetime
from html.parser import HTMLParser

from openpyxl import load_workbook

from portal.core import clock
from portal.credits import jobs, services
from portal.extensions import db


def at(y, m, d, hour=10, minute=0, second=0):
    """A moment in Asia/Shanghai local time, as an aware datetime."""
    return datetime(y, m, d, hour, minute, second, tzinfo=clock.LOCAL_TZ)


def give(now, committee_user, person, points, when, reason="测试"):
    """A manual adjustment booked at `when` (any amount up to 100); leaves `now` at `when`."""
    now.set(when)
    return services.adjust(committee_user, person, points, reason)


def close_until(now, moment):
    """Run the closing job as it would run at `moment` (freezing every period ended before it)."""
    now.set(moment)
    return jobs.close_ended_periods()


def csrf_token(page):
    """The CSRF token of a rendered form."""
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'type="hidden" name="csrf_token" value="([^"]+)"', page)
    assert found, "no csrf token on the page"
    return found.group(1)


class _Rows(HTMLParser):
    """Collect the cell texts of <tr> (or any element) carrying data-testid=<testid>."""

    def __init__(self, testid):
        super().__init__()
        self.testid, self.rows, self._depth, self._cells, self._cell = testid, [], 0, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._cells is None and attrs.get("data-testid") == self.testid:
            self._cells, self._depth, self._tag = [], 1, tag
            return
        if self._cells is not None:
            if tag == self._tag:
                self._depth += 1
            if tag in ("td", "th"):
                self._cell = []

    def handle_endtag(self, tag):
        if self._cells is None:
            return
        if tag in ("td", "th") and self._cell is not None:
            self._cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == self._tag:
            self._depth -= 1
            if self._depth == 0:
                self.rows.append(self._cells)
                self._cells = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(page, testid):
    """The cell texts of every row marked data-testid=<testid>, in page order."""
    parser = _Rows(testid)
    parser.feed(page)
    return parser.rows


def workbook_rows(response):
    """The first sheet of an .xlsx response as lists of values (header first)."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def commit():
    """Commit what a test wrote, so the pages (own app contexts) see it."""
    db.session.commit()
