"""The benchmark databases: SQLite files, or two databases in a throwaway PostgreSQL cluster.

Each database holds the portal's demo mine (built with `flask db upgrade` and `flask demo load`,
exactly as an operator would) and, separately, the ceiling app's tables.
"""

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.bench import ceiling_app

REPO = Path(__file__).resolve().parents[2]
PG_CLUSTER = REPO / "tests" / "pg_cluster.sh"
DEMO_SEED = 20260  # fixed, so every run benchmarks the same mine
ACTIVITY_DAYS = 365  # a year of credit activity: about a million ledger entries for 5,000 people
# The throwaway cluster trades durability for speed (fine for tests); a benchmark should
# pay what production pays for a commit, so these go back to PostgreSQL's defaults.
PG_PRODUCTION_SETTINGS = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


class BenchSetupError(RuntimeError):
    """A benchmark database could not be built."""


def flask_env(url, tmp):
    """Environment for `flask --app wsgi` and gunicorn: development config over plain http."""
    env = {k: v for k, v in os.environ.items() if k not in ("FLASK_DEBUG", "FLASK_ENV", "TEST_DATABASE_URL")}
    env.update(
        PORTAL_ENV="development",
        DATABASE_URL=url,
        SECRET_KEY="bench-" + "s" * 40,
        UPLOAD_DIR=str(Path(tmp) / "uploads"),
        BACKUP_DIR=str(Path(tmp) / "backups"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _flask(args, env, log):
    """Run one `flask --app wsgi ...` command from the repository root; raise with its output on failure."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    log.write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        raise BenchSetupError(f"`flask {' '.join(args)}` failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout


def build_portal(url, tmp, people):
    """Migrate an empty database and load the demo mine with a year of credits; returns the printed summary."""
    env = flask_env(url, tmp)
    _flask(["db", "upgrade"], env, Path(tmp) / "db-upgrade.log")
    return _flask(["demo", "load", "--people", str(people), "--seed", str(DEMO_SEED),
                   "--activity-days", str(ACTIVITY_DAYS)], env, Path(tmp) / "demo-load.log")


def build_ceiling(url):
    """Create and fill the ceiling app's tables."""
    ceiling_app.build_database(url)


def analyze(url):
    """PostgreSQL: VACUUM ANALYZE, the steady state autovacuum keeps a production database in."""
    if make_url(url).get_backend_name() != "postgresql":
        return  # the portal never runs ANALYZE on SQLite, so neither does the benchmark
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def sqlite_urls(tmp):
    """(portal URL, ceiling URL) of two new SQLite files under `tmp`."""
    directory = Path(tmp) / "sqlite"
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / 'portal.sqlite'}", f"sqlite:///{directory / 'ceiling.sqlite'}"


def postgres_available():
    """Why PostgreSQL cannot be used here, or None if it can."""
    if not PG_CLUSTER.exists():
        return f"{PG_CLUSTER} not found"
    done = subprocess.run(["bash", str(PG_CLUSTER), "bindir"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found"
    return None


@contextlib.contextmanager
def postgres_cluster():
    """Start a throwaway cluster with tests/pg_cluster.sh; yield (portal URL, ceiling URL, postmaster pid); stop it."""
    done = subprocess.run(["bash", str(PG_CLUSTER), "start"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchSetupError(f"could not start PostgreSQL:\n{done.stderr[-2000:]}")
    server_url, directory = done.stdout.strip().rsplit(" ", 1)
    try:
        server = make_url(server_url)
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                for name, value in PG_PRODUCTION_SETTINGS.items():
                    conn.execute(text(f"ALTER SYSTEM SET {name} = '{value}'"))
                conn.execute(text("SELECT pg_reload_conf()"))
                conn.execute(text('CREATE DATABASE "bench_portal"'))
                conn.execute(text('CREATE DATABASE "bench_ceiling"'))
        finally:
            admin.dispose()
        yield (
            server.set(database="bench_portal").render_as_string(hide_password=False),
            server.set(database="bench_ceiling").render_as_string(hide_password=False),
            _postmaster_pid(directory),
        )
    finally:
        subprocess.run(["bash", str(PG_CLUSTER), "stop", directory], capture_output=True, check=False)


def _postmaster_pid(directory):
    """The cluster's server process (its backends are the benchmark's too), or None."""
    try:
        return int((Path(directory) / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def postgres_settings(url):
    """The durability settings in force, for the report."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {name: conn.scalar(text(f"SHOW {name}")) for name in PG_PRODUCTION_SETTINGS}
    finally:
        engine.dispose()
