"""CSRF on every POST endpoint, hostile search strings in every search box, filename XSS."""

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from portal.core.audit import AuditEntry
from portal.extensions import db
from tests.conftest import login
from tests.security.test_access_matrix import EXPECTED, _url

POST_ENDPOINTS = sorted(e for e, (method, _) in EXPECTED.items() if method == "POST")
# A user who may use each POST endpoint, so that only the missing token can stop the request.
USER_FOR = {"accounts": "admin", "credits": "committee", "roster": "committee"}


def _writes():
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_every_post_without_a_csrf_token_is_refused_and_writes_nothing(app, csrf_client, world, endpoint):
    role = USER_FOR.get(endpoint.split(".")[0], "admin")
    app.config["WTF_CSRF_ENABLED"] = False
    login(csrf_client, getattr(world.users, role))
    app.config["WTF_CSRF_ENABLED"] = True
    before = _writes()
    response = csrf_client.post(_url(app, endpoint, world), data={"what": "id", "reason": "x"})
    assert response.status_code == 400, endpoint
    assert "页面已过期" in response.get_data(as_text=True)
    assert _writes() == before


HOSTILE = ["' OR 1=1 --", "\"; DROP TABLE user_account; --", "%", "_", "\\", "<script>alert(1)</script>"]


@pytest.mark.parametrize("attack", HOSTILE)
@pytest.mark.parametrize(("url", "param"), [("/accounts/", "q"), ("/audit/", "actor"), ("/audit/", "action")])
def test_hostile_strings_in_admin_search_boxes(client, world, url, param, attack):
    login(client, world.users.admin)
    response = client.get(url, query_string={param: attack})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_uploaded_filename_is_cleaned_and_escaped_in_the_report(client, world):
    login(client, world.users.committee)
    book = Workbook()
    book.active.append(["姓名", "性别", "身份证号", "手机号", "单位", "政治面貌"])
    book.active.append(["某人", "男", "123", "13800000000", "综采一队", "群众"])
    stream = io.BytesIO()
    book.save(stream)
    stream.seek(0)
    name = '<img src=x onerror=alert(1)>.xlsx'
    page = client.post("/roster/import", data={"file": (stream, name)},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "身份证号" in page  # the row error report rendered
    # The text rule replaces the characters a file name may not hold; the page escapes the rest.
    assert "<img src=x onerror" not in page and "_img src=x onerror=alert(1)_.xlsx" in page
