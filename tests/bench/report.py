"""Turn per-run figures into the results table and bench-results.json."""

import json
import statistics
import unicodedata

OK, MISSED, FAILED, SKIPPED, NONE = "ok", "MISSED", "FAILED", "skipped", "—"
COLUMNS = ("scenario", "db", "kind", "rps", "ratio", "p50_ms", "p99_ms", "errors", "lost", "duplicated",
           "target", "noise", "note")


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _storm(run):
    """Whether a run's figures time a storm apart from wrk's own (quiz_storm.lua's storm_* figures)."""
    return run.get("storm_requests") is not None and bool(run.get("storm_seconds"))


def _rps(run):
    if _storm(run):
        return run["storm_requests"] / run["storm_seconds"]
    return run["requests"] / (run["duration_us"] / 1e6)


def _p50(run):
    return run.get("submit_p50_ms") if _storm(run) else run["p50_us"] / 1000


def _p99(run):
    return run.get("submit_p99_ms") if _storm(run) else run["p99_us"] / 1000


def _storm_note(runs):
    """For a storm: its requests and seconds, the autosaves' p99, replays, and whether a run ended before it did."""
    storms = [r for r in runs if _storm(r)]
    if not storms:
        return ""
    save_p99 = _median([r.get("save_p99_ms") for r in storms])
    step = storms[0].get("storm_step", "submit")  # the request the p50/p99 are of
    note = (f"storm {_median([r['storm_requests'] for r in storms]):.0f} requests in "
            f"{_median([r['storm_seconds'] for r in storms]):.1f} s (rps = storm requests/s, p50/p99 = {step})"
            + (f", save p99 {save_p99:.1f} ms" if save_p99 is not None else ""))
    if any(r.get("replays") is not None for r in storms):
        note += (f"; replays {sum(r.get('replays') or 0 for r in storms)} sent, "
                 f"{sum(r.get('replays_refused') or 0 for r in storms)} answered with a refusal")
    incomplete = sum(1 for r in storms if not r.get("storm_complete"))
    if incomplete:
        note += f"; storm incomplete in {incomplete} of {len(storms)} run(s)"
    return note


def wrk_result(scenario, db, runs, counts, note=""):
    """One table row from the wrk figures of each run (medians) and the count-after results (sums).

    A run whose figures time a storm (storm_requests, storm_seconds) counts only the storm: rps is
    storm requests per second of storm, p50/p99 are the submits' (so the p99 target judges them).
    """
    rps = _median([_rps(r) for r in runs])
    errors = sum(
        r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"] + r["unexpected"] for r in runs
    )
    storm_note = _storm_note(runs)
    if storm_note:
        note = (note + "; " if note else "") + storm_note
    statuses = {}
    for r in runs:
        for status, count in (r.get("unexpected_statuses") or {}).items():
            statuses[status] = statuses.get(status, 0) + count
    if statuses:
        note = (note + "; " if note else "") + "unexpected statuses " + ", ".join(
            f"{status}×{count}" for status, count in sorted(statuses.items()))
    return {
        "name": scenario.name, "db": db, "kind": scenario.kind,
        "rps": rps, "p50_ms": _median([_p50(r) for r in runs]),
        "p99_ms": _median([_p99(r) for r in runs]), "ratio": None, "errors": errors,
        "lost": sum(c["lost"] for c in counts) if counts else None,
        "duplicated": sum(c["duplicated"] for c in counts) if counts else None,
        "written": sum(c["written"] for c in counts) if counts else None,
        "target": None, "note": note, "is_ceiling": scenario.is_ceiling, "ceiling": scenario.ceiling,
        "noise": _median([r.get("others_cpu_pct") for r in runs]),
        "runs": [_run_entry(r) for r in runs],
    }


_STORM_FIELDS = ("storm_requests", "storm_ok", "storm_bad", "storm_seconds", "storm_complete", "submit_p50_ms",
                 "submit_p99_ms", "save_p99_ms", "storm_p99_ms", "replays", "replays_refused", "casts_unacknowledged")


def _run_entry(run):
    entry = {"rps": _rps(run), "p50_ms": _p50(run), "p99_ms": _p99(run), "requests": run["requests"], "ok": run["ok"],
             "others_cpu_pct": run.get("others_cpu_pct"), "waited_s": run.get("waited_s")}
    if _storm(run):
        entry.update({key: run.get(key) for key in _STORM_FIELDS})
    return entry


def measured_result(scenario, db, runs, note=""):
    """One table row for an in-process scenario: median seconds, rows per second."""
    seconds = _median([r["seconds"] for r in runs])
    rows = runs[0]["rows"]
    steps = [(label, _median([r.get(key) for r in runs])) for key, label in (("check_seconds", "check"),
                                                                              ("import_seconds", "import"))]
    if any(value is not None for _label, value in steps):
        # A scenario of several steps is judged by its slowest; each is shown.
        note = "; ".join([f"{label} {value:.2f} s" for label, value in steps if value is not None]
                         + ([note] if note else []))
    return {
        "name": scenario.name, "db": db, "kind": scenario.kind, "rps": rows / seconds if seconds else None,
        "p50_ms": None, "p99_ms": None, "ratio": None, "errors": 0,
        "lost": sum(r["lost"] for r in runs), "duplicated": sum(r["duplicated"] for r in runs),
        "written": sum(r["written"] for r in runs), "seconds": seconds, "rows": rows,
        "target": None, "note": (f"{rows} rows in {seconds:.2f} s (rps = rows/s)" + (f"; {note}" if note else "")),
        "is_ceiling": False, "ceiling": None, "runs": runs,
        "noise": _median([r.get("others_cpu_pct") for r in runs]),
    }


def failed_result(scenario, db, message, status=FAILED):
    """A row for a scenario that could not be measured."""
    return {
        "name": scenario.name, "db": db, "kind": scenario.kind, "rps": None, "p50_ms": None, "p99_ms": None,
        "ratio": None, "errors": None, "lost": None, "duplicated": None, "target": status,
        "note": message, "is_ceiling": scenario.is_ceiling, "ceiling": scenario.ceiling, "runs": [],
    }


def judge(results, scenarios):
    """Fill in each row's ratio (to its ceiling on the same database) and whether its target is met."""
    by_name = {s.name: s for s in scenarios}
    ceilings = {(r["db"], r["name"]): r for r in results if r["is_ceiling"]}
    for row in results:
        if row["target"] in (FAILED, SKIPPED):
            continue
        ceiling = ceilings.get((row["db"], row["ceiling"])) if row["ceiling"] else None
        if ceiling and ceiling.get("rps") and row["rps"] is not None:
            row["ratio"] = row["rps"] / ceiling["rps"]
        row["target"] = _target(row, by_name[row["name"]], ceiling)


def _target(row, scenario, ceiling=None):
    if row["errors"] or row["lost"] or row["duplicated"]:
        return MISSED
    checks = []
    if scenario.min_ratio is not None:
        checks.append(row["ratio"] is not None and row["ratio"] >= scenario.min_ratio)
    if scenario.max_p99_ms is not None:
        checks.append(row["p99_ms"] is not None and row["p99_ms"] < scenario.max_p99_ms)
    if scenario.max_p99_vs_ceiling is not None:
        limit = ceiling.get("p99_ms") if ceiling else None
        checks.append(None not in (row["p99_ms"], limit) and row["p99_ms"] <= scenario.max_p99_vs_ceiling * limit)
    if scenario.max_seconds is not None:
        checks.append(row.get("seconds") is not None and row["seconds"] < scenario.max_seconds)
    if not checks:
        return NONE
    return OK if all(checks) else MISSED


def _cell(row, column):
    value = row.get("name" if column == "scenario" else column)
    if value is None:
        return "—"
    if column == "rps":
        return f"{value:,.0f}"
    if column == "ratio":
        return f"{value:.2f}"
    if column in ("p50_ms", "p99_ms"):
        return f"{value:.1f}"
    if column == "noise":
        return f"{value:.0f}%"
    return str(value)


def _width(text):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(results):
    """The results as an aligned text table (CJK-aware widths)."""
    headers = [c.replace("_ms", " ms").replace("duplicated", "dup") for c in COLUMNS]
    rows = [[_cell(r, c) for c in COLUMNS] for r in results]
    widths = [max(_width(x) for x in col) for col in zip(headers, *rows, strict=True)]
    numeric = {"rps", "ratio", "p50_ms", "p99_ms", "errors", "lost", "duplicated", "noise"}

    def line(cells):
        out = []
        for cell, width, column in zip(cells, widths, COLUMNS, strict=True):
            pad = " " * (width - _width(cell))
            out.append(pad + cell if column in numeric else cell + pad)
        return "  ".join(out).rstrip()

    separator = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), separator, *(line(r) for r in rows)])


PUBLIC_FIELDS = ("name", "db", "kind", "rps", "p50_ms", "p99_ms", "ratio", "errors", "lost", "duplicated",
                 "target", "noise", "note")


def write_json(path, results, meta):
    """bench-results.json: the table's figures per scenario and database, plus how they were taken."""
    rows = []
    for row in results:
        item = {key: row.get(key) for key in PUBLIC_FIELDS}
        for extra in ("written", "seconds", "rows", "runs"):
            if row.get(extra) is not None:
                item[extra] = row[extra]
        rows.append(item)
    path.write_text(json.dumps({"meta": meta, "results": rows}, ensure_ascii=False, indent=2) + "\n",
                    encoding="utf-8")
