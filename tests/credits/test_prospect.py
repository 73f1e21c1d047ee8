"""prospect(): what award() would book now, read without writing, for pages that say what a task earns."""

from sqlalchemy import func, select

from portal.credits import services
from portal.credits.models import CreditRule
from portal.credits.services import Source
from portal.extensions import db
from tests.credits.helpers import at

MORNING, NOON = at(2026, 11, 5, 9), at(2026, 11, 5, 12)


def test_it_follows_award_through_the_daily_cap_and_writes_nothing(world):
    member = world.people.member
    first = services.prospect(member, "study_read", when=MORNING)
    assert (first.points, first.room, first.message) == (1, 2, "+1 分")
    assert db.session.scalar(select(func.count()).select_from(CreditRule)) == 0  # the default is not saved
    for source in (1, 2):
        assert services.prospect(member, "study_read", when=NOON).points == services.award(
            member, "study_read", Source("article_read", source), when=NOON).points == 1
    used_up = services.prospect(member, "study_read", when=NOON)
    assert (used_up.points, used_up.room) == (0, 0)
    assert used_up.message == "今日“每日一学”积分已达上限（2 分）"
    assert services.award(member, "study_read", Source("article_read", 3), when=NOON).entry is None
    assert services.prospect(member, "study_read", when=at(2026, 11, 6, 9)).points == 1  # a new day


def test_a_cap_cuts_a_score_and_the_status_rule_holds(world):
    member = world.people.member
    assert services.prospect(member, "weekly_test", when=NOON, score=85).points == 8
    services.award(member, "weekly_test", Source("quiz_attempt", 1), when=NOON, score=70)
    cut = services.prospect(member, "weekly_test", when=NOON, score=85)
    assert (cut.points, cut.room) == (3, 3)
    staff = services.prospect(world.people.staff, "study_read", when=NOON)
    assert staff.points == 0 and staff.message == "按积分规则，群众不计“每日一学”积分"


def test_a_rule_changed_by_the_committee_is_what_it_says(world, now):
    now.set(MORNING)
    services.change_rule(world.users.committee, "study_read", name="每日一学", points=3, mode="fixed",
                         daily_cap=None, weekly_cap=None, monthly_cap=None, applies_to=[])
    chance = services.prospect(world.people.staff, "study_read", when=NOON)
    assert (chance.points, chance.room, chance.message) == (3, None, "+3 分")
