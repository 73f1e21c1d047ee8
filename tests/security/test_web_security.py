import logging
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import create_app
from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.roster.models import Person
from tests.conftest import login
from tests.factories import PASSWORD

# An asset or link that leaves the portal (a CDN, say): the intranet has no internet.
OFF_SITE = re.compile(r"""\b(?:src|href|action)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""", re.IGNORECASE)


def test_security_headers_on_every_response(client, world):
    for response in (client.get("/login"), client.get("/static/css/portal.css"), client.get("/nowhere")):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in response.headers  # only in production


def test_pages_carry_no_inline_script_or_style(client, world):
    login(client, world.users.admin)
    for url in ("/", "/roster/", f"/roster/{world.people.member.id}", "/accounts/", "/audit/", "/roster/orgs",
                "/credits/mine"):
        page = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert " style=" not in page and "<style" not in page, url
        assert not OFF_SITE.search(page), (url, OFF_SITE.search(page))


def test_credit_pages_carry_no_inline_script_or_style(client, world):
    from portal.credits import services

    services.adjust(world.users.committee, world.people.member, 5, "<script>alert(1)</script>")
    db.session.commit()
    login(client, world.users.committee)
    member = world.people.member.id
    for url in ("/", "/credits/mine", "/credits/rankings", "/credits/rankings?view=branch", f"/credits/people/{member}",
                "/credits/payout", "/credits/rules", "/credits/rules/study_read", "/credits/rules/study_read/edit",
                f"/credits/adjust?person_id={member}", "/credits/anomalies"):
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert " style=" not in page and "<style" not in page, url
        assert not OFF_SITE.search(page), (url, OFF_SITE.search(page))


def test_session_cookie_flags(client, world):
    response = login(client, world.users.member)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http in development


def test_production_sets_secure_cookies_and_hsts(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app({
        "CONFIG": "production", "SECRET_KEY": "x" * 40,
        "ID_ENCRYPTION_KEYS": "cHJvZHVjdGlvbi1rZXktdGhpcnR5LXR3by1ieXRlcyE=",
        "ID_INDEX_KEY": "a-production-index-key",
    })
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/login")
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ID_ENCRYPTION_KEYS", "ID_INDEX_KEY"])
def test_production_refuses_development_secrets(monkeypatch, missing):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    good = {
        "SECRET_KEY": "x" * 40,
        "ID_ENCRYPTION_KEYS": "cHJvZHVjdGlvbi1rZXktdGhpcnR5LXR3by1ieXRlcyE=",
        "ID_INDEX_KEY": "a-production-index-key",
    }
    good.pop(missing)
    with pytest.raises(RuntimeError, match=missing):
        create_app({"CONFIG": "production", **good})


def test_csrf_is_enforced_on_posts(csrf_client, world):
    response = csrf_client.post("/login", data={"identifier": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    page = csrf_client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    ok = csrf_client.post("/login", data={"identifier": "admin", "password": PASSWORD, "csrf_token": token})
    assert ok.status_code == 302
    # A logged-in POST without the token is refused too, and changes nothing.
    target = world.users.staff.id
    refused = csrf_client.post(f"/accounts/{target}/disable")
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(type(world.users.staff), target).active is True


def test_errors_are_chinese_pages_with_an_incident_id_and_no_trace(caplog):
    app = create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://", "PROPAGATE_EXCEPTIONS": False})

    def boom():
        raise RuntimeError("secret internal detail")

    boom.access = "public"
    app.add_url_rule("/boom", "boom", boom)
    with caplog.at_level(logging.ERROR, logger="portal.errors"):
        response = app.test_client().get("/boom?q=13812345678")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "系统错误" in page and "secret internal detail" not in page and "Traceback" not in page
    incident = re.search(r'data-testid="incident">([0-9a-f]{12})<', page).group(1)
    assert incident in caplog.text
    assert "13812345678" not in caplog.text  # the query string is never logged


def test_not_found_and_too_large(client, world):
    assert "页面不存在" in client.get("/no/such/page").get_data(as_text=True)
    login(client, world.users.admin)
    big = client.post("/roster/import", data=b"x" * (9 * 1024 * 1024),
                      content_type="application/octet-stream")
    assert big.status_code == 413
    assert "上传文件过大" in big.get_data(as_text=True)


def test_secretary_cannot_see_another_branchs_person(client, world):
    login(client, world.users.secretary)
    other = world.people.other  # in 掘进二队党支部
    assert client.get(f"/roster/{other.id}").status_code == 404
    assert client.get(f"/roster/{other.id}/edit").status_code == 404
    assert "陈五" not in client.get("/roster/?q=陈").get_data(as_text=True)
    assert client.get(f"/roster/{world.people.member.id}").status_code == 200


def test_member_cannot_reveal_or_list(client, world):
    login(client, world.users.member)
    assert client.post(f"/roster/{world.people.member.id}/reveal", data={"what": "id"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "id_revealed")) == 0


@pytest.mark.parametrize("attack", [
    "' OR 1=1 --", "\"; DROP TABLE person; --", "%", "_", "\\", "张' UNION SELECT id_cipher FROM person --",
    "<script>alert(1)</script>", "zs%' --",
])
def test_hostile_search_strings_give_normal_results(client, world, attack):
    login(client, world.users.committee)
    response = client.get("/roster/", query_string={"q": attack})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "没有找到符合条件的人员" in page
    assert db.session.scalar(select(func.count(Person.id))) == 6


def test_audit_log_cannot_be_changed(world):
    from portal.core import audit

    entry = audit.record("login", target=world.users.admin, actor=world.users.admin)
    db.session.commit()
    entry.detail = "tampered"
    with pytest.raises(IntegrityError, match="audit_entry is append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(IntegrityError, match="audit_entry is append-only"):
        db.session.flush()
    db.session.rollback()


def test_the_menu_marks_exactly_the_current_page(client, world):
    login(client, world.users.committee)

    def active(url):
        page = client.get(url).get_data(as_text=True)
        return re.findall(r'class="nav-link active" aria-current="page"\s+href="([^"]+)"', page)

    assert active("/roster/") == ["/roster/"]
    assert active(f"/roster/{world.people.member.id}") == ["/roster/"]
    assert active("/roster/orgs") == ["/roster/orgs"]  # the longest matching entry wins
    assert active("/credits/rankings") == ["/credits/rankings"]
    assert active("/") == ["/"]
    client.post("/logout")
    login(client, world.users.admin)
    assert active(f"/accounts/{world.users.staff.id}") == ["/accounts/"]
