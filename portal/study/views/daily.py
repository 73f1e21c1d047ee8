"""Daily question pages (每日一题): the member's page and answer, the secretary's schedule and picks."""

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.core.clock import format_date
from portal.core.forms import FAILED, run_service
from portal.core.permissions import login_required, require
from portal.core.security import safe_next
from portal.study.forms.bank import PickForm
from portal.study.services import bank, daily
from portal.study.views import blueprint


def _safe_next(default):
    """A local path to go back to after answering (the daily page, the 今日学习 page or the home page)."""
    target = request.form.get("next")
    if target == "/":  # the home page's path, as the panel's request.path gives it
        return target
    return safe_next(target, prefix="/study/") or default


@blueprint.route("/daily/")
@login_required
def daily_page():
    """Today's question (or its feedback once answered) and the member's recent answers."""
    person = current_user.person
    return render_template("study/daily/page.html", daily=daily.panel(person),
                           history=daily.history(person))


@blueprint.route("/daily/answer", methods=["POST"])
@login_required
def daily_answer():
    """Answer today's question once; the feedback and the correct answer follow at once."""
    raw = request.form.getlist("blank") if request.form.getlist("blank") else request.form.getlist("answer")
    question_id = request.form.get("question_id", type=int)
    saved = run_service(lambda: daily.answer(current_user.person, question_id, raw))
    if saved is not FAILED:
        if saved.correct:
            flash(f"回答正确！积分：{saved.credit.message}", "success")
        else:
            flash("回答错误，请看正确答案和解析", "warning")
    return redirect(_safe_next(url_for("study.daily_page")) + "#daily-question")


@blueprint.route("/daily/manage")
@require("study.manage")
def daily_manage():
    """A secretary's or the committee's view: the questions by day, answered count and correct rate."""
    orgs = bank.managed_organisations(current_user)
    org_id = request.args.get("org", type=int) or (orgs[0].id if orgs else None)
    org, lines = daily.schedule(current_user, org_id)
    return render_template("study/daily/manage.html", org=org, orgs=orgs, lines=lines, today=daily.today())


@blueprint.route("/daily/pick/<int:question_id>", methods=["GET", "POST"])
@require("study.manage")
def daily_pick(question_id):
    """Set a question as the daily question of an organisation for a date."""
    question = bank.get_question_for(current_user, question_id)
    form = PickForm()
    form.organisation_id.choices = [SelectChoice(o.id, o.name) for o in daily.pick_choices(current_user, question)]
    if request.method == "GET":
        form.day.data = date.fromordinal(daily.today().toordinal() + 1)
    if form.validate_on_submit():
        picked = run_service(lambda: daily.pick(
            current_user, form.organisation_id.data, form.day.data, question.id), form)
        if picked is not FAILED:
            flash(f"已设为 {format_date(picked.day)} 的每日一题", "success")
            return redirect(url_for("study.daily_manage", org=picked.organisation_id))
    return render_template("study/daily/pick.html", form=form, question=question)


@blueprint.route("/daily/unpick", methods=["POST"])
@require("study.manage")
def daily_unpick():
    """Withdraw a pick for a day that nobody has answered yet."""
    org_id = request.form.get("org", type=int)
    day = request.form.get("day", type=date.fromisoformat)
    if run_service(lambda: daily.unpick(current_user, org_id, day)) is not FAILED:
        flash("已取消指定，这一天将使用上级指定的题目或自动抽题", "success")
    return redirect(url_for("study.daily_manage", org=org_id))
