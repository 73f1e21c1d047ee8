"""The study calendar: my month, and the secret iCalendar subscription URL a phone calendar reads."""

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core import qr
from portal.core.exceptions import NotFound
from portal.core.forms import FAILED, PortalForm, run_service
from portal.core.permissions import login_required, public
from portal.study.services import calendar
from portal.study.views import blueprint


@blueprint.route("/calendar")
@login_required
def calendar_month():
    """My sessions (and whatever else the calendar sources give) for a month: a grid, or a day list on a phone."""
    if current_user.person is None:
        return render_template("study/meetings/no_person.html")
    view = calendar.month_view(current_user.person, request.args.get("month"))
    token = calendar.feed_token(current_user.person_id)
    feed_url = url_for("study.calendar_feed", feed_token=token, _external=True) if token else None
    return render_template("study/calendar/month.html", view=view, feed_url=feed_url, form=PortalForm(),
                           weekdays=calendar.WEEKDAYS)


@blueprint.route("/calendar/feed/<feed_token>.ics")
@public
def calendar_feed(feed_token):
    """The person's calendar as .ics; the unguessable token is the key (unknown or replaced: 404)."""
    person = calendar.person_for_token(feed_token)
    body = calendar.ics(person, request.url_root)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="study.ics"', "Cache-Control": "private, no-cache"})


@blueprint.route("/calendar/feed-qr.svg")
@login_required
def calendar_feed_qr():
    """My subscription URL as a QR code, to scan with the phone whose calendar subscribes."""
    token = calendar.feed_token(current_user.person_id)
    if token is None:
        raise NotFound("还没有生成订阅地址")
    return qr.svg_response(url_for("study.calendar_feed", feed_token=token, _external=True), "日历订阅二维码")


@blueprint.route("/calendar/feed", methods=["POST"])
@login_required
def calendar_feed_regenerate():
    """Create my subscription URL, or replace it (the old URL stops working)."""
    if current_user.person is None:
        flash("您的账号没有关联花名册人员，没有个人日历", "warning")
    elif PortalForm().validate_on_submit():
        token = run_service(lambda: calendar.regenerate_token(current_user.person))
        if token is not FAILED:
            flash("已生成新的订阅链接；旧链接（如有）已失效，请在手机日历中重新订阅", "success")
    return redirect(url_for("study.calendar_month"))
