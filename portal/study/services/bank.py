"""The question bank (题库): an organisation's questions serve every organisation beneath it.

A committee member sees and edits every question in the committee's tree; a secretary sees
their branch's own questions and those of the organisations above (read-only), never another
branch's. Questions are retired, never deleted: weekly tests snapshot a question when drawn.
"""

import hashlib
import re
import unicodedata

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal.core.clock import utcnow
from portal.core.exceptions import ConflictError, NotFound, PermissionDenied, ValidationError
from portal.core.text import clean as clean_text
from portal.extensions import db
from portal.roster import services as roster
from portal.roster.models import OrgKind
from portal.study.models.questions import KIND_LABELS, OPTION_LETTERS, Question, QuestionKind, QuestionTag
from portal.study.services import marking

PERMISSION = "study.manage"
MAX_STEM = 1000
MAX_OPTION = 200
MAX_EXPLANATION = 2000
MAX_TAG = 30
MAX_TAGS = 10
DIFFICULTY_LABELS = {1: "易", 2: "较易", 3: "中", 4: "较难", 5: "难"}
CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
_TAG_SEPARATORS = re.compile(r"[、,，;；\s]+")
_FINGERPRINT_SPACES = re.compile(r"\s+")
_FINGERPRINT_EDGES = "。．.，,；;：:？?！!"


# --- scope ------------------------------------------------------------------------------------

def ancestor_ids(org):
    """The ids of an organisation and every organisation above it (from its materialised path)."""
    return [int(part) for part in org.path.strip("/").split("/") if part]


def serving_condition(org, include_retired=False):
    """Questions that serve `org`: its own and those of every organisation above it."""
    condition = Question.organisation_id.in_(ancestor_ids(org))
    if not include_retired:
        condition = condition & Question.retired_at.is_(None)
    return condition


def managed_organisations(actor):
    """The organisations whose bank the actor may edit (committees, general branches, branches)."""
    scopes = actor.scopes(PERMISSION)
    if not scopes:
        return []
    orgs = [o for o in roster.organisation_tree()
            if o.kind != OrgKind.GROUP and any(s.contains(o) for s in scopes)]
    return orgs


def visible_condition(actor):
    """Questions the actor may see: within their scopes, or above them (shared downwards)."""
    scopes = actor.scopes(PERMISSION)
    if not scopes:
        return None
    ids = {oid for s in scopes for oid in ancestor_ids(s)}
    ids.update(o.id for o in roster.organisation_tree() if any(s.contains(o) for s in scopes))
    return Question.organisation_id.in_(sorted(ids))


def may_edit(actor, question):
    """True if the actor manages the organisation that owns the question."""
    return actor.has_permission(PERMISSION, question.organisation)


def get_question_for(actor, question_id, edit=False):
    """A question the actor may see (NotFound otherwise, no leak); with edit, one they may change."""
    condition = visible_condition(actor)
    question = None
    if condition is not None:
        question = db.session.scalar(
            select(Question).options(selectinload(Question.tags)).where(Question.id == question_id, condition)
        )
    if question is None:
        raise NotFound("题目不存在")
    if edit and not may_edit(actor, question):
        raise PermissionDenied(f"这道题属于“{question.organisation.name}”的题库，只能由该组织修改")
    return question


def managed_organisation(actor, org_id):
    """An organisation whose bank the actor manages, or PermissionDenied."""
    try:
        org = roster.get_organisation(int(org_id))
    except (NotFound, TypeError, ValueError):
        org = None
    if org is None or org.kind == OrgKind.GROUP or not actor.has_permission(PERMISSION, org):
        raise PermissionDenied("您不能管理该组织的题库", field="organisation_id")
    return org


# --- listing ----------------------------------------------------------------------------------

def search_questions(actor, q=None, kind=None, tag=None, difficulty=None, organisation_id=None,
                     status="active", page=1, per_page=20):
    """The questions the actor may see, filtered and paginated, newest first."""
    stmt = filtered_select(actor, q, kind, tag, difficulty, organisation_id, status)
    return db.paginate(stmt.options(selectinload(Question.tags), selectinload(Question.organisation)),
                       page=page, per_page=per_page, error_out=False)


def filtered_select(actor, q=None, kind=None, tag=None, difficulty=None, organisation_id=None, status="active"):
    """The select behind the list and the export (the same filters give the same questions)."""
    condition = visible_condition(actor)
    if condition is None:
        raise PermissionDenied("您没有管理题库的权限")
    stmt = select(Question).where(condition).order_by(Question.id.desc())
    q, tag = clean_text(q or "")[:50], clean_text(tag or "")
    if q:
        stmt = stmt.where(or_(Question.stem.contains(q, autoescape=True),
                              Question.explanation.contains(q, autoescape=True)))
    if kind in set(QuestionKind):
        stmt = stmt.where(Question.kind == kind)
    if tag:
        stmt = stmt.where(Question.tags.any(QuestionTag.tag == tag[:MAX_TAG]))
    if difficulty in DIFFICULTY_LABELS:
        stmt = stmt.where(Question.difficulty == difficulty)
    if organisation_id:
        stmt = stmt.where(Question.organisation_id == organisation_id)
    if status == "retired":
        stmt = stmt.where(Question.retired_at.is_not(None))
    elif status != "all":
        stmt = stmt.where(Question.retired_at.is_(None))
    return stmt


def tags_in_use(actor):
    """The tags on the questions the actor may see, most used first (for the filter and hints)."""
    condition = visible_condition(actor)
    if condition is None:
        return []
    rows = db.session.execute(
        select(QuestionTag.tag, func.count()).join(Question).where(condition)
        .group_by(QuestionTag.tag).order_by(func.count().desc(), QuestionTag.tag).limit(100)
    ).all()
    return [tag for tag, _count in rows]


def bank_organisations(actor):
    """The organisations whose questions the actor sees (for the 所属组织 filter)."""
    managed = managed_organisations(actor)
    above = {oid for s in actor.scopes(PERMISSION) for oid in ancestor_ids(s)}
    seen = {o.id for o in managed}
    extra = [o for o in roster.organisation_tree() if o.id in above and o.id not in seen]
    return extra + managed


# --- validation ---------------------------------------------------------------------------------

def clean_question(kind, stem, options, answer, explanation="", difficulty=3, tags=()):
    """Checked, canonical question fields; ValidationError (with the field) on the first problem."""
    try:
        kind = QuestionKind(kind)
    except ValueError:
        raise ValidationError("请选择题型（单选题、多选题、判断题或填空题）", field="kind") from None
    stem = clean_text(stem or "", multiline=True)
    if not stem:
        raise ValidationError("题干不能为空", field="stem")
    if len(stem) > MAX_STEM:
        raise ValidationError(f"题干不能超过 {MAX_STEM} 个字（现有 {len(stem)} 个字）", field="stem")
    options = clean_options(kind, options)
    try:
        answer = marking.normalise_key(kind, answer, options if kind in CHOICE_KINDS else None)
    except ValidationError as error:
        raise ValidationError(error.message, field="answer") from None
    explanation = clean_text(explanation or "", multiline=True)
    if len(explanation) > MAX_EXPLANATION:
        raise ValidationError(f"解析不能超过 {MAX_EXPLANATION} 个字", field="explanation")
    if difficulty not in DIFFICULTY_LABELS:
        raise ValidationError("难度应为 1 到 5", field="difficulty")
    return dict(kind=str(kind), stem=stem, options=options, answer=answer, explanation=explanation,
                difficulty=difficulty, tags=clean_tags(tags))


def clean_options(kind, options):
    """The option texts A.. in order: none for true/false and fill-in, 2-6 with no gaps otherwise."""
    if kind not in CHOICE_KINDS:
        return []
    texts = [clean_text(o or "") for o in (options or [])][:len(OPTION_LETTERS)]
    while texts and not texts[-1]:
        texts.pop()
    for letter, text in zip(OPTION_LETTERS, texts, strict=False):
        if not text:
            raise ValidationError(f"选项{letter}为空，但后面还有选项；选项须从 A 起连续填写", field="options")
        if len(text) > MAX_OPTION:
            raise ValidationError(f"选项{letter}不能超过 {MAX_OPTION} 个字", field="options")
    if len(texts) < 2:
        raise ValidationError(f"{KIND_LABELS[kind]}至少需要 2 个选项", field="options")
    if len({_squash(t) for t in texts}) < len(texts):
        raise ValidationError("选项中有重复的内容", field="options")
    return texts


def clean_tags(tags):
    """Tags from a list or a string separated by 、 , ； or spaces: trimmed, unique, in order."""
    if isinstance(tags, str):
        tags = _TAG_SEPARATORS.split(tags)
    cleaned = []
    for tag in tags or []:
        tag = clean_text(tag or "")
        if not tag or tag in cleaned:
            continue
        if len(tag) > MAX_TAG:
            raise ValidationError(f"标签“{tag[:10]}…”太长，每个标签不超过 {MAX_TAG} 个字", field="tags")
        cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError(f"每道题最多 {MAX_TAGS} 个标签", field="tags")
    return cleaned


def _squash(text):
    text = unicodedata.normalize("NFKC", text or "")
    return _FINGERPRINT_SPACES.sub("", text).casefold().strip(_FINGERPRINT_EDGES)


def fingerprint(kind, stem, options):
    """sha256 of the kind, the normalised stem and options: the same question typed twice matches."""
    parts = [str(kind), _squash(stem), *(_squash(o) for o in options or [])]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def existing_fingerprints(org, fingerprints):
    """{fingerprint: question} among the questions serving `org` (retired ones included)."""
    found = {}
    wanted = sorted(set(fingerprints))
    for start in range(0, len(wanted), 500):
        rows = db.session.scalars(select(Question).where(
            serving_condition(org, include_retired=True), Question.fingerprint.in_(wanted[start:start + 500])))
        for question in rows:
            found.setdefault(question.fingerprint, question)
    return found


# --- writing ----------------------------------------------------------------------------------

def build_question(org, fields, actor=None):
    """A new Question (added to the session) from clean_question()'s fields."""
    question = Question(
        organisation=org, kind=fields["kind"], stem=fields["stem"], options=fields["options"],
        answer=fields["answer"], explanation=fields["explanation"], difficulty=fields["difficulty"],
        fingerprint=fingerprint(fields["kind"], fields["stem"], fields["options"]),
        created_by_id=actor.id if actor is not None else None,
        tags=[QuestionTag(tag=t) for t in fields["tags"]],
    )
    db.session.add(question)
    return question


def create_question(actor, org_id, **values):
    """Add a question to an organisation's bank the actor manages."""
    org = managed_organisation(actor, org_id)
    fields = clean_question(**values)
    _refuse_duplicate(org, fields)
    question = build_question(org, fields, actor)
    db.session.flush()
    return question


def update_question(actor, question, **values):
    """Change a question (earlier tests keep their own snapshot, so this is always safe)."""
    if not may_edit(actor, question):
        raise PermissionDenied("您不能修改这道题")
    fields = clean_question(**values)
    _refuse_duplicate(question.organisation, fields, exclude=question)
    for name in ("kind", "stem", "options", "answer", "explanation", "difficulty"):
        setattr(question, name, fields[name])
    question.fingerprint = fingerprint(fields["kind"], fields["stem"], fields["options"])
    # Keep the tag rows that stay (re-adding one would clash with its own primary key).
    question.tags = [t for t in question.tags if t.tag in fields["tags"]]
    have = set(question.tag_names)
    question.tags.extend(QuestionTag(tag=t) for t in fields["tags"] if t not in have)
    db.session.flush()
    return question


def _refuse_duplicate(org, fields, exclude=None):
    print_ = fingerprint(fields["kind"], fields["stem"], fields["options"])
    same = existing_fingerprints(org, [print_]).get(print_)
    if same is not None and same is not exclude:
        state = "（已停用，可在“已停用”中恢复）" if same.retired_at else ""
        raise ConflictError(f"题库中已有相同的题目：第 {same.id} 号题{state}", field="stem")


def retire_question(actor, question):
    """Take a question out of use (daily draws and new tests); it stays in the bank."""
    if not may_edit(actor, question):
        raise PermissionDenied("您不能停用这道题")
    if question.retired_at is None:
        question.retired_at = utcnow()
    return question


def restore_question(actor, question):
    """Put a retired question back into use."""
    if not may_edit(actor, question):
        raise PermissionDenied("您不能恢复这道题")
    question.retired_at = None
    return question


def difficulty_label(value):
    """易 / 较易 / 中 / 较难 / 难."""
    return DIFFICULTY_LABELS.get(value, "")
