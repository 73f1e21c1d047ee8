"""The benchmark table's verdicts: a read page's p99 is judged against its ceiling's in the same run."""

from tests.bench import report
from tests.bench.registry import CEILINGS, PAGE_TARGETS, READ, Scenario

PAGE = Scenario("some_page", READ, path="/", **PAGE_TARGETS)


def _rows(page_rps, page_p99, ceiling_p99):
    ceiling = {"name": "ceiling_read", "db": "sqlite", "rps": 1000.0, "p99_ms": ceiling_p99, "is_ceiling": True,
               "ceiling": None, "target": None, "errors": 0, "lost": None, "duplicated": None}
    page = {"name": "some_page", "db": "sqlite", "rps": page_rps, "p99_ms": page_p99, "is_ceiling": False,
            "ceiling": "ceiling_read", "target": None, "errors": 0, "lost": None, "duplicated": None}
    results = [ceiling, page]
    report.judge(results, [*CEILINGS, PAGE])
    return page


def test_a_slow_day_does_not_fail_a_page_that_keeps_up_with_its_ceiling():
    page = _rows(page_rps=600, page_p99=150.0, ceiling_p99=77.0)  # 150 ms, but under 2 x 77
    assert round(page["ratio"], 2) == 0.6 and page["target"] == report.OK


def test_a_page_whose_p99_is_over_twice_the_ceilings_misses():
    assert _rows(page_rps=600, page_p99=40.0, ceiling_p99=19.0)["target"] == report.MISSED


def test_a_page_under_half_the_ceilings_throughput_misses():
    assert _rows(page_rps=450, page_p99=30.0, ceiling_p99=20.0)["target"] == report.MISSED


def test_a_vote_storm_row_counts_the_storm_and_its_unacknowledged_casts():
    storm = Scenario("vote_storm", "write", min_ratio=0.4, max_p99_ms=300.0)
    run = {"requests": 5200, "duration_us": 40e6, "p50_us": 9e4, "p99_us": 9e5, "connect_errors": 0, "read_errors": 0,
           "write_errors": 0, "timeouts": 0, "unexpected": 2, "unexpected_statuses": {"500": 1}, "ok": 5198,
           "storm_requests": 5000, "storm_seconds": 25.0, "storm_complete": True, "storm_step": "cast",
           "submit_p50_ms": 80.0, "submit_p99_ms": 250.0, "replays": 200, "replays_refused": 199}
    row = report.wrk_result(storm, "sqlite", [run], [{"lost": 0, "duplicated": 0, "written": 30000}])
    assert row["rps"] == 200.0 and row["p99_ms"] == 250.0  # storm casts per storm second; the casts' p99
    assert row["errors"] == 2 and "p50/p99 = cast" in row["note"]
    assert "replays 200 sent, 199 answered with a refusal" in row["note"]
    ceiling = {"name": "ceiling_write", "db": "sqlite", "rps": 400.0, "p99_ms": 50.0, "is_ceiling": True,
               "ceiling": None, "target": None, "errors": 0, "lost": 0, "duplicated": 0}
    report.judge([ceiling, row], [*CEILINGS, storm])
    assert row["ratio"] == 0.5 and row["target"] == report.MISSED  # an error misses, whatever the speed
