"""每日一学 for the reader: today's articles, the timed reading rule, and reads with their credit.

The rule is the server's alone: serving the article page hands the reader a visit token, signed
with the portal's secret, naming the person, the article and the server's time (to the ms); "我已读完" is
accepted only with a token of this person's visit to this article that is at least
`reading_seconds` old (and at most VISIT_MAX_AGE). Serving the page writes nothing: the token
carries the start. A page's countdown script only mirrors the rule.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from portal.core.clock import localnow, utcnow
from portal.core.exceptions import NotFound, PermissionDenied, ValidationError
from portal.credits import services as credits
from portal.extensions import db
from portal.roster.models import PARTY_STATUSES, PersonStatus, PoliticalStatus
from portal.study.models.articles import Article, ArticleRead, StudyAssignment
from portal.study.services import credit_rules
from portal.study.services.articles import chain_ids, get_article_for

STUDENT_STATUSES = frozenset({*PARTY_STATUSES, PoliticalStatus.ACTIVIST})
CREDIT_RULE = credit_rules.READ
CREDIT_SOURCE = "article_read"

NO_PERSON = "您的账号没有关联花名册上的人员，每日一学面向花名册上的党员和入党积极分子。"
NOT_STUDENT = "每日一学面向党员和入党积极分子；您在花名册上的政治面貌是“{status}”，可以阅读文章，但不计学习记录和积分。"
NO_BRANCH = "您在花名册上还没有所属党支部，请联系支部书记。"
NOT_ON_POST = "您在花名册上的状态是“{status}”，每日一学只面向在岗人员。"
# A visit token older than this no longer counts: the reader opens the article again.
VISIT_MAX_AGE = timedelta(hours=12)


def reader_problem(user):
    """Why the user cannot take part in 每日一学 (a sentence for the page), or None if they can."""
    person = user.person
    if person is None:
        return NO_PERSON
    if person.political_status not in STUDENT_STATUSES:
        return NOT_STUDENT.format(status=person.political_status)
    if person.status != PersonStatus.ON_POST:
        return NOT_ON_POST.format(status=person.status)
    if person.branch is None:
        return NO_BRANCH
    return None


def week_of(day):
    """Monday and Sunday of the week containing `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def assignments_for(person, first, last):
    """Assignments reaching the person's branch (directly or via the committee) between two dates."""
    return db.session.scalars(
        select(StudyAssignment).join(Article).options(contains_eager(StudyAssignment.article))
        .where(StudyAssignment.organisation_id.in_(chain_ids(person.branch)),
               StudyAssignment.day.between(first, last))
        .order_by(StudyAssignment.day, StudyAssignment.id)
    ).all()


def reads_of(person, article_ids):
    """The person's reads of these articles, by article id."""
    if not article_ids:
        return {}
    rows = db.session.scalars(select(ArticleRead).where(
        ArticleRead.person_id == person.id, ArticleRead.article_id.in_(sorted(set(article_ids)))))
    return {read.article_id: read for read in rows}


@dataclass(frozen=True)
class PlanItem:
    """An article on the reader's plan and whether they have read it."""

    day: object
    article: Article
    read: ArticleRead | None
    open: bool  # the day has come (future days are listed, not yet open)


@dataclass(frozen=True)
class TodayBoard:
    """What /study/today shows."""

    problem: str | None
    today: object
    week_start: object
    week_end: object
    todays: list
    week: list

    @property
    def week_read(self):
        """How many of the week's open articles are read."""
        return sum(1 for item in self.week if item.read is not None)

    @property
    def week_open(self):
        """How many of the week's articles can be read by now."""
        return sum(1 for item in self.week if item.open)


def today_board(user, today=None):
    """Today's and this week's assigned articles for the user, with what they have read."""
    today = today or localnow().date()
    first, last = week_of(today)
    problem = reader_problem(user)
    if problem is not None:
        return TodayBoard(problem, today, first, last, [], [])
    person = user.person
    assignments = assignments_for(person, first, last)
    reads = reads_of(person, [a.article_id for a in assignments])
    items = [PlanItem(a.day, a.article, reads.get(a.article_id), a.day <= today) for a in assignments]
    return TodayBoard(None, today, first, last, [i for i in items if i.day == today], items)


# --- the article page and the reading rule ---------------------------------------------------------

@dataclass(frozen=True)
class ReadingState:
    """What the article page offers the reader: a token to confirm with, or why not."""

    read: ArticleRead | None = None
    token: str | None = None
    seconds: int = 0
    note: str | None = None


def _countable_problem(user, article, today):
    """Why reading this article would not count for this user today, or None."""
    problem = reader_problem(user)
    if problem is not None:
        return problem
    if article.retired_at is not None:
        return "该文章已下架，可以阅读，但不再计入学习记录。"
    assigned = db.session.scalar(select(StudyAssignment.id).where(
        StudyAssignment.article_id == article.id, StudyAssignment.day <= today,
        StudyAssignment.organisation_id.in_(chain_ids(user.person.branch))).limit(1))
    if assigned is None:
        return "这篇文章不在本支部已开始的学习安排中，阅读不计入每日一学。"
    return None


def start_reading(user, article_id, token=None, today=None):
    """Serve an article: the article and, for a reader it counts for, a visit token (nothing written).

    A fresh visit each time, except when the page is shown again after a refused "我已读完":
    then the reader's own visit (`token`) continues, so the clock does not start over.
    """
    today = today or localnow().date()
    article = get_article_for(user, article_id)
    problem = _countable_problem(user, article, today)
    if problem is not None:
        read = reads_of(user.person, [article.id]).get(article.id) if user.person else None
        return article, ReadingState(read=read, note=None if read else problem)
    read = reads_of(user.person, [article.id]).get(article.id)
    if read is not None:
        return article, ReadingState(read=read)
    now = utcnow()
    started = _visit_start(token, user.person, article, now)
    if started is None:
        started = now
        token = _signer().dumps([user.person.id, article.id, round(started.timestamp() * 1000)])
    return article, ReadingState(token=token, seconds=_seconds_left(article, started, now))


def _signer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="study.article-visit")


def _visit_start(token, person, article, now):
    """When the visit behind `token` began, or None (forged, someone else's, another article, too old)."""
    if not token:
        return None
    try:
        person_id, article_id, started_ms = _signer().loads(token)
        started = datetime.fromtimestamp(started_ms / 1000, UTC)
    except (BadSignature, TypeError, ValueError, OverflowError):
        return None
    ours = person_id == person.id and article_id == article.id
    if not ours or started > now or now - started > VISIT_MAX_AGE:
        return None
    return started


def _seconds_left(article, started, now):
    """Whole seconds still to read (rounded up), 0 when the minimum time has passed."""
    left = article.reading_seconds - (now - started).total_seconds()
    return max(0, int(-(-left // 1)))


@dataclass
class Finished:
    """A "我已读完": the read that stands, whether this request recorded it, and the credit it earned."""

    read: ArticleRead
    new: bool
    credit: object = None  # credits.Award, for a new read


def finish_reading(user, article_id, token, today=None):
    """Record "我已读完" if this person's visit to this article is old enough; returns a Finished.

    Once per person and article: a second or concurrent confirmation returns the first read, and
    only the first earns the study_read credit (in the same transaction).
    """
    today = today or localnow().date()
    article = get_article_for(user, article_id)
    problem = _countable_problem(user, article, today)
    if problem is not None:
        raise PermissionDenied(problem)
    person = user.person
    now = utcnow()
    started = _visit_start(token, person, article, now)
    if started is None:
        existing = reads_of(person, [article.id]).get(article.id)
        if existing is not None:
            return Finished(existing, new=False)
        raise ValidationError("阅读记录无效或已过期，请重新打开文章阅读后再确认")
    left = _seconds_left(article, started, now)
    if left > 0:
        raise ValidationError(f"阅读时间还不够，请再阅读 {left} 秒后再点“我已读完”")
    read = ArticleRead(person_id=person.id, article_id=article.id, branch_id=person.branch_id,
                       started_at=started, read_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(read)
    except IntegrityError:
        existing = reads_of(person, [article.id]).get(article.id)
        if existing is None:  # pragma: no cover - the unique key is the only constraint that can fail
            raise NotFound("文章不存在") from None
        return Finished(existing, new=False)
    return Finished(read, new=True,
                    credit=credits.award(person, CREDIT_RULE, credits.Source(CREDIT_SOURCE, read.id), when=now))
