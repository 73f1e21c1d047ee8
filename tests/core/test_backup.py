"""`flask backup create/restore` on the backend under test: a restore gives back the same rows."""

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from portal.accounts.models import User
from portal.core import backup as backup_module
from portal.extensions import db
from portal.roster.models import Organisation, OrgKind, Person
from tests import factories
from tests.tools.scratch_db import dispose, is_postgresql, make_app, scratch_database

SUFFIX = ".dump" if is_postgresql() else ".sqlite"


def snapshot():
    """Row counts per table and a few values that must survive a backup and a restore."""
    with db.engine.connect() as conn:
        counts = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar()
            for table in db.metadata.sorted_tables
        }
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    people = {
        person.employee_no: (person.name, person.reveal_id_number(), person.reveal_phone(),
                             person.unit.name, person.political_status, person.created_at)
        for person in db.session.scalars(select(Person))
    }
    users = {
        user.display_name: (user.login_name, user.password_hash, sorted(g.role for g in user.grants))
        for user in db.session.scalars(select(User))
    }
    orgs = sorted((org.name, org.kind, org.path) for org in db.session.scalars(select(Organisation)))
    db.session.remove()
    return {"counts": counts, "revision": revision, "people": people, "users": users, "orgs": orgs}


def create_backup(app, *args):
    """Run `flask backup create ...` on the suite's database; returns the click result."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["backup", "create", *args])


def restore_into(app, backup_file, *args):
    """Run `flask backup restore FILE ...` against another app's database."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["backup", "restore", str(backup_file), *args])


@pytest.fixture()
def target_app():
    """A second portal bound to a new, empty database on the same backend."""
    with scratch_database("restore") as url:
        app = make_app(url)
        try:
            yield app
        finally:
            dispose(app)


def test_backup_then_restore_into_an_empty_database_gives_the_same_rows(app, world, target_app, tmp_path):
    before = snapshot()
    assert before["counts"]["person"] == 6 and before["counts"]["user_account"] == 6
    output = tmp_path / f"portal{SUFFIX}"

    result = create_backup(app, "--output", str(output))

    assert result.exit_code == 0, result.output
    assert "已备份" in result.output and str(output) in result.output
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    result = restore_into(target_app, output)
    assert result.exit_code == 0, result.output
    assert "已从" in result.output
    with target_app.app_context():
        assert snapshot() == before
        # The restored database keeps working: new rows get fresh ids (sequences came along).
        factories.make_org("新建党委", OrgKind.COMMITTEE)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 4
        db.session.remove()


def test_restore_over_data_needs_yes(app, world, target_app, tmp_path):
    output = tmp_path / f"portal{SUFFIX}"
    assert create_backup(app, "--output", str(output)).exit_code == 0
    expected = snapshot()
    with target_app.app_context():
        upgrade()
        factories.make_org("另一个矿党委", OrgKind.COMMITTEE)
        db.session.commit()

    refused = restore_into(target_app, output)

    assert refused.exit_code == 1
    assert "--yes" in refused.output
    with target_app.app_context():
        assert [o.name for o in db.session.scalars(select(Organisation))] == ["另一个矿党委"]
        db.session.remove()
    result = restore_into(target_app, output, "--yes")
    assert result.exit_code == 0, result.output
    with target_app.app_context():
        assert snapshot() == expected


def test_default_name_is_stamped_in_shanghai_time(app, world, now):
    now.set(datetime(2026, 3, 1, 4, 5, 6, tzinfo=UTC))
    expected = Path(app.config["BACKUP_DIR"]) / f"portal-20260301-120506{SUFFIX}"
    expected.unlink(missing_ok=True)
    try:
        first = create_backup(app)
        second = create_backup(app)
        assert first.exit_code == 0, first.output
        assert expected.exists()
        assert second.exit_code == 0, second.output
        assert expected.with_name(f"portal-20260301-120506-1{SUFFIX}").exists()
    finally:
        for path in expected.parent.glob("portal-20260301-120506*"):
            path.unlink()


def test_existing_output_is_never_overwritten(app, world, tmp_path):
    output = tmp_path / f"portal{SUFFIX}"
    output.write_bytes(b"keep me")

    result = create_backup(app, "--output", str(output))

    assert result.exit_code == 1
    assert "已存在" in result.output
    assert output.read_bytes() == b"keep me"


def test_restore_refuses_a_file_that_is_not_a_backup(target_app, tmp_path):
    bogus = tmp_path / f"notes{SUFFIX}"
    bogus.write_text("这不是备份文件", encoding="utf-8")

    result = restore_into(target_app, bogus)

    assert result.exit_code == 1
    assert "不是" in result.output


def test_postgresql_password_goes_to_the_environment_not_the_command_line():
    url = make_url("postgresql+psycopg://portal:s3cret%40pw@db.example:5433/portal?sslmode=require")

    libpq_url, env = backup_module._libpq_connection(url)

    assert libpq_url == "postgresql://portal@db.example:5433/portal?sslmode=require"
    assert env["PGPASSWORD"] == "s3cret@pw"
    assert "s3cret" not in backup_module._describe(url)
    assert os.environ.get("PGPASSWORD") != "s3cret@pw"
