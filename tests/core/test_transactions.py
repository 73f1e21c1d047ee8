"""One transaction per request: committed when the view has answered, rolled back when anything refused."""

import pytest
from flask import abort
from sqlalchemy import select

from portal import create_app
from portal.core import cache
from portal.core.cache import DataVersion
from portal.core.exceptions import ValidationError
from portal.core.forms import FAILED, run_service
from portal.extensions import db


@pytest.fixture()
def tiny():
    """A portal on an in-memory database with a few views that write one counter, then end in different ways."""
    app = create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://", "PROPAGATE_EXCEPTIONS": False})

    def public(name, view):
        view.access = "public"
        app.add_url_rule(f"/{name}", name, view, methods=["GET", "POST"])

    def written():
        cache.bump("demo")
        return "ok"

    def refused():
        cache.bump("demo")

        def service():
            cache.bump("demo")
            raise ValidationError("不行")

        return "refused" if run_service(service) is FAILED else "passed"

    def broken():
        cache.bump("demo")
        raise RuntimeError("boom")

    def missing():
        cache.bump("demo")
        abort(404)

    def commit_fails():
        db.session.add_all([DataVersion(name="twice", version=1), DataVersion(name="twice", version=2)])
        cache.bump("demo")
        return "ok"

    for name, view in (("written", written), ("refused", refused), ("broken", broken), ("missing", missing),
                       ("commit_fails", commit_fails)):
        public(name, view)
    with app.app_context():
        db.create_all()
    return app


def _counter(app):
    with app.app_context():
        return db.session.scalar(select(DataVersion.version).where(DataVersion.name == "demo"))


def test_a_view_that_answers_is_committed_at_the_end(tiny):
    client = tiny.test_client()
    assert client.post("/written").status_code == 200
    assert client.get("/written").status_code == 200
    assert _counter(tiny) == 2


def test_a_refused_service_rolls_the_whole_request_back(tiny):
    response = tiny.test_client().post("/refused")
    assert response.get_data(as_text=True) == "refused"
    assert _counter(tiny) is None  # neither the view's write nor the service's


@pytest.mark.parametrize("path, status, title", [("/broken", 500, "系统错误"), ("/missing", 404, "页面不存在")])
def test_an_error_page_rolls_the_request_back(tiny, path, status, title):
    response = tiny.test_client().post(path)
    assert response.status_code == status and title in response.get_data(as_text=True)
    assert _counter(tiny) is None


def test_a_commit_that_fails_gives_the_chinese_error_page_and_writes_nothing(tiny):
    response = tiny.test_client().post("/commit_fails")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "系统错误" in page and "事件编号" in page
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert _counter(tiny) is None
    with tiny.app_context():
        assert db.session.scalar(select(DataVersion).where(DataVersion.name == "twice")) is None


def test_under_test_an_unexpected_error_surfaces_instead_of_an_error_page():
    app = create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    def broken():
        raise RuntimeError("boom")

    broken.access = "public"
    app.add_url_rule("/broken", "broken", broken)
    with pytest.raises(RuntimeError, match="boom"):
        app.test_client().get("/broken")
