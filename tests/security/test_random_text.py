"""Random Unicode in every text field of every form: no 500, nothing unclean stored, every export opens.

For each role the pages it may open (from the access matrix) are crawled and every form with a
field people type into is submitted as a browser would: hidden values (CSRF token, submit key)
exactly as given, one valid choice per select, radio and box, and the text fields filled first
with fixed hostile strings, then with strings drawn by Hypothesis. Errors raise under test
(portal.core.errors), so an unexpected exception fails the test. Afterwards the pages are
crawled again (stored text is rendered), every export the role has is downloaded and opened,
and no text column of any table may hold a character the text rule removes.
"""

import csv
import io
import re
import unicodedata
from datetime import timedelta

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import JSON, String, Text, select
from werkzeug.datastructures import MultiDict

from portal.core import clock
from portal.core.xlsx import FORMULA_TRIGGERS
from portal.credits import services as credits
from portal.extensions import db
from tests import factories
from tests.conftest import login
from tests.security.form_crawler import crawl, fixed_values, parse_forms, sample_data_once
from tests.security.test_access_matrix import ANON, EXPECTED, PUBLIC, ROLES, _url

# Characters the text rule removes: none of them may be stored or exported.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e"
                       "\u061c\u202a-\u202e\u2066-\u2069\u2028\u2029\ufdd0-\ufdef\ufffe\uffff]")
CHINESE = re.compile("[\u4e00-\u9fff]")
FORMULA = "=cmd|' /C calc'!A0"
# The fixed round: every free-text field gets one of these per submission (with a valid tail where
# a field needs one).
HOSTILE = [
    FORMULA,
    "张三\x00\x07\u200b李四",
    "\u200b",
    "\u202egpj.exe",
    "\ufeff党支部\ufeff",
    "\u0301\u0308",  # combining marks with nothing to combine with
    "１２３４５６",  # full-width digits
    "学习🇨🇳𠀀🙂",  # flags, astral ideograph, emoji
    "长" * 5000,
    "第一行\r\n第二行\r第三行\t缩进",
    "C:\\temp\\a\\\\b \"双引号\" '单引号' `反引号`",
    "<script>alert('x')</script>&amp;",
    "\x85\x9f\u2028\u2029\ufffe\uffff",
    "   ",
    "-1+2@@",
]
HYPOTHESIS_EXAMPLES = 6
# What each export is, for the role tests: an .xlsx, or the .ics calendar feed.
EXPORTS = {
    "roster.export": "xlsx",
    "credits.ledger_export": "xlsx",
    "credits.ranking_export": "xlsx",
    "study.bank_export": "xlsx",
    "study.quiz_results_export": "xlsx",
    "study.meeting_attendance_export": "xlsx",
    "study.calendar_feed": "ics",
    "exemplars.results_export": "xlsx",
    "exemplars.honours_export": "xlsx",
    "exemplars.ballots_xlsx": "xlsx",
    "exemplars.ballots_csv": "csv",
}
# Form endpoints the crawl of the matrix's world does not reach, and why nothing is lost.
NOT_REACHED = {
    "accounts.user_enable": "no text field; the matrix's staff account is enabled",
    "accounts.user_unlock": "no text field; nobody is locked out",
    "credits.payout_sign": "the payout sheet is signed only for a closed period; tests/credits covers it",
    "inbox.open_message": "no text field; the world has no messages",
    "inbox.read_all": "no text field; the world has no messages",
    "roster.import_accept": "no text field (a batch id); imports are tests/roster's",
    "study.article_restore": "no text field; the sample article is not retired",
    "study.question_restore": "no text field; the sample question is not retired",
    "study.attempt_answer": "the JSON autosave of one answer, not a form",
    "study.attempt_submit": "the same form as study.attempt_save, with another button",
    "study.bank_import_accept": "no text field (the file is in the session)",
    "study.daily_unpick": "no text field; nothing is picked",
    "study.meeting_cancel": "only for a session that has not started; the sample has",
    "study.meeting_leave": "only before a session starts; the sample has",
    "study.quiz_edit": "the same form as study.quiz_new; the sample test is published",
    "study.quiz_publish": "no text field; the sample test is published",
    "exemplars.nominate": "the form needs a person picked and the nomination phase (the sample is in publicity); "
                          "tests/exemplars/test_pages.py sends it hostile text",
    "exemplars.flags": "the form appears once a search has found the person; tests/exemplars sends it hostile text",
    "exemplars.nomination_decide": "only in nomination or qualification; tests/exemplars covers the note",
    "exemplars.nomination_withdraw": "no text field; only while the nomination is pending",
    "exemplars.vote_review": "the ballot is open only in voting; its fields are choices, not text",
    "exemplars.vote_cast": "the confirmation of vote_review; choices only",
    "exemplars.paper_review": "paper ballots are entered only in voting; tests/exemplars covers the polling point",
    "exemplars.paper_cast": "the confirmation of paper_review",
}


def _plausible(control, serial):
    """A value the field accepts, so that the hostile text beside it gets as far as the database."""
    name, kind = control.name, control.kind
    today = clock.localnow()
    if control.value.strip() and kind != "password":
        return control.value
    if kind == "date":
        return today.date().isoformat()
    if kind == "datetime-local":
        later = any(word in name for word in ("end", "close"))
        return (today + timedelta(days=1, hours=3 if later else 0)).strftime("%Y-%m-%dT%H:%M")
    if kind == "time":
        return "09:30"
    if kind == "number" or name.endswith(("_id", "count", "points", "cap", "grade", "minutes")):
        return "1"
    if kind == "url":
        return "https://example.org/学习"
    if kind == "email":
        return "dangjian@example.org"
    if "id_number" in name:
        return factories.make_id_number(serial=serial % 500)
    if kind == "tel" or "phone" in name:
        return f"138{serial:08d}"
    if name.endswith(("_no", "code", "login_name")):
        return f"x{serial:06d}"
    return None  # free text: the hostile string alone


def _submit(client, form, typed):
    """Send `form` with its fixed values and `typed` ({name: text}); assert the answer is sound."""
    pairs = [(name, value) for name, value in fixed_values(form) if name not in typed] + list(typed.items())
    if form.method == "get":
        response = client.get(form.action, query_string=MultiDict(pairs))
    else:
        response = client.post(form.action, data=MultiDict(pairs))
    where = f"{form.method.upper()} {form.action} from {form.page}"
    assert response.status_code < 500, where
    if response.status_code == 200 and response.mimetype == "text/html" or response.status_code >= 400:
        body = response.get_data(as_text=True)
        assert CHINESE.search(body), (where, response.status_code, body[:300])
    return response


def _fill_hostile(form, round_, serial):
    """The text of one fixed round: HOSTILE strings in turn, with valid values where a field needs them.

    Over the rounds every free-text field gets every HOSTILE string beside valid values; the last
    round puts hostile strings where numbers, dates and codes belong too.
    """
    typed = {}
    for index, control in enumerate(form.text_fields):
        hostile = HOSTILE[(round_ + index) % len(HOSTILE)]
        plausible = _plausible(control, serial)
        if plausible is None or round_ == len(HOSTILE):
            typed[control.name] = hostile
        elif round_ % 2:
            typed[control.name] = f"\u200b{plausible}\u00ad"  # invisible around a valid value
        else:
            typed[control.name] = plausible
    return typed


def _values(control, serial):
    """A Hypothesis strategy for one text field: hostile, random, or a valid value with junk around it."""
    valid = st.just(_plausible(control, serial) or "学习")
    odd = st.characters(categories=["Cc", "Cf", "Cn", "Co", "Mn", "Zs", "Zl", "Zp", "So", "Nd"])
    noise = st.one_of(st.text(max_size=30), st.text(odd, max_size=12), st.sampled_from(HOSTILE))
    return st.one_of(
        valid,
        noise,
        st.tuples(noise, valid, noise).map("".join),
        st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(odd, max_size=4), valid), max_size=4).map("".join),
    )


def _fuzz(client, form, serials):
    """Submit `form` in every fixed round, then with what Hypothesis draws.

    A form with a one-time submit key is fetched again before each submission, as a person
    would open it again to enter the next item.
    """
    def current():
        return _fresh_form(client, form) if any(f.name == "submit_key" for f in form.fields) else form

    for round_ in range(len(HOSTILE) + 1):
        shown = current()
        _submit(client, shown, _fill_hostile(shown, round_, next(serials)))
    if form.method == "get":
        # A hand-edited address: junk in the choices too, not only in the search boxes.
        _submit(client, form, {c.name: "张\x00三\u202e" for c in form.fields if c.kind != "hidden"})

    @settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def drawn(data):
        shown, serial = current(), next(serials)
        _submit(client, shown, {c.name: data.draw(_values(c, serial), label=c.name) for c in shown.text_fields})

    drawn()


def _fresh_form(client, form):
    """The form as its page renders it now (a new submit key, the values stored since)."""
    response = client.get(form.page)
    assert response.status_code < 500, form.page
    if response.status_code != 200:
        return form
    same = [f for f in parse_forms(form.page, response.get_data(as_text=True))
            if (f.action, f.method) == (form.action, form.method)]
    names = {f.name for f in form.fields}
    return max(same, key=lambda f: len(names & {c.name for c in f.fields}), default=form)


def _text_values(value):
    """The strings inside a stored value (JSON columns are walked)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _text_values(key)
            yield from _text_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _text_values(item)


def _assert_stored_text_clean():
    """No text column of any table holds a removed character or a non-NFC string."""
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in connection.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    for text in _text_values(value):
                        assert not FORBIDDEN.search(text), (table.name, column.name, text[:80])
                        assert unicodedata.is_normalized("NFC", text), (table.name, column.name, text[:80])


def _check_workbook(data, where):
    """An .xlsx that opens, holds no formula and no removed character; returns its string cells."""
    book = load_workbook(io.BytesIO(data))
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (where, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not FORBIDDEN.search(cell.value), (where, cell.coordinate, cell.value[:80])
                    texts.append(cell.value)
    return texts


def _download(app, client, world, endpoint, query=None):
    """One export as the role gets it: the .xlsx cells or the feed's text."""
    url, query = _url(app, endpoint, world), query or {}
    post = EXPECTED[endpoint][0] == "POST"
    response = client.post(url, data=query) if post else client.get(url, query_string=query)
    if query and 400 <= response.status_code < 500:
        # A made-up filter value (a period that is not one) may be refused, in Chinese.
        assert CHINESE.search(response.get_data(as_text=True)), (endpoint, query, response.status_code)
        return []
    assert response.status_code == 200, (endpoint, query, response.status_code)
    if EXPORTS[endpoint] == "csv":
        cells = [cell for row in csv.reader(io.StringIO(response.data.decode("utf-8-sig"))) for cell in row]
        assert not any(FORBIDDEN.search(cell) for cell in cells), endpoint
        assert not any(cell.startswith(FORMULA_TRIGGERS) for cell in cells), endpoint
        return cells
    if EXPORTS[endpoint] == "ics":
        lines = response.get_data(as_text=True).replace("\r\n", "\n")
        assert not FORBIDDEN.search(lines), (endpoint, FORBIDDEN.search(lines))
        calendar = icalendar.Calendar.from_ical(response.data)
        return [str(component.get("summary", "")) for component in calendar.walk("VEVENT")]
    return _check_workbook(response.data, endpoint)


def _exports_of(role):
    return [e for e in EXPORTS if EXPECTED[e][1] == PUBLIC or role in EXPECTED[e][1]]


@pytest.fixture()
def richer_world(world, monkeypatch):
    """The matrix's world, its sample data built once, and a ledger entry to reverse."""
    sample_data_once(monkeypatch)
    credits.adjust(world.users.committee, world.people.member, 5, "初始积分")
    db.session.commit()
    return world


def test_every_export_is_checked():
    assert {e for e in EXPECTED if "export" in e} <= set(EXPORTS)


def test_every_form_endpoint_is_reached(app, client, richer_world):
    """Each endpoint a form can post to is crawled in some role, or NOT_REACHED says why not."""
    posting = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}
    reached = set()
    for role in [ANON, *ROLES]:
        if role != ANON:
            login(client, getattr(richer_world.users, role))
        reached |= {endpoint for endpoint, form in crawl(app, client, richer_world, role) if form.method == "post"}
        client.post("/logout")
    assert not reached & set(NOT_REACHED), "reached now: take it out of NOT_REACHED"
    assert posting - reached == set(NOT_REACHED), "a form nobody fills: crawl its page or say why"


@pytest.mark.parametrize("role", [ANON, *ROLES])
def test_random_text_in_every_form(app, client, richer_world, role):
    world = richer_world
    if role != ANON:
        login(client, getattr(world.users, role))
    forms = [(e, f) for e, f in crawl(app, client, world, role) if f.text_fields]
    assert forms or role == "staff"
    serials = iter(range(10_000, 10**7))
    for _endpoint, form in forms:
        _fuzz(client, form, serials)
    if role != ANON:
        # Still logged in: no submission ended the session.
        assert client.get("/").status_code == 200
    crawl(app, client, world, role)  # every page again, now showing what was stored
    _assert_stored_text_clean()
    exported = []
    for endpoint in _exports_of(role):
        exported += _download(app, client, world, endpoint)
        for hostile in (FORMULA, "\u202e\x00学习", "长" * 5000):
            _download(app, client, world, endpoint, {"q": hostile, "tag": hostile})
            _download(app, client, world, endpoint, {"q": hostile, "branch": hostile, "period": hostile,
                                                     "kind": hostile, "view": hostile})
    if role in ("committee", "secretary"):
        # A formula typed into a form reached an export, made inert there.
        assert any(text.startswith("'" + FORMULA) for text in exported)

