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
