"""The inbox page: a person's reminders and notices."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core.permissions import login_required
from portal.inbox import services

blueprint = Blueprint("inbox", __name__, url_prefix="/inbox")


def _safe_target(url):
    """Only the portal's own paths are followed (never another site)."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return None


@blueprint.route("/")
@login_required
def index():
    """The person's messages, newest first."""
    person_id = current_user.person_id
    page = request.args.get("page", 1, type=int)
    messages = services.messages_for(person_id, page=page) if person_id else None
    return render_template("inbox/index.html", messages=messages,
                           unread=services.unread_count(person_id))


@blueprint.route("/<int:message_id>/open", methods=["POST"])
@login_required
def open_message(message_id):
    """Mark a message read and go to the page it is about."""
    message = services.open_message(current_user.person_id, message_id)
    return redirect(_safe_target(message.url) or url_for("inbox.index"))


@blueprint.route("/read-all", methods=["POST"])
@login_required
def read_all():
    """Mark every message read."""
    count = services.mark_all_read(current_user.person_id) if current_user.person_id else 0
    flash(f"已将 {count} 条消息标为已读" if count else "没有未读消息", "success" if count else "info")
    return redirect(url_for("inbox.index"))
