"""异常提醒: explained checks over a period's credits and the activity behind them, kept as a registry.

A detector is a function `find(period, branch_ids) -> [FindingRow]` registered with a Chinese
title and an explanation of why the pattern matters. `branch_ids` is None for the whole
committee or the branches the viewer may see. This module registers the ledger's own checks
(bursts of entries, frequent manual adjustments, totals far above the branch average). The study
module registers its checks in portal/study/services/anomalies.py (articles confirmed the moment
the minimum reading time is up, weekly tests handed in within seconds with high scores), imported
with the study services, the same way; credits never imports study:

    from portal.credits.anomalies import detector, finding_rows

    @detector("study_min_time", "阅读总是刚到最短时间就确认", "……")
    def find_minimum_time_reads(period, branch_ids=None): ...

Detectors run in registration order, only point at things worth a look and never change the ledger.
"""

import statistics
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from portal.core.clock import format_datetime
from portal.credits import services, standings
from portal.credits.models import LedgerEntry
from portal.credits.period_states import period_choices
from portal.credits.rules import MANUAL
from portal.extensions import db
from portal.roster.models import Organisation, Person

BURST_ENTRIES = 10
BURST_SECONDS = 60
MANUAL_ADJUSTMENTS = 3
OUTLIER_SIGMAS = 3


@dataclass
class FindingRow:
    """One person (or row) a detector points at, and what it saw."""

    person_id: int
    name: str
    branch_name: str
    detail: str


@dataclass(frozen=True)
class Detector:
    """A registered check: its code, Chinese title and explanation, and the function that runs it."""

    code: str
    title: str
    explanation: str
    find: object


@dataclass
class Finding:
    """A detector's result for one period (rows may be empty: nothing found)."""

    detector: Detector
    rows: list


DETECTORS = []


def detector(code, title, explanation):
    """Register `find(period, branch_ids)` as a detector (decorator); registering a code twice replaces it."""

    def register(find):
        DETECTORS[:] = [d for d in DETECTORS if d.code != code]
        DETECTORS.append(Detector(code, title, explanation, find))
        return find

    return register


def run_detectors(period, branch_ids=None):
    """Every registered detector's findings for the period, in registration order."""
    return [Finding(d, d.find(period, branch_ids)) for d in DETECTORS]


@dataclass
class AnomalyReport:
    """The 异常提醒 page: one period's findings and the periods one can switch to."""

    period: object
    findings: list
    choices: list


def report(actor, key=None, kind=None):
    """The findings for the period a URL names (default: this month) within the actor's branches."""
    period = services.period_from_key(key, kind)
    findings = run_detectors(period, services.RankingScope.of(actor, "credits.rules").branch_ids)
    return AnomalyReport(period=period, findings=findings, choices=period_choices(period.kind))


def _in_period(period, branch_ids):
    conditions = [LedgerEntry.booked_on >= period.start, LedgerEntry.booked_on <= period.end]
    if branch_ids is not None:
        conditions.append(LedgerEntry.branch_id.in_(branch_ids))
    return conditions


def _names(person_ids):
    """{person id: (name, branch name)} for the people a detector flagged."""
    if not person_ids:
        return {}
    rows = db.session.execute(
        select(Person.id, Person.name, func.coalesce(Organisation.name, ""))
        .outerjoin(Organisation, Organisation.id == Person.branch_id)
        .where(Person.id.in_(list(person_ids)))
    ).all()
    return {pid: (name, branch) for pid, name, branch in rows}


def finding_rows(details):
    """FindingRows for {person id: detail} with each person's name and current branch, ordered by branch then name."""
    names = _names(details.keys())
    rows = [FindingRow(pid, *names.get(pid, ("", "")), detail) for pid, detail in details.items()]
    return sorted(rows, key=lambda r: (r.branch_name, r.name, r.person_id))


@detector(
    "burst", f"短时间内集中入账（{BURST_SECONDS} 秒内 ≥{BURST_ENTRIES} 条）",
    "正常的学习和活动积分分散在不同时间产生。同一人在一分钟内集中出现大量积分记录，"
    "可能是脚本刷分、重复提交或导入出错，请核对这些记录的来源。",
)
def find_bursts(period, branch_ids=None):
    """People with at least BURST_ENTRIES entries created within BURST_SECONDS of each other."""
    window = timedelta(seconds=BURST_SECONDS)
    rows = db.session.execute(
        select(LedgerEntry.person_id, LedgerEntry.created_at)
        .where(*_in_period(period, branch_ids))
        .order_by(LedgerEntry.person_id, LedgerEntry.created_at)
    ).all()
    found = {}
    by_person = {}
    for person_id, created_at in rows:
        by_person.setdefault(person_id, []).append(created_at)
    for person_id, times in by_person.items():
        best, start = 0, 0
        best_at = None
        for end, moment in enumerate(times):
            while moment - times[start] > window:
                start += 1
            if end - start + 1 > best:
                best, best_at = end - start + 1, times[start]
        if best >= BURST_ENTRIES:
            found[person_id] = f"{format_datetime(best_at, seconds=True)} 起 {BURST_SECONDS} 秒内入账 {best} 条"
    return finding_rows(found)


@detector(
    "manual", f"手动调整频繁（本期 ≥{MANUAL_ADJUSTMENTS} 次）",
    "手动加减分应是少数例外。同一人在一个周期内多次被手动调整，可能说明规则没有覆盖实际工作、"
    "或调整被滥用，请复核每次调整的原因。",
)
def find_frequent_adjustments(period, branch_ids=None):
    """People adjusted by hand at least MANUAL_ADJUSTMENTS times in the period (reversals not counted)."""
    rows = db.session.execute(
        select(LedgerEntry.person_id, func.count(), func.sum(LedgerEntry.points))
        .where(*_in_period(period, branch_ids), LedgerEntry.rule_code == MANUAL, LedgerEntry.reverses_id.is_(None))
        .group_by(LedgerEntry.person_id)
        .having(func.count() >= MANUAL_ADJUSTMENTS)
    ).all()
    return finding_rows({pid: f"本期手动调整 {count} 次，合计 {points:+d} 分" for pid, count, points in rows})


@detector(
    "outlier", f"积分远高于本支部平均（超过平均值 {OUTLIER_SIGMAS} 个标准差）",
    "同一支部成员的学习任务和活动大致相同，积分通常相差不大。远远高于本支部平均的积分"
    "可能来自重复入账、规则上限设置不当或刷分，也可能是真实的突出表现，请查看明细后判断。",
)
def find_outliers(period, branch_ids=None):
    """People whose period total exceeds their branch's mean by more than OUTLIER_SIGMAS standard deviations."""
    by_branch = {}
    for person_id, branch_id, points in standings.period_totals(period, branch_ids):
        by_branch.setdefault(branch_id, []).append((person_id, points))
    found = {}
    for members in by_branch.values():
        values = [points for _, points in members]
        if len(values) < 2:
            continue
        mean, sd = statistics.fmean(values), statistics.pstdev(values)
        if sd == 0:
            continue
        for person_id, points in members:
            if points > mean + OUTLIER_SIGMAS * sd:
                found[person_id] = f"本期 {points} 分，支部平均 {mean:.1f} 分，标准差 {sd:.1f}"
    return finding_rows(found)
