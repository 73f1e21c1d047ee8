"""`flask backup ...`: consistent backups and restores of the portal's database.

SQLite is copied with sqlite3's online backup API, so a backup taken while the portal runs is
a consistent snapshot; PostgreSQL uses pg_dump's custom format and pg_restore.

A restore may run while the portal does: right after loading the data it moves the restore epoch
on (portal.core.cache), so no worker serves a page part it cached before the restore.
"""

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, inspect, select, table
from sqlalchemy.engine import URL, make_url

from portal.core import cache
from portal.core.clock import localnow
from portal.extensions import db

SUFFIXES = {"sqlite": ".sqlite", "postgresql": ".dump"}
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


@click.group("backup", help="数据库备份与恢复")
def backup_cli():
    """Backup commands."""


@backup_cli.command("create")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="备份文件路径（默认写入 BACKUP_DIR）")
@with_appcontext
def create_command(output):
    """Write a consistent backup of the configured database."""
    url = _database_url()
    backend = _backend(url)
    if output is None:
        output = default_backup_path(backend)
    elif output.exists():
        raise click.ClickException(f"文件已存在，不会覆盖：{output}")
    output.parent.mkdir(parents=True, exist_ok=True)
    _create_private_file(output)
    try:
        if backend == "sqlite":
            backup_sqlite(_sqlite_path(url), output)
        else:
            dump_postgresql(url, output)
    except Exception:
        output.unlink(missing_ok=True)
        raise
    click.echo(f"已备份 {_describe(url)} 到 {output}（{_human_size(output.stat().st_size)}）")


@backup_cli.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="确认覆盖已有数据的数据库")
@with_appcontext
def restore_command(backup_file, yes):
    """Replace the configured database with the contents of a backup file."""
    url = _database_url()
    backend = _backend(url)
    _check_backup_kind(backup_file, backend)
    if not yes and not database_is_empty():
        raise click.ClickException(
            f"{_describe(url)} 中已有数据。恢复将覆盖全部现有数据；确认无误后请加上 --yes 重新执行。"
        )
    db.session.remove()
    with db.engine.connect() as conn:
        epoch_before = cache.restore_epoch(conn)
    db.engine.dispose()  # our own pooled connections must not hold the database during the restore
    if backend == "sqlite":
        restore_sqlite(backup_file, _sqlite_path(url))
    else:
        restore_postgresql(backup_file, url)
    db.engine.dispose()
    with db.engine.begin() as conn:
        epoch = cache.advance_epoch(conn, epoch_before)
    cache.cache().clear()
    click.echo(f"已从 {backup_file} 恢复 {_describe(url)}。")
    if epoch is None:
        click.echo("备份中没有缓存数据版本表，无法前移数据版本：运行 db upgrade 后请重启门户的全部进程，"
                   "以免显示恢复前的页面。")
    else:
        click.echo("已将缓存数据版本前移：正在运行的门户进程不会再显示恢复前的页面。")
    click.echo("如果备份来自较早的版本，请接着运行：flask --app wsgi db upgrade")


def default_backup_path(backend):
    """BACKUP_DIR/portal-YYYYmmdd-HHMMSS.(sqlite|dump), stamped in Asia/Shanghai time."""
    directory = Path(current_app.config["BACKUP_DIR"])
    stem = f"portal-{localnow():%Y%m%d-%H%M%S}"
    path = directory / f"{stem}{SUFFIXES[backend]}"
    counter = 1
    while path.exists():  # two backups within one second
        path = directory / f"{stem}-{counter}{SUFFIXES[backend]}"
        counter += 1
    return path


def database_is_empty():
    """True when no table of the bound database holds a row (the Alembic version aside)."""
    engine = db.engine
    with engine.connect() as conn:
        inspector = inspect(conn)
        for table_name in inspector.get_table_names():
            if table_name == "alembic_version":
                continue
            if conn.execute(select(func.count()).select_from(table(table_name))).scalar():
                return False
    return True


def backup_sqlite(source_path, output):
    """Copy a live SQLite database into `output` with the online backup API."""
    if not source_path.exists():
        raise click.ClickException(f"数据库文件不存在：{source_path}")
    source = sqlite3.connect(source_path, timeout=30)
    target = sqlite3.connect(output)
    try:
        with target:
            source.backup(target)
        # A backup is one self-contained file: no -wal/-shm companions.
        target.execute("PRAGMA journal_mode=DELETE")
        _sqlite_quick_check(target, output)
    finally:
        target.close()
        source.close()


def restore_sqlite(backup_file, target_path):
    """Overwrite the SQLite database at `target_path` with a backup, page by page."""
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"{backup_file.resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(target_path, timeout=30)
    try:
        _sqlite_quick_check(source, backup_file)
        with target:
            source.backup(target)
        _sqlite_quick_check(target, target_path)
    finally:
        target.close()
        source.close()


def dump_postgresql(url, output):
    """pg_dump the database in custom format into `output`."""
    libpq_url, env = _libpq_connection(url)
    _run_pg_tool(
        "pg_dump", ["--format=custom", f"--file={output}", f"--dbname={libpq_url}"], env, url
    )


def restore_postgresql(backup_file, url):
    """pg_restore a custom-format dump over the database, in one transaction."""
    libpq_url, env = _libpq_connection(url)
    _run_pg_tool(
        "pg_restore",
        ["--clean", "--if-exists", "--no-owner", "--no-acl", "--single-transaction",
         f"--dbname={libpq_url}", str(backup_file)],
        env, url,
    )


def _database_url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _backend(url):
    backend = url.get_backend_name()
    if backend not in SUFFIXES:
        raise click.ClickException(f"不支持备份这种数据库：{backend}")
    return backend


def _sqlite_path(url):
    if not url.database or url.database == ":memory:" or url.query.get("mode") == "memory":
        raise click.ClickException("内存数据库无法备份或恢复，请配置数据库文件（DATABASE_URL）")
    return Path(url.database).resolve()


def _describe(url):
    """The database as it may be shown: never with a password."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite 数据库 {url.database}"
    return f"PostgreSQL 数据库 {url.database}（{url.host or '本机'}）"


def _libpq_connection(url):
    """SQLAlchemy's postgresql+psycopg:// URL as a libpq URL; the password goes in PGPASSWORD."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    # URL.set() ignores password=None, so build the URL afresh without one.
    bare = URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port, database=url.database, query=url.query
    )
    libpq_url = bare.render_as_string(hide_password=False)
    return libpq_url, env


def _pg_tool(name):
    """The pg_dump / pg_restore binary: PATH first, then Debian's versioned directories."""
    found = shutil.which(name)
    if found:
        return found
    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    raise click.ClickException(f"找不到 {name}，请安装 PostgreSQL 客户端（postgresql-client-15）")


def _run_pg_tool(name, args, env, url):
    result = subprocess.run([_pg_tool(name), *args], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        message = result.stderr.strip() or result.stdout.strip()
        if url.password:
            message = message.replace(url.password, "******")
        raise click.ClickException(f"{name} 执行失败：\n{message}")


def _check_backup_kind(backup_file, backend):
    with backup_file.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    expected = SQLITE_MAGIC if backend == "sqlite" else PGDUMP_MAGIC
    if not head.startswith(expected):
        kind = "SQLite 备份（.sqlite）" if backend == "sqlite" else "pg_dump 自定义格式备份（.dump）"
        raise click.ClickException(f"{backup_file} 不是{kind}，与当前数据库类型不符")


def _sqlite_quick_check(conn, path):
    result = conn.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise click.ClickException(f"SQLite 文件校验失败（{path}）：{result}")


def _create_private_file(path):
    """Create the file readable by its owner only: backups hold password hashes."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.ClickException(f"文件已存在，不会覆盖：{path}") from None
    os.close(fd)


def _human_size(size):
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
