"""The 20:00 reminder opens what it is about: the one unread article itself, or 每日一学 for several."""

from sqlalchemy import select

from portal.extensions import db
from portal.inbox.models import Message
from portal.study.jobs.articles import remind_unread_articles
from portal.study.models.articles import ArticleRead
from tests.conftest import login
from tests.study.article_factories import NOW, at, make_article, plan


def _url_of(person):
    return db.session.scalar(select(Message.url).where(Message.person_id == person.id))


def test_one_unread_article_opens_it_and_several_open_the_days_list(client, world, now):
    now.set(NOW)
    first, second = make_article(world.committee, title="第一篇"), make_article(world.committee, title="第二篇")
    plan(first, world.branch_a)
    plan(second, world.branch_a)
    people = world.people
    db.session.add(ArticleRead(person_id=people.member.id, article_id=first.id, branch_id=world.branch_a.id,
                               started_at=NOW, read_at=NOW))
    db.session.commit()
    assert remind_unread_articles(at(2026, 11, 23, 20)) == 3
    assert _url_of(people.member) == f"/study/articles/{second.id}"
    assert _url_of(people.activist) == "/study/today"
    # From the home page, the message opens the article.
    now.set(at(2026, 11, 23, 20, 5))
    login(client, world.users.member)
    message_id = db.session.scalar(select(Message.id).where(Message.person_id == people.member.id))
    assert f'action="/inbox/{message_id}/open"' in client.get("/").get_data(as_text=True)
    opened = client.post(f"/inbox/{message_id}/open")
    assert opened.location.endswith(f"/study/articles/{second.id}")
