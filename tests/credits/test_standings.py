"""Rankings with ties, branch averages, frozen snapshots and the closing job."""

from datetime import date, datetime

from sqlalchemy import func, select

from portal.core import clock
from portal.core.periods import PeriodKind, period_containing
from portal.credits import jobs, services, standings
from portal.credits.models import ClosedPeriod, SnapshotRow
from portal.credits.services import Source
from portal.extensions import db
from portal.roster.models import OrgKind, PersonStatus, PoliticalStatus
from tests import factories
from tests.conftest import run_concurrently
from tests.factories import make_person

NOV = period_containing(PeriodKind.MONTH, date(2026, 11, 1))


def at(y, m, d, hour=10):
    return datetime(y, m, d, hour, tzinfo=clock.LOCAL_TZ)


def give(now, person, points, day=5, source=None):
    """Award `points` by manual adjustment (any amount), booked on 2026-11-<day>; leaves `now` there."""
    now.set(at(2026, 11, day))
    services.adjust(_committee(), person, points, "测试")


def _committee():
    from portal.accounts.models import User
    from portal.core.permissions import Role

    return next(u for u in db.session.scalars(select(User)) if u.has_role(Role.COMMITTEE))


def test_ties_share_a_rank_and_the_next_rank_skips(world, now):
    people = world.people
    give(now, people.member, 10)
    give(now, people.activist, 7)
    give(now, people.secretary, 7)
    give(now, people.other, 3)
    db.session.commit()
    ranking = standings.person_ranking(NOV)
    assert [(r.rank, r.points) for r in ranking] == [(1, 10), (2, 7), (2, 7), (4, 3)]
    # Ties are listed in a fixed order: by name in pinyin (lisi before wangshuji).
    assert [r.name for r in ranking][1:3] == ["李四", "王书记"]


def test_branch_ranking_uses_points_per_member_and_participation(world, now):
    # branch_a has 3 Party members (王书记, 张三 and nobody else counted: 李四 is an activist).
    for i in range(6):
        make_person(world.unit_b, f"掘进党员{i}", PoliticalStatus.FULL_MEMBER)
    db.session.commit()
    give(now, world.people.member, 10)  # branch_a: 10 points over its members
    give(now, world.people.other, 12)  # branch_b: 12 points over 8 members
    db.session.commit()
    rows = {r.name: r for r in standings.branch_ranking(NOV)}
    a, b = rows["综采一队党支部"], rows["掘进二队党支部"]
    assert (a.members, a.participants, a.points) == (2, 1, 10)
    assert (b.members, b.participants, b.points) == (8, 1, 12)
    assert a.average == 5.0 and b.average == 1.5 and a.rank == 1 and b.rank == 2
    assert a.participation == 50.0 and b.participation == 12.5


def test_ranking_within_a_branch_ranks_only_that_branch(world, now):
    give(now, world.people.other, 20)
    give(now, world.people.member, 5)
    db.session.commit()
    ranking = standings.person_ranking(NOV, branch_ids=[world.branch_a.id])
    assert [(r.rank, r.name) for r in ranking] == [(1, "张三")]


def test_rank_change_against_the_previous_period(world, now):
    now.set(at(2026, 10, 5))
    services.adjust(world.users.committee, world.people.member, 1, "十月")
    services.adjust(world.users.committee, world.people.other, 9, "十月")
    give(now, world.people.member, 10)
    give(now, world.people.other, 2)
    db.session.commit()
    ranking = {r.name: r for r in standings.person_ranking(NOV)}
    assert ranking["张三"].rank == 1 and ranking["张三"].change == 1
    assert ranking["陈五"].change == -1


def test_closing_freezes_a_snapshot_that_later_changes_cannot_alter(world, now):
    give(now, world.people.member, 10, day=25)
    db.session.commit()
    now.set(at(2026, 12, 1, 0))
    closed = jobs.close_ended_periods()
    assert "2026年11月" in closed and "2026年11月下旬" in closed
    frozen = standings.person_ranking(NOV)
    # A correction and a late award after closing land in December, not in the frozen month.
    entry = db.session.scalars(select(SnapshotRow)).first()
    assert entry is not None
    services.award(world.people.member, "session_attend", Source("session", 5), when=at(2026, 11, 20))
    services.adjust(world.users.committee, world.people.member, -4, "更正")
    db.session.commit()
    assert [(r.rank, r.points) for r in standings.person_ranking(NOV)] == [(r.rank, r.points) for r in frozen]
    december = period_containing(PeriodKind.MONTH, date(2026, 12, 1))
    assert standings.person_ranking(december)[0].points == -1  # 3 late points minus 4


def test_closing_job_is_idempotent(world, now):
    give(now, world.people.member, 10, day=25)
    db.session.commit()
    now.set(at(2026, 12, 1, 0))
    first = jobs.close_ended_periods()
    second = jobs.close_ended_periods()
    assert first and second == []
    count = db.session.scalar(select(func.count()).select_from(ClosedPeriod))
    assert count == len(first)
    rows = db.session.scalar(select(func.count()).select_from(SnapshotRow))
    assert rows == len(first)  # one person, one row per closed period


def test_two_closers_at_once_freeze_each_period_once(app, world, now):
    give(now, world.people.member, 10, day=25)
    db.session.commit()
    now.set(at(2026, 12, 1, 0))
    results = run_concurrently(app, jobs.close_ended_periods, 2)
    assert all(isinstance(r, list) for r in results), results  # both finished without an error
    db.session.expire_all()
    kinds = db.session.execute(select(ClosedPeriod.kind, ClosedPeriod.period_start)).all()
    assert len(kinds) == len(set(kinds)) and len(kinds) > 0
    assert db.session.scalar(select(func.count()).select_from(SnapshotRow)) == len(kinds)


def test_points_over_time_and_member_rank(world, now):
    give(now, world.people.member, 4)
    give(now, world.people.other, 9)
    db.session.commit()
    now.set(at(2026, 11, 22))
    series = standings.points_over_time(world.people.member.id, PeriodKind.MONTH, 3)
    assert [(p.label, pts) for p, pts in series] == [("2026年9月", 0), ("2026年10月", 0), ("2026年11月", 4)]
    assert standings.person_ranking_for(NOV, world.people.member.id) == (2, 4, 2)
    assert standings.person_ranking_for(NOV, world.people.staff.id) == (None, 0, 2)


def test_a_closed_periods_branch_ranking_stays_as_frozen_when_the_roster_changes(world, now):
    for i in range(2):
        make_person(world.unit_b, f"掘进党员{i}", PoliticalStatus.FULL_MEMBER)
    db.session.commit()
    give(now, world.people.member, 10, day=25)
    give(now, world.people.other, 12, day=25)
    db.session.commit()
    now.set(at(2026, 12, 1, 0))
    jobs.close_ended_periods()
    db.session.commit()

    def figures():
        return [(r.rank, r.name, r.members, r.participants, r.points, r.out_of) for r in standings.branch_ranking(NOV)]

    frozen = figures()
    assert frozen == [(1, "综采一队党支部", 2, 1, 10, 2), (2, "掘进二队党支部", 4, 1, 12, 2)]
    # After closing: a member moves to the other branch, two join it, one retires, a branch is added.
    world.people.secretary.unit, world.people.secretary.branch_id = world.unit_b, world.branch_b.id
    make_person(world.unit_a, "新党员甲", PoliticalStatus.FULL_MEMBER)
    make_person(world.unit_a, "新党员乙", PoliticalStatus.PROBATIONARY)
    world.people.other.status = PersonStatus.RETIRED
    factories.make_org("机电三队党支部", OrgKind.BRANCH, world.committee)
    db.session.commit()
    assert figures() == frozen
    assert [r.points for r in standings.person_ranking(NOV)] == [12, 10]
    # The open month counts today's roster.
    december = {r.name: r for r in standings.branch_ranking(period_containing(PeriodKind.MONTH, date(2026, 12, 1)))}
    assert december["综采一队党支部"].members == 3 and december["掘进二队党支部"].members == 4
    assert december["机电三队党支部"].out_of == 3
