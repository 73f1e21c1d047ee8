"""The lighter queries behind the ranking and ledger pages give what the plain ones give."""

from datetime import date

from portal.core import clock
from portal.core.periods import PeriodKind, period_containing
from portal.credits import jobs, services, standings
from portal.extensions import db
from tests.credits.helpers import at
from tests.statements import CountStatements

NOV = period_containing(PeriodKind.MONTH, date(2026, 11, 1))
OCT = NOV.previous()


def _give(world, person, points, when):
    clock.freeze(when)
    services.adjust(world.users.committee, person, points, "测试")


def test_closed_periods_looks_each_period_up_once_and_matches_closed_period(world):
    _give(world, world.people.member, 5, at(2026, 10, 5))
    clock.freeze(at(2026, 11, 22))
    jobs.close_ended_periods()
    db.session.commit()
    closed = standings.ClosedPeriods()
    with CountStatements() as seen:
        closed.load([NOV, OCT, OCT.previous()])
        assert seen.count == 1
        assert closed(OCT) is not None and closed(OCT).id == standings.closed_period(OCT).id
        assert closed(NOV) is None and closed(OCT.previous()) is None
        assert seen.count == 2  # the check against closed_period() above, nothing more
    dekad = period_containing(PeriodKind.DEKAD, date(2026, 10, 1))
    with CountStatements() as seen:
        assert closed(dekad) is not None and closed(dekad) is not None  # not loaded: one look-up, remembered
        assert seen.count == 1


def test_period_choices_are_the_same_with_a_shared_look_up(world):
    _give(world, world.people.member, 5, at(2026, 10, 5))
    clock.freeze(at(2026, 11, 22))
    jobs.close_ended_periods()
    db.session.commit()
    closed = standings.ClosedPeriods()
    choices = services.period_choices(PeriodKind.MONTH, closed=closed)
    assert choices == services.period_choices(PeriodKind.MONTH)
    assert [flag for _, flag in choices[:3]] == [False, True, False]
    with CountStatements() as seen:
        assert closed(NOV) is None and closed(OCT) is not None  # both were in the picker's list
        assert seen.count == 0


def test_rankings_within_branches_sort_and_count_like_the_whole_committee(world):
    people = world.people
    for person, points in ((people.member, 10), (people.activist, 7), (people.secretary, 7), (people.other, 3)):
        _give(world, person, points, at(2026, 11, 5))
    db.session.commit()
    clock.freeze(at(2026, 11, 22))
    branches = [world.branch_a.id, world.branch_b.id]
    within = standings.person_ranking(NOV, branch_ids=branches)
    everyone = standings.person_ranking(NOV)
    assert [(r.rank, r.name, r.points) for r in within] == [(r.rank, r.name, r.points) for r in everyone]
    assert standings.points_distribution(NOV, branches) == standings.points_distribution(NOV) == [
        (10, 1), (7, 2), (3, 1)]


def test_person_summary_matches_one_standing_per_period(world):
    _give(world, world.people.member, 4, at(2026, 11, 5))
    _give(world, world.people.other, 9, at(2026, 11, 21))
    _give(world, world.people.activist, 4, at(2026, 3, 5))
    db.session.commit()
    clock.freeze(at(2026, 11, 22))
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
    assert standings.live_standing(NOV, None) == (None, 0, 2)
