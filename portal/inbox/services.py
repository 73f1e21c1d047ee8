"""Sending and reading inbox messages."""

from sqlalchemy import func, select, update

from portal.core.clock import utcnow
from portal.core.database import insert_ignore
from portal.core.exceptions import NotFound
from portal.extensions import db
from portal.inbox.models import Message

TITLE_MAX = 120


def notify(person, key, title, body="", url=None):
    """Put a message in `person`'s inbox once per `key`; True if it is new.

    Safe to call again or from two processes at once: the (person, key) unique key keeps one.
    """
    person_id = getattr(person, "id", person)
    added = insert_ignore(Message, [{
        "person_id": person_id, "key": key[:120], "title": title[:TITLE_MAX], "body": body,
        "url": url, "created_at": utcnow(),
    }], ["person_id", "key"])
    return added == 1


def notify_many(people, key, title, body="", url=None):
    """notify() for several people in one statement; returns how many messages were new."""
    now = utcnow()
    rows = [{"person_id": getattr(p, "id", p), "key": key[:120], "title": title[:TITLE_MAX],
             "body": body, "url": url, "created_at": now} for p in people]
    return insert_ignore(Message, rows, ["person_id", "key"])


def unread_count(person_id):
    """How many of the person's messages are unread."""
    if person_id is None:
        return 0
    return db.session.scalar(select(func.count(Message.id)).where(
        Message.person_id == person_id, Message.read_at.is_(None)))


def unread_messages(person_id, limit=5):
    """The person's newest unread messages (at most `limit`), newest first."""
    if person_id is None:
        return []
    return db.session.scalars(
        select(Message).where(Message.person_id == person_id, Message.read_at.is_(None))
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)).all()


def messages_for(person_id, page=1, per_page=20):
    """The person's messages, newest first, one page of them."""
    query = (select(Message).where(Message.person_id == person_id)
             .order_by(Message.created_at.desc(), Message.id.desc()))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def open_message(person_id, message_id):
    """Mark one of the person's messages read and return it (NotFound for anyone else's)."""
    message = db.session.get(Message, message_id)
    if message is None or message.person_id != person_id:
        raise NotFound("消息不存在")
    if message.read_at is None:
        message.read_at = utcnow()
    return message


def mark_all_read(person_id):
    """Mark every unread message of the person read; returns how many."""
    result = db.session.execute(update(Message).where(
        Message.person_id == person_id, Message.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount

