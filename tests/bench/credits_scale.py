"""Twenty mines on PostgreSQL: do the credit rankings scale with the ledger? Timings and query plans.

    python -m tests.bench.credits_scale [--rows 20000000] [--mines 20]

On a throwaway cluster (tests/pg_cluster.sh, PostgreSQL's default durability restored as the
harness does), `flask db upgrade` creates the schema; then plain SQL fills it fast with
INSERT ... SELECT from generate_series: 20 committees of 40 branches, 5,000 people a mine
(35 % members and activists), `--rows` ledger entries over the past year (daily reading and
daily question), and the running totals (credit_total) built from the ledger with GROUP BY,
as rebuild_totals() would. After VACUUM ANALYZE it runs the portal's own standings functions
(the same SQLAlchemy statements the pages run) inside an app bound to that database, times
each, and prints EXPLAIN (ANALYZE, BUFFERS) of every statement they sent, flagging any
sequential scan of ledger_entry. The cluster is deleted afterwards whatever happens.
"""

# ruff: noqa: S608 - the SQL below is built from integer constants and fixed table names, never input

import argparse
import statistics
import sys
import time

from sqlalchemy import create_engine, event

from tests.bench import databases

PEOPLE_PER_MINE = 5000
BRANCHES_PER_MINE = 40
STUDENT_SHARE = 0.35
DAYS = 365
SLOTS = 2  # study_read (an article a day) and daily_question
REPEAT = 7


def log(message):
    """Progress on stderr."""
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _fill(conn, mines, rows):
    """Organisations, units, people, one rule per kind, the ledger, the totals: all in SQL."""
    people = mines * PEOPLE_PER_MINE
    students = round(people * STUDENT_SHARE)
    probability = min(1.0, rows / (students * DAYS * SLOTS))
    steps = [
        ("committees", f"""INSERT INTO organisation (id, name, kind, parent_id, path, sort_order,
                created_at, updated_at)
            SELECT m, '第' || m || '矿党委', 'committee', NULL, '/' || m || '/', m, now(), now()
            FROM generate_series(1, {mines}) m"""),
        ("branches", f"""INSERT INTO organisation (id, name, kind, parent_id, path, sort_order,
                created_at, updated_at)
            SELECT 1000 + b, '第' || b || '党支部', 'branch', 1 + (b - 1) / {BRANCHES_PER_MINE},
                   '/' || (1 + (b - 1) / {BRANCHES_PER_MINE}) || '/' || (1000 + b) || '/', b, now(), now()
            FROM generate_series(1, {mines * BRANCHES_PER_MINE}) b"""),
        ("units", f"""INSERT INTO unit (id, name, branch_id, created_at, updated_at)
            SELECT b, '第' || b || '单位', 1000 + b, now(), now()
            FROM generate_series(1, {mines * BRANCHES_PER_MINE}) b"""),
        ("people", f"""INSERT INTO person (id, employee_no, name, name_pinyin, name_initials, gender, birth_date,
                id_cipher, id_hash, id_tail, phone_cipher, phone_hash, phone_tail, unit_id, branch_id,
                job_type, skill_level, political_status, status, created_at, updated_at)
            SELECT p, p::text, '人员' || p, 'renyuan' || lpad(p::text, 6, '0'), 'ry', '男', DATE '1985-01-01',
                   'x', 'id' || p, '0000', 'x', 'ph' || p, '0000', b, 1000 + b, '', '',
                   CASE WHEN mod(p, 100) < {round(STUDENT_SHARE * 100) - 5} THEN '正式党员'
                        WHEN mod(p, 100) < {round(STUDENT_SHARE * 100)} THEN '入党积极分子' ELSE '群众' END,
                   '在岗', now(), now()
            FROM generate_series(1, {people}) p,
                 LATERAL (SELECT 1 + (p - 1) / {PEOPLE_PER_MINE // BRANCHES_PER_MINE} AS b) branch"""),
        ("rules", """INSERT INTO credit_rule (id, code, version, name, description, mode, points, applies_to,
                valid_from, manual_only, is_current, created_at)
            VALUES (1, 'study_read', 1, '每日一学', '', 'fixed', 1, '', DATE '2000-01-01', false, true, now()),
                   (2, 'daily_question', 1, '每日一题', '', 'fixed', 1, '', DATE '2000-01-01', false, true, now())"""),
        ("drop ledger indexes (rebuilt after the load)", """
            ALTER TABLE ledger_entry DROP CONSTRAINT uq_ledger_entry_source;
            DROP INDEX ix_ledger_entry_person_booked; DROP INDEX ix_ledger_entry_booked_at"""),
        (f"ledger ({rows:,} rows wanted)", f"""INSERT INTO ledger_entry (person_id, branch_id, points, rule_id,
                rule_code, source_type, source_id, earned_at, booked_on, created_at)
            SELECT p.id, p.branch_id, 1, 1 + s, CASE s WHEN 0 THEN 'study_read' ELSE 'daily_question' END,
                   CASE s WHEN 0 THEN 'article' ELSE 'daily_question' END, d,
                   day + time '12:00' - interval '8 hours', day, day + time '12:00' - interval '8 hours'
            FROM person p
            CROSS JOIN generate_series(0, {DAYS - 1}) d
            CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date - d AS day) dd
            CROSS JOIN generate_series(0, {SLOTS - 1}) s
            WHERE p.political_status <> '群众' AND random() < {probability}"""),
        ("ledger indexes", """
            ALTER TABLE ledger_entry ADD CONSTRAINT uq_ledger_entry_source
                UNIQUE (rule_code, source_type, source_id, person_id);
            CREATE INDEX ix_ledger_entry_person_booked ON ledger_entry (person_id, booked_on);
            CREATE INDEX ix_ledger_entry_booked_at ON ledger_entry (booked_on, created_at)"""),
        ("credit_total from the ledger", """INSERT INTO credit_total (kind, period_start, person_id, branch_id,
                points, entries)
            SELECT k.kind, k.start, d.person_id, max(d.branch_id), sum(d.points), sum(d.entries)
            FROM (SELECT booked_on, person_id, max(branch_id) AS branch_id, sum(points) AS points,
                         count(*) AS entries
                  FROM ledger_entry GROUP BY booked_on, person_id) d
            CROSS JOIN LATERAL (VALUES
                ('dekad', make_date(extract(year FROM d.booked_on)::int, extract(month FROM d.booked_on)::int,
                                    CASE WHEN extract(day FROM d.booked_on) <= 10 THEN 1
                                         WHEN extract(day FROM d.booked_on) <= 20 THEN 11 ELSE 21 END)),
                ('month', date_trunc('month', d.booked_on)::date),
                ('quarter', date_trunc('quarter', d.booked_on)::date),
                ('year', date_trunc('year', d.booked_on)::date)) k(kind, start)
            GROUP BY k.kind, k.start, d.person_id"""),
    ]
    for label, sql in steps:
        started = time.perf_counter()
        for statement in sql.split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
        log(f"{label}: {time.perf_counter() - started:.1f} s")
    conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('ledger_entry', 'id'), max(id)) FROM ledger_entry")


def _sizes(conn):
    """Row counts and on-disk sizes of the tables the rankings touch."""
    out = {}
    for table in ("ledger_entry", "credit_total", "person"):
        rows = conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()  # noqa: S608 - fixed names
        size = conn.exec_driver_sql(f"SELECT pg_size_pretty(pg_total_relation_size('{table}'))").scalar()
        out[table] = (rows, size)
    return out


class _Recorder:
    """Keeps every SQL statement the portal sends, with its parameters, for EXPLAIN."""

    def __init__(self):
        self.statements = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        """before_cursor_execute hook."""
        self.statements.append((statement, parameters))


def _measure(app, mines):
    """Time the standings functions the ranking and ledger pages call; return timings and statements."""
    from portal.core.periods import PeriodKind, current_period
    from portal.credits import standings
    from portal.extensions import db

    cases = {
        "ranking, whole mine, this month, page 1": lambda: standings.person_ranking(
            current_period(PeriodKind.MONTH), list(range(1001, 1001 + BRANCHES_PER_MINE)), limit=30),
        "ranking, all mines, this month, page 1": lambda: standings.person_ranking(
            current_period(PeriodKind.MONTH), None, limit=30),
        "ranking, one branch, this quarter": lambda: standings.person_ranking(
            current_period(PeriodKind.QUARTER), [1001], limit=30),
        "ranking size, whole mine, this month": lambda: standings.ranking_size(
            current_period(PeriodKind.MONTH), list(range(1001, 1001 + BRANCHES_PER_MINE))),
        "one person's rank, all mines, this year": lambda: standings.person_ranking_for(
            current_period(PeriodKind.YEAR), 1),
        "member ledger page 1 (a year of entries)": lambda: standings.ledger_page(1, None, page=1).items,
        "member points over 12 months": lambda: standings.points_over_time(1),
    }
    results = {}
    with app.app_context():
        for label, action in cases.items():
            action()  # warm the cache, as a running portal has it
            timings = []
            recorder = _Recorder()
            for attempt in range(REPEAT):
                if attempt == 0:
                    event.listen(db.engine, "before_cursor_execute", recorder)
                started = time.perf_counter()
                action()
                timings.append((time.perf_counter() - started) * 1000)
                if attempt == 0:
                    event.remove(db.engine, "before_cursor_execute", recorder)
                db.session.rollback()
            results[label] = (statistics.median(timings), recorder.statements)
    return results


def _explain(url, statements):
    """EXPLAIN (ANALYZE, BUFFERS) of each statement; returns (plan text, True if ledger_entry is seq-scanned)."""
    engine = create_engine(url)
    plans = []
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            for statement, parameters in statements:
                with raw.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                raw.rollback()
                plans.append((statement, plan, "Seq Scan on ledger_entry" in plan))
    finally:
        engine.dispose()
    return plans


def main(argv=None):
    """Build the scale database, measure, print the summary and the plans."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.credits_scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000_000, help="ledger entries to generate (about)")
    parser.add_argument("--mines", type=int, default=20, help="mines (5,000 people, 40 branches each)")
    args = parser.parse_args(argv)
    import tempfile
    from pathlib import Path

    from portal import create_app

    with tempfile.TemporaryDirectory(prefix="credits-scale-") as tmp, databases.postgres_cluster() as urls:
        url = urls[0]
        started = time.perf_counter()
        databases._flask(["db", "upgrade"], databases.flask_env(url, tmp), Path(tmp) / "db-upgrade.log")
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                _fill(conn, args.mines, args.rows)
                vacuum = time.perf_counter()
                conn.exec_driver_sql("VACUUM ANALYZE")
                log(f"VACUUM ANALYZE: {time.perf_counter() - vacuum:.1f} s")
                sizes = _sizes(conn)
        finally:
            engine.dispose()
        build = time.perf_counter() - started
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": tmp, "BACKUP_DIR": tmp})
        results = _measure(app, args.mines)
        print(f"\n== credits at scale on PostgreSQL: {args.mines} mines, built in {build:.0f} s ==")
        for table, (rows, size) in sizes.items():
            print(f"  {table:<14} {rows:>12,} rows  {size}")
        print(f"\n  {'query (the portal standings function)':<48} median of {REPEAT}")
        for label, (ms, _) in results.items():
            print(f"  {label:<48} {ms:8.1f} ms")
        seq = []
        for label, (_, statements) in results.items():
            print(f"\n-- {label}")
            for statement, plan, ledger_seq_scan in _explain(url, statements):
                print("   " + " ".join(statement.split())[:300])
                print("\n".join("     " + line for line in plan.splitlines()))
                if ledger_seq_scan:
                    seq.append(label)
        print("\nsequential scans of ledger_entry: " + (", ".join(seq) if seq else "none"))
        with app.app_context():
            from portal.extensions import db

            db.engine.dispose()
    return 1 if seq else 0


if __name__ == "__main__":
    sys.exit(main())
