"""The database itself keeps the audit log append-only; the migration that says so goes up and down."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.audit import AuditEntry
from portal.extensions import db
from tests.tools.empty_db import empty_tables
from tests.tools.scratch_db import dispose, is_postgresql, make_app, scratch_database

BEFORE_TRIGGERS = "5e1f0a000007"


@pytest.fixture()
def logged(world):
    """A committed audit row: the admin logged in; returns its id."""
    entry = audit.record("login", target=world.users.admin, actor=world.users.admin, detail="首次登录")
    db.session.commit()
    return entry.id


def rows():
    """(id, action, detail) of every audit row, read afresh with SQL."""
    db.session.rollback()
    return db.session.execute(text("SELECT id, action, detail FROM audit_entry ORDER BY id")).all()


def assert_refused(sql, operation, **params):
    """The statement fails with the database's append-only error; the transaction is rolled back."""
    with pytest.raises(IntegrityError, match=f"audit_entry is append-only: {operation} refused"):
        db.session.execute(text(sql), params)
    db.session.rollback()


def test_an_update_is_refused_and_changes_nothing(logged):
    before = rows()

    assert_refused("UPDATE audit_entry SET detail = 'tampered' WHERE id = :id", "UPDATE", id=logged)
    assert_refused("UPDATE audit_entry SET actor_id = NULL", "UPDATE")

    assert rows() == before
    assert (logged, "login", "首次登录") in before


def test_a_delete_is_refused_and_changes_nothing(logged):
    before = rows()

    assert_refused("DELETE FROM audit_entry WHERE id = :id", "DELETE", id=logged)
    assert_refused("DELETE FROM audit_entry", "DELETE")

    assert rows() == before


@pytest.mark.skipif(not is_postgresql(), reason="SQLite has no TRUNCATE")
def test_truncate_is_refused(logged):
    before = rows()

    assert_refused("TRUNCATE audit_entry", "TRUNCATE")
    assert_refused("TRUNCATE user_account CASCADE", "TRUNCATE")  # the log refers to accounts

    assert rows() == before


def test_an_insert_still_works(logged):
    count = len(rows())

    db.session.execute(text("INSERT INTO audit_entry (at, action, detail) SELECT at, 'logout', '退出'"
                            " FROM audit_entry WHERE id = :id"), {"id": logged})
    audit.record("logout", detail="再次退出")
    db.session.commit()

    assert len(rows()) == count + 2
    logouts = db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "logout")).all()
    assert logouts == ["退出", "再次退出"]


def test_emptying_the_test_database_keeps_the_guard(logged):
    empty_tables(db.engine, db.metadata)

    assert rows() == []
    audit.record("logout", detail="清空之后")
    db.session.commit()
    assert_refused("UPDATE audit_entry SET detail = 'tampered'", "UPDATE")
    assert_refused("DELETE FROM audit_entry", "DELETE")
    assert [detail for _id, _action, detail in rows()] == ["清空之后"]


@pytest.fixture()
def fresh_app():
    """An app bound to a new, empty database (a file or a PostgreSQL database)."""
    with scratch_database("append-only") as url:
        app = make_app(url)
        try:
            with app.app_context():
                yield app
        finally:
            dispose(app)


def _tamper_with_a_new_row():
    """Insert an audit row, then try to change and delete it; returns True if the database let both happen."""
    with db.engine.begin() as conn:
        entry_id = conn.execute(text("INSERT INTO audit_entry (at, action) VALUES (CURRENT_TIMESTAMP, 'logout')"
                                     " RETURNING id")).scalar()
    try:
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_entry SET detail = 'changed' WHERE id = :id"), {"id": entry_id})
            conn.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": entry_id})
    except IntegrityError:
        return False
    return True


def test_the_migration_adds_the_guard_and_its_downgrade_removes_it(fresh_app):
    upgrade(revision=BEFORE_TRIGGERS)
    assert _tamper_with_a_new_row()

    upgrade()
    assert not _tamper_with_a_new_row()

    downgrade(revision=BEFORE_TRIGGERS)
    assert _tamper_with_a_new_row()

    upgrade()
    assert not _tamper_with_a_new_row()
