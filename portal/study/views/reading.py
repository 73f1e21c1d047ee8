"""每日一学 for readers (today's articles, the article page, "我已读完") and 学习情况 for managers."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core import markdown
from portal.core.forms import FAILED, run_service
from portal.core.permissions import login_required, require
from portal.study.forms.articles import ReadForm
from portal.study.services import articles as articles_service
from portal.study.services import daily as daily_service
from portal.study.services import participation as participation_service
from portal.study.services import reading
from portal.study.views import blueprint


@blueprint.route("/today")
@login_required
def today():
    """Today's articles for the reader's branch, and this week's with what was read."""
    board = reading.today_board(current_user)
    daily = daily_service.panel(current_user.person) if board.problem is None else None
    return render_template("study/articles/today.html", board=board, daily=daily)


@blueprint.route("/articles/<int:article_id>")
@login_required
def article(article_id):
    """An article, rendered from sanitised Markdown; serving it to a reader starts the reading clock (a token)."""
    return _article_page(article_id)


def _article_page(article_id, token=None, status=200):
    shown, state = reading.start_reading(current_user, article_id, token)
    return render_template(
        "study/articles/article.html", article=shown, state=state, body=markdown.render(shown.body),
        form=ReadForm(formdata=None, token=state.token), can_edit=articles_service.can_edit(current_user, shown),
    ), status


@blueprint.route("/articles/<int:article_id>/read", methods=["POST"])
@login_required
def article_read(article_id):
    """"我已读完": counts once the article's minimum reading time has passed on the page."""
    form = ReadForm()
    if not form.validate_on_submit():
        flash("提交的阅读记录无效，请重新打开文章阅读", "danger")
        return redirect(url_for("study.article", article_id=article_id))
    result = run_service(lambda: reading.finish_reading(current_user, article_id, form.token.data))
    if result is FAILED:
        # The same page again, the reader's own visit (if the token was one) still running.
        return _article_page(article_id, form.token.data, status=400)
    if result.new:
        flash(f"已记录本篇学习。积分：{result.credit.message}", "success")
    else:
        flash("这篇文章您已经读过了，学习记录只计一次", "info")
    return redirect(url_for("study.today"))


@blueprint.route("/articles/participation")
@require("study.manage")
def reading_participation():
    """Who has and has not read today's or this week's articles, per branch in the user's scope."""
    board = participation_service.participation(
        current_user, request.args.get("period", "today"), request.args.get("branch", type=int))
    return render_template("study/articles/participation.html", board=board,
                           periods=participation_service.PERIODS)
