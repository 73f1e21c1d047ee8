"""`make bench`: the portal against the framework ceilings, on SQLite and PostgreSQL.

    python -m tests.bench.run [--quick] [--db sqlite,postgres] [--only roster_list,...]
                              [--runs N] [--seconds S] [--people N] [--out bench-results.json]

For each database: build it with `flask db upgrade` + `flask demo load` (mine scale), build the
ceiling app's tables, serve the portal and the ceiling app with the same gunicorn command
(2 sync workers on 127.0.0.1), log in with wrk/login.lua where a scenario needs it, then run
every wrk scenario and ceiling in rounds (each ceiling right before the scenarios divided by
it, so noise from other work on the machine hits both), take medians, and divide by the
ceiling measured in the same run. In-process scenarios (roster_import) run after the servers are stopped. Everything
temporary lives in one temporary directory; the PostgreSQL cluster is stopped and deleted
whatever happens.
"""

import argparse
import contextlib
import os
import platform
import secrets
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.bench import databases, noise, registry, report, servers

REPO = databases.REPO
FULL = {"runs": 3, "seconds": 15, "max_wait": 20, "wait_budget": 240}
QUICK = {"runs": 1, "seconds": 3, "max_wait": 2, "wait_budget": 8}
QUIET_PCT = 20  # others' CPU share (of the whole machine) under which a run may start
WARM_UP_SECONDS = 1
PAUSE_SECONDS = 0.5


@dataclass
class RunInfo:
    """What a count_after hook gets about one run."""

    tag: str
    acked: list
    figures: dict


@dataclass
class BenchDatabase:
    """One benchmark database (portal + ceiling) and a portal app bound to it for the hooks."""

    name: str
    portal_url: str
    ceiling_url: str
    tmp: Path
    server_pid: int | None = None  # PostgreSQL's postmaster: its CPU use is the benchmark's
    notes: dict = field(default_factory=dict)
    _app: object = None

    @property
    def app(self):
        """The portal, configured like the gunicorn one, for hooks run in this process."""
        if self._app is None:
            from portal import create_app

            self._app = create_app({
                "SQLALCHEMY_DATABASE_URI": self.portal_url,
                "UPLOAD_DIR": str(self.tmp / "uploads"), "BACKUP_DIR": str(self.tmp / "backups"),
            })
        return self._app

    def call(self, hook, *args):
        """Run a hook inside an app context; the session is removed afterwards."""
        from portal.extensions import db

        with self.app.app_context():
            try:
                return hook(self, *args)
            finally:
                db.session.remove()

    def close(self):
        """Close the hooks' pooled connections (before the database goes away)."""
        if self._app is not None:
            from portal.extensions import db

            with self._app.app_context():
                db.session.remove()
                db.engine.dispose()


def log(message):
    """Progress on stderr, so stdout carries only the table."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def loud(message):
    """A warning nobody can miss."""
    bar = "#" * 78
    print(f"\n{bar}\n#\n#   {message}\n#\n{bar}\n", file=sys.stderr, flush=True)


def parse_args(argv):
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 run × 3 s per scenario (a quick check)")
    parser.add_argument("--db", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--only", default="", help="comma-separated scenario names (ceilings always run)")
    parser.add_argument("--runs", type=int, help="runs per scenario (median reported)")
    parser.add_argument("--seconds", type=int, help="seconds per wrk run")
    parser.add_argument("--people", type=int, default=5000, help="people in the demo mine")
    parser.add_argument("--out", default=str(REPO / "bench-results.json"), help="where to write the JSON")
    parser.add_argument("--no-wait", action="store_true", help="start runs without waiting for a quiet machine")
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL
    args.runs = args.runs or mode["runs"]
    args.seconds = args.seconds or mode["seconds"]
    args.max_wait, args.wait_budget = (0, 0) if args.no_wait else (mode["max_wait"], mode["wait_budget"])
    args.db = [name.strip() for name in args.db.split(",") if name.strip()]
    unknown = set(args.db) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    return args


@contextlib.contextmanager
def database_urls(name, tmp):
    """(portal URL, ceiling URL, server pid or None) for `name`; a PostgreSQL cluster lives only inside the block."""
    if name == "sqlite":
        yield (*databases.sqlite_urls(tmp), None)
    else:
        with databases.postgres_cluster() as urls:
            yield urls


def bench_database(name, scenarios, args, tmp):
    """Build one database, measure every scenario on it, and return the table rows."""
    tmp = Path(tmp) / name
    tmp.mkdir(parents=True)
    with database_urls(name, tmp) as (portal_url, ceiling_url, server_pid):
        log(f"{name}: building the demo mine ({args.people} people) and the ceiling tables")
        started = time.monotonic()
        summary = databases.build_portal(portal_url, tmp, args.people)
        databases.build_ceiling(ceiling_url)
        databases.analyze(portal_url)
        databases.analyze(ceiling_url)
        bench = BenchDatabase(name, portal_url, ceiling_url, tmp, server_pid=server_pid)
        bench.notes["demo"] = summary.strip().splitlines()[:4]
        bench.notes["build_seconds"] = round(time.monotonic() - started, 1)
        if name == "postgres":
            bench.notes["settings"] = databases.postgres_settings(portal_url)
        try:
            rows = _wrk_scenarios(bench, [s for s in scenarios if not s.measure], args)
            rows += _measured_scenarios(bench, [s for s in scenarios if s.measure], args)
        finally:
            bench.close()
    return rows, bench.notes


def _servers(bench):
    env = databases.flask_env(bench.portal_url, bench.tmp)
    portal = servers.Gunicorn("portal", "wsgi:app", env, REPO, bench.tmp, "/login")
    ceiling_env = dict(env, CEILING_DATABASE_URL=bench.ceiling_url)
    ceiling = servers.Gunicorn("ceiling", "tests.bench.ceiling_app:create_app()", ceiling_env, REPO, bench.tmp,
                               "/ceiling")
    return {registry.PORTAL: portal, registry.CEILING: ceiling}


@dataclass
class Prepared:
    """A wrk scenario ready to run: its server, wrk arguments and note, or why it cannot run."""

    scenario: registry.Scenario
    server: servers.Gunicorn
    values: dict = field(default_factory=dict)
    session_file: Path | None = None
    note: str = ""
    error: str | None = None
    runs: list = field(default_factory=list)
    counts: list = field(default_factory=list)


def _prepare(bench, scenario, server, sessions):
    prepared = Prepared(scenario, server)
    try:
        if scenario.setup:
            prepared.values = bench.call(scenario.setup) or {}
            prepared.note = prepared.values.get("note", "")
        if scenario.login:
            key = (scenario.login, scenario.csrf_from)
            if key not in sessions:
                identifier, password, who = bench.call(_demo_login, scenario.login)
                path = bench.tmp / f"session-{scenario.login}-{len(sessions)}.txt"
                servers.login(server.base_url, identifier, password, path, scenario.csrf_from)
                sessions[key] = path
                bench.notes.setdefault("logins", []).append(who)
            prepared.session_file = sessions[key]
    except Exception as error:  # noqa: BLE001 - one broken scenario must not stop the others
        prepared.error = f"{type(error).__name__}: {error}"
        log(f"{bench.name}: {scenario.name} cannot run: {prepared.error}")
    return prepared


def _demo_login(bench, role):
    from tests.bench import portal_hooks

    return portal_hooks.demo_login(bench, role)


def _wrk_args(bench, prepared, tag, ack_file):
    scenario = prepared.scenario
    values = dict(prepared.values)
    if scenario.before_run:
        values.update(bench.call(scenario.before_run) or {})
    values = {k: v for k, v in values.items() if k != "note"}
    fill = _Filler(values)
    args = [f"path={scenario.path.format_map(fill)}", f"method={scenario.method}", f"expect={scenario.expect}",
            f"tag={tag}"]
    if scenario.body:
        args.append(f"body={scenario.body.format_map(fill)}")
    if prepared.session_file:
        args.append(f"session_file={prepared.session_file}")
    if ack_file:
        args.append(f"ack_file={ack_file}")
    return args


class _Filler(dict):
    """format_map values that leave {token} and {csrf} for the Lua script."""

    def __missing__(self, key):
        if key in ("token", "csrf"):
            return "{" + key + "}"
        raise KeyError(f"placeholder {{{key}}} has no value (is the setup hook returning it?)")


def _meter(bench, apps):
    groups = [server.process.pid for server in apps if server.process is not None]
    return noise.CpuMeter(groups, [bench.server_pid] if bench.server_pid else [])


def _run_one(bench, prepared, seconds, tag, meter):
    scenario = prepared.scenario
    ack_file = bench.tmp / f"acks-{scenario.name}-{tag}.txt" if scenario.count_after else None
    args = _wrk_args(bench, prepared, tag, ack_file)
    script = Path(scenario.script) if scenario.script else None
    meter.start()
    figures = servers.run_wrk(prepared.server.base_url, seconds, args, script=script)
    figures["others_cpu_pct"] = meter.stop()
    if ack_file is None:
        return figures, None
    acked = ack_file.read_text(encoding="utf-8").split() if ack_file.exists() else []
    counts = bench.call(scenario.count_after, RunInfo(tag, acked, figures))
    return figures, counts


def _wrk_scenarios(bench, scenarios, args):
    if not scenarios:
        return []
    apps = _servers(bench)
    with contextlib.ExitStack() as stack:
        for server in apps.values():
            stack.enter_context(server)
        sessions = {}
        meter = _meter(bench, apps.values())
        gate = noise.QuietGate(meter, QUIET_PCT, args.max_wait, args.wait_budget, window=0.5)
        prepared = [_prepare(bench, s, apps[s.app], sessions) for s in scenarios]
        ready = _round_order([p for p in prepared if p.error is None])
        for item in ready:
            if item.scenario.warm_up:
                _guarded(bench, item, lambda item=item: _run_one(bench, item, WARM_UP_SECONDS, "warm", meter))
        for run_no in range(1, args.runs + 1):
            for item in ready:
                if item.error:
                    continue
                tag = f"r{run_no}{secrets.token_hex(3)}"
                waited = gate.wait()
                seconds = item.scenario.run_seconds or args.seconds
                length = f"until done, at most {seconds} s" if item.scenario.run_seconds else f"{seconds} s"
                log(f"{bench.name}: {item.scenario.name} run {run_no}/{args.runs} ({length}"
                    + (f", after waiting {waited:.0f} s for a quieter machine)" if waited else ")"))
                outcome = _guarded(
                    bench, item, lambda item=item, tag=tag, seconds=seconds: _run_one(bench, item, seconds, tag, meter))
                if outcome:
                    figures, counts = outcome
                    figures["waited_s"] = waited
                    item.runs.append(figures)
                    if counts is not None:
                        item.counts.append(counts)
                if not args.max_wait:
                    time.sleep(PAUSE_SECONDS)  # otherwise the gate's sampling is the pause
        bench.notes["waited_for_quiet_s"] = gate.waited
        for name, server in apps.items():
            tail = server.log_tail(5)
            if "Traceback" in server.error_log.read_text(encoding="utf-8", errors="replace"):
                bench.notes.setdefault("server_errors", {})[name] = tail
    rows = []
    for item in prepared:
        if item.error or not item.runs:
            rows.append(report.failed_result(item.scenario, bench.name, item.error or "no run completed"))
        else:
            rows.append(report.wrk_result(item.scenario, bench.name, item.runs, item.counts, item.note))
    return rows


def _round_order(items):
    """Each ceiling right before the scenarios divided by it, so the two see the same machine."""
    ordered = []
    for ceiling in (i for i in items if i.scenario.is_ceiling):
        ordered.append(ceiling)
        ordered += [i for i in items if not i.scenario.is_ceiling and i.scenario.ceiling == ceiling.scenario.name]
    return ordered + [i for i in items if i not in ordered]


def _guarded(bench, item, action):
    try:
        return action()
    except Exception as error:  # noqa: BLE001 - record, and go on with the other scenarios
        item.error = f"{type(error).__name__}: {error}"
        log(f"{bench.name}: {item.scenario.name} failed: {item.error}")
        return None


def _measured_scenarios(bench, scenarios, args):
    rows = []
    for scenario in scenarios:
        log(f"{bench.name}: {scenario.name} ({args.runs} run(s), in-process)")
        meter = noise.CpuMeter(parents=[bench.server_pid] if bench.server_pid else [])
        try:
            meter.start()
            runs = bench.call(scenario.measure, args.runs)
            others = meter.stop()
            for run in runs:
                run.setdefault("others_cpu_pct", others)
        except Exception as error:  # noqa: BLE001 - record, and go on
            status = report.SKIPPED if type(error).__name__ == "ImportNotReady" else report.FAILED
            message = f"{type(error).__name__}: {error}"
            log(f"{bench.name}: {scenario.name} {status}: {message}")
            rows.append(report.failed_result(scenario, bench.name, message, status))
            continue
        rows.append(report.measured_result(scenario, bench.name, runs))
    return rows


def _meta(args, started, notes):
    return {
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": round((datetime.now(UTC) - started).total_seconds(), 1),
        "quick": args.quick, "runs": args.runs, "seconds_per_run": args.seconds, "people": args.people,
        "quiet_gate": {"others_cpu_below_pct": QUIET_PCT, "max_wait_s": args.max_wait,
                       "budget_per_database_s": args.wait_budget},
        "noise": "median over runs of the CPU share (whole machine) used by processes outside the benchmark",
        "wrk": {"threads": servers.THREADS, "connections": servers.CONNECTIONS, "timeout": servers.WRK_TIMEOUT},
        "gunicorn": " ".join(["gunicorn", *servers.gunicorn_command("APP", "PORT", "LOG")[3:]]),
        "cpus": os.cpu_count(), "load_average_at_start": notes.pop("load_average", None),
        "python": platform.python_version(), "databases": notes,
        "ratio": "rps / rps of ceiling_read (read) or ceiling_write (write), same database, same run",
        "storm": "quiz_submit_storm: rps = storm requests (2 autosaves + 1 submit per member, no replays) per "
                 "second of storm; p50/p99 = the submits'. vote_storm: rps = casts (one per voter, every category "
                 "in one request, no replays) per second of storm; p50/p99 = the casts'; a run lasts one storm",
        "errors": "socket errors + timeouts + responses whose status is not the expected one",
    }


def main(argv=None):
    """Run the benchmark; exit 1 if a scenario could not be measured."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the clean-up below runs
    if servers.wrk_binary() is None:
        print("wrk not found: apt-get install wrk", file=sys.stderr)
        return 2
    scenarios = registry.by_name(args.only)
    started = datetime.now(UTC)
    notes = {"load_average": os.getloadavg()}
    results = []
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        for name in args.db:
            if name == "postgres":
                reason = databases.postgres_available()
                if reason:
                    loud(f"PostgreSQL SKIPPED ({reason}): only SQLite was measured. "
                         "Production runs on PostgreSQL 15.")
                    notes["postgres"] = f"SKIPPED: {reason}"
                    continue
            rows, db_notes = bench_database(name, scenarios, args, tmp)
            results += rows
            notes[name] = db_notes
    report.judge(results, scenarios)
    meta = _meta(args, started, notes)
    print(report.format_table(results))
    print(f"\n{'quick' if args.quick else 'full'}: {args.runs} run(s) × {args.seconds} s per scenario, median; "
          f"wrk -t{servers.THREADS} -c{servers.CONNECTIONS}; gunicorn -w {servers.WORKERS} -k sync; "
          f"took {meta['duration_s']:.0f} s")
    if "postgres" in notes and isinstance(notes["postgres"], str):
        print(f"NOTE: PostgreSQL {notes['postgres']}")
    out = Path(args.out)
    report.write_json(out, results, meta)
    log(f"wrote {out}")
    return 1 if any(r["target"] == report.FAILED for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
