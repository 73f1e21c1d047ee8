"""One-time submit keys: a creating form sent twice (or ten times at once) does its work once."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.models import RoleGrant, User
from portal.core import submit_keys
from portal.core.clock import utcnow
from portal.core.permissions import Role
from portal.core.scheduler import run_job
from portal.core.submit_keys import SubmitKey
from portal.credits.models import CreditRule, LedgerEntry
from portal.extensions import db
from portal.roster.models import Person
from portal.study.models.articles import Article
from portal.study.models.meetings import Meeting
from portal.study.models.quizzes import QuizOverride
from tests.conftest import keyed, login, run_concurrently
from tests.credits.test_rules_adjust import NOW as CREDITS_NOW
from tests.credits.test_rules_adjust import RULE_FORM
from tests.factories import make_person, make_user
from tests.roster.test_people import _person_form
from tests.study.article_factories import NOW as ARTICLES_NOW
from tests.study.quiz_factories import make_bank, make_quiz
from tests.study.test_articles_manage import form as article_form
from tests.study.test_meetings_scheduling import NOW as MEETINGS_NOW
from tests.study.test_meetings_scheduling import _form as meeting_form

KEY_INPUT = re.compile(r'name="submit_key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="submit_key"')


def _count(model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _key_on(page):
    """The one-time key the page's form carries (failing the test when there is none)."""
    found = KEY_INPUT.search(page)
    assert found, "the form carries no submit key"
    return found.group(1) or found.group(2)


def _quiz_for_overrides(world):
    make_bank(world.committee)
    quiz = make_quiz(world.users.committee, world.committee, [world.branch_a])
    db.session.commit()
    return quiz


# Each creating form: who uses it, its page, where it posts, what it sends, what it makes.
CASES = {
    "adjustment": ("committee", CREDITS_NOW, lambda w: f"/credits/adjust?person_id={w.people.member.id}",
                   lambda w: "/credits/adjust",
                   lambda w: {"person_id": w.people.member.id, "points": "3", "reason": "抢险救灾表现突出"},
                   lambda w: (LedgerEntry,)),
    "meeting": ("secretary", MEETINGS_NOW, lambda w: f"/study/meetings/new?branch_id={w.branch_a.id}",
                lambda w: "/study/meetings/new", meeting_form, lambda w: (Meeting,)),
    "roster entry": ("secretary", None, lambda w: "/roster/new", lambda w: "/roster/new", _person_form,
                     lambda w: (Person, Person.name == "孙七")),
    "article": ("secretary", ARTICLES_NOW, lambda w: "/study/articles/new", lambda w: "/study/articles/new",
                lambda w: article_form(organisation_id=w.branch_a.id), lambda w: (Article,)),
    "rule": ("committee", CREDITS_NOW, lambda w: "/credits/rules/study_read/edit",
             lambda w: "/credits/rules/study_read/edit", lambda w: dict(RULE_FORM),
             lambda w: (CreditRule, CreditRule.name == RULE_FORM["name"])),
    "account": ("admin", None, lambda w: f"/accounts/new?person_id={w.people.other.id}",
                lambda w: "/accounts/new", lambda w: {"person_id": w.people.other.id}, lambda w: (User,)),
    "grant": ("admin", None, lambda w: f"/accounts/{w.users.staff.id}", lambda w: f"/accounts/{w.users.staff.id}/roles",
              lambda w: {"role": "secretary", "organisation_id": w.branch_a.id},
              lambda w: (RoleGrant, RoleGrant.user_id == w.users.staff.id)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_creating_form_sent_twice_makes_one_thing_and_the_second_answer_shows_it(client, world, now, case):
    role, moment, page_url, post_url, data, made = CASES[case]
    if moment is not None:
        now.set(moment)
    login(client, getattr(world.users, role))
    key = _key_on(client.get(page_url(world)).get_data(as_text=True))
    target = made(world)
    before = _count(*target)
    sent = {**data(world), "submit_key": key}
    first = client.post(post_url(world), data=sent)
    assert first.status_code in (200, 302), first.get_data(as_text=True)[:400]
    assert _count(*target) == before + 1
    second = client.post(post_url(world), data=sent)
    assert _count(*target) == before + 1
    assert second.status_code == 302
    if first.status_code == 302:
        assert second.location == first.location
    shown = client.get(second.location).get_data(as_text=True)
    assert "这份表单已经提交过，不会重复办理" in shown


def test_overrides_sent_twice_are_granted_once(app, client, world, now):
    quiz = _quiz_for_overrides(world)
    login(client, world.users.secretary)
    key = _key_on(client.get(f"/study/quizzes/{quiz.id}/overrides").get_data(as_text=True))
    sent = {"person_ids": [world.people.member.id], "extra_minutes": 15, "reason": "夜班升井晚", "group_id": 0,
            "submit_key": key}
    first = client.post(f"/study/quizzes/{quiz.id}/overrides", data=sent)
    second = client.post(f"/study/quizzes/{quiz.id}/overrides", data=sent)
    assert first.status_code == second.status_code == 302 and second.location == first.location
    assert _count(QuizOverride) == 1


def test_an_account_sent_twice_shows_the_account_not_the_form_again(client, world):
    login(client, world.users.admin)
    sent = keyed(person_id=world.people.other.id)
    first = client.post("/accounts/new", data=sent).get_data(as_text=True)
    assert 'data-testid="temporary-password"' in first
    account = db.session.scalar(select(User).where(User.person_id == world.people.other.id))
    second = client.post("/accounts/new", data=sent)
    assert second.status_code == 302 and second.location.endswith(f"/accounts/{account.id}")


def _session_cookie(app, client):
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def _same_browser(app, cookie):
    """Another connection of one browser: the same session cookie."""
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    return other


def test_ten_identical_adjustments_at_once_book_one(app, client, world, now):
    now.set(CREDITS_NOW)
    login(client, world.users.committee)
    cookie = _session_cookie(app, client)
    sent = keyed(person_id=world.people.member.id, points="3", reason="抢险救灾表现突出")

    def tap():
        response = _same_browser(app, cookie).post("/credits/adjust", data=sent)
        return response.status_code, response.location

    answers = run_concurrently(app, tap, 10)
    assert _count(LedgerEntry) == 1
    member = world.people.member.id
    assert answers == [(302, f"/credits/people/{member}")] * 10
    assert db.session.scalar(select(func.sum(LedgerEntry.points))) == 3
    assert _count(SubmitKey) == 1


def test_five_identical_meetings_at_once_make_one(app, client, world, now):
    now.set(MEETINGS_NOW)
    login(client, world.users.secretary)
    cookie = _session_cookie(app, client)
    sent = keyed(meeting_form(world))

    def tap():
        return _same_browser(app, cookie).post("/study/meetings/new", data=sent).status_code

    assert run_concurrently(app, tap, 5) == [302] * 5
    assert _count(Meeting) == 1


def test_a_refused_submit_does_not_spend_its_key(client, world, now):
    now.set(CREDITS_NOW)
    login(client, world.users.committee)
    sent = keyed(person_id=999999, points="2", reason="抢险救灾表现突出")
    refused = client.post("/credits/adjust", data=sent).get_data(as_text=True)
    assert "人员不存在或不在您的管理范围内" in refused
    assert _count(SubmitKey) == 0 and _count(LedgerEntry) == 0
    corrected = client.post("/credits/adjust", data={**sent, "person_id": world.people.member.id})
    assert corrected.status_code == 302 and _count(LedgerEntry) == 1


def test_a_form_sent_without_its_key_is_refused_and_shown_again_with_one(client, world, now):
    now.set(CREDITS_NOW)
    login(client, world.users.committee)
    response = client.post("/credits/adjust", data={
        "person_id": world.people.member.id, "points": "3", "reason": "抢险救灾表现突出"})
    page = response.get_data(as_text=True)
    assert "表单已过期，请刷新页面后重新填写提交" in page
    assert _count(LedgerEntry) == 0 and "抢险救灾表现突出" in page
    assert submit_keys.well_formed(_key_on(page))


@pytest.mark.parametrize("key", ["", "short", "x" * 22 + "\x00", "../../etc/passwd-----", "键" * 22])
def test_a_malformed_key_is_refused(client, world, now, key):
    now.set(CREDITS_NOW)
    login(client, world.users.committee)
    response = client.post("/credits/adjust", data={
        "person_id": world.people.member.id, "points": "3", "reason": "抢险", "submit_key": key})
    assert "表单已过期，请刷新页面后重新填写提交" in response.get_data(as_text=True)
    assert _count(LedgerEntry) == 0 and _count(SubmitKey) == 0


def test_another_accounts_key_does_not_show_their_result(app, client, world, now):
    now.set(CREDITS_NOW)
    login(client, world.users.committee)
    sent = keyed(person_id=world.people.member.id, points="3", reason="抢险救灾表现突出")
    assert client.post("/credits/adjust", data=sent).status_code == 302
    colleague = make_user(make_person(world.unit_b, "周委员"), roles=[(Role.COMMITTEE, world.committee)])
    db.session.commit()
    other = app.test_client()
    login(other, colleague)
    response = other.post("/credits/adjust", data={**sent, "person_id": world.people.activist.id})
    assert "表单已过期" in response.get_data(as_text=True)
    assert _count(LedgerEntry) == 1


def test_old_keys_are_pruned_by_the_nightly_job(app, world, now):
    now.set(CREDITS_NOW)
    person = make_person(world.unit_a, "周八")
    db.session.flush()
    for key, age in (("a" * 22, 8), ("b" * 22, 6)):
        db.session.add(SubmitKey(key=key, account_id=world.users.admin.id, form="AdjustForm",
                                 spent_at=utcnow() - timedelta(days=age)))
    db.session.commit()
    assert person.id and run_job(app, "core.prune_submit_keys") == 1
    assert db.session.scalars(select(SubmitKey.key)).all() == ["b" * 22]
