"""Articles written in the portal, who may see and edit them, the library list and the study plan."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.core.clock import format_date, localnow, utcnow
from portal.core.exceptions import ConflictError, NotFound, PermissionDenied, ValidationError
from portal.core.pagination import paginate_rows
from portal.core.text import clean as clean_text
from portal.extensions import db
from portal.roster.models import Organisation, OrgKind
from portal.roster.services import branches_within
from portal.study.models.articles import (
    MAX_READING_SECONDS,
    MIN_READING_SECONDS,
    Article,
    ArticleTag,
    StudyAssignment,
)

MANAGE = "study.manage"
TITLE_MAX, SOURCE_MAX, BODY_MAX, TAG_MAX, TAGS_MAX = 120, 200, 50_000, 30, 10
_TAG_SPLIT = re.compile(r"[,，、;；\s]+")


def chain_ids(org):
    """Ids of an organisation and every organisation above it, from its materialised path."""
    return [int(part) for part in org.path.strip("/").split("/") if part]


def _manage_scopes(user):
    return list({org.id: org for org in user.scopes(MANAGE)}.values())


# --- who may see what -----------------------------------------------------------------------------

def visible(user, article):
    """True if the article lies on the user's line of the tree.

    That is: its owner is at or above the user's branch, or at, above or below what they manage.
    """
    owner = article.organisation
    if user.has_permission(MANAGE, owner):
        return True
    if any(owner.contains(scope) for scope in _manage_scopes(user)):
        return True
    person = user.person
    return person is not None and person.branch is not None and owner.contains(person.branch)


def get_article_for(user, article_id):
    """An article the user may read; NotFound otherwise (no leak of other branches' articles)."""
    article = db.session.get(Article, article_id)
    if article is None or not visible(user, article):
        raise NotFound("文章不存在")
    return article


def can_edit(user, article):
    """True if the user may edit, retire and restore the article (files are edited as files)."""
    return not article.from_file and user.has_permission(MANAGE, article.organisation)


def get_editable(user, article_id):
    """An article the user may edit; PermissionDenied with the reason otherwise."""
    article = get_article_for(user, article_id)
    if article.from_file:
        raise PermissionDenied("本文由平台内容库统一维护，不能在此编辑；如需修改请联系党委")
    if not user.has_permission(MANAGE, article.organisation):
        raise PermissionDenied(f"该文章属于{article.organisation.name}，您只能编辑本组织的文章")
    return article


def owner_choices(user):
    """Organisations an author may publish under: those they manage directly."""
    return sorted(_manage_scopes(user), key=lambda o: (o.path.count("/"), o.sort_order, o.id))


# --- writing ---------------------------------------------------------------------------------------

def parse_tags(text):
    """'安全生产, 党章' -> ['安全生产', '党章'] (commas, 、 or spaces; repeats dropped)."""
    tags = [t for t in _TAG_SPLIT.split(text or "") if t]
    return list(dict.fromkeys(tags))


def _checked_fields(title, body, tags, published_on, reading_seconds, source):
    title, body, source = (title or "").strip(), (body or "").strip(), (source or "").strip()
    if not title:
        raise ValidationError("请填写标题", field="title")
    if len(title) > TITLE_MAX:
        raise ValidationError(f"标题不能超过 {TITLE_MAX} 个字", field="title")
    if not body:
        raise ValidationError("请填写正文", field="body")
    if len(body) > BODY_MAX:
        raise ValidationError(f"正文不能超过 {BODY_MAX} 个字", field="body")
    if published_on is None:
        raise ValidationError("请填写日期", field="published_on")
    if reading_seconds is None or not MIN_READING_SECONDS <= reading_seconds <= MAX_READING_SECONDS:
        raise ValidationError(f"最短阅读时间应在 {MIN_READING_SECONDS} 到 {MAX_READING_SECONDS} 秒之间",
                              field="reading_seconds")
    if len(source) > SOURCE_MAX:
        raise ValidationError(f"出处不能超过 {SOURCE_MAX} 个字", field="source")
    tags = parse_tags(tags) if isinstance(tags, str) else list(tags or [])
    if len(tags) > TAGS_MAX or any(len(t) > TAG_MAX for t in tags):
        raise ValidationError(f"标签最多 {TAGS_MAX} 个，每个不超过 {TAG_MAX} 个字", field="tags")
    return dict(title=title, body=body + "\n", published_on=published_on,
                reading_seconds=reading_seconds, source=source), tags


def _set_tags(article, tags):
    wanted = set(tags)
    article.tags = [t for t in article.tags if t.tag in wanted]
    have = {t.tag for t in article.tags}
    article.tags.extend(ArticleTag(tag=tag) for tag in tags if tag not in have)


def create_article(user, organisation_id, *, title, body, tags, published_on, reading_seconds, source=""):
    """Write a new article owned by one of the organisations the author manages."""
    owner = next((o for o in owner_choices(user) if o.id == organisation_id), None)
    if owner is None:
        raise PermissionDenied("只能以您负责的组织名义发布文章", field="organisation_id")
    fields, tags = _checked_fields(title, body, tags, published_on, reading_seconds, source)
    article = Article(organisation=owner, created_by_id=user.id, **fields)
    _set_tags(article, tags)
    db.session.add(article)
    db.session.flush()
    return article


def update_article(user, article, *, title, body, tags, published_on, reading_seconds, source=""):
    """Save an edited article (the caller fetched it with get_editable)."""
    fields, tags = _checked_fields(title, body, tags, published_on, reading_seconds, source)
    for name, value in fields.items():
        setattr(article, name, value)
    _set_tags(article, tags)
    db.session.flush()
    return article


def retire_article(user, article_id):
    """Take an article down: it leaves the plan form and no longer counts, but reads are kept."""
    article = get_editable(user, article_id)
    if article.retired_at is not None:
        raise ValidationError("该文章已经下架")
    article.retired_at = utcnow()
    return article


def restore_article(user, article_id):
    """Put a retired article back."""
    article = get_editable(user, article_id)
    if article.retired_at is None:
        raise ValidationError("该文章没有下架")
    article.retired_at = None
    return article


# --- the library ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ArticleRow:
    """One line of the article list."""

    id: int
    title: str
    published_on: date
    reading_seconds: int
    slug: str | None
    retired: bool
    organisation: str


def _visible_condition(user):
    """Articles owned above, at or below the organisations the user manages."""
    scopes = _manage_scopes(user)
    if not scopes:
        return None
    above = {i for scope in scopes for i in chain_ids(scope)}
    return or_(Article.organisation_id.in_(sorted(above)), *[Organisation.path.startswith(s.path) for s in scopes])


def search_articles(user, q=None, tag=None, status="active", origin=None, page=1, per_page=20):
    """The articles a manager may see and assign, filtered and paginated, newest first."""
    visible_cond = _visible_condition(user)
    if visible_cond is None:
        raise PermissionDenied("您没有管理学习文章的权限")
    conditions = [visible_cond]
    # Search terms come from the address, not a form: the text rule is applied here.
    q, tag = clean_text(q or "")[:40], clean_text(tag or "")
    if q:
        conditions.append(Article.title.contains(q, autoescape=True))
    if tag:
        conditions.append(Article.id.in_(select(ArticleTag.article_id).where(ArticleTag.tag == tag[:TAG_MAX])))
    if status == "active":
        conditions.append(Article.retired_at.is_(None))
    elif status == "retired":
        conditions.append(Article.retired_at.is_not(None))
    if origin == "file":
        conditions.append(Article.slug.is_not(None))
    elif origin == "portal":
        conditions.append(Article.slug.is_(None))
    rows = (
        select(Article.id, Article.title, Article.published_on, Article.reading_seconds, Article.slug,
               Article.retired_at.is_not(None), Organisation.name)
        .join(Organisation, Organisation.id == Article.organisation_id)
        .where(*conditions)
        .order_by(Article.published_on.desc(), Article.id.desc())
    )
    count = (select(func.count(Article.id)).join(Organisation, Organisation.id == Article.organisation_id)
             .where(*conditions))
    pagination = paginate_rows(rows, count, page, per_page)
    pagination.items = [ArticleRow(*row) for row in pagination.items]
    return pagination


def tags_in_use():
    """Every tag on a current article, for the filter."""
    return db.session.scalars(
        select(ArticleTag.tag).join(Article).where(Article.retired_at.is_(None)).distinct().order_by(ArticleTag.tag)
    ).all()


def assignable_articles(user):
    """Current articles the user may put on a plan: (id, title), newest first."""
    visible_cond = _visible_condition(user)
    if visible_cond is None:
        return []
    return db.session.execute(
        select(Article.id, Article.title).join(Organisation, Organisation.id == Article.organisation_id)
        .where(visible_cond, Article.retired_at.is_(None))
        .order_by(Article.published_on.desc(), Article.id.desc())
    ).all()


# --- the study plan -------------------------------------------------------------------------------

def assignable_organisations(user):
    """Where the user may assign articles: their branches, and for the committee itself (= every branch)."""
    scopes = _manage_scopes(user)
    committees = [o for o in owner_choices(user) if o.kind == OrgKind.COMMITTEE]
    return list({o.id: o for o in [*committees, *branches_within(scopes)]}.values())


def organisation_label(org):
    """How a plan target is named: a branch by name, a committee as all of its branches."""
    return f"{org.name}（全体党支部）" if org.kind == OrgKind.COMMITTEE else org.name


def assign(user, article_id, day, organisation_ids, today=None):
    """Put an article on the plan for `day` for the chosen organisations; refuses duplicates, writes all or nothing."""
    today = today or localnow().date()
    article = db.session.get(Article, article_id) if article_id else None
    if article is None or not visible(user, article):
        raise ValidationError("请选择文章", field="article_id")
    if article.retired_at is not None:
        raise ValidationError("该文章已下架，不能安排学习", field="article_id")
    if day is None:
        raise ValidationError("请选择学习日期", field="day")
    if day < today:
        raise ValidationError("不能安排到已经过去的日期", field="day")
    allowed = {o.id: o for o in assignable_organisations(user)}
    if not organisation_ids:
        raise ValidationError("请至少选择一个党支部", field="organisation_ids")
    outside = [i for i in organisation_ids if i not in allowed]
    if outside:
        raise PermissionDenied("只能给您负责的党支部安排学习", field="organisation_ids")
    targets = [allowed[i] for i in dict.fromkeys(organisation_ids)]
    for org in targets:
        if not article.organisation.contains(org):
            raise ValidationError(f"《{article.title}》属于{article.organisation.name}，不能安排给{org.name}",
                                  field="organisation_ids")
        overlap = next((o for o in targets if o is not org and o.contains(org)), None)
        if overlap is not None:
            raise ValidationError(f"{organisation_label(overlap)}已包含{org.name}，请不要重复选择",
                                  field="organisation_ids")
        clash = _existing_overlap(article.id, day, org)
        if clash is not None:
            raise ConflictError(f"《{article.title}》已安排给{organisation_label(clash.organisation)}"
                                f"在 {format_date(day)} 学习，不能重复安排", field="organisation_ids")
    added = [StudyAssignment(article=article, organisation=org, day=day, created_by_id=user.id) for org in targets]
    try:
        with db.session.begin_nested():
            db.session.add_all(added)
    except IntegrityError:
        raise ConflictError("该学习安排刚被其他人添加，请刷新后查看") from None
    return added


def _existing_overlap(article_id, day, org):
    """An assignment of the same article on the same day for the org, one above it or one below it."""
    return db.session.scalar(
        select(StudyAssignment).join(Organisation, Organisation.id == StudyAssignment.organisation_id)
        .where(StudyAssignment.article_id == article_id, StudyAssignment.day == day,
               or_(StudyAssignment.organisation_id.in_(chain_ids(org)), Organisation.path.startswith(org.path)))
        .limit(1)
    )


def remove_assignment(user, assignment_id, today=None):
    """Take an assignment off the plan (today or later only: past days are history)."""
    today = today or localnow().date()
    assignment = db.session.get(StudyAssignment, assignment_id)
    if assignment is None or not user.has_permission(MANAGE, assignment.organisation):
        raise NotFound("学习安排不存在，或不在您的管理范围内")
    if assignment.day < today:
        raise ValidationError("已经过去的学习安排不能删除")
    db.session.delete(assignment)
    return assignment


@dataclass(frozen=True)
class PlanDay:
    """One day of the plan page."""

    day: date
    assignments: list

    @property
    def weekday(self):
        """周一 ... 周日."""
        return "周" + "一二三四五六日"[self.day.weekday()]


def plan_window(view, start=None, today=None):
    """(first, last, previous start, next start) of the week or month shown, from any date inside it."""
    anchor = start or today or localnow().date()
    if view == "month":
        first = anchor.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return first, last, (first - timedelta(days=1)).replace(day=1), last + timedelta(days=1)
    first = anchor - timedelta(days=anchor.weekday())
    return first, first + timedelta(days=6), first - timedelta(days=7), first + timedelta(days=7)


def plan_days(user, first, last):
    """Every day from first to last with the assignments the user manages or that reach their branches."""
    scopes = _manage_scopes(user)
    if not scopes:
        raise PermissionDenied("您没有管理学习安排的权限")
    above = {i for scope in scopes for i in chain_ids(scope)}
    assignments = db.session.scalars(
        select(StudyAssignment).join(Organisation, Organisation.id == StudyAssignment.organisation_id)
        .where(StudyAssignment.day.between(first, last),
               or_(StudyAssignment.organisation_id.in_(sorted(above)),
                   *[Organisation.path.startswith(s.path) for s in scopes]))
        .order_by(StudyAssignment.day, Organisation.sort_order, Organisation.id, StudyAssignment.id)
        .options(selectinload(StudyAssignment.article), selectinload(StudyAssignment.organisation))
    ).all()
    by_day = {}
    for item in assignments:
        by_day.setdefault(item.day, []).append(item)
    return [PlanDay(first + timedelta(days=i), by_day.get(first + timedelta(days=i), []))
            for i in range((last - first).days + 1)]
