"""Rendered page parts that many requests share, kept in each process and keyed by what they show.

A page part (a ranking table, a roster list, a member's ledger) is rendered once and reused while
nothing it shows has changed. Its key names everything it depends on: the request's own inputs
(period, filters, page, the viewer's scope) and the *data versions* of the tables behind it.

A data version is one number the database gives cheaply and that moves whenever the data does:
the newest id of an append-only table (the credit ledger), or a counter in `data_version` that
writers bump in the same transaction as their change (the roster: see `watch()`). A page reads
the versions its key needs with `versions()`, one statement of index look-ups. Every entry also
expires after CACHE_SECONDS, which bounds what no version catches (another process's transaction
that commits out of id order on PostgreSQL, a display name changed on an account).
CACHE_SECONDS = 0 turns caching off. Nothing outside a page's own module needs to know about its
cache: the versions are read where the key is made.

Restoring a backup sets counters and newest ids back, and later writes can bring them to a value
a running worker has cached under again, with other data behind it. So every version carries the
*restore epoch* too, the counter RESTORE_EPOCH that only a restore moves on (`advance_epoch()`):
versions() gives epoch * 2**EPOCH_SHIFT + the version's own value. Ids and counters stay far below
2**EPOCH_SHIFT, so after a restore every version is above every value any worker saw before it.

Forms inside a cached part carry `FORM_TOKEN` instead of a CSRF token (a token belongs to one
session); `fragment()` puts the current session's token in on the way out.
"""

import threading
import time

from cachetools import TTLCache
from flask import current_app
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import Integer, String, event, func, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.core.database import dialect_insert
from portal.extensions import db

FORM_TOKEN = "\x00form-token\x00"  # noqa: S105 - a slot for the token; no page contains a NUL
MAX_ENTRIES = 2048
RESTORE_EPOCH = "restore_epoch"  # the data_version counter only a restore moves (advance_epoch)
EPOCH_SHIFT = 40  # above any id or counter: both are 32-bit integers on PostgreSQL

_SOURCES = {}  # version name -> select of one value giving its current value
_READ = {}  # names -> the statement reading those versions
_WATCHED = {}  # mapped class -> version name bumped when an instance changes


class DataVersion(db.Model):
    """A counter that writers of slowly changing data bump (see watch() and bump())."""

    __tablename__ = "data_version"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


def register(name, source):
    """Name a data version read by `source`, a select of one value (e.g. the newest id of a table)."""
    if name == RESTORE_EPOCH:
        raise ValueError(f"{name} is the restore epoch, part of every version already")
    _SOURCES[name] = source
    _READ.clear()


def watch(name, *models):
    """Keep a counter version `name` that every flush adding, changing or deleting `models` bumps.

    Writers that bypass the ORM (bulk INSERT ... VALUES) call bump(name) themselves.
    """
    register(name, select(DataVersion.version).where(DataVersion.name == name))
    for model in models:
        _WATCHED[model] = name


def append_only(name, model):
    """Version `name` by the newest id of `model`, a table rows are only ever added to (nothing to bump)."""
    register(name, newest_id(model))


def bump(name, connection=None):
    """Move counter version `name` on, inside the caller's transaction."""
    connection = connection or db.session.connection()
    table = DataVersion.__table__
    stmt = dialect_insert(connection.dialect.name)(table).values(name=name, version=1)
    connection.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"version": table.c.version + 1}))


@event.listens_for(Session, "before_flush")
def _bump_watched(session, flush_context, instances):
    """Bump the version of every watched model this flush adds, changes or deletes (once per name)."""
    if not _WATCHED:
        return
    names = set()
    for group, changed in ((session.new, None), (session.dirty, session.is_modified), (session.deleted, None)):
        for obj in group:
            name = _WATCHED.get(type(obj))
            if name is not None and (changed is None or changed(obj)):
                names.add(name)
    for name in sorted(names):
        bump(name, session.connection())


def versions(*names):
    """The current values of data versions `names` (a tuple), read in one statement.

    Each value includes the restore epoch (see the module's docstring); a counter never bumped is 0.
    """
    if names not in _READ:
        # Built once per set of names: a cached page reads its versions on every view, and building
        # the statement (its cache key above all) costs more than running it.
        _READ[names] = select(
            _epoch_source().scalar_subquery(), *[_SOURCES[name].scalar_subquery().label(name) for name in names]
        )
    epoch, *values = db.session.execute(_READ[names]).one()
    base = (epoch or 0) << EPOCH_SHIFT
    return tuple(base + (value or 0) for value in values)


def restore_epoch(connection):
    """The restore epoch in the database behind `connection`: 0 if never moved, None without data_version."""
    if not inspect(connection).has_table(DataVersion.__tablename__):
        return None
    return connection.execute(_epoch_source()).scalar() or 0


def advance_epoch(connection, past):
    """Move the restore epoch above both `past` and its value now, in the caller's transaction.

    Called right after a restore with the epoch the database had before it: every version then
    differs from any value a running process read before the restore, now and after later writes.
    Returns the new epoch, or None when the database has no data_version table to keep it in.
    """
    current = restore_epoch(connection)
    if current is None:
        return None
    epoch = max(current, past or 0) + 1
    table = DataVersion.__table__
    stmt = dialect_insert(connection.dialect.name)(table).values(name=RESTORE_EPOCH, version=epoch)
    connection.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"version": epoch}))
    return epoch


def _epoch_source():
    return select(DataVersion.version).where(DataVersion.name == RESTORE_EPOCH)


class FragmentCache:
    """A bounded, thread-safe map of rendered parts that expire after `ttl` seconds."""

    def __init__(self, ttl, maxsize=MAX_ENTRIES, timer=time.monotonic):
        self.ttl = ttl
        self._entries = TTLCache(maxsize=maxsize, ttl=ttl, timer=timer) if ttl > 0 else None
        self._lock = threading.Lock()

    def get_or_make(self, key, make):
        """The part cached under `key`, rendering it with make() when missing or expired."""
        if self._entries is None:
            return make()
        with self._lock:
            found = self._entries.get(key)
        if found is None:
            found = make()
            with self._lock:
                self._entries[key] = found
        return found

    def clear(self):
        """Forget every part (tests, and after restoring a backup)."""
        if self._entries is not None:
            with self._lock:
                self._entries.clear()


def init_cache(app):
    """Give the app its fragment cache (CACHE_SECONDS, 0 for none)."""
    app.extensions["fragment_cache"] = FragmentCache(int(app.config.get("CACHE_SECONDS", 0)))


def cache():
    """The current app's FragmentCache."""
    return current_app.extensions["fragment_cache"]


def fragment(key, make):
    """Rendered HTML for `key`: cached, or from make() (a str of HTML); forms get this session's token."""
    html = cache().get_or_make(key, make)
    if FORM_TOKEN in html:
        html = html.replace(FORM_TOKEN, generate_csrf())
    return Markup(html)  # noqa: S704 - make() returns a template Jinja rendered with autoescape


def newest_id(model):
    """A version source: the highest id of an append-only table (0 when empty)."""
    return select(func.coalesce(func.max(model.id), 0))
