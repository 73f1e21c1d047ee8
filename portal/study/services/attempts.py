"""Taking a weekly test: starting or resuming, autosave, submit, and closing at the deadline.

The server owns the clock. Every write to an attempt starts with one UPDATE of the attempt row
guarded by ``status = 'open' AND deadline_at > now``: it both checks the deadline and takes the
row's lock, so a save racing the deadline job, a replayed submit or two scheduler processes can
never store a late answer, mark twice or credit twice.
"""

import logging
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import Float, Integer, and_, bindparam, column, func, select, true, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from portal.core.clock import format_local, utcnow
from portal.core.exceptions import NotFound, ValidationError
from portal.credits import services as credits
from portal.extensions import db
from portal.roster.models import Person
from portal.study.models.questions import QuestionKind
from portal.study.models.quizzes import AttemptItem, AttemptStatus, Quiz, QuizAttempt
from portal.study.services import marking, quizzes

log = logging.getLogger(__name__)

LATE_MESSAGE = "答题时间已到，本次提交的答案未保存；已按截止前保存的答案自动交卷"
CLOSED_MESSAGE = "本次答题已经交卷，答案不能再修改"
REPLAYED_MESSAGE = "已经交卷，无需重复提交"
# Only the first attempt earns credits and counts in results; later ones are practice.
COUNTED_NUMBER = 1


@dataclass
class SaveResult:
    """What an autosave or submit did: `saved` is False when the write was refused.

    `invalid` marks an answer refused as malformed (nothing written, the attempt untouched).
    """

    attempt: QuizAttempt | None
    saved: bool
    message: str = ""
    finished_now: bool = False
    # The attempt as the write left it, read before the commit expires it (an autosave's answer).
    open_after: bool = True
    remaining: int = 0
    invalid: bool = False
    score: float | None = None  # of a hand-in just marked


# The statements a deadline storm runs for every member of a test (autosave, hand-in, marking), built
# once as Core statements on the tables: building and ORM-processing them per request cost more than
# running them. Bound names differ from column names, which Core reserves for SET values.
_ATTEMPT = QuizAttempt.__table__
_ITEM = AttemptItem.__table__
# The attempt's owner and state, and the question answered (NULLs for a position not on the paper).
_SAVE_TARGET = (
    select(_ATTEMPT.c.person_id, _ATTEMPT.c.status, _ATTEMPT.c.deadline_at,
           _ITEM.c.kind, _ITEM.c.options, _ITEM.c.answer)
    .select_from(_ATTEMPT.outerjoin(_ITEM, and_(_ITEM.c.attempt_id == _ATTEMPT.c.id,
                                                 _ITEM.c.position == bindparam("pos"))))
    .where(_ATTEMPT.c.id == bindparam("a_id"))
)
_OPEN_BEFORE_DEADLINE = (_ATTEMPT.c.id == bindparam("a_id"), _ATTEMPT.c.status == AttemptStatus.OPEN,
                         _ATTEMPT.c.deadline_at > bindparam("now"))
_CLAIM = {
    "save": update(_ATTEMPT).where(*_OPEN_BEFORE_DEADLINE).values(last_saved_at=bindparam("now")),
    "submit": update(_ATTEMPT).where(*_OPEN_BEFORE_DEADLINE).values(
        status=AttemptStatus.SUBMITTED, finished_at=bindparam("now")),
}
_STORE_ANSWER = (update(_ITEM).where(_ITEM.c.attempt_id == bindparam("a_id"), _ITEM.c.position == bindparam("pos"))
                 .values(given=bindparam("answer_given")))
_PAPER = select(_ITEM.c.position, _ITEM.c.kind, _ITEM.c.options, _ITEM.c.answer).where(
    _ITEM.c.attempt_id == bindparam("a_id"))
_MARKING_ROWS = select(_ITEM.c.position, _ITEM.c.kind, _ITEM.c.answer, _ITEM.c.given, _ITEM.c.points).where(
    _ITEM.c.attempt_id == bindparam("a_id"))
_STORE_MARK = (update(_ITEM).where(_ITEM.c.attempt_id == bindparam("a_id"), _ITEM.c.position == bindparam("pos"))
               .values(fraction=bindparam("mark")))
_STORE_SCORE = update(_ATTEMPT).where(_ATTEMPT.c.id == bindparam("a_id")).values(
    earned_points=bindparam("earned"), score=bindparam("pct"))
# PostgreSQL runs each pair of writes below as one statement (a data-modifying WITH), a round trip
# less per autosave and per marking; SQLite, which has no such WITH, runs them one after the other.
# An autosave's also returns the question, so it needs no read first (see _autosave_checked_after).
_CLAIMED = (_CLAIM["save"].where(_ATTEMPT.c.person_id == bindparam("owner"))
            .values(updated_at=bindparam("now"))  # column defaults are not applied inside a SELECT's WITH
            .returning(_ATTEMPT.c.id, _ATTEMPT.c.deadline_at).cte("claimed"))
_STORED = (update(_ITEM).where(_ITEM.c.attempt_id == _CLAIMED.c.id, _ITEM.c.position == bindparam("pos"))
           .values(given=bindparam("answer_given")).returning(_ITEM.c.kind, _ITEM.c.options, _ITEM.c.answer)
           .cte("stored"))
# No row: not claimed. A row without a kind: claimed, but no such question on the paper.
_SAVE_AND_RETURN = select(_CLAIMED.c.deadline_at, _STORED.c.kind, _STORED.c.options, _STORED.c.answer).select_from(
    _CLAIMED.outerjoin(_STORED, true()))
_MARKS = (func.unnest(bindparam("positions", type_=postgresql.ARRAY(Integer)),
                      bindparam("fractions", type_=postgresql.ARRAY(Float)))
          .table_valued(column("pos", Integer), column("mark", Float)).render_derived(name="marks"))
_STORE_MARKS_AND_SCORE = (update(_ITEM).where(_ITEM.c.attempt_id == _STORE_SCORE.returning(_ATTEMPT.c.id)
                                              .cte("scored").c.id, _ITEM.c.position == _MARKS.c.pos)
                          .values(fraction=_MARKS.c.mark))
# PostgreSQL: 交卷's guarded UPDATE returns what marking and crediting need, with the test's policy
# and the person's status and branch (UPDATE ... FROM), so the attempt is not read first.
_QUIZ = Quiz.__table__
_PERSON = Person.__table__
_HAND_IN = (
    update(_ATTEMPT)
    .where(*_OPEN_BEFORE_DEADLINE, _ATTEMPT.c.person_id == bindparam("owner"),
           _QUIZ.c.id == _ATTEMPT.c.quiz_id, _PERSON.c.id == _ATTEMPT.c.person_id)
    .values(status=AttemptStatus.SUBMITTED, finished_at=bindparam("now"))
    .returning(_ATTEMPT.c.total_points, _ATTEMPT.c.number, _QUIZ.c.partial_policy,
               _PERSON.c.political_status, _PERSON.c.branch_id)
)
# A hand-in marks and credits the paper: its test's policy and what crediting needs of its person
# come with it (other columns load if something asks).
_ATTEMPT_FOR_MARKING = (
    select(QuizAttempt)
    .options(joinedload(QuizAttempt.quiz).load_only(Quiz.partial_policy),
             joinedload(QuizAttempt.person).load_only(Person.political_status, Person.branch_id))
    .where(QuizAttempt.id == bindparam("a_id"))
)


def remaining_seconds(attempt, now=None):
    """Whole seconds left before the deadline (0 once it has passed)."""
    return _seconds_left(attempt.deadline_at, now or utcnow())


def _seconds_left(deadline, now):
    return max(0, int((deadline - now).total_seconds()))


# --- starting -------------------------------------------------------------------------------------

def attempts_of(quiz, person_id):
    """The person's attempts at the test, first first."""
    return db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.person_id == person_id).order_by(QuizAttempt.number)).all()


def start(actor, quiz, rng=None, pools=None):
    """Resume the member's open attempt, or draw a new paper if the window and attempts allow."""
    person = actor.person
    if not quizzes.is_taker(quiz, person):
        raise NotFound("测试不存在")
    now = utcnow()
    existing = attempts_of(quiz, person.id)
    for attempt in existing:
        close_if_expired(attempt, now)
    current = next((a for a in existing if a.is_open), None)
    if current is not None:
        return current
    window = quizzes.window_for(quiz, person.id)
    if now < window.opens_at:
        raise ValidationError(f"测试尚未开始，开放时间：{format_local(window.opens_at)}")
    if now >= window.closes_at:
        raise ValidationError(f"测试已于 {format_local(window.closes_at)} 截止")
    if len(existing) >= quiz.attempts_allowed:
        raise ValidationError(f"本测试只能作答 {quiz.attempts_allowed} 次，您已全部完成")
    items = quizzes.build_paper(quiz, person, pools=pools, rng=rng)
    attempt = QuizAttempt(
        quiz_id=quiz.id, person_id=person.id, number=len(existing) + 1, started_at=now,
        deadline_at=quizzes.deadline_for(quiz, window, now), total_points=sum(i.points for i in items), items=items)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # A second tab started the same attempt at the same moment: resume that one.
        db.session.expire_all()
        attempt = next((a for a in attempts_of(quiz, person.id) if a.is_open), None)
        if attempt is None:
            raise ValidationError("请刷新页面后重试") from None
    return attempt


def get_attempt(actor, attempt_id, close=True, for_marking=False):
    """The actor's own attempt (closed first if its deadline has passed); NotFound for anyone else's.

    `for_marking` reads its test and person with it, as a hand-in needs both.
    """
    if for_marking:
        attempt = db.session.execute(_ATTEMPT_FOR_MARKING, {"a_id": attempt_id}).scalar_one_or_none()
    else:
        attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or actor.person_id is None or attempt.person_id != actor.person_id:
        raise NotFound("答题记录不存在")
    if close:
        close_if_expired(attempt)
    return attempt


# --- answering ------------------------------------------------------------------------------------

def field_name(item, blank=None):
    """The form field of an item's answer (q3) or of one blank of a fill-in item (q3_1)."""
    return f"q{item.position}" if blank is None else f"q{item.position}_{blank}"


def answers_from_form(attempt, form, positions=None):
    """{position: raw answer} read from a submitted form for `positions` (default: those it shows).

    The paper lists its questions in hidden "shown" fields; a shown question whose field is absent
    counts as unanswered (unticked boxes send nothing), while a post that shows no question (a
    bare 交卷, a replay) changes no saved answer.
    """
    wanted = set(_shown(form) if positions is None else positions)
    if not wanted:
        return {}
    items = _items(attempt, wanted)
    if not wanted <= set(items):
        raise ValidationError("题目不存在")
    return {position: _raw_answer(form, position, items[position].kind, items[position].answer)
            for position in sorted(wanted)}


def checked_answers(attempt_id, form):
    """{position: checked answer} for every question the form shows, checked against the paper.

    One read of the paper's questions (no ORM objects: a whole mine hands in at once); a question
    not on the paper or a bad answer raises ValidationError before anything is written.
    """
    wanted = _shown(form)
    if not wanted:
        return {}
    paper = {row.position: row for row in db.session.connection().execute(_PAPER, {"a_id": attempt_id})}
    if not wanted <= set(paper):
        raise ValidationError("题目不存在")
    return {position: _clean(position, paper[position].kind, paper[position].options, paper[position].answer,
                             _raw_answer(form, position, paper[position].kind, paper[position].answer))
            for position in sorted(wanted)}


def _shown(form):
    return {int(p) for p in form.getlist("shown") if p.isdigit()}


def _raw_answer(form, position, kind, key):
    """What the form sent for the question at `position` (one string per blank of a fill-in)."""
    if kind == QuestionKind.FILL:
        return [form.get(f"q{position}_{blank}", "") for blank in range(1, len(key) + 1)]
    return form.getlist(f"q{position}")


def _items(attempt, positions):
    """{position: item} for `positions` of the paper: from the loaded paper, or only those rows.

    An autosave sends one question; reading that one row instead of the whole paper matters when
    a whole mine hands in at once. Rows read are kept on the attempt for the rest of the request.
    """
    if "items" in attempt.__dict__:
        return {item.position: item for item in attempt.items if item.position in positions}
    known = attempt.__dict__.setdefault("_items_by_position", {})
    missing = set(positions) - set(known)
    if missing:
        known.update((item.position, item) for item in db.session.scalars(select(AttemptItem).where(
            AttemptItem.attempt_id == attempt.id, AttemptItem.position.in_(sorted(missing)))))
    return {position: known[position] for position in positions if position in known}


def _normalised(attempt, answers):
    items = _items(attempt, set(answers))
    cleaned = {}
    for position, raw in answers.items():
        item = items.get(position)
        if item is None:
            raise ValidationError("题目不存在")
        cleaned[position] = _clean(position, item.kind, item.options, item.answer, raw)
    return cleaned


def _clean(position, kind, options, key, raw):
    try:
        return marking.normalise(kind, raw, options=options, blanks=len(key))
    except ValidationError as error:
        raise ValidationError(f"第 {position} 题：{error.message}") from None


def _claim(attempt_id, now, action):
    """The guarded UPDATE: True if the attempt was still open before its deadline (row now locked)."""
    result = db.session.connection().execute(_CLAIM[action], {"a_id": attempt_id, "now": now})
    return result.rowcount == 1


def autosave(actor, attempt_id, position, form):
    """Store the answer to one question from quiz.js, in as few statements as the database allows.

    When a whole mine hands in at once every member autosaves, so this path reads no ORM objects.
    NotFound for someone else's attempt; a malformed answer or a position not on the paper comes
    back `invalid` with nothing written; a save after the deadline or the hand-in is refused.
    """
    if position is None:
        attempt = get_attempt(actor, attempt_id, close=False)  # NotFound comes first
        return SaveResult(None, saved=False, message="题目不存在", invalid=True, open_after=attempt.is_open,
                          remaining=remaining_seconds(attempt))
    if db.session.connection().dialect.name == "postgresql":
        return _autosave_checked_after(actor, attempt_id, position, form)
    return _autosave_checked_first(actor, attempt_id, position, form)


def _autosave_checked_first(actor, attempt_id, position, form):
    """Read the question, check the answer, then the guarded UPDATE and the answer's UPDATE."""
    connection = db.session.connection()
    row = connection.execute(_SAVE_TARGET, {"a_id": attempt_id, "pos": position}).one_or_none()
    if row is None or actor.person_id is None or row.person_id != actor.person_id:
        raise NotFound("答题记录不存在")
    now = utcnow()
    try:
        if row.kind is None:
            raise ValidationError("题目不存在")
        given = _clean(position, row.kind, row.options, row.answer, _raw_answer(form, position, row.kind, row.answer))
    except ValidationError as error:
        return SaveResult(None, saved=False, message=error.message, invalid=True,
                          open_after=row.status == AttemptStatus.OPEN, remaining=_seconds_left(row.deadline_at, now))
    params = {"a_id": attempt_id, "now": now, "pos": position, "answer_given": given}
    if not (_claim(attempt_id, now, "save") and connection.execute(_STORE_ANSWER, params).rowcount == 1):
        return _refused(get_attempt(actor, attempt_id, close=False), now)
    return SaveResult(None, saved=True, remaining=_seconds_left(row.deadline_at, now))


def _autosave_checked_after(actor, attempt_id, position, form):
    """PostgreSQL: one statement claims the attempt, stores the answer as sent, returns the question.

    A bad answer is then rolled back, and one the checks rewrite (a fill-in's blanks) stored again.
    """
    connection = db.session.connection()
    now = utcnow()
    sent = form.getlist(f"q{position}")  # a choice or true/false answer as the paper posts it
    row = connection.execute(_SAVE_AND_RETURN, {
        "a_id": attempt_id, "owner": actor.person_id, "now": now, "pos": position, "answer_given": sent,
    }).one_or_none()
    if row is None:  # not the actor's, handed in, or past its deadline
        db.session.rollback()
        return _refused(get_attempt(actor, attempt_id, close=False), now)
    try:
        if row.kind is None:
            raise ValidationError("题目不存在")
        given = _clean(position, row.kind, row.options, row.answer, _raw_answer(form, position, row.kind, row.answer))
    except ValidationError as error:
        db.session.rollback()  # the claim and the answer as sent
        return SaveResult(None, saved=False, message=error.message, invalid=True,
                          remaining=_seconds_left(row.deadline_at, now))
    if given != sent:
        connection.execute(_STORE_ANSWER, {"a_id": attempt_id, "pos": position, "answer_given": given})
    return SaveResult(None, saved=True, remaining=_seconds_left(row.deadline_at, now))


def save(actor, attempt, answers):
    """Store answers ({position: raw}); refused (nothing stored) after the deadline or once handed in."""
    cleaned = _normalised(attempt, answers)  # bad input is refused before anything is written
    now = utcnow()
    if not _claim(attempt.id, now, "save"):
        return _refused(attempt, now)
    if cleaned:
        db.session.connection().execute(_STORE_ANSWER, [
            {"a_id": attempt.id, "pos": position, "answer_given": given} for position, given in cleaned.items()])
    # The guarded UPDATE changed only last_saved_at (and found the attempt open): no need to reload it.
    set_committed_value(attempt, "last_saved_at", now)
    for item in _items(attempt, set(cleaned)).values():
        set_committed_value(item, "given", cleaned[item.position])
    return SaveResult(attempt, saved=True, remaining=remaining_seconds(attempt, now))


def _refused(attempt, now):
    db.session.refresh(attempt)
    if attempt.is_open:  # still open, so the deadline has passed: close it now
        finished = close_if_expired(attempt, now)
        return SaveResult(attempt, saved=False, message=LATE_MESSAGE, finished_now=finished,
                          open_after=attempt.is_open)
    return SaveResult(attempt, saved=False, message=CLOSED_MESSAGE, open_after=False)


def submit(actor, attempt, answers=None, form=None):
    """Hand the paper in with `answers` ({position: raw}) or a posted `form`'s, and mark it.

    The answers are checked before anything is written, then stored by the marking itself, only
    where they differ from what autosave kept. A replayed submit changes nothing.
    """
    if not attempt.is_open:  # a replay: once handed in or closed, an attempt never opens again
        return SaveResult(attempt, saved=False, message=REPLAYED_MESSAGE, open_after=False)
    cleaned = checked_answers(attempt.id, form) if form is not None else _normalised(attempt, answers or {})
    now = utcnow()
    if not _claim(attempt.id, now, "submit"):
        result = _refused(attempt, now)
        if result.message == CLOSED_MESSAGE:
            result.message = REPLAYED_MESSAGE
        return result
    mark_and_credit(attempt, finished={"status": AttemptStatus.SUBMITTED, "finished_at": now}, answers=cleaned)
    return SaveResult(attempt, saved=True, finished_now=True, open_after=False, score=attempt.score)


def hand_in(actor, attempt_id, form):
    """交卷 from the paper's form: submit(), without reading the attempt first on PostgreSQL.

    There the form is checked against the paper, then one guarded UPDATE claims the member's own
    open attempt and returns what marking needs. Anything else (someone else's attempt, a replay,
    a late hand-in) goes the way submit() handles it. SaveResult.attempt may be None.
    """
    if db.session.connection().dialect.name != "postgresql":
        return submit(actor, get_attempt(actor, attempt_id, close=False, for_marking=True), form=form)
    try:
        cleaned = checked_answers(attempt_id, form)
    except ValidationError:
        attempt = get_attempt(actor, attempt_id, close=False)  # someone else's is not found, whatever its form
        if not attempt.is_open:
            return submit(actor, attempt, form=form)  # a replay is told so, not what its form got wrong
        raise
    now = utcnow()
    row = db.session.connection().execute(
        _HAND_IN, {"a_id": attempt_id, "owner": actor.person_id, "now": now}).one_or_none()
    if row is None:
        return submit(actor, get_attempt(actor, attempt_id, close=False, for_marking=True), form=form)
    _earned, score, _marks, _changed = _mark(attempt_id, row.total_points, row.partial_policy, cleaned)
    person = SimpleNamespace(id=actor.person_id, political_status=row.political_status, branch_id=row.branch_id)
    _credit(attempt_id, row.number, person, now, score)
    return SaveResult(None, saved=True, finished_now=True, open_after=False, score=score)


# --- closing and marking --------------------------------------------------------------------------

def close_if_expired(attempt, now=None):
    """Close and mark an open attempt whose deadline has passed; True if this call closed it."""
    now = now or utcnow()
    if not attempt.is_open or attempt.deadline_at > now:
        return False
    result = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.status == AttemptStatus.OPEN,
               QuizAttempt.deadline_at <= now)
        .values(status=AttemptStatus.EXPIRED, finished_at=QuizAttempt.deadline_at)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(attempt)
        return False
    mark_and_credit(attempt, finished={"status": AttemptStatus.EXPIRED, "finished_at": attempt.deadline_at})
    return True


def mark_and_credit(attempt, credit=True, finished=None, answers=None):
    """Mark every item with the test's policy, score out of 100 and credit the counted attempt once.

    Called once per attempt, by whoever won the guarded UPDATE that finished it; `finished` is
    what that UPDATE wrote ({column: value}), or None to read the attempt again. `answers`
    ({position: checked answer}, from the hand-in's form) replace the stored ones first.
    """
    answers = answers or {}
    if finished is None:
        db.session.refresh(attempt)
    else:
        for column, value in finished.items():
            set_committed_value(attempt, column, value)
    earned, score, marks, changed = _mark(attempt.id, attempt.total_points, attempt.quiz.partial_policy, answers)
    # The rows were written past the ORM: bring the objects this session holds up to date.
    set_committed_value(attempt, "earned_points", earned)
    set_committed_value(attempt, "score", score)
    for mark in marks:
        item = db.session.identity_map.get(identity_key(AttemptItem, (attempt.id, mark["pos"])))
        if item is not None:
            set_committed_value(item, "fraction", mark["mark"])
    for answer in changed:
        item = db.session.identity_map.get(identity_key(AttemptItem, (attempt.id, answer["pos"])))
        if item is not None:
            set_committed_value(item, "given", answer["answer_given"])
    if credit:
        _credit(attempt.id, attempt.number, attempt.person, attempt.finished_at, score)
    return attempt


def _mark(attempt_id, total_points, policy, answers):
    """Mark a paper and store the marks, the score and any answer that changed; (earned, score, marks, changed)."""
    connection = db.session.connection()
    marks, earned = [], 0.0
    changed = []
    for row in connection.execute(_MARKING_ROWS, {"a_id": attempt_id}):
        given = answers.get(row.position, row.given) or []
        if given != (row.given or []):  # unanswered is [] on a form and NULL before any save
            changed.append({"a_id": attempt_id, "pos": row.position, "answer_given": given})
        fraction = marking.mark(row.kind, row.answer, given, partial=policy)
        marks.append({"a_id": attempt_id, "pos": row.position, "mark": fraction})
        earned += row.points * fraction
    if changed:
        connection.execute(_STORE_ANSWER, changed)
    score = round(100 * earned / total_points, 1) if total_points else 0.0
    earned = round(earned, 2)
    scored = {"a_id": attempt_id, "earned": earned, "pct": score}
    if connection.dialect.name == "postgresql" and marks:
        connection.execute(_STORE_MARKS_AND_SCORE, {**scored, "positions": [m["pos"] for m in marks],
                                                    "fractions": [m["mark"] for m in marks]})
    else:
        if marks:
            connection.execute(_STORE_MARK, marks)
        connection.execute(_STORE_SCORE, scored)
    return earned, score, marks, changed


def _credit(attempt_id, number, person, finished_at, score):
    """Credit the counted attempt (the first) once; later ones are practice."""
    if number == COUNTED_NUMBER:
        credits.award(person, "weekly_test", credits.Source("quiz_attempt", attempt_id), when=finished_at,
                      score=score)


def close_expired(now=None, batch=500):
    """Close and mark every open attempt past its deadline; returns how many this call closed.

    Each attempt is closed in its own savepoint, so one failure does not stop the rest.
    """
    now = now or utcnow()
    ids = db.session.scalars(select(QuizAttempt.id).where(
        QuizAttempt.status == AttemptStatus.OPEN, QuizAttempt.deadline_at <= now)
        .order_by(QuizAttempt.deadline_at).limit(batch)).all()
    closed = 0
    for attempt_id in ids:
        try:
            with db.session.begin_nested():
                attempt = db.session.get(QuizAttempt, attempt_id)
                if close_if_expired(attempt, now):
                    closed += 1
        except Exception:  # noqa: BLE001 - log, and go on closing the others
            log.exception("closing quiz attempt %s failed", attempt_id)
    return closed


def counted_attempts(quiz, person_ids=None):
    """{person id: the attempt that counts} (the first, once finished)."""
    stmt = select(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.number == COUNTED_NUMBER)
    if person_ids is not None:
        stmt = stmt.where(QuizAttempt.person_id.in_(person_ids))
    return {a.person_id: a for a in db.session.scalars(stmt)}


def finished_count(quiz):
    """How many people have finished their counted attempt."""
    return db.session.scalar(select(func.count()).select_from(QuizAttempt).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.number == COUNTED_NUMBER,
        QuizAttempt.status != AttemptStatus.OPEN))
