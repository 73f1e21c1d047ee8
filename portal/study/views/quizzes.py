"""每周一测 for secretaries and the committee: writing and publishing tests, overrides, results."""

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.core.clock import to_local
from portal.core.forms import FAILED, run_service
from portal.core.permissions import require
from portal.core.xlsx import XLSX
from portal.roster.models import OrgKind
from portal.study.forms.quizzes import RULE_ROWS, OverrideForm, QuizForm
from portal.study.services import attempts as attempt_service
from portal.study.services import quiz_results, quizzes
from portal.study.views import blueprint


@blueprint.route("/quizzes/manage")
@require("study.manage")
def quiz_manage_list():
    """The tests the user owns or whose branches they look after."""
    items = [(q, attempt_service.finished_count(q)) for q in quizzes.quizzes_for_manager(current_user)]
    return render_template("study/quizzes/manage_list.html", items=items)


def _quiz_form(quiz=None):
    form = QuizForm(obj=None)
    owners = [o for o in current_user.scopes("study.manage") if o.kind != OrgKind.GROUP]
    form.organisation_id.choices = [SelectChoice(o.id, o.name) for o in owners]
    form.branch_ids.choices = [SelectChoice(b.id, b.name) for b in quizzes.managed_branches(current_user)]
    if request.method == "GET":
        _fill(form, quiz)
    return form


def _fill(form, quiz):
    if quiz is None:
        opens, closes = quizzes.default_window()
        form.opens_at.data, form.closes_at.data = opens.replace(tzinfo=None), closes.replace(tzinfo=None)
        form.branch_ids.data = [c.value for c in form.branch_ids.choices][:1]
        return
    form.title.data, form.description.data = quiz.title, quiz.description
    form.organisation_id.data = quiz.organisation_id
    form.partial_policy.data, form.time_limit.data = quiz.partial_policy, quiz.time_limit_minutes
    form.attempts_allowed.data, form.pass_mark.data = quiz.attempts_allowed, quiz.pass_mark
    form.opens_at.data = to_local(quiz.opens_at).replace(tzinfo=None)
    form.closes_at.data = to_local(quiz.closes_at).replace(tzinfo=None)
    form.branch_ids.data = [a.organisation_id for a in quiz.assignments]
    for row, rule in zip(form.rules, quiz.rules, strict=False):
        row.kind.data, row.count.data, row.tag.data = rule.kind, rule.count, rule.tag or ""
        row.difficulty.data, row.points.data = str(rule.difficulty or ""), rule.points
    form.pick_ids.data = "，".join(str(p.question_id) for p in quiz.picks)
    form.pick_points.data = quiz.picks[0].points if quiz.picks else 5


def _save(form, quiz):
    organisation = quizzes.owner_organisation(current_user, form.organisation_id.data)
    return quizzes.save_quiz(
        current_user, quiz, organisation=organisation, title=form.title.data, description=form.description.data,
        partial_policy=form.partial_policy.data, time_limit=form.time_limit.data,
        attempts_allowed=form.attempts_allowed.data, pass_mark=form.pass_mark.data,
        opens_at=quizzes.as_local(form.opens_at.data), closes_at=quizzes.as_local(form.closes_at.data),
        branch_ids=form.branch_ids.data or [], rules=quizzes.rule_specs(form.rules.data),
        pick_ids=quizzes.parse_pick_ids(form.pick_ids.data), pick_points=form.pick_points.data or 5)


def _edit_page(form, quiz=None):
    if form.validate_on_submit():
        saved = run_service(lambda: _save(form, quiz), form)
        if saved is not FAILED:
            flash("测试已保存为草稿；检查题库题量后即可发布", "success")
            return redirect(url_for("study.quiz_manage", quiz_id=saved.id))
    return render_template("study/quizzes/form.html", form=form, quiz=quiz, rule_rows=RULE_ROWS)


@blueprint.route("/quizzes/new", methods=["GET", "POST"])
@require("study.manage")
def quiz_new():
    """Write a new test (saved as a draft)."""
    return _edit_page(_quiz_form())


@blueprint.route("/quizzes/<int:quiz_id>/edit", methods=["GET", "POST"])
@require("study.manage")
def quiz_edit(quiz_id):
    """Change a draft test."""
    quiz = quizzes.get_quiz_for_manager(current_user, quiz_id)
    if quiz.is_published or not quizzes.can_edit(current_user, quiz):
        flash("测试已发布或不归您管理，不能修改", "warning")
        return redirect(url_for("study.quiz_manage", quiz_id=quiz.id))
    return _edit_page(_quiz_form(quiz), quiz)


@blueprint.route("/quizzes/<int:quiz_id>/manage")
@require("study.manage")
def quiz_manage(quiz_id):
    """A test's settings, whether the bank can fill it, and the way to publish it."""
    quiz = quizzes.get_quiz_for_manager(current_user, quiz_id)
    shortages = [] if quiz.is_published else quizzes.bank_shortages(quiz)
    return render_template("study/quizzes/manage.html", quiz=quiz, shortages=shortages,
                           editable=quizzes.can_edit(current_user, quiz), rule_label=quizzes.rule_label,
                           policy=quizzes.policy_label(quiz.partial_policy))


@blueprint.route("/quizzes/<int:quiz_id>/publish", methods=["POST"])
@require("study.manage")
def quiz_publish(quiz_id):
    """Publish a draft to its branches."""
    quiz = quizzes.get_quiz_for_manager(current_user, quiz_id)
    if run_service(lambda: quizzes.publish(current_user, quiz)) is not FAILED:
        flash("测试已发布，参测人员可在“每周一测”中作答", "success")
    return redirect(url_for("study.quiz_manage", quiz_id=quiz.id))


def _override_form(quiz):
    form = OverrideForm()
    people = quizzes.override_candidates(quiz, current_user)
    form.person_ids.choices = [SelectChoice(p.id, p.name) for p in people]
    form.group_id.choices = [SelectChoice(0, "（不按党小组）")] + [
        SelectChoice(g.id, g.name) for g in quizzes.override_groups(quiz, current_user)]
    return form


def _grant(form, quiz):
    return quizzes.grant_override(
        current_user, quiz, person_ids=form.person_ids.data or [], group_id=form.group_id.data or None,
        opens_at=quizzes.as_local(form.opens_at.data), closes_at=quizzes.as_local(form.closes_at.data),
        extra_minutes=form.extra_minutes.data or 0, reason=form.reason.data)


@blueprint.route("/quizzes/<int:quiz_id>/overrides", methods=["GET", "POST"])
@require("study.manage")
def quiz_overrides(quiz_id):
    """单独安排: another window or extra minutes for shift workers, with a reason (audited)."""
    quiz = quizzes.get_quiz_for_manager(current_user, quiz_id)
    form = _override_form(quiz)
    if form.validate_on_submit():
        granted = run_service(lambda: _grant(form, quiz), form)
        if granted is not FAILED:
            flash(f"已为 {len(granted)} 人单独安排", "success")
            return redirect(url_for("study.quiz_overrides", quiz_id=quiz.id))
    return render_template("study/quizzes/overrides.html", quiz=quiz, form=form,
                           overrides=quizzes.overrides(quiz, current_user))


@blueprint.route("/quizzes/<int:quiz_id>/results")
@require("study.manage")
def quiz_results_page(quiz_id):
    """Who took the test in the user's branches, their scores, per-question statistics and a chart."""
    quiz = quizzes.get_quiz_for_manager(current_user, quiz_id)
    rows = quiz_results.result_rows(current_user, quiz)
    return render_template("study/quizzes/results.html", quiz=quiz, rows=rows,
                           summary=quiz_results.summary(quiz, rows), stats=quiz_results.question_stats(rows),
                           scores=[a.score for a in quiz_results.finished_attempts(rows)])


@blueprint.route("/quizzes/<int:quiz_id>/results/export")
@require("study.manage")
def quiz_results_export(quiz_id):
    """The results table as .xlsx with Chinese headers (a read-only GET)."""
    quiz = quizzes.get_quiz_for_manager(current_user, quiz_id)
    stream, name = quiz_results.results_workbook(quiz, quiz_results.result_rows(current_user, quiz))
    return send_file(stream, mimetype=XLSX, as_attachment=True, download_name=name)
