"""每日一学 for secretaries and the committee: the article library, writing articles, the study plan."""

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.core import markdown
from portal.core.clock import format_date, localnow
from portal.core.forms import FAILED, run_service
from portal.core.permissions import require
from portal.study.forms.articles import ArticleForm, AssignmentForm
from portal.study.services import articles as services
from portal.study.views import blueprint

STATUSES = {"active": "在用", "retired": "已下架", "all": "全部"}
ORIGINS = {"": "全部来源", "file": "平台内容库", "portal": "平台撰写"}


@blueprint.route("/articles/")
@require("study.manage")
def article_list():
    """The articles the user may assign: search by title, filter by tag, status and origin."""
    args = request.args
    filters = {
        "q": args.get("q", "")[:40], "tag": args.get("tag", "")[:30],
        "status": args.get("status") if args.get("status") in STATUSES else "active",
        "origin": args.get("origin") if args.get("origin") in ORIGINS else "",
    }
    pagination = services.search_articles(current_user, page=max(args.get("page", 1, type=int), 1), **filters)
    return render_template("study/articles/list.html", pagination=pagination, filters=filters,
                           statuses=STATUSES, origins=ORIGINS, tags=services.tags_in_use())


def _article_form(obj=None):
    form = ArticleForm(obj=obj)
    owners = services.owner_choices(current_user) if obj is None else [obj.organisation]
    form.organisation_id.choices = [SelectChoice(o.id, o.name) for o in owners]
    if request.method == "GET":
        if obj is None:
            form.published_on.data = localnow().date()
        else:
            form.tags.data = "，".join(obj.tag_names)
    return form


def _values(form):
    return {"title": form.title.data, "body": form.body.data, "tags": form.tags.data or "",
            "published_on": form.published_on.data, "reading_seconds": form.reading_seconds.data,
            "source": form.source.data or ""}


def _preview(form):
    """The sanitised rendering of the typed Markdown when 预览 was pressed, else None."""
    if request.method == "POST" and form.preview.data:
        return markdown.render(form.body.data or "")
    return None


@blueprint.route("/articles/new", methods=["GET", "POST"])
@require("study.manage")
def article_new():
    """Write an article for one of the user's organisations (预览 shows it without saving)."""
    form = _article_form()
    preview = _preview(form)
    if preview is None and form.validate_on_submit():
        article = run_service(lambda: services.create_article(
            current_user, form.organisation_id.data, **_values(form)), form)
        if article is not FAILED:
            flash(f"已发布《{article.title}》", "success")
            return redirect(url_for("study.article", article_id=article.id))
    return render_template("study/articles/form.html", form=form, article=None, preview=preview)


@blueprint.route("/articles/<int:article_id>/edit", methods=["GET", "POST"])
@require("study.manage")
def article_edit(article_id):
    """Edit an article written in the portal by the user's organisation."""
    article = services.get_editable(current_user, article_id)
    form = _article_form(article)
    preview = _preview(form)
    if preview is None and form.validate_on_submit():
        saved = run_service(lambda: services.update_article(current_user, article, **_values(form)), form)
        if saved is not FAILED:
            flash("已保存", "success")
            return redirect(url_for("study.article", article_id=article.id))
    return render_template("study/articles/form.html", form=form, article=article, preview=preview)


@blueprint.route("/articles/<int:article_id>/retire", methods=["POST"])
@require("study.manage")
def article_retire(article_id):
    """Take an article down (kept, with its reads, for the records)."""
    article = run_service(lambda: services.retire_article(current_user, article_id))
    if article is not FAILED:
        flash(f"《{article.title}》已下架，阅读记录仍然保留", "success")
    return redirect(url_for("study.article", article_id=article_id))


@blueprint.route("/articles/<int:article_id>/restore", methods=["POST"])
@require("study.manage")
def article_restore(article_id):
    """Put a retired article back into use."""
    article = run_service(lambda: services.restore_article(current_user, article_id))
    if article is not FAILED:
        flash(f"《{article.title}》已恢复", "success")
    return redirect(url_for("study.article", article_id=article_id))


# --- the study plan -------------------------------------------------------------------------------

@blueprint.route("/articles/plan")
@require("study.manage")
def article_plan():
    """What is assigned when, a week or a month at a time."""
    view = "month" if request.args.get("view") == "month" else "week"
    start = _date_arg("start")
    first, last, previous, following = services.plan_window(view, start, localnow().date())
    return render_template(
        "study/articles/plan.html", view=view, first=first, last=last, previous=previous, following=following,
        days=services.plan_days(current_user, first, last), today=localnow().date(),
        label=services.organisation_label,
    )


def _date_arg(name):
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@blueprint.route("/articles/plan/new", methods=["GET", "POST"])
@require("study.manage")
def article_plan_new():
    """Assign an article to a day for some of the user's branches, or the whole committee."""
    form = AssignmentForm()
    form.article_id.choices = [SelectChoice(i, t) for i, t in services.assignable_articles(current_user)]
    form.organisation_ids.choices = [SelectChoice(o.id, services.organisation_label(o))
                                     for o in services.assignable_organisations(current_user)]
    if request.method == "GET":
        form.article_id.data = request.args.get("article", type=int)
        form.day.data = _date_arg("day") or localnow().date()
    if form.validate_on_submit():
        added = run_service(lambda: services.assign(
            current_user, form.article_id.data, form.day.data, form.organisation_ids.data), form)
        if added is not FAILED:
            flash(f"已安排 {len(added)} 个组织在 {format_date(form.day.data)} 学习", "success")
            return redirect(url_for("study.article_plan", start=form.day.data.isoformat()))
    return render_template("study/articles/plan_form.html", form=form)


@blueprint.route("/articles/plan/<int:assignment_id>/delete", methods=["POST"])
@require("study.manage")
def article_plan_delete(assignment_id):
    """Take an assignment for today or later off the plan."""
    removed = run_service(lambda: services.remove_assignment(current_user, assignment_id))
    if removed is not FAILED:
        flash("已取消该学习安排", "success")
        return redirect(url_for("study.article_plan", start=removed.day.isoformat()))
    return redirect(url_for("study.article_plan"))
