"""The roster_import_http scenario: a real office's messy 5,000-row sheet, checked and imported over HTTP.

The sheet is what offices send: a merged title row above the header, the headers in their own
spellings, stray spaces, full-width digits in phone and ID numbers, a lower-case x as an ID's
check digit, join dates written every way (date cells, 2009.02.15, 2009年2月, 2009/2, full-width
２００９．０２), and some rows that are really wrong (a bad check digit, an unknown unit, a
phone number one digit short, 2009-13 as a join date). It is driven through the portal that the
bench serves with gunicorn, as a browser would: log in as the demo administrator, upload the
file (the check: timed until the report page has arrived) and press 仅导入有效行 (the import:
timed until its redirect has arrived). Afterwards it counts what was written, checks that the
month-only join dates kept their precision, and deletes the rows again.
"""

import http.cookiejar
import io
import re
import secrets
import time
import unicodedata
import urllib.parse
import urllib.request
from datetime import datetime

from openpyxl import Workbook
from sqlalchemy import func, select

from portal.core.permissions import Role
from portal.extensions import db
from portal.roster.models import Person
from tests.bench import databases, importbench, servers
from tests.bench.portal_hooks import demo_login

EMPLOYEE_NO_BASE = 90_000_000  # clear of the in-process scenario's numbers and the demo's
BAD_EVERY = 50  # one row in 50 is really wrong: 100 of 5,000
HEADERS = ["序号", "姓 名", "性别", "公民身份号码", "联系电话", "职工编号", "所在单位", "工种", "技能等级", "政治面貌",
           "入党日期", "人员状态", "备注"]
FULL_WIDTH = str.maketrans("0123456789.-/", "０１２３４５６７８９．－／")
TIMEOUT = 120


class _Unexpected(RuntimeError):
    """The portal answered something a browser would not expect."""


def _joined(joined, index):
    """A join date in one of the ways offices write it; (cell, month_only)."""
    style = index % 8
    if style == 0:
        return datetime(joined.year, joined.month, joined.day), False
    if style == 1:
        return f"{joined.year}.{joined.month:02d}.{joined.day:02d}", False
    if style == 2:
        return f"{joined.year}年{joined.month}月{joined.day}日", False
    if style == 3:
        return f"{joined.year}/{joined.month}/{joined.day}", False
    if style == 4:
        return f"{joined.year}年{joined.month}月", True
    if style == 5:
        return f"{joined.year}/{joined.month}", True
    if style == 6:
        return f"{joined.year}.{joined.month:02d}".translate(FULL_WIDTH), True
    return f" {joined.isoformat()} ", False


def _bad(cells, index):
    """Spoil one row in a way the importer must refuse; the column spoiled."""
    kind = (index // BAD_EVERY) % 4
    if kind == 0:
        id_number = unicodedata.normalize("NFKC", cells[3]).strip()
        cells[3] = id_number[:17] + ("0" if id_number[17] != "0" else "1")
    elif kind == 1:
        cells[6] = "通风九队"
    elif kind == 2:
        cells[4] = cells[4].strip()[:10]
    else:
        cells[10], cells[9] = "2009-13", "正式党员"


def make_messy_sheet(seed, employee_base):
    """(xlsx bytes, employee numbers of the valid rows, of the bad rows, month-only employee numbers)."""
    people = importbench._fresh_people(seed, employee_base)
    book = Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet.append(["示范煤矿职工花名册（2026 年）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet.append(HEADERS)
    valid, bad, month_only = [], [], []
    for index, (person, unit) in enumerate(people):
        id_number = person.id_number
        if id_number.endswith("X") and index % 2:
            id_number = id_number[:-1] + "x"
        phone = person.phone
        if index % 5 == 1:
            id_number, phone = id_number.translate(FULL_WIDTH), phone.translate(FULL_WIDTH)
        joined, month = (None, False) if person.joined_party_on is None else _joined(person.joined_party_on, index)
        cells = [index + 1, f" {person.name} " if index % 7 == 3 else person.name, person.gender, id_number,
                 f"{phone} " if index % 9 == 4 else phone, person.employee_no,
                 f"{unit}\u3000" if index % 11 == 5 else unit, person.job_type, person.skill_level,
                 str(person.political_status), joined, str(person.status), "新调入" if index % 13 == 0 else None]
        if index % BAD_EVERY == BAD_EVERY - 1:
            _bad(cells, index)
            bad.append(person.employee_no)
        else:
            valid.append(person.employee_no)
            if month:
                month_only.append(person.employee_no)
        sheet.append(cells)
    for letter in ("D", "E", "F"):
        sheet.column_dimensions[letter].number_format = "@"
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue(), valid, bad, month_only


class Browser:
    """Cookies and forms over urllib, the way a browser posts them."""

    def __init__(self, base_url):
        """A session against `base_url` with its own cookie jar; redirects are not followed."""
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, path, data=None, headers=None):
        """(status, Location header, body text) of one request."""
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(request, timeout=TIMEOUT) as reply:
                return reply.status, reply.headers.get("Location", ""), reply.read().decode("utf-8")
        except urllib.error.HTTPError as reply:
            return reply.code, reply.headers.get("Location", ""), reply.read().decode("utf-8", "replace")

    def csrf(self, path):
        """The CSRF token of the form on `path`."""
        status, _location, body = self.request(path)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', body)
        if status != 200 or not match:
            raise _Unexpected(f"GET {path}: {status}, no csrf_token")
        return match.group(1)

    def post_form(self, path, fields):
        """POST url-encoded fields."""
        body = urllib.parse.urlencode(fields).encode()
        return self.request(path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def post_file(self, path, fields, name, filename, content, content_type):
        """POST multipart/form-data with one file."""
        boundary = "----bench" + secrets.token_hex(12)
        parts = []
        for key, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(path, b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def login(self, identifier, password):
        """Log in through the form."""
        token = self.csrf("/login")
        status, location, _body = self.post_form("/login", {"identifier": identifier, "password": password,
                                                            "csrf_token": token})
        if status != 302 or "/login" in location:
            raise _Unexpected(f"log-in as {identifier} failed: {status} {location}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _check_and_import(browser, data, expect_valid, expect_bad):
    """Upload (timed), then accept the valid rows (timed); (check seconds, import seconds)."""
    token = browser.csrf("/roster/import")
    started = time.perf_counter()
    status, _location, page = browser.post_file("/roster/import", {"csrf_token": token}, "file",
                                                "花名册（各队汇总）.xlsx", data, importbench.XLSX_TYPE)
    check_seconds = time.perf_counter() - started
    summary = f"共 {expect_valid + expect_bad} 行：有效 {expect_valid} 行，错误 {expect_bad} 行"
    if status != 200 or summary not in page:
        found = re.search(r"共 \d+ 行：有效 \d+ 行，错误 \d+ 行", page)
        raise _Unexpected(f"the check page said {found.group(0) if found else status!r}, expected {summary}")
    accept = re.search(r'action="([^"]*/roster/import/(\d+)/accept)"', page)
    download = re.search(r'href="([^"]*/roster/import/\d+/errors\.xlsx)"', page)
    if not accept or not download:
        raise _Unexpected("the check page offers no 仅导入 button or no error download")
    started = time.perf_counter()
    status, location, _body = browser.post_form(accept.group(1), {"csrf_token": token})
    import_seconds = time.perf_counter() - started
    if status != 302 or not location.rstrip("/").endswith("/roster"):
        raise _Unexpected(f"the import answered {status} {location}")
    return check_seconds, import_seconds


def _month_precision_kept(employee_nos):
    """How many of these people are stored with a month-only join date."""
    found = 0
    for start in range(0, len(employee_nos), 1000):
        found += db.session.scalar(select(func.count()).select_from(Person).where(
            Person.employee_no.in_(employee_nos[start:start + 1000]), Person.joined_party_precision == "month"))
    return found


def run_once(bench, browser, run_no):
    """One messy sheet, checked and imported over HTTP; what was written; cleaned up."""
    data, valid, bad, month_only = make_messy_sheet(seed=9000 + run_no,
                                                     employee_base=EMPLOYEE_NO_BASE + run_no * 100_000)
    before = db.session.scalar(select(func.count()).select_from(Person))
    db.session.commit()
    check_seconds, import_seconds = _check_and_import(browser, data, len(valid), len(bad))
    db.session.expire_all()
    found = importbench._count(valid)
    stray = importbench._count(bad)
    after = db.session.scalar(select(func.count()).select_from(Person))
    months = _month_precision_kept(month_only)
    db.session.commit()
    cleaned = importbench._remove(valid)
    return {
        "seconds": max(check_seconds, import_seconds), "check_seconds": check_seconds,
        "import_seconds": import_seconds, "rows": len(valid) + len(bad), "valid_rows": len(valid),
        "bad_rows": len(bad), "written": after - before, "lost": len(valid) - found,
        "duplicated": max(0, (after - before) - found) + stray, "month_only": len(month_only),
        "month_only_kept": months, "cleaned": cleaned, "bytes": len(data),
    }


def measure(bench, runs):
    """Serve the portal with the bench's gunicorn, log in, and run the sheet `runs` times (after one warm-up)."""
    env = databases.flask_env(bench.portal_url, bench.tmp)
    with servers.Gunicorn("portal-import", "wsgi:app", env, databases.REPO, bench.tmp, "/login") as server:
        identifier, password, _who = demo_login(bench, Role.ADMIN)
        browser = Browser(server.base_url)
        browser.login(identifier, password)
        results = []
        for run_no in range(0, runs + 1):
            result = run_once(bench, browser, run_no)
            if run_no:  # run 0 warms both workers' templates and caches
                results.append(result)
            if not result["cleaned"]:
                break
            if result["month_only_kept"] != result["month_only"]:
                raise _Unexpected(f"{result['month_only'] - result['month_only_kept']} month-only join dates "
                                  "lost their precision")
    return results
