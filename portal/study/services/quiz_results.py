"""After a weekly test: the member's review, the secretary's results, statistics and export.

Only each person's first attempt counts (see attempts.COUNTED_NUMBER): later attempts are
practice and appear neither in the results nor in the statistics.
"""

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from portal.core.clock import format_datetime, to_local
from portal.core.exceptions import ValidationError
from portal.core.xlsx import write_workbook
from portal.extensions import db
from portal.roster.models import Organisation, Person
from portal.study.models.questions import OPTION_LETTERS, Question, QuestionKind
from portal.study.models.quizzes import AttemptItem, AttemptStatus, QuizAttempt
from portal.study.services import attempts as attempt_service
from portal.study.services import marking, quizzes

NOT_TAKEN = "未参加"
GROUP_SHARE = 0.27  # top and bottom 27% for the discrimination index
RESULT_HEADERS = ["姓名", "党支部", "状态", "得分", "是否及格", "用时（分钟）", "交卷时间"]


# --- the member's review --------------------------------------------------------------------------

@dataclass
class ReviewItem:
    """One question of a finished paper as the member reviews it (display letters throughout)."""

    item: AttemptItem
    options: list
    given_text: str
    correct_text: str
    fraction: float
    correct_letters: set = field(default_factory=set)
    given_letters: set = field(default_factory=set)


def review(attempt):
    """The member's paper with their answers, the correct answers and explanations.

    Raises ValidationError while anyone may still be answering the test: the answers must not
    reach a browser before every window has closed.
    """
    if attempt.is_open or not quizzes.review_open(attempt.quiz):
        raise ValidationError(
            f"答案和解析将在测试截止（{format_datetime(quizzes.review_opens_at(attempt.quiz))}）后公布")
    rows = []
    for item in attempt.items:
        choice = item.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
        if choice:
            given = quizzes.to_display_letters(item, item.given)
            correct = quizzes.to_display_letters(item, item.answer)
        else:
            given, correct = item.given or [], item.answer
        rows.append(ReviewItem(
            item=item, options=quizzes.display_options(item),
            given_text=marking.answer_text(item.kind, given), correct_text=marking.answer_text(item.kind, correct),
            fraction=item.fraction or 0.0, correct_letters=set(correct) if choice else set(),
            given_letters=set(given) if choice else set()))
    return rows


# --- the secretary's results ----------------------------------------------------------------------

@dataclass
class ResultRow:
    """One person expected to sit the test, with their counted attempt (or none)."""

    person: Person
    branch_name: str
    attempt: QuizAttempt | None
    passed: bool | None

    @property
    def status_label(self):
        """未参加, 答题中, 已交卷, 超时自动交卷."""
        return self.attempt.status_label if self.attempt else NOT_TAKEN

    @property
    def minutes_used(self):
        """Time used in minutes (one decimal), or None."""
        seconds = self.attempt.seconds_used if self.attempt else None
        return None if seconds is None else round(seconds / 60, 1)


def result_rows(actor, quiz):
    """Everyone expected to sit the test in the actor's branches, finished first by score."""
    branch_ids = [b.id for b in quizzes.managed_branches(actor)]
    people = db.session.execute(
        select(Person, Organisation.name).join(Organisation, Organisation.id == Person.branch_id)
        .where(quizzes.takers_condition(quiz, branch_ids)).order_by(Organisation.sort_order, Person.name_sort)
    ).all()
    counted = attempt_service.counted_attempts(quiz, [p.id for p, _ in people])
    rows = []
    for person, branch_name in people:
        attempt = counted.get(person.id)
        done = attempt is not None and attempt.status != AttemptStatus.OPEN
        rows.append(ResultRow(person, branch_name, attempt, attempt.score >= quiz.pass_mark if done else None))
    rows.sort(key=lambda r: (r.attempt is None or r.attempt.score is None, -(r.attempt.score or 0)
                             if r.attempt and r.attempt.score is not None else 0))
    return rows


def finished_attempts(rows):
    """The finished counted attempts among result rows."""
    return [r.attempt for r in rows if r.attempt is not None and r.attempt.status != AttemptStatus.OPEN]


def summary(quiz, rows):
    """Headline figures: expected, finished, not taken, average, pass rate."""
    done = finished_attempts(rows)
    scores = [a.score for a in done]
    return {
        "expected": len(rows), "finished": len(done), "missing": sum(1 for r in rows if r.attempt is None),
        "average": round(sum(scores) / len(scores), 1) if scores else None,
        "pass_rate": round(100 * sum(1 for s in scores if s >= quiz.pass_mark) / len(scores), 1) if scores else None,
    }


# --- per-question statistics ----------------------------------------------------------------------

@dataclass
class QuestionStat:
    """How one question fared among the finished papers that held it."""

    question_id: int
    kind: str
    stem: str
    answered: int
    correct_rate: float | None
    common_wrong: str
    discrimination: float | None

    @property
    def kind_label(self):
        """单选题, ..."""
        return quizzes.KIND_LABELS[QuestionKind(self.kind)]


def _groups(done):
    """(top ids, bottom ids): the best and worst 27% of finished attempts by score (ties by id)."""
    ranked = sorted(done, key=lambda a: (-a.score, a.id))
    size = max(1, round(GROUP_SHARE * len(ranked))) if ranked else 0
    return {a.id for a in ranked[:size]}, {a.id for a in ranked[len(ranked) - size:]}


def _wrong_text(item, given):
    if item.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        wrong = [letter for letter in given if letter not in item.answer]
        return wrong or None
    if item.kind == QuestionKind.TRUE_FALSE:
        return given
    return ["；".join(given)]


def _wrong_label(item, value):
    if item.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        index = OPTION_LETTERS.index(value)
        text = item.options[index] if index < len(item.options) else ""
        return f"{value}（{text}）" if text else value
    if item.kind == QuestionKind.TRUE_FALSE:
        return marking.answer_text(item.kind, [value])
    return value


def _rate(values):
    return round(sum(values) / len(values), 3) if values else None


def question_stats(rows):
    """Per question: correct rate, most common wrong answer and discrimination index.

    The discrimination index is the correct rate among the top 27% of papers by score minus
    that among the bottom 27% (only papers holding the question count); None if either group
    has no paper with the question.
    """
    done = finished_attempts(rows)
    if not done:
        return []
    top, bottom = _groups(done)
    items = db.session.scalars(select(AttemptItem).where(
        AttemptItem.attempt_id.in_([a.id for a in done])).order_by(AttemptItem.question_id)).all()
    by_question = {}
    for item in items:
        by_question.setdefault(item.question_id, []).append(item)
    stats = []
    for question_id, group in by_question.items():
        right = [1 if (i.fraction or 0) == 1.0 else 0 for i in group]
        wrong = Counter()
        for item in group:
            if (item.fraction or 0) < 1.0 and item.given:
                for value in _wrong_text(item, item.given) or []:
                    wrong[value] += 1
        common = min(wrong.items(), key=lambda kv: (-kv[1], kv[0]))[0] if wrong else None
        top_rate = _rate([r for r, i in zip(right, group, strict=True) if i.attempt_id in top])
        bottom_rate = _rate([r for r, i in zip(right, group, strict=True) if i.attempt_id in bottom])
        first = group[0]
        stats.append(QuestionStat(
            question_id=question_id, kind=first.kind, stem=first.stem, answered=len(group),
            correct_rate=_rate(right), common_wrong=_wrong_label(first, common) if common else "—",
            discrimination=None if top_rate is None or bottom_rate is None else round(top_rate - bottom_rate, 3)))
    stats.sort(key=lambda s: (s.correct_rate if s.correct_rate is not None else 2, s.question_id))
    return stats


# --- export ---------------------------------------------------------------------------------------

def results_workbook(quiz, rows):
    """The results as .xlsx with Chinese headers: (stream, file name)."""
    data = []
    for row in rows:
        attempt = row.attempt
        finished = attempt is not None and attempt.status != AttemptStatus.OPEN
        data.append([
            row.person.name, row.branch_name, row.status_label,
            attempt.score if finished else None,
            ("及格" if row.passed else "不及格") if finished else "",
            row.minutes_used if finished else None,
            to_local(attempt.finished_at).replace(tzinfo=None) if finished else None,
        ])
    stream = write_workbook(RESULT_HEADERS, data, title="成绩", widths=[12, 24, 14, 8, 10, 12, 18])
    return stream, f"每周一测成绩_{quiz.title}.xlsx"


def question_of(question_id):
    """The bank question behind a statistic (for a link), or None."""
    return db.session.get(Question, question_id)
