"""每日一学 for the reader: the timed reading rule, once per person, credits, and the today page."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.credits.models import LedgerEntry
from portal.extensions import db
from portal.study.models.articles import ArticleRead
from portal.study.services import reading
from tests.conftest import run_concurrently
from tests.study.article_factories import NOW, TODAY, make_article, plan, token_of


@pytest.fixture()
def today_article(world, now):
    """A 60-second committee article on today's plan for the whole committee; the clock at NOW."""
    now.set(NOW)
    article = make_article(world.committee, title="安全生产“三个带头”", reading_seconds=60)
    plan(article, world.committee)
    db.session.commit()
    return article


def reads():
    return db.session.scalars(select(ArticleRead)).all()


def study_credits():
    return db.session.scalars(select(LedgerEntry).where(LedgerEntry.rule_code == "study_read")).all()


def open_page(client, article):
    response = client.get(f"/study/articles/{article.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def confirm(client, article, token, **extra):
    return client.post(f"/study/articles/{article.id}/read", data={"token": token, **extra})


def test_confirming_too_early_is_refused_with_the_seconds_left(client, login_as, world, today_article, now):
    login_as(world.users.member)
    token = token_of(open_page(client, today_article))
    now.set(NOW + timedelta(seconds=45))
    response = confirm(client, today_article, token)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "阅读时间还不够，请再阅读 15 秒后再点“我已读完”" in page
    assert token_of(page) == token  # the same visit continues: the clock does not start over
    assert reads() == [] and study_credits() == []


def test_confirming_after_exactly_the_minimum_time_counts_once_with_one_credit(
        client, login_as, world, today_article, now):
    login_as(world.users.member)
    token = token_of(open_page(client, today_article))
    now.set(NOW + timedelta(seconds=60))
    response = confirm(client, today_article, token)
    assert response.status_code == 302 and response.location.endswith("/study/today")
    assert "已记录本篇学习" in client.get("/study/today").get_data(as_text=True)
    [read] = reads()
    assert (read.person_id, read.article_id, read.seconds_on_page) == (world.people.member.id, today_article.id, 60)
    [entry] = study_credits()
    assert (entry.person_id, entry.source_type, entry.source_id, entry.points) == (
        world.people.member.id, "article_read", read.id, 1)
    # Again: no second read, no second credit, and the page now says it was read.
    confirm(client, today_article, token)
    assert len(reads()) == 1 and len(study_credits()) == 1
    page = open_page(client, today_article)
    assert "您已于" in page and "我已读完" not in page


def test_the_longest_visit_token_fits_the_confirm_form(app):
    from portal.study.forms.articles import ReadForm

    with app.test_request_context(method="POST"):
        longest = reading._signer().dumps([2**63, 2**63, 99_999_999_999_999])  # ids and a time far beyond any real
        form = ReadForm(formdata=None, token=longest)
        assert form.validate(), form.errors


def test_reloading_the_page_starts_a_new_visit(client, login_as, world, today_article, now):
    login_as(world.users.member)
    first = token_of(open_page(client, today_article))
    now.set(NOW + timedelta(seconds=50))
    second = token_of(open_page(client, today_article))
    assert first != second
    now.set(NOW + timedelta(seconds=70))
    assert "请再阅读 40 秒" in confirm(client, today_article, second).get_data(as_text=True)
    assert confirm(client, today_article, first).status_code == 302  # the first visit did last 70 s
    assert len(reads()) == 1


@pytest.mark.parametrize("token", ["", "x" * 43, "not-a-token"])
def test_a_missing_or_made_up_token_cannot_skip_the_wait(client, login_as, world, today_article, token, now):
    login_as(world.users.member)
    open_page(client, today_article)
    now.set(NOW + timedelta(hours=1))
    response = confirm(client, today_article, token)
    assert response.status_code == 400
    assert "阅读记录无效或已过期" in response.get_data(as_text=True)
    assert reads() == [] and study_credits() == []


def test_a_forged_start_time_is_ignored(client, login_as, world, today_article, now):
    login_as(world.users.member)
    token = token_of(open_page(client, today_article))
    now.set(NOW + timedelta(seconds=5))
    response = confirm(client, today_article, token, started_at="2020-01-01T00:00:00+08:00", seconds="9999")
    assert "请再阅读 55 秒" in response.get_data(as_text=True)
    assert reads() == []


def test_someone_elses_token_does_not_count_for_me(client, login_as, world, today_article, now):
    # 李四 (activist, same branch) opens the page; 张三 tries to use 李四's token.
    login_as(world.users.activist)
    their_token = token_of(open_page(client, today_article))
    client.post("/logout")
    login_as(world.users.member)
    now.set(NOW + timedelta(minutes=5))
    response = confirm(client, today_article, their_token)
    assert "阅读记录无效或已过期" in response.get_data(as_text=True)
    assert reads() == []


def test_a_token_for_another_article_does_not_count(client, login_as, world, today_article, now):
    short = make_article(world.committee, title="短文", reading_seconds=10)
    plan(short, world.committee)
    db.session.commit()
    login_as(world.users.member)
    token = token_of(open_page(client, short))
    now.set(NOW + timedelta(minutes=5))
    assert "阅读记录无效或已过期" in confirm(client, today_article, token).get_data(as_text=True)
    assert reads() == []


def test_concurrent_double_submits_give_one_read_and_one_credit(app, client, login_as, world, today_article, now):
    login_as(world.users.member)
    token = token_of(open_page(client, today_article))
    now.set(NOW + timedelta(seconds=61))
    user_id, article_id = world.users.member.id, today_article.id

    def submit():
        user = db.session.get(User, user_id)
        new = reading.finish_reading(user, article_id, token).new
        db.session.commit()
        return new

    results = run_concurrently(app, submit, 6)
    assert sorted(results) == [False] * 5 + [True], results
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ArticleRead.id))) == 1
    [entry] = study_credits()
    assert entry.source_id == reads()[0].id


def test_an_article_not_on_the_branch_plan_does_not_count(client, login_as, world, now):
    now.set(NOW)
    article = make_article(world.committee, title="未安排的文章", reading_seconds=10)
    plan(article, world.branch_b)  # another branch's plan
    db.session.commit()
    login_as(world.users.member)
    page = open_page(client, article)
    assert "不在本支部已开始的学习安排中" in page and "我已读完" not in page
    assert 'name="token"' not in page  # no visit to confirm


def test_tomorrows_article_opens_tomorrow(client, login_as, world, now):
    now.set(NOW)
    article = make_article(world.committee, title="明天的文章", reading_seconds=10)
    plan(article, world.branch_a, TODAY + timedelta(days=1))
    db.session.commit()
    login_as(world.users.member)
    page = client.get("/study/today").get_data(as_text=True)
    assert "明天的文章" in page and "未开始" in page
    assert "我已读完" not in open_page(client, article)


def test_another_branchs_own_article_is_not_found(client, login_as, world, now):
    now.set(NOW)
    article = make_article(world.branch_b, title="掘进二队内部学习")
    db.session.commit()
    login_as(world.users.member)
    assert client.get(f"/study/articles/{article.id}").status_code == 404
    assert confirm(client, article, "x").status_code == 404


def test_today_page_lists_today_and_the_week_with_what_was_read(client, login_as, world, today_article):
    monday = make_article(world.committee, title="周一另一篇", reading_seconds=10)
    plan(monday, world.branch_a)
    earlier = make_article(world.committee, title="上周的文章", reading_seconds=10)
    plan(earlier, world.committee, TODAY - timedelta(days=1))  # Sunday: last week
    friday = make_article(world.committee, title="周五的文章", reading_seconds=10)
    plan(friday, world.committee, TODAY + timedelta(days=4))
    other = make_article(world.committee, title="别的支部的文章", reading_seconds=10)
    plan(other, world.branch_b)
    db.session.add(ArticleRead(person_id=world.people.member.id, article_id=monday.id, branch_id=world.branch_a.id,
                               started_at=NOW, read_at=NOW))
    db.session.commit()
    login_as(world.users.member)
    page = client.get("/study/today").get_data(as_text=True)
    assert page.count('data-testid="today-item"') == 2
    assert "安全生产“三个带头”" in page and "周一另一篇" in page and "周五的文章" in page
    assert "上周的文章" not in page and "别的支部的文章" not in page
    assert "已读 1 / 2" in page  # Friday's article has not opened yet


@pytest.mark.parametrize(("role", "message"), [
    ("staff", "每日一学面向党员和入党积极分子"),
    ("admin", "您的账号没有关联花名册上的人员"),
])
def test_people_who_do_not_study_get_an_explanation(client, login_as, world, today_article, role, message):
    login_as(getattr(world.users, role))
    response = client.get("/study/today")
    assert response.status_code == 200 and message in response.get_data(as_text=True)


def test_staff_can_read_the_article_but_it_does_not_count(client, login_as, world, today_article):
    login_as(world.users.staff)
    page = open_page(client, today_article)
    assert "不计学习记录和积分" in page and "我已读完" not in page
    response = confirm(client, today_article, "anything")
    assert response.status_code == 400 and "不计学习记录和积分" in response.get_data(as_text=True)
    assert reads() == []


def test_a_retired_article_stays_readable_but_no_longer_counts(client, login_as, world, today_article, now):
    login_as(world.users.member)
    token = token_of(open_page(client, today_article))
    today_article.retired_at = NOW
    db.session.commit()
    now.set(NOW + timedelta(minutes=5))
    response = confirm(client, today_article, token)
    assert "该文章已下架" in response.get_data(as_text=True)
    assert reads() == []


def test_the_countdown_script_is_a_static_file(client, login_as, world, today_article):
    login_as(world.users.member)
    page = open_page(client, today_article)
    assert 'src="/static/js/reading.js"' in page and 'data-reading-seconds="60"' in page
    assert "<script>" not in page
    assert client.get("/static/js/reading.js").status_code == 200


def test_opening_an_article_writes_nothing_and_an_old_visit_no_longer_counts(
        client, login_as, world, today_article, now):
    login_as(world.users.member)
    old = token_of(open_page(client, today_article))
    now.set(NOW + reading.VISIT_MAX_AGE)
    client.get("/")  # the session itself has timed out by now: log in again
    login_as(world.users.member)
    fresh = token_of(open_page(client, today_article))
    now.set(NOW + reading.VISIT_MAX_AGE + timedelta(seconds=1))
    assert "阅读记录无效或已过期" in confirm(client, today_article, old).get_data(as_text=True)
    assert reads() == []
    now.set(NOW + reading.VISIT_MAX_AGE + timedelta(minutes=2))
    assert confirm(client, today_article, fresh).status_code == 302
    assert len(reads()) == 1


def test_a_visit_signed_with_another_key_does_not_count(app, client, login_as, world, today_article, now):
    from itsdangerous import URLSafeSerializer

    login_as(world.users.member)
    open_page(client, today_article)
    forged = URLSafeSerializer("another secret", salt="study.article-visit").dumps(
        [world.people.member.id, today_article.id, 0])
    now.set(NOW + timedelta(minutes=5))
    assert "阅读记录无效或已过期" in confirm(client, today_article, forged).get_data(as_text=True)
    assert reads() == []
