"""The inbox: a message per (person, key), read and unread, and nobody else's messages."""

from sqlalchemy import func, select

from portal.extensions import db
from portal.inbox import services
from portal.inbox.models import Message
from tests.conftest import run_concurrently


def _count(person_id=None):
    query = select(func.count(Message.id))
    if person_id is not None:
        query = query.where(Message.person_id == person_id)
    return db.session.scalar(query)


def test_notify_is_idempotent_per_key(world):
    member = world.people.member
    assert services.notify(member, "quiz-closing:1:2026-11-22", "每周一测明天截止") is True
    assert services.notify(member, "quiz-closing:1:2026-11-22", "每周一测明天截止") is False
    assert services.notify(member, "quiz-closing:2:2026-11-22", "另一场测试") is True
    db.session.commit()
    assert _count(member.id) == 2


def test_notify_many_skips_those_already_told(world):
    people = [world.people.member, world.people.activist]
    assert services.notify_many(people[:1], "meeting-tomorrow:5", "明天有组织生活") == 1
    assert services.notify_many(people, "meeting-tomorrow:5", "明天有组织生活") == 1
    db.session.commit()
    assert _count() == 2


def test_two_processes_notifying_at_once_leave_one_message(app, world):
    person_id = world.people.member.id

    def send():
        added = services.notify(person_id, "unread-article:2026-11-22", "今天的文章还没有读")
        db.session.commit()
        return added

    results = run_concurrently(app, send, 4)
    assert sorted(results) == [False, False, False, True]
    assert _count(person_id) == 1


def test_inbox_page_lists_and_marks_read(world, login_as):
    member = world.people.member
    services.notify(member, "k1", "每周一测明天截止", body="请在周日 23:59 前完成", url="/study/")
    services.notify(world.people.other, "k1", "别人的消息")
    db.session.commit()
    client = login_as(world.users.member)
    page = client.get("/inbox/").get_data(as_text=True)
    assert "每周一测明天截止" in page and "请在周日 23:59 前完成" in page
    assert "1 条未读" in page
    assert "别人的消息" not in page

    message = db.session.scalar(select(Message).where(Message.person_id == member.id))
    response = client.post(f"/inbox/{message.id}/open")
    assert response.status_code == 302 and response.location.endswith("/study/")
    db.session.expire_all()
    assert db.session.get(Message, message.id).read_at is not None
    assert "未读" not in client.get("/inbox/").get_data(as_text=True).replace("标为已读", "")


def test_someone_elses_message_is_not_found(world, login_as):
    services.notify(world.people.other, "k1", "别人的消息")
    db.session.commit()
    other_message = db.session.scalar(select(Message))
    client = login_as(world.users.member)
    assert client.post(f"/inbox/{other_message.id}/open").status_code == 404
    db.session.expire_all()
    assert db.session.get(Message, other_message.id).read_at is None


def test_links_to_other_sites_are_not_followed(world, login_as):
    services.notify(world.people.member, "evil", "钓鱼", url="//evil.example.com/x")
    db.session.commit()
    message = db.session.scalar(select(Message))
    response = login_as(world.users.member).post(f"/inbox/{message.id}/open")
    assert response.location.endswith("/inbox/")


def test_read_all(world, login_as):
    for n in range(3):
        services.notify(world.people.member, f"k{n}", f"消息 {n}")
    db.session.commit()
    client = login_as(world.users.member)
    response = client.post("/inbox/read-all", follow_redirects=True)
    assert "已将 3 条消息标为已读" in response.get_data(as_text=True)
    assert services.unread_count(world.people.member.id) == 0


def test_account_without_person(world, login_as):
    page = login_as(world.users.admin).get("/inbox/").get_data(as_text=True)
    assert "没有关联人员" in page


def test_home_page_shows_unread_messages(world, login_as):
    services.notify(world.people.member, "k1", "每周一测明天截止")
    db.session.commit()
    page = login_as(world.users.member).get("/").get_data(as_text=True)
    assert "1 条未读" in page and "每周一测明天截止" in page
