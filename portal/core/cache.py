"""Rendered page parts that many requests share, kept in each process and keyed by what they show.

A page part (a ranking table, a roster list, a member's ledger) is rendered once and reused while
nothing it shows has changed. Its key names everything it depends on: the request's own inputs
(period, filters, page, the viewer's scope) and the *data versions* of the tables behind it.

A data version is one number the database gives cheaply and that moves whenever the data does:
the newest id of an append-only table (the credit ledger), or a counter in `data_version` that
writers bump in the same transaction as their change (the roster: see `watch()`). All versions
a request needs are read in one statement, once per request. Every entry also expires after
CACHE_SECONDS, which bounds what no version catches (another process's transaction that
commits out of id order on PostgreSQL, a display name changed on an account). CACHE_SECONDS = 0
turns caching off.

Forms inside a cached part carry `FORM_TOKEN` instead of a CSRF token (a token belongs to one
session); `fragment()` puts the current session's token in on the way out.
"""

import threading
import time

from cachetools import TTLCache
from flask import current_app, g, has_app_context
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import Integer, String, event, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.core.database import dialect_insert
from portal.extensions import db

FORM_TOKEN = "\x00form-token\x00"  # noqa: S105 - a slot for the token; no page contains a NUL
MAX_ENTRIES = 2048

_SOURCES = {}  # version name -> scalar sub-select giving its current value
_READ_ALL = {}  # the statement reading every version, built once (it runs on every cached page)
_WATCHED = {}  # mapped class -> version name bumped when an instance changes


class DataVersion(db.Model):
    """A counter that writers of slowly changing data bump (see watch() and bump())."""

    __tablename__ = "data_version"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


def register(name, source):
    """Name a data version read by `source`, a select of one value (e.g. the newest id of a table)."""
    _SOURCES[name] = source.scalar_subquery()
    _READ_ALL.clear()


def watch(name, *models):
    """Keep a counter version `name` that every flush adding, changing or deleting `models` bumps.

    Writers that bypass the ORM (bulk INSERT ... VALUES) call bump(name) themselves.
    """
    register(name, select(DataVersion.version).where(DataVersion.name == name))
    for model in models:
        _WATCHED[model] = (name, True)


def append_only(name, model):
    """Version `name` by the newest id of `model`, a table rows are only ever added to.

    Nothing is bumped: the new row is the new version. A flush adding one marks the version
    changed in this request (see touched()); writers that bypass the ORM call touched() themselves.
    """
    register(name, newest_id(model))
    _WATCHED[model] = (name, False)


def bump(name, connection=None):
    """Move counter version `name` on, inside the caller's transaction."""
    connection = connection or db.session.connection()
    table = DataVersion.__table__
    stmt = dialect_insert(connection.dialect.name)(table).values(name=name, version=1)
    connection.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"version": table.c.version + 1}))
    touched(name)


def touched(name):
    """Note that this request (or job) has written data behind version `name`, not yet committed.

    Versions read before are read again on next use, and memo() stops keeping values under it:
    the transaction may still roll back, and the number it saw would then come round again.
    """
    if has_app_context():
        g._touched_versions = g.get("_touched_versions", frozenset()) | {name}
        g._stale_versions = g.get("_stale_versions", frozenset()) | {name}


@event.listens_for(Session, "before_flush")
def _bump_watched(session, flush_context, instances):
    """Bump or touch the version of every watched model this flush writes (once per name and flush)."""
    if not _WATCHED:
        return
    found = {}
    for group, changed in ((session.new, None), (session.dirty, session.is_modified), (session.deleted, None)):
        for obj in group:
            watched = _WATCHED.get(type(obj))
            if watched is not None and watched[0] not in found and (changed is None or changed(obj)):
                found[watched[0]] = watched[1]
    for name in sorted(found):
        if found[name]:
            bump(name, session.connection())
        else:
            touched(name)


def versions(*names):
    """The current values of data versions `names` (a tuple), read once per request in one statement."""
    known = g.get("_data_versions")
    if known is None or not known.keys() >= set(names) or g.get("_stale_versions", frozenset()).intersection(names):
        row = db.session.execute(select(*_version_columns()[1])).one()
        known = remember_versions(row)
    return tuple(known[name] for name in names)


def _version_columns(names=None):
    if not _READ_ALL:
        _READ_ALL["names"] = tuple(sorted(_SOURCES))
    names = _READ_ALL["names"] if names is None else tuple(sorted(names))
    if names not in _READ_ALL:
        _READ_ALL[names] = [_SOURCES[name].label(f"version_{name}") for name in names]
    return names, _READ_ALL[names]


def forget_versions():
    """Drop the versions read and touched in this app context (between tests sharing one context)."""
    for name in ("_data_versions", "_touched_versions", "_stale_versions"):
        g.pop(name, None)


def with_versions(statement, names=None):
    """`statement` reading data versions `names` (default: all) as extra trailing columns.

    The log-in check runs one statement on every request; reading the versions in it spares a
    cached page its own round trip for them. Built once per statement by its owner; read its rows
    with remember_versions(row, names).
    """
    return statement.add_columns(*_version_columns(names)[1])


def remember_versions(row, names=None):
    """Keep the trailing version columns of a with_versions(..., names) row as this request's versions.

    A request that later asks for a version the row did not carry reads them all (versions()).
    """
    names, columns = _version_columns(names)
    g._data_versions = dict(zip(names, tuple(row)[-len(columns):], strict=True))
    g._stale_versions = frozenset()
    return g._data_versions


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


def memo(key, make, *names):
    """make()'s value, kept per process like a page part under `key` and the data versions `names`.

    For small lookups many requests repeat (a credit rule, the last closed period). A request that
    has itself changed one of the versions (touched()) gets a fresh value that is not kept.
    """
    if g.get("_touched_versions", frozenset()).intersection(names):
        return make()
    return cache().get_or_make((*key, *versions(*names)), lambda: (make(),))[0]


def newest_id(model):
    """A version source: the highest id of an append-only table (0 when empty)."""
    return select(func.coalesce(func.max(model.id), 0))
