"""Question bank pages (题库): list, add, edit, retire/restore, import and export."""

from flask import current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.core.forms import FAILED, run_service
from portal.core.permissions import require
from portal.study.forms.bank import ImportForm, QuestionForm
from portal.study.models.questions import KIND_LABELS
from portal.study.services import bank, bank_import, marking
from portal.study.views import blueprint

PAGE_SIZE = 20
IMPORT_SESSION_KEY = "question_import"


def _filters():
    args = request.args
    return {
        "q": args.get("q", "")[:50],
        "kind": args.get("kind") if args.get("kind") in KIND_LABELS else None,
        "tag": args.get("tag", "")[:bank.MAX_TAG] or None,
        "difficulty": args.get("difficulty", type=int) if args.get("difficulty", type=int) in bank.DIFFICULTY_LABELS
        else None,
        "organisation_id": args.get("org", type=int),
        "status": args.get("status") if args.get("status") in ("retired", "all") else "active",
    }


@blueprint.route("/bank/")
@require("study.manage")
def bank_list():
    """The questions the user may see, filtered by kind, tag, difficulty, organisation and text."""
    filters = _filters()
    pagination = bank.search_questions(current_user, page=request.args.get("page", 1, type=int),
                                       per_page=PAGE_SIZE, **filters)
    return render_template(
        "study/bank/list.html", pagination=pagination, filters=filters, kinds=KIND_LABELS,
        tags=bank.tags_in_use(current_user), orgs=bank.bank_organisations(current_user),
        difficulties=bank.DIFFICULTY_LABELS, may_edit=lambda q: bank.may_edit(current_user, q),
    )


def _with_bank_choices(form):
    """Offer the banks (organisations) the user manages in the form's organisation field."""
    form.organisation_id.choices = [SelectChoice(o.id, o.name) for o in bank.managed_organisations(current_user)]
    return form


def _question_form(**kwargs):
    return _with_bank_choices(QuestionForm(**kwargs))


@blueprint.route("/bank/new", methods=["GET", "POST"])
@require("study.manage")
def question_create():
    """Add a question to a bank the user manages."""
    form = _question_form()
    if form.validate_on_submit():
        added = run_service(
            lambda: bank.create_question(current_user, form.organisation_id.data, **form.values()), form)
        if added is not FAILED:
            flash(f"已添加第 {added.id} 号题", "success")
            return redirect(url_for("study.question_detail", question_id=added.id))
    return render_template("study/bank/form.html", form=form, question=None)


@blueprint.route("/bank/<int:question_id>")
@require("study.manage")
def question_detail(question_id):
    """One question with its answer and explanation (for the people who manage the bank)."""
    question = bank.get_question_for(current_user, question_id)
    return render_template("study/bank/detail.html", question=question,
                           may_edit=bank.may_edit(current_user, question),
                           answer_text=marking.answer_text(question.kind, question.answer),
                           difficulty_label=bank.difficulty_label)


@blueprint.route("/bank/<int:question_id>/edit", methods=["GET", "POST"])
@require("study.manage")
def question_edit(question_id):
    """Edit a question of a bank the user manages (tests already drawn keep their snapshot)."""
    question = bank.get_question_for(current_user, question_id, edit=True)
    form = _question_form(obj=question)
    form.organisation_id.choices = [SelectChoice(question.organisation_id, question.organisation.name)]
    if request.method == "GET":
        form.load(question)
    if form.validate_on_submit():
        saved = run_service(lambda: bank.update_question(current_user, question, **form.values()), form)
        if saved is not FAILED:
            flash("已保存", "success")
            return redirect(url_for("study.question_detail", question_id=question.id))
    return render_template("study/bank/form.html", form=form, question=question)


@blueprint.route("/bank/<int:question_id>/retire", methods=["POST"])
@require("study.manage")
def question_retire(question_id):
    """Take a question out of use; it stays in the bank and in past tests."""
    question = bank.get_question_for(current_user, question_id)
    if run_service(lambda: bank.retire_question(current_user, question)) is not FAILED:
        flash("已停用：不会再被抽到每日一题或新的测试", "success")
    return redirect(url_for("study.question_detail", question_id=question_id))


@blueprint.route("/bank/<int:question_id>/restore", methods=["POST"])
@require("study.manage")
def question_restore(question_id):
    """Put a retired question back into use."""
    question = bank.get_question_for(current_user, question_id)
    if run_service(lambda: bank.restore_question(current_user, question)) is not FAILED:
        flash("已恢复使用", "success")
    return redirect(url_for("study.question_detail", question_id=question_id))


def _import_form():
    return _with_bank_choices(ImportForm())


@blueprint.route("/bank/import", methods=["GET", "POST"])
@require("study.manage")
def bank_import_start():
    """Upload a sheet: a clean file is imported at once, otherwise every row's problem is listed."""
    form = _import_form()
    if form.validate_on_submit():
        outcome = run_service(
            lambda: bank_import.receive(current_user, form.organisation_id.data, form.file.data), form)
        if outcome is not FAILED and outcome.report.ok:
            flash(f"导入成功：共 {outcome.imported} 道题", "success")
            return redirect(url_for("study.bank_list", org=form.organisation_id.data))
        if outcome is not FAILED:
            session[IMPORT_SESSION_KEY] = {"token": outcome.token, "org": form.organisation_id.data,
                                           "filename": outcome.report.filename}
            return render_template("study/bank/import_report.html", report=outcome.report)
    return render_template("study/bank/import.html", form=form, max_rows=bank_import.MAX_ROWS)


@blueprint.route("/bank/import/accept", methods=["POST"])
@require("study.manage")
def bank_import_accept():
    """Import only the valid rows of the file just checked, at the user's explicit request."""
    staged = session.pop(IMPORT_SESSION_KEY, None) or {}
    report = run_service(lambda: bank_import.accept_valid(
        current_user, staged.get("org"), staged.get("token"), staged.get("filename", "")))
    if report is FAILED:
        return redirect(url_for("study.bank_import_start"))
    flash(f"已导入有效行 {report.valid} 道题，跳过错误行 {report.error_rows} 行", "success")
    return redirect(url_for("study.bank_list", org=staged.get("org")))


@blueprint.route("/bank/import/template")
@require("study.manage")
def bank_import_template():
    """The empty import sheet with its 说明 sheet."""
    return send_file(bank_import.template_xlsx(), as_attachment=True, download_name="题库导入模板.xlsx")


@blueprint.route("/bank/export")
@require("study.manage")
def bank_export():
    """The questions on the list (same filters) as .xlsx in the import layout."""
    stream = bank_import.export_xlsx(current_user, **_filters())
    current_app.logger.info("question bank exported by user %s", current_user.id)
    return send_file(stream, as_attachment=True, download_name="题库.xlsx")
