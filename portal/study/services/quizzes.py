"""Weekly tests (每周一测): creating, assembling from the bank, assigning, windows and overrides."""

import random
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import or_, select

from portal.core import audit
from portal.core.clock import LOCAL_TZ, format_datetime, localnow, utcnow
from portal.core.exceptions import NotFound, PermissionDenied, ValidationError
from portal.core.text import clean as clean_text
from portal.extensions import db
from portal.roster import services as roster
from portal.roster.models import Organisation, OrgKind, Person, PersonStatus, PoliticalStatus
from portal.study.models.questions import KIND_LABELS, OPTION_LETTERS, Question, QuestionKind, QuestionTag
from portal.study.models.quizzes import (
    AttemptItem,
    AttemptStatus,
    Quiz,
    QuizAssignment,
    QuizAttempt,
    QuizOverride,
    QuizPick,
    QuizRule,
    QuizStatus,
)
from portal.study.services import bank
from portal.study.services.marking import PARTIAL_LABELS

# Who sits the weekly test: members and activists on post in an assigned branch.
TAKER_STATUSES = (PoliticalStatus.FULL_MEMBER, PoliticalStatus.PROBATIONARY, PoliticalStatus.ACTIVIST)
KIND_ORDER = [QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE, QuestionKind.FILL]

@dataclass(frozen=True)
class RuleSpec:
    """One assembly rule as entered: `count` questions of `kind`, optionally by tag and difficulty."""

    kind: str
    count: int
    tag: str | None = None
    difficulty: int | None = None
    points: int = 5


@dataclass(frozen=True)
class Window:
    """When a person may take a test, and the extra minutes they get."""

    opens_at: datetime
    closes_at: datetime
    extra_minutes: int = 0
    reason: str = ""


def rule_label(rule):
    """单选题 10 道（安全生产，难度 3，每题 5 分）."""
    extras = [x for x in (rule.tag, f"难度 {rule.difficulty}" if rule.difficulty else None) if x]
    extras.append(f"每题 {rule.points} 分")
    return f"{KIND_LABELS[QuestionKind(rule.kind)]} {rule.count} 道（{'，'.join(extras)}）"


def policy_label(policy):
    """The multiple-choice partial-credit policy as members read it."""
    return PARTIAL_LABELS[policy]


def default_window(today=None):
    """The current week's Monday 00:00 to Sunday 23:59 in Asia/Shanghai, as aware local datetimes."""
    today = today or localnow().date()
    monday = today - timedelta(days=today.weekday())
    opens = datetime.combine(monday, time(0, 0), LOCAL_TZ)
    closes = datetime.combine(monday + timedelta(days=6), time(23, 59), LOCAL_TZ)
    return opens, closes


# --- scope ----------------------------------------------------------------------------------------

def managed_branches(actor):
    """The branches the actor may assign tests to and see results of."""
    return roster.branches_within(actor.scopes("study.manage"))


def can_edit(actor, quiz):
    """True if the actor manages the organisation that owns the test."""
    return actor.has_permission("study.manage", quiz.organisation)


def quizzes_for_manager(actor):
    """Tests the actor owns or that are assigned to one of their branches, newest window first."""
    scopes = actor.scopes("study.manage")
    if not scopes:
        return []
    branch_ids = [b.id for b in managed_branches(actor)]
    owned = or_(*[Organisation.path.startswith(s.path) for s in scopes])
    assigned = select(QuizAssignment.quiz_id).where(QuizAssignment.organisation_id.in_(branch_ids))
    return db.session.scalars(
        select(Quiz).join(Organisation, Organisation.id == Quiz.organisation_id)
        .where(or_(owned, Quiz.id.in_(assigned))).order_by(Quiz.opens_at.desc(), Quiz.id.desc())
    ).all()


def owner_organisation(actor, org_id):
    """An organisation the actor may own tests for (committee, general branch or branch)."""
    org = db.session.get(Organisation, org_id or 0)
    if org is None or org.kind == OrgKind.GROUP or not actor.has_permission("study.manage", org):
        raise ValidationError("请选择发布组织", field="organisation_id")
    return org


def get_quiz_for_manager(actor, quiz_id):
    """A test the actor may manage or see results of; NotFound otherwise (no leak)."""
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        raise NotFound("测试不存在")
    if can_edit(actor, quiz):
        return quiz
    mine = {b.id for b in managed_branches(actor)}
    if not mine & {a.organisation_id for a in quiz.assignments}:
        raise NotFound("测试不存在")
    return quiz


def is_taker(quiz, person):
    """True if `person` is expected to sit `quiz` (assigned branch, member or activist, on post)."""
    return (
        person is not None and quiz.is_published and person.status == PersonStatus.ON_POST
        and person.political_status in TAKER_STATUSES
        and person.branch_id in {a.organisation_id for a in quiz.assignments}
    )


def takers_condition(quiz, branch_ids=None):
    """WHERE clause of the people expected to sit the test (optionally within some branches)."""
    assigned = [a.organisation_id for a in quiz.assignments]
    if branch_ids is not None:
        assigned = [b for b in assigned if b in set(branch_ids)]
    return (Person.branch_id.in_(assigned) & (Person.status == PersonStatus.ON_POST)
            & Person.political_status.in_(TAKER_STATUSES))


def get_quiz_for_member(actor, quiz_id):
    """A published test the actor's person is assigned; NotFound otherwise."""
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or not is_taker(quiz, actor.person):
        raise NotFound("测试不存在")
    return quiz


def quizzes_for_member(person):
    """Published tests assigned to the person's branch, newest window first."""
    if person is None or person.branch_id is None or person.political_status not in TAKER_STATUSES:
        return []
    return db.session.scalars(
        select(Quiz).join(QuizAssignment)
        .where(QuizAssignment.organisation_id == person.branch_id, Quiz.status == QuizStatus.PUBLISHED)
        .order_by(Quiz.closes_at.desc(), Quiz.id.desc())
    ).all()


# --- creating and editing -------------------------------------------------------------------------

def _check_settings(title, partial_policy, time_limit, attempts_allowed, pass_mark, opens_at, closes_at):
    if not (title or "").strip():
        raise ValidationError("请填写测试名称", field="title")
    if partial_policy not in PARTIAL_LABELS:
        raise ValidationError("请选择多选题计分方式", field="partial_policy")
    if not 1 <= (time_limit or 0) <= 600:
        raise ValidationError("答题时限应在 1 到 600 分钟之间", field="time_limit")
    if not 1 <= (attempts_allowed or 0) <= 10:
        raise ValidationError("允许作答次数应在 1 到 10 次之间", field="attempts_allowed")
    if pass_mark is None or not 0 <= pass_mark <= 100:
        raise ValidationError("及格分应在 0 到 100 之间", field="pass_mark")
    if opens_at is None or closes_at is None or opens_at.tzinfo is None or closes_at.tzinfo is None:
        raise ValidationError("请填写开放时间和截止时间", field="opens_at")
    if closes_at <= opens_at:
        raise ValidationError("截止时间应晚于开放时间", field="closes_at")


def _check_rules(rules, pick_ids):
    if not rules and not pick_ids:
        raise ValidationError("请至少设置一条抽题规则或指定一道题目", field="rules")
    for spec in rules:
        if spec.kind not in {k.value for k in QuestionKind}:
            raise ValidationError("抽题规则的题型无效", field="rules")
        if not 1 <= spec.count <= 100:
            raise ValidationError("每条规则抽题数量应在 1 到 100 之间", field="rules")
        if spec.difficulty is not None and not 1 <= spec.difficulty <= 5:
            raise ValidationError("难度应在 1 到 5 之间", field="rules")
        if not 1 <= spec.points <= 100:
            raise ValidationError("每题分值应在 1 到 100 之间", field="rules")


def _check_branches(actor, organisation, branch_ids):
    if not branch_ids:
        raise ValidationError("请选择参加测试的党支部", field="branch_ids")
    allowed = {b.id: b for b in roster.branches_within([organisation]) if actor.has_permission("study.manage", b)}
    unknown = [b for b in branch_ids if b not in allowed]
    if unknown:
        raise ValidationError("只能把测试布置给本组织下、您负责的党支部", field="branch_ids")
    return [allowed[b] for b in branch_ids]


def _bank_condition(organisation):
    """Questions the test's organisation may use: the bank's own rule (its and every level above)."""
    return bank.serving_condition(organisation)


def _checked_picks(organisation, pick_ids, points):
    questions = {q.id: q for q in db.session.scalars(
        select(Question).where(Question.id.in_(pick_ids), _bank_condition(organisation)))}
    missing = [str(i) for i in pick_ids if i not in questions]
    if missing:
        raise ValidationError(f"题目 {'、'.join(missing)} 不存在、已停用或不在本组织可用的题库中", field="pick_ids")
    return [QuizPick(question_id=qid, position=i, points=points) for i, qid in enumerate(dict.fromkeys(pick_ids))]


def save_quiz(actor, quiz=None, *, organisation, title, description="", partial_policy="none", time_limit=30,
              attempts_allowed=1, pass_mark=60, opens_at, closes_at, branch_ids, rules=(), pick_ids=(),
              pick_points=5):
    """Create a draft test, or change a draft; published tests can no longer be changed."""
    if not actor.has_permission("study.manage", organisation):
        raise PermissionDenied("您不能为该组织布置测试")
    if quiz is not None and (quiz.is_published or not can_edit(actor, quiz)):
        raise ValidationError("测试已发布，不能再修改")
    _check_settings(title, partial_policy, time_limit, attempts_allowed, pass_mark, opens_at, closes_at)
    _check_rules(rules, pick_ids)
    branches = _check_branches(actor, organisation, list(dict.fromkeys(branch_ids)))
    picks = _checked_picks(organisation, list(pick_ids), pick_points)
    if quiz is None:
        quiz = Quiz(created_by_id=actor.id)
        db.session.add(quiz)
    quiz.organisation = organisation
    quiz.title, quiz.description = title.strip(), (description or "").strip()
    quiz.partial_policy, quiz.time_limit_minutes = partial_policy, time_limit
    quiz.attempts_allowed, quiz.pass_mark = attempts_allowed, pass_mark
    quiz.opens_at, quiz.closes_at = opens_at, closes_at
    quiz.rules = [QuizRule(position=i, kind=r.kind, count=r.count, tag=(r.tag or "").strip() or None,
                           difficulty=r.difficulty, points=r.points) for i, r in enumerate(rules)]
    quiz.picks = picks
    quiz.assignments = [QuizAssignment(organisation_id=b.id) for b in branches]
    db.session.flush()
    return quiz


def publish(actor, quiz):
    """Publish a draft to its branches once the bank can fill every rule."""
    if not can_edit(actor, quiz):
        raise PermissionDenied("您不能发布该测试")
    if quiz.is_published:
        raise ValidationError("测试已经发布")
    problems = bank_shortages(quiz)
    if problems:
        raise ValidationError("题库题目不足，不能发布：" + "；".join(problems))
    if quiz.closes_at <= utcnow():
        raise ValidationError("截止时间已过，请先修改开放时间")
    quiz.status = QuizStatus.PUBLISHED
    quiz.published_at = utcnow()
    audit.record("quiz_published", target=quiz, actor=actor, detail=quiz.title)
    db.session.flush()
    return quiz


# --- assembly -------------------------------------------------------------------------------------

def _specificity(rule):
    # Narrow rules draw first, so a broad rule cannot use up the only questions a narrow one fits.
    return (rule.tag is None, rule.difficulty is None, rule.position)


def rule_pools(quiz):
    """{rule id: [question ids the rule may draw]} from the bank the test's organisation sees."""
    pools = {}
    for rule in quiz.rules:
        stmt = select(Question.id).where(_bank_condition(quiz.organisation), Question.kind == rule.kind)
        if rule.tag:
            stmt = stmt.where(Question.id.in_(select(QuestionTag.question_id).where(QuestionTag.tag == rule.tag)))
        if rule.difficulty:
            stmt = stmt.where(Question.difficulty == rule.difficulty)
        pools[rule.id] = list(db.session.scalars(stmt.order_by(Question.id)))
    return pools


def _draw(quiz, pools, seen, rng):
    """[(question id, points)] for one paper, or raise ValidationError naming the short rule."""
    chosen = [(p.question_id, p.points) for p in quiz.picks]
    used = {qid for qid, _ in chosen}
    for rule in sorted(quiz.rules, key=_specificity):
        available = [qid for qid in pools[rule.id] if qid not in used]
        if len(available) < rule.count:
            raise ValidationError(
                f"规则“{rule_label(rule)}”需要 {rule.count} 道题，题库中只有 {len(available)} 道可用")
        unseen = [qid for qid in available if qid not in seen]
        again = [qid for qid in available if qid in seen]
        rng.shuffle(unseen)
        rng.shuffle(again)
        for qid in (unseen + again)[:rule.count]:
            chosen.append((qid, rule.points))
            used.add(qid)
    return chosen


def bank_shortages(quiz):
    """Why the bank cannot fill the test's rules (empty when it can), in Chinese."""
    if not quiz.rules and not quiz.picks:
        return ["没有抽题规则，也没有指定题目"]
    try:
        _draw(quiz, rule_pools(quiz), set(), random.Random(0))  # noqa: S311 - not a secret
    except ValidationError as error:
        return [error.message]
    retired = [str(p.question_id) for p in quiz.picks if p.question.retired_at is not None]
    return [f"指定的题目 {'、'.join(retired)} 已停用"] if retired else []


def seen_question_ids(person_id):
    """Questions the person has had on any earlier paper."""
    return set(db.session.scalars(
        select(AttemptItem.question_id).join(QuizAttempt).where(QuizAttempt.person_id == person_id)))


def build_paper(quiz, person, pools=None, rng=None):
    """The snapshotted, shuffled items of a new paper for `person` (preferring unseen questions)."""
    rng = rng or random.SystemRandom()
    pools = pools if pools is not None else rule_pools(quiz)
    drawn = _draw(quiz, pools, seen_question_ids(person.id), rng)
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_([d[0] for d in drawn])))}
    sections = {kind: [] for kind in KIND_ORDER}
    for qid, points in drawn:
        sections[QuestionKind(questions[qid].kind)].append((questions[qid], points))
    items = []
    for kind in KIND_ORDER:
        rng.shuffle(sections[kind])  # questions shuffled within each section (单选, 多选, 判断, 填空)
        for question, points in sections[kind]:
            order = list(range(len(question.options)))
            if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
                rng.shuffle(order)
            items.append(AttemptItem(
                position=len(items) + 1, question_id=question.id, kind=question.kind, stem=question.stem,
                options=list(question.options), answer=list(question.answer), explanation=question.explanation,
                option_order=order, points=points))
    return items


def display_options(item):
    """[(display letter, original letter, text)] in the order this member sees the options."""
    return [(OPTION_LETTERS[shown], OPTION_LETTERS[original], item.options[original])
            for shown, original in enumerate(item.option_order)]


def to_display_letters(item, letters):
    """Original option letters as this member's display letters (sorted)."""
    shown = {OPTION_LETTERS[original]: OPTION_LETTERS[i] for i, original in enumerate(item.option_order)}
    return sorted(shown.get(letter, letter) for letter in letters or [])


# --- windows and overrides ------------------------------------------------------------------------

def window_for(quiz, person_id):
    """The window (and extra minutes) that apply to one person: the test's, or their override."""
    override = db.session.scalar(
        select(QuizOverride).where(QuizOverride.quiz_id == quiz.id, QuizOverride.person_id == person_id))
    if override is None:
        return Window(quiz.opens_at, quiz.closes_at)
    return Window(override.opens_at or quiz.opens_at, override.closes_at or quiz.closes_at,
                  override.extra_minutes, override.reason)


def deadline_for(quiz, window, started_at):
    """The server's deadline: min(start + time limit + extra minutes, window end)."""
    return min(started_at + timedelta(minutes=quiz.time_limit_minutes + window.extra_minutes), window.closes_at)


def review_opens_at(quiz):
    """When answers and explanations may be shown: after every window (overrides too) has closed."""
    latest = db.session.scalar(
        select(QuizOverride.closes_at).where(QuizOverride.quiz_id == quiz.id, QuizOverride.closes_at.is_not(None))
        .order_by(QuizOverride.closes_at.desc()).limit(1))
    return max(quiz.closes_at, latest) if latest else quiz.closes_at


def review_open(quiz, now=None):
    """True once no one can still be answering the test."""
    return (now or utcnow()) >= review_opens_at(quiz)


def overrides(quiz, actor):
    """The test's overrides for people in the actor's branches, by name."""
    branch_ids = [b.id for b in managed_branches(actor)]
    return db.session.scalars(
        select(QuizOverride).join(Person, Person.id == QuizOverride.person_id)
        .where(QuizOverride.quiz_id == quiz.id, Person.branch_id.in_(branch_ids))
        .order_by(Person.name_sort, Person.id)
    ).all()


def override_candidates(quiz, actor):
    """People expected to sit the test in the actor's branches (for choosing whom to override)."""
    branch_ids = [b.id for b in managed_branches(actor)]
    return db.session.scalars(
        select(Person).where(takers_condition(quiz, branch_ids)).order_by(Person.name_sort, Person.id)).all()


def override_groups(quiz, actor):
    """党小组 of the test's branches that the actor looks after."""
    groups = db.session.scalars(select(Organisation).where(
        Organisation.kind == OrgKind.GROUP,
        Organisation.parent_id.in_([a.organisation_id for a in quiz.assignments]))
        .order_by(Organisation.parent_id, Organisation.sort_order, Organisation.id)).all()
    return [g for g in groups if actor.has_permission("study.manage", g)]


def _override_people(quiz, actor, person_ids, group_id):
    ids = set(person_ids or [])
    if group_id:
        group = db.session.get(Organisation, group_id)
        if group is None or group.kind != OrgKind.GROUP or not actor.has_permission("study.manage", group):
            raise ValidationError("党小组不存在或不在您负责的支部", field="group_id")
        ids |= set(db.session.scalars(select(Person.id).where(Person.group_id == group.id)))
    if not ids:
        raise ValidationError("请选择人员或党小组", field="person_ids")
    branch_ids = [b.id for b in managed_branches(actor)]
    people = db.session.scalars(
        select(Person).where(Person.id.in_(ids), takers_condition(quiz, branch_ids))).all()
    if len(people) != len(ids) and not group_id:
        raise ValidationError("所选人员不在本测试的参测范围内，或不在您负责的支部", field="person_ids")
    if not people:
        raise ValidationError("该党小组没有需要参加本测试的人员", field="group_id")
    return people


def grant_override(actor, quiz, *, person_ids=(), group_id=None, opens_at=None, closes_at=None,
                   extra_minutes=0, reason=""):
    """Give people (or a 党小组) another window and/or extra minutes, with a reason; audited.

    Open attempts of those people get their deadline recomputed at once.
    """
    if not quiz.is_published:
        raise ValidationError("测试发布后才能单独安排")
    reason = clean_text(reason or "")
    if not reason:
        raise ValidationError("请填写原因（如：夜班、出差）", field="reason")
    if len(reason) > 200:
        raise ValidationError("原因不能超过 200 字", field="reason")
    extra_minutes = extra_minutes or 0
    if not 0 <= extra_minutes <= 600:
        raise ValidationError("延长时间应在 0 到 600 分钟之间", field="extra_minutes")
    if opens_at is None and closes_at is None and extra_minutes == 0:
        raise ValidationError("请设置另外的开放时间，或延长答题时间", field="extra_minutes")
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValidationError("截止时间应晚于开放时间", field="closes_at")
    if closes_at is not None and closes_at <= (opens_at or quiz.opens_at):
        raise ValidationError("截止时间应晚于开放时间", field="closes_at")
    people = _override_people(quiz, actor, person_ids, group_id)
    existing = {o.person_id: o for o in db.session.scalars(
        select(QuizOverride).where(QuizOverride.quiz_id == quiz.id,
                                   QuizOverride.person_id.in_([p.id for p in people])))}
    granted = []
    for person in people:
        override = existing.get(person.id) or QuizOverride(quiz_id=quiz.id, person_id=person.id)
        override.opens_at, override.closes_at = opens_at, closes_at
        override.extra_minutes, override.reason, override.granted_by_id = extra_minutes, reason, actor.id
        db.session.add(override)
        db.session.flush()
        _recompute_open_deadlines(quiz, person.id)
        audit.record("quiz_override_granted", target=override, actor=actor, detail=(
            f"{quiz.title}：{person.name}，{_override_text(override)}；原因：{reason}"))
        granted.append(override)
    return granted


def _override_text(override):
    parts = []
    if override.opens_at or override.closes_at:
        opens, closes = format_datetime(override.opens_at) or "不变", format_datetime(override.closes_at) or "不变"
        parts.append(f"开放时间 {opens} 至 {closes}")
    if override.extra_minutes:
        parts.append(f"延长 {override.extra_minutes} 分钟")
    return "，".join(parts)


def _recompute_open_deadlines(quiz, person_id):
    window = window_for(quiz, person_id)
    for attempt in db.session.scalars(select(QuizAttempt).where(
            QuizAttempt.quiz_id == quiz.id, QuizAttempt.person_id == person_id,
            QuizAttempt.status == AttemptStatus.OPEN, QuizAttempt.deadline_at > utcnow())):
        attempt.deadline_at = deadline_for(quiz, window, attempt.started_at)


# --- form input -----------------------------------------------------------------------------------

def parse_pick_ids(text):
    """Question numbers typed as "12, 15、18" as a list of ints; ValidationError on anything else."""
    parts = [p for p in re.split(r"[\s,，、;；]+", text or "") if p]
    bad = [p for p in parts if not p.lstrip("#").isdigit()]
    if bad:
        raise ValidationError(f"题目编号应为数字，“{bad[0]}”无效", field="pick_ids")
    return [int(p.lstrip("#")) for p in parts]


def rule_specs(rows):
    """RuleSpecs from the form's rule rows ({kind, count, tag, difficulty, points}); empty rows skipped."""
    specs = []
    for number, row in enumerate(rows, start=1):
        if not row.get("kind"):
            continue
        if not row.get("count"):
            raise ValidationError(f"第 {number} 条规则请填写题数", field="rules")
        specs.append(RuleSpec(kind=row["kind"], count=row["count"], tag=(row.get("tag") or "").strip() or None,
                              difficulty=int(row["difficulty"]) if row.get("difficulty") else None,
                              points=row.get("points") or 5))
    return specs


def as_local(moment):
    """A naive datetime typed in a form, read as Asia/Shanghai (None passes through)."""
    return moment.replace(tzinfo=LOCAL_TZ) if moment is not None and moment.tzinfo is None else moment
