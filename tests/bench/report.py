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


def wrk_result(scenario, db, runs, counts, note=""):
    """One table row from the wrk figures of each run (medians) and the count-after results (sums)."""
    rps = _median([r["requests"] / (r["duration_us"] / 1e6) for r in runs])
    errors = sum(
        r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"] + r["unexpected"] for r in runs
    )
    statuses = {}
    for r in runs:
        for status, count in (r.get("unexpected_statuses") or {}).items():
            statuses[status] = statuses.get(status, 0) + count
    if statuses:
        note = (note + "; " if note else "") + "unexpected statuses " + ", ".join(
            f"{status}×{count}" for status, count in sorted(statuses.items()))
    return {
        "name": scenario.name, "db": db, "kind": scenario.kind,
        "rps": rps, "p50_ms": _median([r["p50_us"] / 1000 for r in runs]),
        "p99_ms": _median([r["p99_us"] / 1000 for r in runs]), "ratio": None, "errors": errors,
        "lost": sum(c["lost"] for c in counts) if counts else None,
        "duplicated": sum(c["duplicated"] for c in counts) if counts else None,
        "written": sum(c["written"] for c in counts) if counts else None,
        "target": None, "note": note, "is_ceiling": scenario.is_ceiling, "ceiling": scenario.ceiling,
        "noise": _median([r.get("others_cpu_pct") for r in runs]),
        "runs": [{"rps": r["requests"] / (r["duration_us"] / 1e6), "p50_ms": r["p50_us"] / 1000,
                  "p99_ms": r["p99_us"] / 1000, "requests": r["requests"], "ok": r["ok"],
                  "others_cpu_pct": r.get("others_cpu_pct"), "waited_s": r.get("waited_s")} for r in runs],
    }


def measured_result(scenario, db, runs, note=""):
    """One table row for an in-process scenario: median seconds, rows per second."""
    seconds = _median([r["seconds"] for r in runs])
    rows = runs[0]["rows"]
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
        row["target"] = _target(row, by_name[row["name"]])


def _target(row, scenario):
    if row["errors"] or row["lost"] or row["duplicated"]:
        return MISSED
    checks = []
    if scenario.min_ratio is not None:
        checks.append(row["ratio"] is not None and row["ratio"] >= scenario.min_ratio)
    if scenario.max_p99_ms is not None:
        checks.append(row["p99_ms"] is not None and row["p99_ms"] < scenario.max_p99_ms)
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
