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
from portal.core import cache
from portal.core.cache import DataVersion
from portal.credits import services as credits
from portal.credits.services import Source
from portal.extensions import db
from portal.roster.models import Organisation, OrgKind, Person
from tests import factories
from tests.tools.scratch_db import dispose, is_postgresql, make_app, scratch_database

SUFFIX = ".dump" if is_postgresql() else ".sqlite"
VERSIONS = ("roster", "ledger", "closed_periods")
MOVED_ON = "已将缓存数据版本前移：正在运行的门户进程不会再显示恢复前的页面"


def snapshot():
    """Row counts per table and a few values that must survive a backup and a restore."""
    with db.engine.connect() as conn:
        counts = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar()
            for table in db.metadata.sorted_tables
        }
        # A restore adds the one row it moves on itself (see the tests of a restore while the portal runs).
        counts["data_version"] -= conn.execute(
            select(func.count()).where(DataVersion.name == cache.RESTORE_EPOCH)).scalar()
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


@pytest.fixture()
def worker(target_app):
    """A running portal worker on target_app's database: another process, with its own page cache."""
    app = make_app(target_app.config["SQLALCHEMY_DATABASE_URI"], CACHE_SECONDS=600)
    try:
        yield app
    finally:
        dispose(app)


def roster_part(worker):
    """The worker's cached roster part, keyed like a page's by versions(); with the versions used."""
    with worker.app_context():
        key = cache.versions(*VERSIONS)

        def make():
            return "、".join(sorted(db.session.scalars(select(Person.name))))

        part = cache.cache().get_or_make(("roster-part", *key), make)
        db.session.remove()
        return part, key


def set_counters(app, **values):
    """Give data_version counters (e.g. restore_epoch=3) these values in `app`'s database."""
    with app.app_context():
        for name, version in values.items():
            db.session.merge(DataVersion(name=name, version=version))
        db.session.commit()


def counter(app, name):
    with app.app_context():
        value = db.session.get(DataVersion, name)
        db.session.remove()
        return value and value.version


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


def test_a_restore_while_the_portal_runs_leaves_no_worker_a_part_cached_before_it(
        app, world, target_app, worker, tmp_path):
    output = tmp_path / f"portal{SUFFIX}"
    assert create_backup(app, "--output", str(output)).exit_code == 0
    assert restore_into(target_app, output).exit_code == 0
    member_id = world.people.member.id  # read here: the suite's objects must not load through the worker
    seen = set()  # every key the worker cached a part under before the second restore
    part, key = roster_part(worker)
    seen.add(key)
    with worker.app_context():  # after the backup: someone joins and credits are awarded
        factories.make_person(db.session.get(Person, member_id).unit, "新来的")
        db.session.commit()
        part, key = roster_part(worker)
        seen.add(key)
        for meeting in range(1, 4):
            credits.award(db.session.get(Person, member_id), "session_attend", Source("meeting", meeting))
            db.session.commit()
            part, key = roster_part(worker)
            seen.add(key)
    assert "新来的" in part
    with target_app.app_context():  # the restoring process caches parts too
        assert cache.cache().get_or_make(("before",), lambda: "恢复前") == "恢复前"

    result = restore_into(target_app, output, "--yes")

    assert result.exit_code == 0, result.output
    assert MOVED_ON in result.output
    with target_app.app_context():
        assert cache.cache().get_or_make(("before",), lambda: "恢复后") == "恢复后"
    part, key = roster_part(worker)
    assert "新来的" not in part and key not in seen
    # Writes after the restore bring the counters and the newest ids back to the values seen
    # before it, and past them: no key ever matches a part cached before the restore.
    with worker.app_context():
        for meeting in range(1, 6):
            cache.bump("roster")
            credits.award(db.session.get(Person, member_id), "session_attend", Source("meeting", meeting))
            db.session.commit()
            part, key = roster_part(worker)
            assert key not in seen and "新来的" not in part
            assert all(value > old for old_key in seen for value, old in zip(key, old_key, strict=True))


@pytest.mark.parametrize(("live", "backed_up"), [(3, 0), (2, 9)], ids=["backup-epoch-lower", "backup-epoch-higher"])
def test_every_version_moves_past_the_live_one_even_when_the_backup_is_behind(
        app, world, target_app, tmp_path, live, backed_up):
    output = tmp_path / f"portal{SUFFIX}"
    set_counters(app, restore_epoch=backed_up, roster=5)
    assert create_backup(app, "--output", str(output)).exit_code == 0
    assert restore_into(target_app, output).exit_code == 0
    set_counters(target_app, restore_epoch=live, roster=1000)  # the live roster is far ahead of the backup
    with target_app.app_context():
        before = cache.versions(*VERSIONS)
        db.session.remove()

    result = restore_into(target_app, output, "--yes")

    assert result.exit_code == 0, result.output
    assert MOVED_ON in result.output
    assert counter(target_app, "roster") == 5  # the backup's data, counters included
    assert counter(target_app, cache.RESTORE_EPOCH) == max(live, backed_up) + 1
    with target_app.app_context():
        after = cache.versions(*VERSIONS)
        assert all(new > old for new in after for old in before)


def test_a_backup_without_data_versions_says_the_workers_need_a_restart(target_app, tmp_path):
    output = tmp_path / f"old{SUFFIX}"
    with scratch_database("old") as url:
        old_app = make_app(url)
        try:
            with old_app.app_context():
                upgrade(revision="5e1f0a000006")  # the schema before data versions
            assert create_backup(old_app, "--output", str(output)).exit_code == 0
        finally:
            dispose(old_app)

    result = restore_into(target_app, output)

    assert result.exit_code == 0, result.output
    assert MOVED_ON not in result.output
    assert "无法前移数据版本" in result.output and "重启门户的全部进程" in result.output
