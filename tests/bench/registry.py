"""Every benchmark scenario, one entry each. Adding a scenario means adding one entry here.

A wrk scenario names what to request; the runner serves it with gunicorn, logs in if asked
(wrk/login.lua), drives it with wrk/bench.lua and divides its throughput by the ceiling of
its kind measured in the same run on the same database:

    Scenario("ranking_page", READ, path="/credits/ranking", login="member"),
    Scenario("vote_storm", WRITE, method="POST", path="/votes/{ballot}", body="choice=1&csrf_token={csrf}",
             login="member", csrf_from="/votes/", setup=hooks.open_ballot, count_after=hooks.count_votes,
             expect=302),

- ``path`` and ``body`` may hold ``{placeholders}`` filled from the dict the ``setup`` hook
  returns (its "note" goes to the table) and, per run, from ``before_run``; ``{token}``
  becomes a value unique to each request and ``{csrf}`` the CSRF token of the logged-in
  session (taken from the ``csrf_from`` page).
- Hooks run in the bench process inside an app context of the portal on the bench database:
  ``setup(bench) -> dict`` once per database, ``before_run(bench) -> dict`` before each run
  (warm-up included; set ``warm_up=False`` to skip it); ``count_after(bench, run) -> {"written", "lost",
  "duplicated"}`` after every run of a write scenario, where ``run`` has ``tag`` (the token
  prefix of that run), ``acked`` (tokens the server echoed back as data-token="...", if it
  does) and ``figures`` (wrk's numbers, with ``ok`` = responses with the expected status).
- A ``script`` that ends the run itself once its work is done (vote_storm: one whole storm)
  sets ``run_seconds``: wrk's duration for it whatever --seconds says, the cap.
- Anything that is not a stream of HTTP requests sets ``measure(bench, runs) -> [per-run
  dicts with "seconds" and "rows"]`` instead and is timed in-process.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench import ceiling_app, credits_hooks, exemplar_hooks, portal_hooks, quiz_hooks

READ, WRITE = "read", "write"
PORTAL, CEILING = "portal", "ceiling"
CEILING_OF = {READ: "ceiling_read", WRITE: "ceiling_write"}
# The targets for read pages at 32 connections: half the ceiling's throughput, and a p99 at most
# twice the ceiling's p99 in the same run (an absolute figure would judge the machine's day).
READ_MIN_RATIO = 0.5
READ_MAX_P99_VS_CEILING = 2.0


@dataclass(frozen=True)
class Scenario:
    """One thing to measure on each database."""

    name: str
    kind: str  # READ or WRITE: which ceiling the throughput is divided by
    path: str = "/"
    method: str = "GET"
    body: str = ""
    app: str = PORTAL  # which gunicorn serves it
    login: str | None = None  # demo role to log in as; None = anonymous
    csrf_from: str | None = None  # page read after log-in for a CSRF token ({csrf})
    expect: int = 200  # any other status counts as an error
    script: str | None = None  # a Lua script of one's own instead of wrk/bench.lua
    setup: Any = None
    before_run: Any = None  # before_run(bench) -> dict of placeholders for one run (e.g. a fresh ballot)
    count_after: Any = None
    measure: Any = None  # in-process scenario (not wrk)
    warm_up: bool = True  # a short unmeasured run first (templates compiled, pools filled)
    min_ratio: float | None = None
    max_p99_ms: float | None = None
    max_p99_vs_ceiling: float | None = None  # p99 at most this many times the ceiling's p99
    max_seconds: float | None = None
    # wrk's duration for this scenario whatever --seconds says: a script that ends the run itself
    # when its work is done (a storm) gets this as its cap.
    run_seconds: int | None = None
    is_ceiling: bool = False

    @property
    def ceiling(self):
        """The name of the ceiling this scenario's throughput is divided by."""
        return None if self.is_ceiling or self.measure else CEILING_OF[self.kind]


def _ceiling_writes(bench, run):
    """Rows of one ceiling_write run: every acknowledged token once, nothing else."""
    return ceiling_app.count_writes(bench.ceiling_url, run.tag, run.acked)


def _import(bench, runs):
    from tests.bench import importbench  # imports the importer only when this scenario runs

    return importbench.measure(bench, runs)


def _import_http(bench, runs):
    from tests.bench import import_http

    return import_http.measure(bench, runs)


CEILINGS = [
    Scenario("ceiling", READ, path="/ceiling", app=CEILING, is_ceiling=True),
    Scenario("ceiling_read", READ, path="/ceiling_read", app=CEILING, is_ceiling=True),
    Scenario("ceiling_write", WRITE, method="POST", path="/ceiling_write", body="token={token}",
             app=CEILING, is_ceiling=True, count_after=_ceiling_writes),
]

PAGE_TARGETS = {"min_ratio": READ_MIN_RATIO, "max_p99_vs_ceiling": READ_MAX_P99_VS_CEILING}

SCENARIOS = [
    Scenario("login_page", READ, path="/login", **PAGE_TARGETS),
    Scenario("roster_list", READ, path="/roster/", login="secretary", setup=portal_hooks.roster_scope,
             **PAGE_TARGETS),
    Scenario("roster_search", READ, path="/roster/?q={q}", login="secretary", setup=portal_hooks.search_term,
             **PAGE_TARGETS),
    Scenario("roster_import", WRITE, measure=_import, max_seconds=5.0),
    # A messy office sheet (5,000 rows, 100 of them wrong) over HTTP: the check page, then 仅导入有效行;
    # the slower of the two must take under 5 s.
    Scenario("roster_import_http", WRITE, measure=_import_http, max_seconds=5.0),
    # Credits on a year of demo activity (~1,000,000 ledger entries): the committee's rankings
    # (this month, this quarter, one branch), a member's ledger, and freezing last month.
    Scenario("ranking_page", READ, path="/credits/rankings?kind=month", login="committee",
             setup=credits_hooks.ranking_note, **PAGE_TARGETS),
    Scenario("ranking_page_quarter", READ, path="/credits/rankings?kind=quarter", login="committee",
             **PAGE_TARGETS),
    Scenario("ranking_page_branch", READ, path="/credits/rankings?kind=month&branch={branch}", login="committee",
             setup=credits_hooks.ranking_branch, **PAGE_TARGETS),
    Scenario("member_ledger", READ, path="/credits/people/{person}", login="secretary",
             setup=credits_hooks.busiest_member, **PAGE_TARGETS),
    Scenario("period_close", WRITE, measure=credits_hooks.period_close, max_seconds=10.0),
    # 每周一测: 1,500 members, each with their own session and open attempt, autosave two answers and
    # hand in (a fresh test per run, so no warm-up); p99 is over the mix, a third of it submits.
    Scenario("quiz_submit_storm", WRITE, method="POST", path="/study/attempts/",
             body="members={members_file}&threads={threads}",
             script=str(Path(__file__).resolve().parent / "wrk" / "quiz_storm.lua"), setup=quiz_hooks.storm_setup,
             before_run=quiz_hooks.storm_before_run, count_after=quiz_hooks.storm_count, warm_up=False,
             min_ratio=0.5, max_p99_ms=300.0),
    # 六大员 voting: every eligible voter (everyone on post) casts all six categories in one request,
    # each with their own session and a fresh campaign per run; then replays, which must change
    # nothing. A run is the whole storm (the script ends it), at most run_seconds.
    Scenario("vote_storm", WRITE, method="POST", path="/exemplars/{campaign}/vote/cast",
             body="voters={voters_file}&threads={threads}&replays={replays}",
             script=str(Path(__file__).resolve().parent / "wrk" / "vote_storm.lua"), setup=exemplar_hooks.storm_setup,
             before_run=exemplar_hooks.storm_before_run, count_after=exemplar_hooks.storm_count, warm_up=False,
             run_seconds=300, min_ratio=0.4, max_p99_ms=300.0),
    Scenario("honours_wall", READ, path="/exemplars/honours", login="member", setup=exemplar_hooks.honours_note,
             **PAGE_TARGETS),
    Scenario("campaign_results", READ, path="/exemplars/{campaign}/results", login="member",
             setup=exemplar_hooks.results_campaign, **PAGE_TARGETS),
]

ALL = CEILINGS + SCENARIOS


def by_name(names):
    """The ceilings plus the scenarios named (all of them if `names` is empty), in registry order."""
    unknown = set(names) - {s.name for s in ALL}
    if unknown:
        raise KeyError(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return CEILINGS + [s for s in SCENARIOS if not names or s.name in names]
