"""每日一学 jobs: the 20:00 reminder about today's unread articles."""

import logging
from datetime import time

from flask import current_app, url_for
from sqlalchemy import select

from portal.core.clock import localnow
from portal.extensions import db
from portal.inbox.services import notify_many
from portal.roster.models import Organisation, OrgKind, Person, PersonStatus
from portal.study.models.articles import Article, ArticleRead, StudyAssignment
from portal.study.services.articles import chain_ids
from portal.study.services.reading import STUDENT_STATUSES

log = logging.getLogger(__name__)

REMIND_AT = time(20, 0)
CHUNK = 500  # people per INSERT, well under SQLite's bound-parameter limit


def reminder_key(day):
    """The inbox key of a day's reminder: one message per person and day."""
    return f"unread-article:{day:%Y-%m-%d}"


def _target(unread):
    """Where the reminder opens: the one unread article itself, or the 每日一学 page for several."""
    with current_app.test_request_context():
        if len(unread) == 1:
            return url_for("study.article", article_id=unread[0])
        return url_for("study.today")


def remind_unread_articles(now=None):
    """From 20:00 Asia/Shanghai: one inbox message to each reader with an article assigned today unread.

    Returns how many readers have an unread article (each has exactly one message for the day).
    Idempotent: the inbox keeps one message per (person, key), so a second run, a run from a second
    scheduler process, or the start-up catch-up run adds nothing. Before 20:00 it does nothing
    (the scheduler also runs every job once when it starts).
    """
    now = now or localnow()
    if now.time() < REMIND_AT:
        return 0
    day = now.date()
    titles = dict(db.session.execute(
        select(Article.id, Article.title).join(StudyAssignment, StudyAssignment.article_id == Article.id)
        .where(StudyAssignment.day == day)).all())
    by_org = {}
    for org_id, article_id in db.session.execute(
            select(StudyAssignment.organisation_id, StudyAssignment.article_id).where(StudyAssignment.day == day)):
        by_org.setdefault(org_id, set()).add(article_id)
    if not by_org:
        db.session.commit()
        return 0
    branches = db.session.scalars(select(Organisation).where(Organisation.kind == OrgKind.BRANCH)).all()
    wanted = {b.id: set().union(*(by_org.get(i, set()) for i in chain_ids(b))) for b in branches}
    wanted = {branch_id: ids for branch_id, ids in wanted.items() if ids}
    people = db.session.execute(
        select(Person.id, Person.branch_id).where(
            Person.branch_id.in_(sorted(wanted)), Person.status == PersonStatus.ON_POST,
            Person.political_status.in_(sorted(STUDENT_STATUSES)))).all()
    done = set(db.session.execute(
        select(ArticleRead.person_id, ArticleRead.article_id).where(ArticleRead.article_id.in_(sorted(titles)))).all())
    groups = {}
    for person_id, branch_id in people:
        unread = tuple(sorted(a for a in wanted[branch_id] if (person_id, a) not in done))
        if unread:
            groups.setdefault(unread, []).append(person_id)
    key = reminder_key(day)
    for unread, person_ids in groups.items():
        names = "".join(f"《{titles[a]}》" for a in unread)
        body = f"您今天还有 {len(unread)} 篇学习文章没有读完：{names}。升井后抽几分钟读一读吧。"
        url = _target(unread)
        for start in range(0, len(person_ids), CHUNK):
            notify_many(person_ids[start:start + CHUNK], key, "今日学习文章还没有读", body, url=url)
    db.session.commit()
    due = sum(len(person_ids) for person_ids in groups.values())
    log.info("unread-article reminders for %s: %s readers with unread articles", day, due)
    return due


# (job id, function, cron fields in Asia/Shanghai)
SCHEDULE = [
    ("study.remind_unread_articles", remind_unread_articles, {"hour": 20, "minute": 0}),
]
