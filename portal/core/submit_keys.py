"""One-time submit keys: a form that creates or books something does it once, however often it is sent.

A creating form (`core.forms.CreatingForm`) carries a random key issued with the page. The
view's service call (`core.forms.run_service`) spends the key first, in the request's own
transaction: an INSERT that the key's primary key lets through once. When the request ends
well, the boundary (`core.transactions`) writes where its answer sent the user into the key's
row and commits both with the write. A second request with the same key (a double tap on a
slow phone, a resent form) waits for the first on the key's unique index, finds it spent, and
is sent to what the first one made. A refused or failed request rolls back, key included, so
the user can correct the form and send it again.
"""

import secrets
from datetime import datetime, timedelta

from flask import g, request
from flask_login import current_user
from sqlalchemy import ForeignKey, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.clock import utcnow
from portal.core.database import dialect_insert
from portal.core.exceptions import ValidationError
from portal.core.models import UTCDateTime
from portal.extensions import db

KEY_LENGTH = 22  # token_urlsafe(16)
KEEP_DAYS = 7  # a form left open longer than this is sent again as new
EXPIRED = "表单已过期，请刷新页面后重新填写提交"


class SubmitKey(db.Model):
    """A spent one-time key: whose, which form, and where its request's answer sent the user."""

    __tablename__ = "submit_key"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    form: Mapped[str] = mapped_column(String(80), nullable=False)
    result_url: Mapped[str | None] = mapped_column(String(2000))
    spent_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)


def new_key():
    """A fresh key for a form being shown."""
    return secrets.token_urlsafe(16)


def well_formed(key):
    """True for a key new_key() could have made."""
    return (isinstance(key, str) and len(key) == KEY_LENGTH
            and all(c.isascii() and (c.isalnum() or c in "-_") for c in key))


class AlreadySubmitted(Exception):
    """The key was spent by an earlier request: `result_url` is where that one sent its user."""

    def __init__(self, result_url):
        super().__init__(result_url)
        self.result_url = result_url


def spend(key, form_name):
    """Spend `key` for the signed-in account in this transaction, or raise AlreadySubmitted.

    A key that is missing or malformed is refused as an expired form. The INSERT waits for
    another request holding the same key to end; if that one committed, nothing is inserted.
    """
    if not well_formed(key):
        raise ValidationError(EXPIRED)
    table = SubmitKey.__table__
    connection = db.session.connection()
    stmt = (dialect_insert(connection.dialect.name)(table)
            .values(key=key, account_id=current_user.id, form=form_name[:80], spent_at=utcnow())
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(table.c.key))
    if db.session.execute(stmt).first() is not None:
        g._submit_key = key
        return
    row = db.session.execute(
        select(table.c.account_id, table.c.result_url).where(table.c.key == key)).one()
    if row.account_id != current_user.id:
        raise ValidationError(EXPIRED)
    raise AlreadySubmitted(row.result_url or request.full_path)


def shows(url):
    """Name the page that shows what this submit made, when the answer is a page and not a redirect.

    (An account's one-time password is shown once: a resend goes to the account instead.)
    """
    g._submit_shows = url


def note_result(response):
    """Before the boundary commits: remember where this request's answer sends the user."""
    key = g.pop("_submit_key", None)
    shown = g.pop("_submit_shows", None)
    if key is None:
        return
    redirected = response.location if response.status_code in (301, 302, 303, 307, 308) else None
    url = shown or redirected
    db.session.execute(update(SubmitKey).where(SubmitKey.key == key)
                       .values(result_url=(url or request.full_path)[:2000]))


def prune():
    """Job: forget keys spent more than KEEP_DAYS ago, in one commit; returns how many."""
    cutoff = utcnow() - timedelta(days=KEEP_DAYS)
    removed = db.session.execute(delete(SubmitKey).where(SubmitKey.spent_at < cutoff)).rowcount
    db.session.commit()
    return removed


# (job id, function, cron fields in Asia/Shanghai), collected by the app factory.
SCHEDULE = [("core.prune_submit_keys", prune, {"hour": 3, "minute": 40})]
