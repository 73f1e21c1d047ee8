"""The daily question (每日一题): which question a member sees, answering once, and the figures.

A branch shows its own pick for the day, else the nearest ancestor's (the committee's), else
a question drawn automatically for the branch: deterministic for the date and the branch, and
preferring questions the branch has not had in the last RECENT_DAYS days. A correct answer earns
the "daily_question" credit once (the rule reads 答对当日题目).
"""

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, delete, func, select
from sqlalchemy.exc import IntegrityError

from portal.core.clock import format_date, localnow, utcnow
from portal.core.exceptions import ConflictError, ValidationError
from portal.core.markdown import render
from portal.credits import services as credits
from portal.extensions import db
from portal.roster import services as roster
from portal.roster.models import OrgKind
from portal.study.models.daily import DailyAnswer, DailyQuestion
from portal.study.models.questions import OPTION_LETTERS, Question, QuestionKind
from portal.study.services import bank, credit_rules, marking

RECENT_DAYS = 60
PICK_AHEAD_DAYS = 60
HISTORY_LENGTH = 14
CREDIT_RULE = credit_rules.DAILY_QUESTION


@dataclass
class Resolved:
    """The question a branch shows on a day, the row it comes from (None: not drawn yet), and why."""

    question: Question | None
    row: DailyQuestion | None
    source: str


@dataclass
class DailyPanel:
    """What study/daily/_panel.html shows. The answer key is filled in only once answered."""

    day: date
    question_id: int | None = None
    stem: str = ""
    kind: str = ""
    kind_label: str = ""
    options: list = None
    blanks: int = 0
    source: str = ""
    answered: bool = False
    correct: bool | None = None
    given_text: str = ""
    correct_text: str = ""
    explanation: str = ""
    reason: str = ""
    credited: int | None = None  # points the ledger holds for a correct answer (None: none booked)

    @property
    def explanation_html(self):
        """The explanation as sanitised HTML (empty before answering)."""
        return render(self.explanation) if self.answered and self.explanation else ""


def today():
    """The local (Asia/Shanghai) date."""
    return localnow().date()


# --- which question ------------------------------------------------------------------------------

def resolve(branch, day):
    """The question `branch` shows on `day`: its own pick, the nearest ancestor's, or a draw."""
    ids = bank.ancestor_ids(branch)
    rows = {r.organisation_id: r for r in db.session.scalars(
        select(DailyQuestion).where(DailyQuestion.organisation_id.in_(ids), DailyQuestion.day == day))}
    for org_id in reversed(ids):
        row = rows.get(org_id)
        if row is not None and not row.auto:
            return Resolved(row.question, row, f"{row.organisation.name}指定")
    own = rows.get(branch.id)
    if own is not None:
        return Resolved(own.question, own, "自动抽题")
    return Resolved(draw(branch, day), None, "自动抽题")


def draw(branch, day):
    """A question for the branch and day: the same for the same bank, avoiding recent ones."""
    candidates = db.session.scalars(
        select(Question.id).where(bank.serving_condition(branch)).order_by(Question.id)).all()
    if not candidates:
        return None
    last_used = dict(db.session.execute(
        select(DailyQuestion.question_id, func.max(DailyQuestion.day))
        .where(DailyQuestion.organisation_id.in_(bank.ancestor_ids(branch)),
               DailyQuestion.day >= day - timedelta(days=RECENT_DAYS), DailyQuestion.day < day)
        .group_by(DailyQuestion.question_id)).all())
    fresh = [qid for qid in candidates if qid not in last_used]
    if not fresh:
        oldest = min(last_used.values())
        fresh = [qid for qid in candidates if last_used[qid] == oldest]
    chosen = min(fresh, key=lambda qid: hashlib.sha256(f"{branch.id}:{day}:{qid}".encode()).hexdigest())
    return db.session.get(Question, chosen)


def ensure_row(branch, day, resolved):
    """The DailyQuestion behind `resolved`, storing an automatic draw (once, even when raced)."""
    if resolved.row is not None:
        return resolved.row
    row = DailyQuestion(organisation_id=branch.id, day=day, question_id=resolved.question.id, auto=True)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        # Drawn by another request at the same moment; the draw is deterministic, use theirs.
        row = db.session.scalar(select(DailyQuestion).where(
            DailyQuestion.organisation_id == branch.id, DailyQuestion.day == day))
    return row


def draw_for(branch, day):
    """Store the automatic draw of `branch` for `day` if it has no question yet; True if one was stored."""
    resolved = resolve(branch, day)
    if resolved.row is not None or resolved.question is None:
        return False
    ensure_row(branch, day, resolved)
    return True


# --- the member's side -----------------------------------------------------------------------------

def _answer_of(person, day):
    return db.session.scalar(select(DailyAnswer).where(DailyAnswer.person_id == person.id, DailyAnswer.day == day))


def panel(person, day=None):
    """What the daily-question panel shows `person` on `day` (today by default); never the key unanswered."""
    day = day or today()
    if person is None or person.branch is None:
        return DailyPanel(day=day, reason="您还没有所属党支部，暂不能参加每日一题")
    mine = _answer_of(person, day)
    if mine is not None:
        question = mine.daily_question.question
        result = _panel_for(day, question, "")
        result.answered, result.correct = True, mine.correct
        result.given_text = marking.answer_text(question.kind, mine.given)
        result.correct_text = marking.answer_text(question.kind, question.answer)
        result.explanation = question.explanation
        booked = credits.entry_for(CREDIT_RULE, credits.Source("daily_answer", mine.id), person.id)
        result.credited = booked.points if booked is not None else None
        return result
    resolved = resolve(person.branch, day)
    if resolved.question is None:
        return DailyPanel(day=day, reason="题库中还没有题目，今天暂无每日一题")
    return _panel_for(day, resolved.question, resolved.source)


def _panel_for(day, question, source):
    return DailyPanel(
        day=day, question_id=question.id, stem=question.stem, kind=question.kind,
        kind_label=question.kind_label, options=list(zip(OPTION_LETTERS, question.options, strict=False)),
        blanks=len(question.answer) if question.kind == QuestionKind.FILL else 0, source=source,
    )


@dataclass
class Answered:
    """The day's answer just recorded, and the credit a correct one earned (None for a wrong one)."""

    answer: DailyAnswer
    credit: object = None  # credits.Award

    @property
    def correct(self):
        """True when the answer was right."""
        return self.answer.correct


def answer(person, question_id, raw, day=None):
    """Record the person's one answer for the day and credit a correct one; returns an Answered."""
    day = day or today()
    if person is None or person.branch is None:
        raise ValidationError("您还没有所属党支部，暂不能参加每日一题")
    if _answer_of(person, day) is not None:
        raise ConflictError("您今天已经答过了，每日一题每天只能作答一次")
    resolved = resolve(person.branch, day)
    question = resolved.question
    if question is None:
        raise ValidationError("今天暂无每日一题")
    if question_id != question.id:
        raise ConflictError("今天的题目已更换，请查看新题目后重新作答")
    blanks = len(question.answer) if question.kind == QuestionKind.FILL else None
    given = marking.normalise(question.kind, raw, question.options, blanks=blanks)
    if not given:
        raise ValidationError("请先作答再提交", field="answer")
    row = ensure_row(person.branch, day, resolved)
    entry = DailyAnswer(daily_question_id=row.id, person_id=person.id, branch_id=person.branch_id, day=day,
                        given=given, correct=marking.is_correct(question.kind, question.answer, given),
                        answered_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        raise ConflictError("您今天已经答过了，每日一题每天只能作答一次") from None
    if not entry.correct:
        return Answered(entry)
    return Answered(entry, credits.award(person, CREDIT_RULE, credits.Source("daily_answer", entry.id),
                                         when=entry.answered_at))


@dataclass
class HistoryItem:
    """One past daily question the member answered."""

    day: date
    stem: str
    kind_label: str
    correct: bool
    given_text: str
    correct_text: str
    explanation_html: str


def history(person, before=None, limit=HISTORY_LENGTH):
    """The member's answered daily questions before `before` (today), newest first."""
    if person is None:
        return []
    before = before or today()
    answers = db.session.scalars(
        select(DailyAnswer).where(DailyAnswer.person_id == person.id, DailyAnswer.day < before)
        .order_by(DailyAnswer.day.desc()).limit(limit)).all()
    items = []
    for a in answers:
        question = a.daily_question.question
        items.append(HistoryItem(
            day=a.day, stem=question.stem, kind_label=question.kind_label, correct=a.correct,
            given_text=marking.answer_text(question.kind, a.given),
            correct_text=marking.answer_text(question.kind, question.answer),
            explanation_html=render(question.explanation) if question.explanation else "",
        ))
    return items


# --- the secretary's side -------------------------------------------------------------------------

def pick(actor, org_id, day, question_id):
    """Set the question an organisation (and the branches under it) shows on a day."""
    org = bank.managed_organisation(actor, org_id)
    first, last = today(), today() + timedelta(days=PICK_AHEAD_DAYS)
    if day is None or not first <= day <= last:
        raise ValidationError(f"只能为今天到 {PICK_AHEAD_DAYS} 天以内的日期指定题目", field="day")
    question = db.session.scalar(select(Question).where(Question.id == question_id, bank.serving_condition(org)))
    if question is None:
        raise ValidationError(f"该题目已停用或不在“{org.name}”可用的题库中", field="question_id")
    row = db.session.scalar(select(DailyQuestion).where(
        DailyQuestion.organisation_id == org.id, DailyQuestion.day == day))
    if row is not None:
        _refuse_if_answered(row)
        row.question, row.auto, row.picked_by_id = question, False, actor.id
        return row
    row = DailyQuestion(organisation_id=org.id, day=day, question=question, auto=False, picked_by_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise ConflictError("刚刚已有人为这一天指定了题目，请刷新后查看") from None
    return row


def unpick(actor, org_id, day):
    """Withdraw an organisation's pick for a day (the day falls back to the level above or a draw)."""
    org = bank.managed_organisation(actor, org_id)
    row = db.session.scalar(select(DailyQuestion).where(
        DailyQuestion.organisation_id == org.id, DailyQuestion.day == day, DailyQuestion.auto.is_(False)))
    if row is None:
        raise ValidationError("这一天没有指定的题目")
    _refuse_if_answered(row)
    db.session.execute(delete(DailyQuestion).where(DailyQuestion.id == row.id))
    return org


def _refuse_if_answered(row):
    answered = db.session.scalar(select(func.count()).where(DailyAnswer.daily_question_id == row.id))
    if answered:
        raise ConflictError(f"{format_date(row.day, short=True)}的题目已有 {answered} 人作答，不能再更换或取消")


@dataclass
class DayLine:
    """One day on the secretary's page: the question, where it came from, and the figures."""

    day: date
    stem: str
    source: str
    picked_here: bool
    answered: int
    correct: int

    @property
    def rate(self):
        """The correct rate in percent (None when nobody answered)."""
        return round(100 * self.correct / self.answered) if self.answered else None


def schedule(actor, org_id, past_days=14, ahead_days=7):
    """Days from `past_days` ago to `ahead_days` ahead for an organisation: question and figures."""
    org = bank.managed_organisation(actor, org_id)
    start, end = today() - timedelta(days=past_days - 1), today() + timedelta(days=ahead_days)
    branch_ids = [b.id for b in roster.branches_within([org])]
    figures = {}
    if branch_ids:
        figures = {d: (n, c or 0) for d, n, c in db.session.execute(
            select(DailyAnswer.day, func.count(), func.sum(case((DailyAnswer.correct, 1), else_=0)))
            .where(DailyAnswer.branch_id.in_(branch_ids), DailyAnswer.day.between(start, today()))
            .group_by(DailyAnswer.day)).all()}
    own = {r.day: r for r in db.session.scalars(select(DailyQuestion).where(
        DailyQuestion.organisation_id == org.id, DailyQuestion.day.between(start, end)))}
    lines = []
    day = end
    while day >= start:
        stem, source, picked_here = _line_question(org, day, own.get(day))
        answered, correct = figures.get(day, (0, 0))
        lines.append(DayLine(day, stem, source, picked_here, answered, correct))
        day -= timedelta(days=1)
    return org, lines


def _line_question(org, day, own_row):
    if org.kind == OrgKind.BRANCH:
        resolved = resolve(org, day)
        stem = resolved.question.stem if resolved.question else ""
        picked_here = resolved.row is not None and resolved.row.organisation_id == org.id and not resolved.row.auto
        return stem, resolved.source if resolved.question else "题库为空", picked_here
    if own_row is not None and not own_row.auto:
        return own_row.question.stem, f"{org.name}指定", True
    return "", "由各支部自行指定或自动抽题", False


def pick_choices(actor, question):
    """The organisations the actor may pick `question` for (it must serve them)."""
    return [o for o in bank.managed_organisations(actor) if question.organisation_id in bank.ancestor_ids(o)]
