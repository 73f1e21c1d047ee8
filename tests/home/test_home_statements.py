"""The home page is the most visited page: its statement count has a ceiling and does not grow with
what a member, a secretary or the committee has to do (the same ceiling on SQLite and PostgreSQL)."""

from datetime import timedelta

from portal.accounts.models import RoleGrant
from portal.core.permissions import Role
from portal.extensions import db
from portal.inbox.services import notify
from portal.study.models.meetings import MeetingReflection
from portal.study.services import meetings
from tests.conftest import login
from tests.credits.helpers import give
from tests.home.helpers import NOW, TODAY, page_of, seed_day
from tests.statements import CountStatements
from tests.study.article_factories import at, make_article, plan
from tests.study.meeting_helpers import draft
from tests.study.quiz_factories import make_quiz

# The log-in check, each panel's fixed reads, and the lazy loads the page does (person, unit); one
# of them finds the exemplar campaigns the user may see (none here: no more per campaign).
MEMBER_CEILING = 25
SECRETARY_CEILING = 43
COMMITTEE_CEILING = 34


def _statements(app, client):
    """Statements one view of the home page runs, page parts not cached."""
    app.extensions["fragment_cache"].clear()
    with CountStatements() as seen:
        page_of(client)
    return seen.count, seen.statements


def _more_to_do(world):
    """Three more articles, two more tests, another session and six more messages for branch A."""
    for n in range(3):
        plan(make_article(world.committee, title=f"加读第{n + 1}篇"), world.branch_a, TODAY)
    for n in range(2):
        make_quiz(world.users.committee, world.committee, [world.branch_a], title=f"加测{n + 1}")
    meetings.schedule(world.users.secretary, world.branch_a.id,
                      draft(starts=(NOW + timedelta(days=2)).replace(tzinfo=None), topic="加开的党课"))
    for n in range(6):
        notify(world.people.member, f"more:{n}", f"又一条提醒{n}", url="/study/today")
    db.session.commit()


def test_a_members_home_page_reads_a_fixed_number_of_statements(app, client, world, now):
    now.set(NOW)
    seed_day(world, articles=1, tests=1, messages=1, pick=False)  # the question drawn: the longer path
    login(client, world.users.member)
    few, _ = _statements(app, client)
    _more_to_do(world)
    many, statements = _statements(app, client)
    assert few == many <= MEMBER_CEILING, [sql[:80] for sql in statements]


def test_a_secretarys_home_page_does_not_grow_with_branches_or_sessions(app, client, world, now):
    now.set(at(2026, 11, 4, 9))
    for day in (5, 6):
        meetings.schedule(world.users.secretary, world.branch_a.id,
                          draft(starts=at(2026, 11, day, 14, 30).replace(tzinfo=None), topic=f"{day}日研讨"))
    now.set(NOW)
    seed_day(world, articles=1, tests=1, messages=1, pick=False)  # the question drawn: the longer path
    login(client, world.users.secretary)
    few, _ = _statements(app, client)
    # A second branch to look after, with its own sessions, reflections and tests.
    db.session.add(RoleGrant(user_id=world.users.secretary.id, role=Role.SECRETARY, organisation=world.branch_b))
    now.set(at(2026, 11, 4, 9))
    held = meetings.schedule(world.users.committee, world.branch_b.id,
                             draft(starts=at(2026, 11, 5, 14, 30).replace(tzinfo=None), topic="二队研讨"))
    db.session.add(MeetingReflection(meeting_id=held.id, person_id=world.people.other.id, body="心得" * 30))
    now.set(NOW)
    make_quiz(world.users.committee, world.committee, [world.branch_b], title="二队测试")
    _more_to_do(world)
    many, statements = _statements(app, client)
    assert 'data-testid="branch-due"' in page_of(client)
    assert few == many <= SECRETARY_CEILING, [sql[:80] for sql in statements]


def test_the_committees_home_page_reads_a_fixed_number_of_statements(app, client, world, now):
    give(now, world.users.committee, world.people.member, 3, at(2026, 11, 20))
    now.set(NOW)
    db.session.commit()
    login(client, world.users.committee)
    few, _ = _statements(app, client)
    for day in (21, 22):
        give(now, world.users.committee, world.people.other, 2, at(2026, 11, day))
    now.set(NOW)
    db.session.commit()
    many, statements = _statements(app, client)
    assert few == many <= COMMITTEE_CEILING, [sql[:80] for sql in statements]
    # Viewed again within the minute: the anomaly checks come from the cache.
    with CountStatements() as again:
        page_of(client)
    assert again.count < many and not again.naming("FROM article_read JOIN article")
