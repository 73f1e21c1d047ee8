"""The ranking and ledger pages' queries agree with counting by hand."""

from datetime import date

from portal.core.periods import PeriodKind, period_containing
from portal.credits import jobs, period_states, services, standings
from portal.extensions import db
from tests.credits.helpers import at

NOV = period_containing(PeriodKind.MONTH, date(2026, 11, 1))
OCT = NOV.previous()


def _give(now, world, person, points, when):
    now.set(when)
    services.adjust(world.users.committee, person, points, "测试")


def test_period_choices_flag_the_closed_periods(world, now):
    _give(now, world, world.people.member, 5, at(2026, 10, 5))
    now.set(at(2026, 11, 22))
    jobs.close_ended_periods()
    db.session.commit()
    choices = period_states.period_choices(PeriodKind.MONTH)
    assert [(period.label, state.label) for period, state in choices] == [
        ("2026年11月", "进行中"), ("2026年10月", "已结算")]


def test_rankings_within_branches_sort_and_count_like_the_whole_committee(world, now):
    people = world.people
    for person, points in ((people.member, 10), (people.activist, 7), (people.secretary, 7), (people.other, 3)):
        _give(now, world, person, points, at(2026, 11, 5))
    db.session.commit()
    now.set(at(2026, 11, 22))
    branches = [world.branch_a.id, world.branch_b.id]
    within = standings.person_ranking(NOV, branch_ids=branches)
    everyone = standings.person_ranking(NOV)
    assert [(r.rank, r.name, r.points) for r in within] == [(r.rank, r.name, r.points) for r in everyone]
    assert standings.points_distribution(NOV, branches) == standings.points_distribution(NOV) == [
        (10, 1), (7, 2), (3, 1)]


def test_person_summary_matches_one_standing_per_period(world, now):
    _give(now, world, world.people.member, 4, at(2026, 11, 5))
    _give(now, world, world.people.other, 9, at(2026, 11, 21))
    _give(now, world, world.people.activist, 4, at(2026, 3, 5))
    db.session.commit()
    now.set(at(2026, 11, 22))
    for person in (world.people.member, world.people.other, world.people.staff):
        summary = standings.person_summary(person.id)
        assert [s.period.kind for s in summary] == list(PeriodKind)
        for score in summary:
            points = db.session.scalar(standings.select(standings.CreditTotal.points).where(
                standings.CreditTotal.kind == str(score.period.kind),
                standings.CreditTotal.period_start == score.period.start,
                standings.CreditTotal.person_id == person.id))
            ahead = db.session.scalar(standings.select(standings.func.count()).select_from(standings.CreditTotal).where(
                standings.CreditTotal.kind == str(score.period.kind),
                standings.CreditTotal.period_start == score.period.start,
                standings.CreditTotal.points > (points or 0)))
            size = standings.ranking_size(score.period)
            expected = (None, 0, size) if points is None else (ahead + 1, points, size)
            assert (score.rank, score.points, score.size) == expected, (person.name, score.period.label)
    year = standings.person_summary(world.people.member.id)[-1]
    assert (year.rank, year.points, year.size) == (2, 4, 3)  # 陈五 9; 张三 and 李四 4 each, tied
    assert standings.person_ranking_for(NOV, world.people.staff.id) == (None, 0, 2)
