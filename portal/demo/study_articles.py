"""每日一学 in the demo mine: the content/ articles, a plan around today, one branch article, and reads.

Reads are written as the reader would have made them (a visit, then "我已读完" after the minimum
time), in bulk. Their credits go through credits.award() only when the ledger has no study_read
entries yet: `flask demo load --activity-days N` fills the ledger in bulk first (it refuses a
non-empty ledger), and its study_read entries already stand for the demo's daily reading.

Nothing is committed here: the command commits once.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import insert, select

from portal.accounts.models import RoleGrant, User
from portal.core import clock
from portal.core.permissions import Role
from portal.credits import services as credits
from portal.credits.models import LedgerEntry
from portal.extensions import db
from portal.roster.models import Person, PersonStatus
from portal.study.models.articles import Article, ArticleRead, StudyAssignment
from portal.study.services import content
from portal.study.services.reading import CREDIT_RULE, CREDIT_SOURCE, STUDENT_STATUSES

# The plan runs from PAST_DAYS before today to NEXT_DAYS after it, one committee article a day:
# 13 days for the 14 articles in content/articles, so no article comes round twice.
PAST_DAYS = 9
NEXT_DAYS = 3
CHUNK_SIZE = 2000
# Three shifts (0-8, 8-16, 16-24): people read after coming up the shaft (minutes after midnight).
AFTER_SHIFT = ((8 * 60 + 30, 11 * 60), (16 * 60 + 30, 19 * 60), (20 * 60, 23 * 60 + 30))
BRANCH_ARTICLE = """班前会是落实安全生产的第一道关口。本周请各班组重点讲清以下几点：

## 本周重点

1. **顶板管理**：过断层段加强支护，严格执行敲帮问顶；
2. **机电设备**：检修后试机必须确认闭锁、停电、挂牌；
3. **运输安全**：斜巷运输“行车不行人”，信号不清不开车。

## 党员责任区

每名党员负责一段作业区域，班中巡查一次，发现问题立即处理并在班后会上通报。

> 安全是最大的效益，班前多讲一句，班中少出一险。
"""


@dataclass
class ArticleDemo:
    """What load() built, for the summary the command prints."""

    articles: int
    assignments: int
    reads: int
    credited: int


def _utc(day, minutes):
    """The aware UTC moment of a local date plus minutes after local midnight."""
    local = datetime.combine(day, time(), clock.LOCAL_TZ) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def _demo_secretary(first_branch):
    return db.session.scalar(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.SECRETARY, RoleGrant.organisation_id == first_branch.id)
        .order_by(User.id).limit(1))


def load(committee, branches, people=None, rng=None, today=None, article_dir=None):
    """Sync content/articles, plan them for every branch around today, and add realistic reads.

    `people` is not needed (readers are read from the roster); the parameter keeps the shape the
    other demo loaders share.
    """
    import random

    rng = rng or random.Random(2026)  # noqa: S311 - reproducible demo data, not a secret
    today = today or clock.localnow().date()
    if article_dir is None:
        from portal.study.commands import default_article_dir

        article_dir = default_article_dir()
    content.sync_articles(article_dir)
    library = db.session.scalars(
        select(Article).where(Article.slug.is_not(None), Article.retired_at.is_(None)).order_by(Article.slug)
    ).all()
    if not library:
        return ArticleDemo(0, 0, 0, 0)
    days = [today + timedelta(days=offset) for offset in range(-PAST_DAYS, NEXT_DAYS + 1)]
    plan = []  # (article, organisation, day)
    for index, day in enumerate(days):
        plan.append((library[index % len(library)], committee, day))
    secretary = _demo_secretary(branches[0])
    own = Article(organisation=branches[0], title="本周班前会安全要点", body=BRANCH_ARTICLE, reading_seconds=60,
                  published_on=today, source=branches[0].name, created_by_id=secretary.id if secretary else None)
    db.session.add(own)
    plan.append((own, branches[0], today))
    assignments = [StudyAssignment(article=a, organisation=o, day=d, created_by_id=secretary.id if secretary else None,
                                   created_at=_utc(d - timedelta(days=3), 9 * 60)) for a, o, d in plan]
    db.session.add_all(assignments)
    db.session.flush()
    reads = _reads(rng, plan, branches, today)
    credited = _credit(reads) if _ledger_has_no_reading() else 0
    return ArticleDemo(len(library) + 1, len(assignments), len(reads), credited)


def _reads(rng, plan, branches, today):
    """Each reader reads most of what reached their branch, after a shift; first read only."""
    now = clock.utcnow()
    with_account = set(db.session.scalars(select(User.person_id).where(User.person_id.is_not(None))))
    readers = db.session.execute(
        select(Person.id, Person.branch_id).where(
            Person.status == PersonStatus.ON_POST, Person.political_status.in_(sorted(STUDENT_STATUSES)),
            Person.branch_id.in_([b.id for b in branches]))
        .order_by(Person.id)).all()
    keen = {person_id: min(0.97, max(0.2, rng.gauss(0.75, 0.18))) for person_id, _ in readers}
    rows, seen = [], set()
    for article, org, day in sorted(plan, key=lambda item: item[2]):
        if day > today:
            continue
        for person_id, branch_id in readers:
            if org.kind == "branch" and org.id != branch_id:
                continue
            if (person_id, article.id) in seen or rng.random() > keen[person_id]:
                continue
            if day == today and person_id in with_account:
                continue  # the demo accounts find today's reading still to do
            start, end = rng.choice(AFTER_SHIFT)
            read_at = _utc(day, rng.randint(start, end)) + timedelta(seconds=rng.randint(0, 59))
            if read_at > now:
                continue
            seen.add((person_id, article.id))
            started = read_at - timedelta(seconds=article.reading_seconds + rng.randint(5, 400))
            rows.append(dict(person_id=person_id, article_id=article.id, branch_id=branch_id,
                             started_at=started, read_at=read_at))
    for start in range(0, len(rows), CHUNK_SIZE):
        db.session.execute(insert(ArticleRead), rows[start:start + CHUNK_SIZE])
    return rows


def _ledger_has_no_reading():
    return db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.rule_code == CREDIT_RULE).limit(1)) is None


def _credit(rows):
    """One study_read credit per read through credits.award(), as a real read would earn it."""
    if not rows:
        return 0
    people = {p.id: p for p in db.session.scalars(select(Person).where(
        Person.id.in_(sorted({r["person_id"] for r in rows}))))}
    reads = db.session.execute(select(ArticleRead.id, ArticleRead.person_id, ArticleRead.read_at)
                               .order_by(ArticleRead.read_at, ArticleRead.id)).all()
    credited = 0
    for read_id, person_id, read_at in reads:
        if credits.award(people[person_id], CREDIT_RULE, credits.Source(CREDIT_SOURCE, read_id),
                         when=read_at).entry is not None:
            credited += 1
    return credited
