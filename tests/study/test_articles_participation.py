"""学习情况 (scoped to the manager's branches) and the 20:00 unread-article reminder."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import RoleGrant
from portal.core.permissions import Role
from portal.extensions import db
from portal.inbox.models import Message
from portal.study.jobs.articles import remind_unread_articles
from portal.study.models.articles import ArticleRead
from tests.conftest import run_concurrently
from tests.study.article_factories import NOW, TODAY, at, make_article, plan


def read(person, article, when=NOW):
    db.session.add(ArticleRead(person_id=person.id, article_id=article.id, branch_id=person.branch_id,
                               started_at=when - timedelta(minutes=2), read_at=when))


@pytest.fixture()
def studied(world, now):
    """Today: one article for the whole committee; Monday-to-date = today. 张三 read it at 10:00.

    Branch A readers: 王书记, 张三, 李四 (赵六 is 群众). Branch B readers: 刘委员, 陈五.
    """
    now.set(NOW)
    article = make_article(world.committee, title="今日文章")
    plan(article, world.committee)
    read(world.people.member, article)
    db.session.commit()
    return article


def test_a_secretary_sees_only_their_branch_with_names(client, login_as, world, studied):
    login_as(world.users.secretary)
    page = client.get("/study/articles/participation").get_data(as_text=True)
    assert "综采一队党支部" in page and "掘进二队党支部" not in page and "陈五" not in page
    assert "33.3%" in page  # 1 of 3 readers
    unread = page.split('data-testid="unread-names"', 1)[1].split("</ul>", 1)[0]
    assert "王书记" in unread and "李四" in unread and "张三" not in unread and "赵六" not in unread
    read_table = page.split('data-testid="read-table"', 1)[1].split("</table>", 1)[0]
    assert "张三" in read_table and "11月23日 10:00" in read_table
    assert client.get(f"/study/articles/participation?branch={world.branch_b.id}").status_code == 404


def test_the_committee_sees_every_branch_rate_and_a_chart(client, login_as, world, studied):
    read(world.people.other, studied)
    db.session.commit()
    login_as(world.users.committee)
    page = client.get("/study/articles/participation").get_data(as_text=True)
    assert page.count('data-testid="rate-row"') == 2
    assert "33.3%" in page and "50.0%" in page and "<svg" in page
    detail = client.get(f"/study/articles/participation?branch={world.branch_b.id}").get_data(as_text=True)
    unread = detail.split('data-testid="unread-names"', 1)[1].split("</ul>", 1)[0]
    assert "刘委员" in unread and "陈五" not in unread


def test_the_week_counts_the_days_so_far(client, login_as, world, studied, now):
    wednesday = make_article(world.committee, title="周三文章")
    plan(wednesday, world.branch_a, TODAY + timedelta(days=2))
    db.session.commit()
    now.set(at(2026, 11, 25, 9))
    login_as(world.users.secretary)
    page = client.get("/study/articles/participation?period=week").get_data(as_text=True)
    # 3 readers x 2 articles, 1 read.
    assert "16.7%" in page and "周三文章" in page and "今日文章" in page
    today = client.get("/study/articles/participation?period=today").get_data(as_text=True)
    assert "0.0%" in today and "今日文章" not in today


def test_members_cannot_see_participation(client, login_as, world, studied):
    login_as(world.users.member)
    assert client.get("/study/articles/participation").status_code == 403


# --- the 20:00 reminder --------------------------------------------------------------------------------

def messages():
    return db.session.execute(select(Message.person_id, Message.key, Message.body).order_by(Message.person_id)).all()


def test_the_reminder_goes_to_readers_with_an_unread_article_once(world, studied):
    assert remind_unread_articles(at(2026, 11, 23, 19, 59)) == 0  # not before 20:00
    assert messages() == []
    assert remind_unread_articles(at(2026, 11, 23, 20)) == 4
    people = world.people
    got = {person_id for person_id, _key, _body in messages()}
    assert got == {people.secretary.id, people.activist.id, people.committee.id, people.other.id}
    assert all(key == "unread-article:2026-11-23" and "《今日文章》" in body for _id, key, body in messages())
    read(world.people.activist, studied)  # 李四 reads it after the reminder
    db.session.commit()
    assert remind_unread_articles(at(2026, 11, 23, 21)) == 3  # a second run adds nothing
    assert len(messages()) == 4


def test_two_scheduler_processes_at_once_give_one_message_each(app, world, studied):
    def run():
        return remind_unread_articles(at(2026, 11, 23, 20))

    results = run_concurrently(app, run, 4)
    assert results == [4] * 4, results
    db.session.expire_all()
    assert len(messages()) == 4


def test_no_plan_no_reminder_and_branch_assignments_reach_only_their_branch(world, now):
    now.set(NOW)
    assert remind_unread_articles(at(2026, 11, 23, 20)) == 0
    article = make_article(world.committee, title="二队文章")
    plan(article, world.branch_b)
    db.session.commit()
    assert remind_unread_articles(at(2026, 11, 23, 20, 30)) == 2
    assert {p for p, _k, _b in messages()} == {world.people.committee.id, world.people.other.id}


def test_a_second_secretary_grant_widens_the_scope(client, login_as, world, studied):
    db.session.add(RoleGrant(user=world.users.secretary, role=Role.SECRETARY, organisation=world.branch_b))
    db.session.commit()
    login_as(world.users.secretary)
    page = client.get("/study/articles/participation").get_data(as_text=True)
    assert page.count('data-testid="rate-row"') == 2 and "点击支部名称" in page
