"""Template helpers: url_pattern() builds exactly the URLs url_for() builds."""

import re

import pytest
from flask import url_for
from itsdangerous import TimestampSigner

from portal.core.templating import url_pattern
from tests.factories import PASSWORD


@pytest.mark.parametrize(("endpoint", "name", "values"), [
    ("credits.person_ledger", "person_id", {"period": "month:2026-11-01"}),
    ("credits.person_ledger", "person_id", {}),
    ("credits.rankings", "page", {"period": "quarter:2026-10-01", "view": "person", "branch": None}),
    ("credits.rankings", "page", {"period": "month:2026-11-01", "view": "person", "branch": 7}),
    ("roster.person_list", "page", {"q": "张 三&x=1", "branch": "", "status": "", "political": ""}),
])
def test_url_pattern_gives_what_url_for_gives(app, endpoint, name, values):
    with app.test_request_context("/", base_url="http://example.org/portal"):
        pattern = url_pattern(endpoint, name, **values)
        for number in (1, 2, 10, 134, 98765):
            assert pattern(number) == url_for(endpoint, **{name: number}, **values)


def test_url_pattern_falls_back_to_url_for_when_the_number_cannot_be_found(app, monkeypatch):
    from portal.core import templating

    # A sentinel that also appears in another value: splitting there would be wrong.
    monkeypatch.setattr(templating, "_URL_SENTINEL", 42)
    with app.test_request_context("/"):
        pattern = url_pattern("roster.person_list", "page", q="42")
        assert pattern(3) == url_for("roster.person_list", page=3, q="42")


def _logout_token(page):
    found = re.search(r'action="/logout"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page)
    assert found, "no log-out form"
    return found.group(1)


def _log_in(browser, user):
    form = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    done = browser.post("/login", data={"identifier": user.person.employee_no, "password": PASSWORD,
                                        "csrf_token": token})
    assert done.status_code == 302


def test_the_log_out_token_is_signed_once_per_session_and_works(app, csrf_client, world, monkeypatch):
    # Every fresh signature gets a new timestamp, so a token signed twice never matches by chance.
    ticks = iter(range(1_800_000_000, 1_900_000_000))
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: next(ticks))
    _log_in(csrf_client, world.users.member)
    first = _logout_token(csrf_client.get("/").get_data(as_text=True))
    assert _logout_token(csrf_client.get("/credits/mine").get_data(as_text=True)) == first
    other = app.test_client()
    _log_in(other, world.users.member)
    assert _logout_token(other.get("/").get_data(as_text=True)) != first  # another session, another token
    assert csrf_client.post("/logout", data={"csrf_token": first}).status_code == 302
    assert csrf_client.get("/").status_code == 302  # logged out: back to the log-in page
