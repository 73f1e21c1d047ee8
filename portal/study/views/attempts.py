"""每周一测 for members: my tests, starting or resuming, autosave, submit, result and review.

An attempt belongs to one person: any other account gets 404 for it. The correct answers are
only rendered by the review, which the service refuses until every window has closed. Pages
only read: an attempt found past its deadline is closed by the closing job, or at once by the
member's own hand-in (a POST).
"""

from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.core.clock import utcnow
from portal.core.exceptions import ValidationError
from portal.core.forms import FAILED, run_service
from portal.core.permissions import login_required
from portal.study.services import attempts, marking, quiz_results, quizzes
from portal.study.views import blueprint


@blueprint.route("/quizzes/")
@login_required
def quiz_list():
    """The member's tests: open ones to take, finished ones with their score."""
    person = current_user.person
    tests = quizzes.quizzes_for_member(person)
    mine = {q.id: attempts.attempts_of(q, person.id) for q in tests} if person else {}
    return render_template("study/quizzes/list.html", tests=tests, mine=mine, now=utcnow(),
                           window_for=quizzes.window_for)


@blueprint.route("/quizzes/<int:quiz_id>")
@login_required
def quiz_intro(quiz_id):
    """A test's rules for the member (time limit, attempts, partial credit) and the start button."""
    quiz = quizzes.get_quiz_for_member(current_user, quiz_id)
    mine = attempts.attempts_of(quiz, current_user.person_id)
    return render_template("study/quizzes/intro.html", quiz=quiz, mine=mine, now=utcnow(),
                           window=quizzes.window_for(quiz, current_user.person_id), full_marks=marking.FULL_MARKS,
                           policy=quizzes.policy_label(quiz.partial_policy))


@blueprint.route("/quizzes/<int:quiz_id>/start", methods=["POST"])
@login_required
def quiz_start(quiz_id):
    """Start (or resume) the member's attempt and go to it."""
    quiz = quizzes.get_quiz_for_member(current_user, quiz_id)
    attempt = run_service(lambda: attempts.start(current_user, quiz))
    if attempt is FAILED:
        return redirect(url_for("study.quiz_intro", quiz_id=quiz.id))
    return redirect(url_for("study.attempt_page", attempt_id=attempt.id))


@blueprint.route("/attempts/<int:attempt_id>")
@login_required
def attempt_page(attempt_id):
    """The paper while open (resumed with the time left), then the score and, later, the review.

    Past its deadline but not yet closed, the page says so and offers 交卷 with the saved answers.
    With ?confirm=1 (where 交卷 without JavaScript leads, once the answers are saved) it is the
    hand-in's confirmation: the questions still unanswered, and the button that hands in.
    The review (correct answers and explanations) appears once the test has closed for everyone.
    """
    attempt = attempts.get_attempt(current_user, attempt_id)
    if attempt.is_open:
        unanswered = attempts.unanswered_positions(attempt)
        template = "confirm.html" if request.args.get("confirm") == "1" else "take.html"
        return render_template(f"study/quizzes/{template}", attempt=attempt, quiz=attempt.quiz,
                               remaining=attempts.remaining_seconds(attempt), field_name=attempts.field_name,
                               options_of=quizzes.display_options, points=attempts.points_of(attempt),
                               full_marks=marking.FULL_MARKS, unanswered=unanswered,
                               unanswered_message=attempts.unanswered_message(unanswered),
                               policy=quizzes.policy_label(attempt.quiz.partial_policy))
    carried = session.pop(_CREDIT_NOTE, None)
    note = carried[1] if isinstance(carried, list) and len(carried) == 2 and carried[0] == attempt.id else ""
    try:
        review = quiz_results.review(attempt)
        waiting = None
    except ValidationError as error:
        review, waiting = None, error.message
    return render_template("study/quizzes/result.html", attempt=attempt, quiz=attempt.quiz, review=review,
                           waiting=waiting, points=attempts.points_of(attempt), earned_of=marking.earned_points,
                           full_marks=marking.FULL_MARKS, credit=attempts.credit_message(attempt, note))


# The session key carrying a hand-in's credit note (why nothing or fewer points were booked) to
# the result page it redirects to; the ledger entry says the rest.
_CREDIT_NOTE = "quiz_credit_note"


@blueprint.route("/attempts/<int:attempt_id>/answer", methods=["POST"])
@login_required
def attempt_answer(attempt_id):
    """Autosave one question (quiz.js): JSON with saved, message and seconds left; no answers in it.

    A save after the deadline is refused and closes the attempt (that closing is kept); a refused
    answer writes nothing.
    """
    position = request.form.get("position", type=int)
    result = attempts.autosave(current_user, attempt_id, position, request.form)
    status = 200 if result.saved else (400 if result.invalid else 409)
    return jsonify(saved=result.saved, message=result.message or "已保存", closed=not result.open_after,
                   attempt=attempt_id, position=position, remaining=result.remaining), status


@blueprint.route("/attempts/<int:attempt_id>/save", methods=["POST"])
@login_required
def attempt_save(attempt_id):
    """保存 without JavaScript: the whole form at once, then back to the paper.

    交卷 without JavaScript posts here too (then=confirm): the answers are saved and the paper's
    confirmation lists the questions still unanswered before the hand-in is final.
    """
    result = run_service(lambda: attempts.save_form(current_user, attempt_id, request.form))
    if result is not FAILED and result.saved and request.form.get("then") == "confirm":
        return redirect(url_for("study.attempt_page", attempt_id=attempt_id, confirm=1))
    if result is not FAILED:
        flash(result.message or "答案已保存", "success" if result.saved else "warning")
    return redirect(url_for("study.attempt_page", attempt_id=attempt_id))


@blueprint.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def attempt_submit(attempt_id):
    """交卷: check the form, hand in and mark the paper; a replayed submit changes nothing."""
    result = run_service(lambda: attempts.hand_in(current_user, attempt_id, request.form))
    if result is not FAILED:
        if result.saved:
            if result.credit is not None and result.credit.note:
                session[_CREDIT_NOTE] = [result.attempt.id, result.credit.note]
            credit = result.credit.message if result.credit is not None else "只有第一次作答计入学习积分"
            flash(f"已交卷，得分 {result.attempt.score:g}。积分：{credit}", "success")
        else:
            flash(result.message, "warning")
    return redirect(url_for("study.attempt_page", attempt_id=attempt_id))
