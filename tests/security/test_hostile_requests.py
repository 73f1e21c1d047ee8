"""Hostile requests: a `next` that leaves the site, error pages that must not fail, over-long requests."""

import logging
import re

import pytest
from sqlalchemy.exc import OperationalError

from portal import create_app
from portal.core.security import safe_next
from portal.extensions import db
from tests.factories import PASSWORD

ESCAPES = [
    "/%09/evil.example", "/%0a/evil.example", "/%0d/evil.example", "/%0d%0aX:1", "//evil.example",
    "/%5Cevil.example", "/%5C%5Cevil.example", "%2F%2Fevil.example", "https://evil.example/",
    "http:/evil.example", "javascript:alert(1)", "%20//evil.example", "/%00/evil.example",
    "\\\\evil.example", "///evil.example",
]


@pytest.mark.parametrize("next_value", ESCAPES)
def test_log_in_never_sends_the_browser_off_site(client, world, next_value):
    response = client.post(f"/login?next={next_value}", data={"identifier": "admin", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_log_in_returns_to_a_page_of_the_portal(client, world):
    response = client.post("/login?next=/roster/%3Fq%3D%E5%BC%A0", data={"identifier": "admin", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].startswith("/roster/?q=")


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\r\nX:1", "/\\evil.example", " /x", "/x\x7f"])
def test_safe_next_refuses_what_a_browser_would_rewrite(target):
    assert safe_next(target) is None


def test_safe_next_keeps_a_prefix():
    assert safe_next("/study/today", prefix="/study/") == "/study/today"
    assert safe_next("/roster/", prefix="/study/") is None


@pytest.mark.parametrize("next_value", ["//evil.example", "/study/\r\nX:1", "/study/\t/evil.example", "/roster/"])
def test_the_daily_answer_goes_back_only_to_a_study_page(client, world, login_as, next_value):
    login_as(world.users.member)
    response = client.post("/study/daily/answer", data={"question_id": "0", "answer": "A", "next": next_value})
    assert response.status_code == 302
    assert response.headers["Location"] == "/study/daily/#daily-question"


@pytest.fixture()
def bare_app():
    """A portal that answers errors as in production (nothing propagated)."""
    return create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://", "PROPAGATE_EXCEPTIONS": False})


def _no_english(page):
    assert "Internal Server Error" not in page and "Traceback" not in page and "csrf" not in page.lower()


def test_a_commit_that_fails_under_a_lock_gets_the_chinese_incident_page(bare_app, monkeypatch, caplog):
    def write():
        db.session.execute(db.text("select 1"))
        return "ok"

    write.access = "public"
    bare_app.add_url_rule("/write", "write", write)

    def locked():
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    with bare_app.app_context():
        monkeypatch.setattr(db.session, "commit", locked)
        with caplog.at_level(logging.ERROR, logger="portal.errors"):
            response = bare_app.test_client().get("/write")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "系统错误" in page
    incident = re.search(r'data-testid="incident">([0-9a-f]{12})<', page).group(1)
    assert incident in caplog.text
    _no_english(page)
    assert response.headers["X-Frame-Options"] == "DENY"


def test_an_error_page_that_cannot_be_drawn_falls_back_to_fixed_chinese_text(bare_app, monkeypatch):
    def boom():
        raise RuntimeError("inner detail")

    boom.access = "public"
    bare_app.add_url_rule("/boom", "boom", boom)

    def broken(_name):
        raise KeyError("csrf_token")

    monkeypatch.setattr(bare_app.jinja_env, "get_template", broken)
    response = bare_app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "系统错误" in page and "事件编号" in page and "inner detail" not in page
    _no_english(page)


def test_an_over_long_address_gets_the_portals_414_page(client, world):
    response = client.get("/roster/?q=" + "张" * 2000)
    page = response.get_data(as_text=True)
    assert response.status_code == 414 and "网址过长" in page
    assert response.headers["Content-Security-Policy"]
    _no_english(page)


def test_oversized_headers_get_the_portals_431_page(client, world):
    for n in range(6):  # six cookies near a browser's size limit each
        client.set_cookie(f"c{n}", "x" * 3000)
    response = client.get("/login")
    assert response.status_code == 431 and "请求头过大" in response.get_data(as_text=True)
