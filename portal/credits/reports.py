"""What the credit pages and exports show, assembled from the standings within the actor's scope."""

from dataclasses import dataclass

from flask import request
from sqlalchemy import select

from portal.core import cache
from portal.core.clock import format_local, localnow
from portal.core.exceptions import NotFound
from portal.core.periods import KIND_LABELS, PeriodKind, current_period
from portal.core.xlsx import write_workbook
from portal.credits import services, standings
from portal.credits.period_states import PeriodState, period_choices, period_state
from portal.extensions import db
from portal.roster.models import Organisation, OrgKind

PAGE_SIZE = 30
VIEWS = ("person", "branch")


def change_text(change):
    """A rank change as the pages and exports show it: ↑2, ↓1, 新 (not ranked before), — (same)."""
    if change is None:
        return "新"
    if change > 0:
        return f"↑{change}"
    if change < 0:
        return f"↓{-change}"
    return "—"


@dataclass
class RankingBoard:
    """Everything the ranking page shows for one period, within the actor's scope."""

    period: object
    state: object  # period_states.PeriodState
    closed: object  # the ClosedPeriod row, None until the period is closed
    choices: list  # [(period, PeriodState)]
    view: str
    branch_options: list
    branch_id: int | None
    whole_committee: bool
    people: object
    branch_rows: list
    branch_count: int
    distribution: list


def _branch_options(scope):
    """(id, name) rows of the branches the actor may filter a ranking to."""
    stmt = select(Organisation.id, Organisation.name).where(Organisation.kind == OrgKind.BRANCH)
    if scope.branch_ids is not None:
        stmt = stmt.where(Organisation.id.in_(scope.branch_ids))
    return db.session.execute(stmt.order_by(Organisation.sort_order, Organisation.id)).all()


def visible_branch_ranking(period, scope):
    """The branch rows a scope may see (ranked among every branch), and how many branches are ranked."""
    rows = standings.branch_ranking(period, scope.branch_ids)
    if rows:
        return rows, rows[0].out_of
    return rows, len(standings.branch_ranking(period))  # e.g. a branch newer than a closed period


def ranking_key(actor, period, view, branch_id, page):
    """Everything a ranking page's shared part depends on (portal.core.cache), for its cache key.

    The viewer counts only through the organisations their rankings cover; the data through the
    ledger, the closed periods, the signed payouts and the roster (names, branches); the period
    choices and states through today.
    """
    scope = tuple(sorted(org.id for org in actor.scopes("credits.rankings")))
    return ("credits.rankings", scope, period.key, view, branch_id, page, localnow().date(), request.script_root,
            *cache.versions("ledger", "closed_periods", "payouts", "roster"))


def ranking_board(actor, period, view="person", branch_id=None, page=1):
    """The ranking page: people (paged) or branches, the period choices and the chart data."""
    scope = services.RankingScope.of(actor)
    view = view if view in VIEWS else "person"
    people_of = scope.people_of(branch_id)
    people = distribution = None
    branch_rows, branch_count = [], 0
    if view == "person":
        people = standings.person_ranking_page(period, people_of, page=page, per_page=PAGE_SIZE)
        distribution = standings.points_distribution(period, people_of)
    else:
        branch_rows, branch_count = visible_branch_ranking(period, scope)
    return RankingBoard(
        period=period, state=period_state(period), closed=standings.closed_period(period),
        choices=period_choices(period.kind), view=view, branch_options=_branch_options(scope),
        branch_id=branch_id, whole_committee=people_of is None, people=people, branch_rows=branch_rows,
        branch_count=branch_count, distribution=distribution or [],
    )


@dataclass
class LedgerBoard:
    """A person's credits page: current totals and ranks, points over a year, the entries."""

    person: object
    summary: list
    series: list
    period: object
    entries: object
    reversals: dict
    sources: dict

    @property
    def series_labels(self):
        """Short month labels for the chart: 11月, 12月, 1月 ..."""
        return [f"{period.start.month}月" for period, _ in self.series]


def ledger_subject(person_id):
    """standings.ledger_subject(), kept while the roster does not change (a ledger page reads it each time)."""
    key = ("credits.ledger_subject", person_id, *cache.versions("roster"))
    return cache.cache().get_or_make(key, lambda: standings.ledger_subject(person_id))


def ledger_subject_for(actor, person_id, permission="credits.ledger"):
    """The LedgerSubject of a person the actor may see under `permission`; NotFound otherwise.

    The same rule as roster.get_person_for, checked on the subject's branch path.
    """
    subject = ledger_subject(person_id)
    if subject is None or subject.branch is None or not actor.has_permission(permission, subject.branch):
        raise NotFound("人员不存在")
    return subject


def ledger_key(subject, period, page, own, reversible):
    """Everything a ledger page's shared part depends on (portal.core.cache), for its cache key.

    The entries through the ledger's version (any new entry or reversal moves it), the current
    periods' totals through today, the viewer through `own` and `reversible`.
    """
    return ("credits.ledger", subject, period.key if period else None, page, own, reversible,
            localnow().date(), request.script_root, *cache.versions("ledger", "closed_periods"))


def ledger_board(person, period=None, page=1):
    """Everything 我的积分 (or a member's ledger page) shows for one person."""
    entries = standings.ledger_page(person.id, period, page=page, per_page=PAGE_SIZE)
    return LedgerBoard(
        person=person, summary=standings.person_summary(person.id),
        series=standings.points_over_time(person.id, PeriodKind.MONTH, 12), period=period,
        entries=entries, reversals=standings.reversals_of([e.id for e in entries.items]),
        sources=services.source_texts(entries.items),
    )


# --- exports --------------------------------------------------------------------------------------

PERSON_HEADERS = ["排名", "姓名", "党支部", "积分", "名次变化"]
BRANCH_HEADERS = ["排名", "党支部", "党员人数", "参与人数", "参与率（%）", "总积分", "人均积分"]
# A ranking file's name says what its figures are: live, waiting to be closed, frozen, paid.
EXPORT_STATUS = {PeriodState.LIVE: "实时", PeriodState.ENDED: "待结算", PeriodState.CLOSED: "已结算",
                 PeriodState.PAID: "已兑现"}
LEDGER_HEADERS = ["入账日期", "获得时间", "积分规则", "规则版本", "积分", "来源", "补记说明", "原因", "状态", "记录人"]


def ranking_workbook(actor, period, table="person", branch_id=None):
    """A ranking as .xlsx with Chinese headers, within the actor's scope: (stream, file name)."""
    scope = services.RankingScope.of(actor)
    status = EXPORT_STATUS[period_state(period)]
    if table == "branch":
        rows, _ = visible_branch_ranking(period, scope)
        data = [[r.rank, r.name, r.members, r.participants, r.participation, r.points, r.average] for r in rows]
        stream = write_workbook(BRANCH_HEADERS, data, title="支部排名", widths=[8, 28, 10, 10, 12, 10, 10])
        return stream, f"支部积分排名_{period.label}_{status}.xlsx"
    people = standings.person_ranking(period, scope.people_of(branch_id))
    data = [[r.rank, r.name, r.branch_name, r.points, change_text(r.change)] for r in people]
    stream = write_workbook(PERSON_HEADERS, data, title="个人排名", widths=[8, 14, 28, 10, 10])
    return stream, f"个人积分排名_{period.label}_{status}.xlsx"


def entry_status(entry, reversals):
    """冲销记录 (what it cancelled is in the source column), 已冲销（2026-01-05）, or empty."""
    if entry.reverses_id is not None:
        return "冲销记录"
    if entry.id in reversals:
        return f"已冲销（{reversals[entry.id].isoformat()}）"
    return ""


def ledger_workbook(person, period=None):
    """A person's entries as .xlsx with Chinese headers: (stream, file name)."""
    entries = standings.ledger_entries(person.id, period)
    reversals = standings.reversals_of([e.id for e in entries])
    sources = services.source_texts(entries)
    data = [
        [e.booked_on, format_local(e.earned_at), e.rule.name, e.rule.version, e.points, sources[e.id],
         e.late_note or "", e.reason or "", entry_status(e, reversals),
         e.recorded_by.display_name if e.recorded_by else ""]
        for e in entries
    ]
    stream = write_workbook(LEDGER_HEADERS, data, title="积分明细",
                            widths=[12, 18, 16, 9, 8, 18, 36, 30, 18, 12])
    suffix = f"_{period.label}" if period else ""
    return stream, f"积分明细_{person.name}{suffix}.xlsx"


# --- home page --------------------------------------------------------------------------------------

def home_summary(user):
    """The current month's credits for the home page: one's own points and rank, and branch standings."""
    month = current_period(PeriodKind.MONTH)
    panel = {"period": month, "kind_label": KIND_LABELS[PeriodKind.MONTH]}
    if user.person is not None:
        rank, points, size = standings.person_ranking_for(month, user.person.id)
        panel["me"] = {"rank": rank, "points": points, "size": size}
    if user.has_permission("credits.rankings"):
        scope = services.RankingScope.of(user)
        rows, count = visible_branch_ranking(month, scope)
        if scope.whole_committee:
            panel["top_branches"] = rows[:3]
        else:
            panel["own_branches"] = rows
        panel["branch_count"] = count
    return panel
