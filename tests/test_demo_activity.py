"""`flask demo load --activity-days N`: a consistent ledger, totals that add up, frozen periods."""

from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

from portal.core.clock import localnow
from portal.core.periods import PeriodKind, period_containing
from portal.credits.models import ClosedPeriod, CreditAdjustment, CreditTotal, LedgerEntry, SnapshotRow
from portal.credits.rules import DEFAULT_RULES
from portal.demo import activity


@pytest.fixture()
def active(app, db):
    result = app.test_cli_runner().invoke(
        args=["demo", "load", "--people", "120", "--seed", "42", "--activity-days", "30"])
    assert result.exit_code == 0, result.output
    return result


def entries(db):
    return db.session.scalars(select(LedgerEntry)).all()


def test_writes_entries_for_every_kind_of_activity(db, active):
    by_rule = Counter(entry.rule_code for entry in entries(db))
    for code in ("study_read", "daily_question", "weekly_test", "session_attend", "manual"):
        assert by_rule[code] > 0, code
    assert set(by_rule) <= set(DEFAULT_RULES)
    assert "台账" in active.output


def test_entries_keep_caps_and_dates(db, active):
    today = localnow().date()
    daily = Counter()
    for entry in entries(db):
        assert entry.booked_on <= today
        assert entry.rule_id is not None and entry.rule.code == entry.rule_code
        if entry.reverses_id is None and entry.rule_code in ("study_read", "daily_question"):
            daily[(entry.person_id, entry.rule_code, entry.booked_on)] += entry.points
            assert entry.earned_at.astimezone(localnow().tzinfo).date() == entry.booked_on
    for (_, code, _), points in daily.items():
        assert points <= DEFAULT_RULES[code]["daily_cap"]


def test_sources_are_unique_and_manual_entries_have_their_adjustment(db, active):
    keys = Counter((e.rule_code, e.source_type, e.source_id, e.person_id) for e in entries(db))
    assert max(keys.values()) == 1
    manual = [e for e in entries(db) if e.source_type == "adjustment"]
    adjustments = {a.id: a for a in db.session.scalars(select(CreditAdjustment))}
    assert manual and all(adjustments[e.source_id].points == e.points and e.reason for e in manual)


def test_reversals_cancel_an_earlier_entry(db, active):
    reversals = [e for e in entries(db) if e.reverses_id is not None]
    assert reversals
    for entry in reversals:
        original = db.session.get(LedgerEntry, entry.reverses_id)
        assert entry.points == -original.points and entry.source_id == original.id
        assert entry.booked_on >= original.booked_on and original.reverses_id is None


def test_running_totals_equal_the_ledger(db, active):
    expected = defaultdict(int)
    for entry in entries(db):
        for kind in PeriodKind:
            expected[(str(kind), period_containing(kind, entry.booked_on).start, entry.person_id)] += entry.points
    totals = {(t.kind, t.period_start, t.person_id): t.points for t in db.session.scalars(select(CreditTotal))}
    assert totals == dict(expected)


def test_ended_periods_are_frozen_with_snapshots(db, active):
    today = localnow().date()
    closed = db.session.scalars(select(ClosedPeriod)).all()
    assert closed and all(period.period_end < today for period in closed)
    month = next(p for p in closed if p.kind == PeriodKind.MONTH and p.period_start.month != today.month)
    snapshot = db.session.scalar(select(func.count()).select_from(SnapshotRow).where(SnapshotRow.period_id == month.id))
    live = db.session.scalar(select(func.count()).select_from(CreditTotal).where(
        CreditTotal.kind == PeriodKind.MONTH, CreditTotal.period_start == month.period_start))
    assert snapshot == live > 0


def test_refuses_a_ledger_that_already_has_entries(db, active):
    with pytest.raises(activity.LedgerNotEmpty):
        activity.generate_activity(5, seed=1)


def test_every_generated_entry_names_its_source_in_chinese(db, active):
    from portal.credits import services

    labels = {services.source_label(entry).split(" #")[0] for entry in entries(db)}
    # 六大员评选: the honours of the demo's finished exemplar campaign, booked by credits.award().
    named = {"每日一学", "每日一题", "每周一测", "组织生活", "心得体会", "手动调整", "冲销", "六大员评选"}
    assert labels <= named, labels
