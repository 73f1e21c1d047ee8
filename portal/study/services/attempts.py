"""Taking a weekly test: starting or resuming, autosave, submit, and closing at the deadline.

The server owns the clock. Every write to an attempt starts with one UPDATE of the attempt row
guarded by ``status = 'open' AND deadline_at > now`` (``_claim``): it both checks the deadline
and takes the row's lock, so a save racing the deadline job, a replayed submit or two scheduler
processes can never store a late answer, mark twice or credit twice. The same statements run on
SQLite and PostgreSQL; the answers and marks are then written through the ORM objects.
"""

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.core.clock import format_datetime, utcnow
from portal.core.exceptions import NotFound, ValidationError
from portal.credits import services as credits
from portal.extensions import db
from portal.study.models.questions import QuestionKind
from portal.study.models.quizzes import AttemptItem, AttemptStatus, QuizAttempt
from portal.study.services import credit_rules, marking, quizzes

LATE_MESSAGE = "答题时间已到，本次提交的答案未保存；已按截止前保存的答案自动交卷"
CLOSED_MESSAGE = "本次答题已经交卷，答案不能再修改"
REPLAYED_MESSAGE = "已经交卷，无需重复提交"
# Only the first attempt earns credits and counts in results; later ones are practice.
COUNTED_NUMBER = 1


@dataclass
class SaveResult:
    """What an autosave or submit did: `saved` is False when the write was refused.

    `invalid` marks an answer refused as malformed (nothing written, the attempt untouched).
    `attempt` is the QuizAttempt, or for an autosave the row it read (status and deadline).
    """

    attempt: QuizAttempt
    saved: bool
    message: str = ""
    finished_now: bool = False
    invalid: bool = False
    credit: object = None  # the credits.Award of a hand-in that counts (None: not a counted attempt)

    @property
    def open_after(self):
        """True while the attempt can still take answers."""
        return self.attempt.status == AttemptStatus.OPEN

    @property
    def remaining(self):
        """Seconds left on the attempt's clock."""
        return remaining_seconds(self.attempt)


def remaining_seconds(attempt, now=None):
    """Whole seconds left before the deadline (0 once it has passed)."""
    return max(0, int((attempt.deadline_at - (now or utcnow())).total_seconds()))


# --- starting -------------------------------------------------------------------------------------

def attempts_of(quiz, person_id):
    """The person's attempts at the test, first first."""
    return db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.person_id == person_id).order_by(QuizAttempt.number)).all()


def start(actor, quiz, rng=None, pools=None):
    """Resume the member's open attempt (closed first if its time is up), or draw a new paper if allowed."""
    person = actor.person
    if not quizzes.is_taker(quiz, person):
        raise NotFound("测试不存在")
    now = utcnow()
    existing = attempts_of(quiz, person.id)
    current = next((a for a in existing if a.is_open), None)
    if current is not None:
        # Resumed; or, if its time ran out, closed and marked now: the member is shown that result.
        close_if_expired(current, now)
        return current
    window = quizzes.window_for(quiz, person.id)
    if now < window.opens_at:
        raise ValidationError(f"测试尚未开始，开放时间：{format_datetime(window.opens_at)}")
    if now >= window.closes_at:
        raise ValidationError(f"测试已于 {format_datetime(window.closes_at)} 截止")
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


def _with_paper(attempt_id):
    """The attempt with its items, its test and its person, as they stand in the database (or None)."""
    return db.session.scalars(
        select(QuizAttempt)
        .options(joinedload(QuizAttempt.items), joinedload(QuizAttempt.quiz), joinedload(QuizAttempt.person))
        .where(QuizAttempt.id == attempt_id)
        .execution_options(populate_existing=True)
    ).unique().one_or_none()


def get_attempt(actor, attempt_id):
    """The actor's own attempt with its paper; NotFound for anyone else's."""
    attempt = _with_paper(attempt_id)
    if attempt is None or actor.person_id is None or attempt.person_id != actor.person_id:
        raise NotFound("答题记录不存在")
    return attempt


# --- answering ------------------------------------------------------------------------------------

def field_name(item, blank=None):
    """The form field of an item's answer (q3) or of one blank of a fill-in item (q3_1)."""
    return f"q{item.position}" if blank is None else f"q{item.position}_{blank}"


def answers_from_form(attempt, form):
    """{position: checked answer} for every question the form shows, checked against the paper.

    The paper lists its questions in hidden "shown" fields; a shown question whose field is absent
    counts as unanswered (unticked boxes send nothing), while a post that shows no question (a
    bare 交卷, a replay) changes no saved answer. A question not on the paper or a bad answer
    raises ValidationError before anything is written.
    """
    paper = _paper(attempt)
    shown = sorted({int(p) for p in form.getlist("shown") if p.isdigit()})
    if any(position not in paper for position in shown):
        raise ValidationError("题目不存在")
    return {position: _checked(paper[position], _raw_answer(form, paper[position])) for position in shown}


def _raw_answer(form, item):
    """What the form sent for `item` (one string per blank of a fill-in)."""
    if item.kind == QuestionKind.FILL:
        return [form.get(field_name(item, blank), "") for blank in range(1, len(item.answer) + 1)]
    return form.getlist(field_name(item))


def _paper(attempt):
    return {item.position: item for item in attempt.items}


def _checked(item, raw):
    """`raw` as `item`'s answer in canonical form; ValidationError (naming the question) if it is bad."""
    try:
        return marking.normalise(item.kind, raw, options=item.options, blanks=len(item.answer))
    except ValidationError as error:
        raise ValidationError(f"第 {item.position} 题：{error.message}") from None


def _claim(attempt_id, now, finish=False):
    """The guarded UPDATE: True if the attempt was still open before its deadline (its row now locked).

    It stamps the save or, with `finish`, hands the paper in; the attempt object then records
    the hand-in with its marks (mark_and_credit), in the UPDATE that stores the score.
    """
    claim = _HAND_IN if finish else _SAVE
    return db.session.execute(claim, {"attempt_id": attempt_id, "now": now}).first() is not None


# Core statements on the table: the ORM's own UPDATE would synchronise the session's objects too,
# which at a deadline (every member saving and handing in within a minute) cost a fifth of each
# request; the object records what changed itself (mark_and_credit).
_ATTEMPT = QuizAttempt.__table__
_OPEN_BEFORE_DEADLINE = (_ATTEMPT.c.id == bindparam("attempt_id"), _ATTEMPT.c.status == AttemptStatus.OPEN,
                         _ATTEMPT.c.deadline_at > bindparam("now"))
_SAVE = update(_ATTEMPT).where(*_OPEN_BEFORE_DEADLINE).values(last_saved_at=bindparam("now")).returning(_ATTEMPT.c.id)
_HAND_IN = (update(_ATTEMPT).where(*_OPEN_BEFORE_DEADLINE)
            .values(status=AttemptStatus.SUBMITTED, finished_at=bindparam("now")).returning(_ATTEMPT.c.id))


def autosave(actor, attempt_id, position, form):
    """Store the answer to one question from quiz.js; NotFound for someone else's attempt.

    A malformed answer or a position not on the paper comes back `invalid` with nothing written;
    a save after the deadline or the hand-in is refused. When a whole mine hands in at once,
    every member autosaves: this path reads one row and writes two, with no ORM objects.
    """
    row = db.session.execute(_SAVE_TARGET, {"attempt_id": attempt_id, "position": position}).one_or_none()
    if row is None or actor.person_id is None or row.person_id != actor.person_id:
        raise NotFound("答题记录不存在")
    try:
        if row.kind is None:
            raise ValidationError("题目不存在")
        given = _checked(row, _raw_answer(form, row))
    except ValidationError as error:
        return SaveResult(row, saved=False, message=error.message, invalid=True)
    now = utcnow()
    if not _claim(attempt_id, now):
        return _refused(_with_paper(attempt_id), now)
    db.session.execute(_STORE_ANSWER, {"item_attempt": attempt_id, "item_position": position, "given_now": given})
    return SaveResult(row, saved=True)


# The attempt's owner, state and deadline with the one question being saved (its columns named
# as an AttemptItem's, for _checked), and the answer's UPDATE.
_ITEM = AttemptItem.__table__
_SAVE_TARGET = (
    select(_ATTEMPT.c.person_id, _ATTEMPT.c.status, _ATTEMPT.c.deadline_at, _ITEM.c.position, _ITEM.c.kind,
           _ITEM.c.options, _ITEM.c.answer)
    .select_from(_ATTEMPT.outerjoin(_ITEM, and_(_ITEM.c.attempt_id == _ATTEMPT.c.id,
                                                _ITEM.c.position == bindparam("position"))))
    .where(_ATTEMPT.c.id == bindparam("attempt_id"))
)
_STORE_ANSWER = (update(_ITEM).where(_ITEM.c.attempt_id == bindparam("item_attempt"),
                                     _ITEM.c.position == bindparam("item_position"))
                 .values(given=bindparam("given_now")))


def save(actor, attempt, answers):
    """Store answers ({position: raw}); refused (nothing stored) after the deadline or once handed in."""
    return _store(attempt, _checked_all(attempt, answers))  # bad input is refused before anything is written


def _checked_all(attempt, answers):
    paper = _paper(attempt)
    if any(position not in paper for position in answers):
        raise ValidationError("题目不存在")
    return {position: _checked(paper[position], raw) for position, raw in sorted(answers.items())}


def save_form(actor, attempt_id, form):
    """保存 without JavaScript: every answer the posted paper shows."""
    attempt = get_attempt(actor, attempt_id)
    return _store(attempt, answers_from_form(attempt, form))


def _store(attempt, cleaned):
    now = utcnow()
    if not _claim(attempt.id, now):
        return _refused(attempt, now)
    paper = _paper(attempt)
    for position, given in cleaned.items():
        paper[position].given = given
    return SaveResult(attempt, saved=True)


def _refused(attempt, now):
    """The claim failed: closed by now, or still open past its deadline (then it is closed here)."""
    db.session.refresh(attempt)
    if attempt.is_open:
        finished = close_if_expired(attempt, now)
        return SaveResult(attempt, saved=False, message=LATE_MESSAGE, finished_now=finished)
    return SaveResult(attempt, saved=False, message=CLOSED_MESSAGE)


def submit(actor, attempt, answers=None, form=None):
    """Hand the paper in with `answers` ({position: raw}) or a posted `form`'s, and mark it.

    The answers are checked before anything is written, and only those that differ from what
    autosave kept are written again. A replayed submit changes nothing.
    """
    if not attempt.is_open:  # a replay: once handed in or closed, an attempt never opens again
        return SaveResult(attempt, saved=False, message=REPLAYED_MESSAGE)
    cleaned = answers_from_form(attempt, form) if form is not None else _checked_all(attempt, answers or {})
    now = utcnow()
    if not _claim(attempt.id, now, finish=True):
        result = _refused(attempt, now)
        if result.message == CLOSED_MESSAGE:
            result.message = REPLAYED_MESSAGE
        return result
    attempt.status, attempt.finished_at = AttemptStatus.SUBMITTED, now
    credit = mark_and_credit(attempt, cleaned)
    return SaveResult(attempt, saved=True, finished_now=True, credit=credit)


def hand_in(actor, attempt_id, form):
    """交卷 from the paper's form: submit() the actor's own attempt."""
    return submit(actor, get_attempt(actor, attempt_id), form=form)


# --- closing and marking --------------------------------------------------------------------------

def close_if_expired(attempt, now=None):
    """Close and mark an open attempt whose deadline has passed; True if this call closed it."""
    now = now or utcnow()
    if not attempt.is_open or attempt.deadline_at > now:
        return False
    closed = db.session.execute(
        update(_ATTEMPT)
        .where(_ATTEMPT.c.id == attempt.id, _ATTEMPT.c.status == AttemptStatus.OPEN, _ATTEMPT.c.deadline_at <= now)
        .values(status=AttemptStatus.EXPIRED, finished_at=attempt.deadline_at)
        .returning(_ATTEMPT.c.id)
    ).first() is not None
    if not closed:  # another process closed it first
        db.session.refresh(attempt)
        return False
    attempt.status, attempt.finished_at = AttemptStatus.EXPIRED, attempt.deadline_at
    mark_and_credit(attempt)
    return True


def mark_and_credit(attempt, answers=None, credit=True):
    """Mark every item with the test's policy, score out of 100 and credit the counted attempt once.

    The score is the sum of what each question earned of its points on the paper (points_of), so
    it is what the result page adds up to. Returns the credits.Award for the counted attempt, or
    None for a later one (or credit=False).

    Called once per attempt, by whoever won the guarded UPDATE that finished it. `answers`
    ({position: checked answer}, from the hand-in's form) replace the stored ones first.
    """
    answers = answers or {}
    earned, tenths = 0.0, 0
    points = points_of(attempt)
    for item in attempt.items:
        given = answers.get(item.position, item.given) or []
        if given != (item.given or []):  # unanswered is [] on a form and NULL before any save
            item.given = given
        item.fraction = marking.mark(item.kind, item.answer, given, partial=attempt.quiz.partial_policy)
        earned += item.points * item.fraction
        tenths += round(10 * marking.earned_points(points[item.position], item.fraction))
    attempt.score = tenths / 10
    attempt.earned_points = round(earned, 2)
    if not credit or attempt.number != COUNTED_NUMBER:
        return None
    return credits.award(attempt.person, credit_rules.WEEKLY_TEST, _credit_source(attempt),
                         when=attempt.finished_at, score=attempt.score)


def _credit_source(attempt):
    return credits.Source("quiz_attempt", attempt.id)


def points_of(attempt):
    """{position: the question's points out of 100 as the paper shows them}; they add up to 100."""
    items = attempt.items
    return dict(zip((i.position for i in items), marking.paper_points([i.points for i in items]), strict=True))


# --- what the paper and the result tell the member --------------------------------------------------

def unanswered_positions(attempt):
    """Numbers of the questions with no saved answer, in paper order."""
    return [item.position for item in attempt.items if not item.given]


def unanswered_message(positions):
    """还有 2 题未作答：第 3、7 题 (or 已全部作答), as the hand-in's confirmation says it."""
    if not positions:
        return "已全部作答"
    return f"还有 {len(positions)} 题未作答：第 {'、'.join(str(p) for p in positions)} 题"


def credit_message(attempt, note=""):
    """What the result says about credit: what the ledger booked for this attempt, or why nothing.

    `note` is the hand-in's credits.Award note (why nothing or fewer points were booked), known
    only right after the hand-in; later the ledger entry alone says what was booked.
    """
    if attempt.number != COUNTED_NUMBER:
        return "本次为练习，不计学习积分"
    if attempt.is_open:
        return ""
    entry = credits.entry_for(credit_rules.WEEKLY_TEST, _credit_source(attempt), attempt.person_id)
    if entry is not None:
        return f"本次获得 {entry.points:+d} 学习积分" + (f"（{note}）" if note else "")
    return f"本次未获得学习积分：{note}" if note else "本次未获得学习积分"


def expired_attempt_ids(now=None, batch=500):
    """Ids of open attempts past their deadline, oldest deadline first (for the closing job)."""
    return db.session.scalars(select(QuizAttempt.id).where(
        QuizAttempt.status == AttemptStatus.OPEN, QuizAttempt.deadline_at <= (now or utcnow()))
        .order_by(QuizAttempt.deadline_at).limit(batch)).all()


def close_expired(attempt_id, now=None):
    """close_if_expired() for the attempt with this id; True if this call closed it."""
    attempt = _with_paper(attempt_id)
    return attempt is not None and close_if_expired(attempt, now)


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
