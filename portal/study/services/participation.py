"""学习情况: who has and has not read the assigned articles, per branch, within a manager's branches."""

from dataclasses import dataclass

from sqlalchemy import func, select

from portal.core.clock import localnow
from portal.core.exceptions import NotFound, PermissionDenied
from portal.extensions import db
from portal.roster.models import Person, PersonStatus
from portal.roster.services import branches_within
from portal.study.models.articles import Article, ArticleRead, StudyAssignment
from portal.study.services.articles import MANAGE, chain_ids
from portal.study.services.reading import STUDENT_STATUSES, week_of

PERIODS = {"today": "今日", "week": "本周"}


@dataclass(frozen=True)
class BranchRate:
    """One branch's line: its readers, the articles assigned to it and the reads of them."""

    branch: object
    readers: int
    articles: int
    reads: int

    @property
    def expected(self):
        """Reads there would be if everyone read everything."""
        return self.readers * self.articles

    @property
    def rate(self):
        """Read rate in percent (0 when nothing was expected)."""
        return round(100 * self.reads / self.expected, 1) if self.expected else 0


@dataclass(frozen=True)
class ArticleStatus:
    """One article of the selected branch: who read it (with the time) and who has not."""

    article: Article
    days: list
    read: list  # (person, read_at)
    unread: list  # person


@dataclass(frozen=True)
class Participation:
    """What the participation page shows."""

    period: str
    first: object
    last: object
    branches: list
    selected: object
    detail: list

    @property
    def period_label(self):
        """今日 or 本周."""
        return PERIODS[self.period]


def _window(period, today):
    if period == "week":
        first, _ = week_of(today)
        return first, today  # days still to come cannot have been read yet
    return today, today


def _assigned(branches, first, last):
    """Map branch id -> {article id: [days]} of the assignments reaching each branch in the window."""
    rows = db.session.execute(
        select(StudyAssignment.organisation_id, StudyAssignment.article_id, StudyAssignment.day)
        .where(StudyAssignment.day.between(first, last))
        .order_by(StudyAssignment.day)
    ).all()
    by_org = {}
    for org_id, article_id, day in rows:
        by_org.setdefault(org_id, {}).setdefault(article_id, []).append(day)
    result = {}
    for branch in branches:
        merged = {}
        for org_id in chain_ids(branch):
            for article_id, days in by_org.get(org_id, {}).items():
                merged.setdefault(article_id, []).extend(days)
        result[branch.id] = merged
    return result


def _readers_condition():
    return (Person.status == PersonStatus.ON_POST, Person.political_status.in_(sorted(STUDENT_STATUSES)))


def participation(user, period="today", branch_id=None, today=None):
    """Read rates per branch in the user's scope for today or this week, and names for one branch."""
    period = period if period in PERIODS else "today"
    today = today or localnow().date()
    branches = branches_within(user.scopes(MANAGE))
    if not branches:
        raise PermissionDenied("您没有查看学习情况的权限")
    first, last = _window(period, today)
    assigned = _assigned(branches, first, last)
    ids = [b.id for b in branches]
    readers = dict(db.session.execute(
        select(Person.branch_id, func.count(Person.id)).where(Person.branch_id.in_(ids), *_readers_condition())
        .group_by(Person.branch_id)).all())
    all_articles = sorted({a for per in assigned.values() for a in per})
    reads = {}
    if all_articles:
        for branch_id_, article_id, count in db.session.execute(
            select(Person.branch_id, ArticleRead.article_id, func.count(ArticleRead.id))
            .join(Person, Person.id == ArticleRead.person_id)
            .where(ArticleRead.article_id.in_(all_articles), Person.branch_id.in_(ids), *_readers_condition())
            .group_by(Person.branch_id, ArticleRead.article_id)
        ).all():
            reads[(branch_id_, article_id)] = count
    rates = [
        BranchRate(b, readers.get(b.id, 0), len(assigned[b.id]),
                   sum(reads.get((b.id, a), 0) for a in assigned[b.id]))
        for b in branches
    ]
    selected = None
    if branch_id is not None:
        selected = next((b for b in branches if b.id == branch_id), None)
        if selected is None:
            raise NotFound("党支部不存在，或不在您的管理范围内")
    elif len(branches) == 1:
        selected = branches[0]
    detail = _detail(selected, assigned[selected.id]) if selected is not None else []
    return Participation(period, first, last, rates, selected, detail)


def _detail(branch, articles):
    """Per article of the branch: readers who read it (with the time) and those who have not."""
    if not articles:
        return []
    people = db.session.scalars(
        select(Person).where(Person.branch_id == branch.id, *_readers_condition())
        .order_by(Person.name_sort, Person.id)).all()
    read_at = {
        (person_id, article_id): when for person_id, article_id, when in db.session.execute(
            select(ArticleRead.person_id, ArticleRead.article_id, ArticleRead.read_at)
            .where(ArticleRead.article_id.in_(sorted(articles)), ArticleRead.person_id.in_([p.id for p in people]))
        ).all()
    } if people else {}
    found = {a.id: a for a in db.session.scalars(select(Article).where(Article.id.in_(sorted(articles))))}
    statuses = []
    for article_id, days in sorted(articles.items(), key=lambda kv: (min(kv[1]), kv[0])):
        done = [(p, read_at[(p.id, article_id)]) for p in people if (p.id, article_id) in read_at]
        done.sort(key=lambda pair: pair[1])
        missing = [p for p in people if (p.id, article_id) not in read_at]
        statuses.append(ArticleStatus(found[article_id], sorted(days), done, missing))
    return statuses


@dataclass(frozen=True)
class TodayReading:
    """One branch's readers today: how many are expected to read, and how many have not read everything."""

    branch: object
    readers: int
    articles: int
    not_done: int


def today_reading(branches, today=None):
    """Per branch: today's articles and how many readers have not read all of them (three statements).

    For the secretary's home page; the names are on the 学习情况 page of the branch.
    """
    today = today or localnow().date()
    if not branches:
        return []
    assigned = _assigned(branches, today, today)
    ids = [b.id for b in branches]
    readers = dict(db.session.execute(
        select(Person.branch_id, func.count(Person.id)).where(Person.branch_id.in_(ids), *_readers_condition())
        .group_by(Person.branch_id)).all())
    articles = sorted({a for per in assigned.values() for a in per})
    done = {}
    if articles:
        reads = {}
        for person_id, branch_id, article_id in db.session.execute(
                select(ArticleRead.person_id, Person.branch_id, ArticleRead.article_id)
                .join(Person, Person.id == ArticleRead.person_id)
                .where(ArticleRead.article_id.in_(articles), Person.branch_id.in_(ids), *_readers_condition())):
            reads.setdefault((branch_id, person_id), set()).add(article_id)
        for (branch_id, _person_id), read in reads.items():
            if set(assigned[branch_id]) <= read:
                done[branch_id] = done.get(branch_id, 0) + 1
    return [TodayReading(b, readers.get(b.id, 0), len(assigned[b.id]),
                         readers.get(b.id, 0) - done.get(b.id, 0) if assigned[b.id] else 0) for b in branches]
