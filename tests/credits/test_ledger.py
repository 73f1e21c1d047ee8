"""The ledger: idempotent awards, caps, versioned rules, reversals and late entries."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from portal.core import clock
from portal.core.audit import AuditEntry
from portal.core.exceptions import ConflictError, PermissionDenied, ValidationError
from portal.core.periods import PeriodKind, period_containing
from portal.credits import services, standings
from portal.credits.models import CreditRule, CreditTotal, LedgerEntry
from portal.credits.services import Source
from portal.extensions import db
from portal.roster.models import Person
from tests.conftest import run_concurrently


def at(y, m, d, hour=10):
    """A moment in Asia/Shanghai local time, as an aware datetime."""
    return datetime(y, m, d, hour, tzinfo=clock.LOCAL_TZ)


def entries(person=None):
    stmt = select(LedgerEntry).order_by(LedgerEntry.id)
    if person is not None:
        stmt = stmt.where(LedgerEntry.person_id == person.id)
    return db.session.scalars(stmt).all()


def total(person, kind, day):
    return db.session.scalar(select(CreditTotal.points).where(
        CreditTotal.person_id == person.id, CreditTotal.kind == str(kind),
        CreditTotal.period_start == period_containing(kind, day).start)) or 0


def test_award_writes_one_entry_traceable_to_its_source(world):
    member = world.people.member
    entry = services.award(member, "session_attend", Source("session", 7), when=at(2026, 11, 5)).entry
    db.session.commit()
    assert (entry.points, entry.rule_code, entry.source_type, entry.source_id) == (3, "session_attend", "session", 7)
    assert entry.booked_on == date(2026, 11, 5) and entry.branch_id == world.branch_a.id
    assert entry.rule.version == 1
    for kind in PeriodKind:
        assert total(member, kind, date(2026, 11, 5)) == 3


def test_awarding_the_same_source_twice_gives_one_entry(world):
    member = world.people.member
    first = services.award(member, "session_attend", Source("session", 7), when=at(2026, 11, 5)).entry
    again = services.award(member, "session_attend", Source("session", 7), when=at(2026, 11, 6)).entry
    db.session.commit()
    assert first.id == again.id and len(entries(member)) == 1
    assert total(member, PeriodKind.YEAR, date(2026, 11, 5)) == 3


def test_concurrent_awards_from_many_threads_write_exactly_one_entry(app, world):
    person_id = world.people.member.id
    def award_once():
        person = db.session.get(Person, person_id)
        services.award(person, "session_attend", Source("meeting", 42), when=at(2026, 11, 5))
        db.session.commit()

    results = run_concurrently(app, award_once, 6)
    assert results == [None] * 6  # every racer succeeded: the losers got the winner's entry
    db.session.expire_all()
    rows = entries(world.people.member)
    assert len(rows) == 1 and rows[0].points == 3
    assert total(world.people.member, PeriodKind.MONTH, date(2026, 11, 5)) == 3


def test_rule_that_does_not_apply_gives_nothing(world):
    staff = world.people.staff  # 群众: study rules are for members and activists
    assert services.award(staff, "study_read", Source("article", 1), when=at(2026, 11, 5)).entry is None
    assert entries() == []


def test_daily_cap_stops_farming(world):
    member = world.people.member
    for article in range(5):
        services.award(member, "study_read", Source("article", article), when=at(2026, 11, 5))
    services.award(member, "study_read", Source("article", 99), when=at(2026, 11, 6))
    db.session.commit()
    per_day = {e.booked_on: 0 for e in entries(member)}
    for e in entries(member):
        per_day[e.booked_on] += e.points
    assert per_day == {date(2026, 11, 5): 2, date(2026, 11, 6): 1}


def test_score_rules_scale_and_refuse_bad_scores(world):
    member = world.people.member
    entry = services.award(member, "weekly_test", Source("attempt", 1), when=at(2026, 11, 5), score=85).entry
    assert entry.points == 8  # 10 x 85 / 100, rounded
    with pytest.raises(ValidationError):
        services.award(member, "weekly_test", Source("attempt", 2), when=at(2026, 11, 5), score=130)


def test_changing_a_rule_versions_it_and_keeps_old_entries(world, now):
    member, committee = world.people.member, world.users.committee
    old = services.award(member, "session_attend", Source("session", 1), when=at(2026, 11, 5)).entry
    db.session.commit()
    now.set(at(2026, 11, 20))
    services.change_rule(committee, "session_attend", name="参加组织生活", points=5, mode="fixed",
                         daily_cap=None, weekly_cap=None, monthly_cap=None, applies_to=[])
    db.session.commit()
    new = services.award(member, "session_attend", Source("session", 2), when=at(2026, 11, 20)).entry
    late = services.award(member, "session_attend", Source("session", 3), when=at(2026, 11, 10)).entry
    db.session.commit()
    assert (old.points, old.rule.version) == (3, 1)
    assert (new.points, new.rule.version) == (5, 2)
    assert (late.points, late.rule.version) == (3, 1)  # earned under the old version
    versions = db.session.scalars(select(CreditRule).where(CreditRule.code == "session_attend")).all()
    assert sorted((r.version, r.is_current) for r in versions) == [(1, False), (2, True)]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "credit_rule_changed")) == 1


def test_only_the_committee_changes_rules_or_adjusts(world):
    with pytest.raises(PermissionDenied):
        services.change_rule(world.users.secretary, "session_attend", name="x", points=9, mode="fixed",
                             daily_cap=None, weekly_cap=None, monthly_cap=None, applies_to=[])
    services.ensure_default_rules()
    with pytest.raises(PermissionDenied):
        services.adjust(world.users.secretary, world.people.member, 5, "表现突出")


def test_manual_adjustment_needs_a_reason_and_is_audited(world):
    member, committee = world.people.member, world.users.committee
    with pytest.raises(ValidationError, match="原因"):
        services.adjust(committee, member, 5, "  ")
    entry = services.adjust(committee, member, -3, "无故缺席支部党员大会")
    db.session.commit()
    assert entry.points == -3 and entry.reason == "无故缺席支部党员大会"
    assert entry.recorded_by_id == committee.id and entry.source_type == "adjustment"
    detail = db.session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "credit_adjusted"))
    assert "-3" in detail and "无故缺席" in detail


def test_reversal_points_at_the_original_and_cannot_repeat(world, now):
    member, committee = world.people.member, world.users.committee
    original = services.award(member, "session_attend", Source("meeting", 1), when=at(2026, 11, 5)).entry
    db.session.commit()
    now.set(at(2026, 11, 6))
    reversal = services.reverse(committee, original.id, "心愿人反映未实际完成")
    db.session.commit()
    assert reversal.points == -3 and reversal.reverses_id == original.id
    assert db.session.get(LedgerEntry, original.id).points == 3  # the original is untouched
    assert total(member, PeriodKind.MONTH, date(2026, 11, 6)) == 0
    with pytest.raises(ConflictError):
        services.reverse(committee, original.id, "再次冲销")
    with pytest.raises(ValidationError):
        services.reverse(committee, reversal.id, "冲销冲销记录")


def test_entries_for_a_closed_period_go_to_the_next_and_say_so(world, now):
    member = world.people.member
    services.award(member, "session_attend", Source("session", 1), when=at(2026, 11, 8))
    db.session.commit()
    now.set(at(2026, 11, 11, 1))
    standings.close_period(period_containing(PeriodKind.DEKAD, date(2026, 11, 8)))
    db.session.commit()
    late = services.award(member, "session_attend", Source("session", 2), when=at(2026, 11, 9)).entry
    db.session.commit()
    assert late.booked_on == date(2026, 11, 11)
    assert "2026年11月上旬" in late.late_note and "计入下一周期" in late.late_note
    first_dekad = period_containing(PeriodKind.DEKAD, date(2026, 11, 8))
    assert standings.person_ranking(first_dekad)[0].points == 3  # frozen
    assert total(member, PeriodKind.DEKAD, date(2026, 11, 11)) == 3


def test_midnight_in_shanghai_decides_the_day(world):
    member = world.people.member
    # 16:30 UTC on 10 November is 00:30 on 11 November in Shanghai.
    entry = services.award(member, "session_attend", Source("session", 1),
                           when=datetime(2026, 11, 10, 16, 30, tzinfo=UTC)).entry
    assert entry.booked_on == date(2026, 11, 11)
    assert total(member, PeriodKind.DEKAD, date(2026, 11, 11)) == 3
    assert total(member, PeriodKind.DEKAD, date(2026, 11, 10)) == 0


def test_rebuilding_totals_from_the_ledger_gives_the_same_figures(world):
    member, other = world.people.member, world.people.other
    for i in range(4):
        services.award(member, "session_attend", Source("session", i), when=at(2026, 9, 28 + i % 3))
    services.award(other, "reflection", Source("reflection", 1), when=at(2026, 10, 2), score=80)
    db.session.commit()
    before = sorted(tuple(r) for r in db.session.execute(select(CreditTotal.__table__)))
    standings.rebuild_totals()
    db.session.commit()
    after = sorted(tuple(r) for r in db.session.execute(select(CreditTotal.__table__)))
    assert before == after and len(after) > 0


def test_unknown_rule_is_refused(world):
    with pytest.raises(ValidationError, match="^积分规则不存在或已停用$"):
        services.award(world.people.member, "no_such_rule", Source("x", 1), when=at(2026, 11, 5))
