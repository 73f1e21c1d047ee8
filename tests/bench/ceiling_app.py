"""The framework ceilings: a bare Flask + Flask-SQLAlchemy app the portal is measured against.

gunicorn serves it as ``tests.bench.ceiling_app:create_app()`` with CEILING_DATABASE_URL set,
under exactly the gunicorn configuration and load generator the portal gets:

- ``/ceiling``        a small Jinja template, no database;
- ``/ceiling_read``   20 rows read by an indexed column from a 100,000-row table, in a small template;
- ``/ceiling_write``  one ORM insert committed; the token it was sent is echoed as data-token="...".

SQLite gets the portal's pragmas (WAL, synchronous=NORMAL, busy timeout), so a ratio measures
the portal's code and not a difference in database settings.
"""

import os
import random

from flask import Flask, render_template, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, create_engine, event, func, insert, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROWS = 100_000
BUCKETS = 5_000  # 20 rows per bucket
CHUNK = 10_000
ITEMS = ["学习党章党规", "学习系列讲话", "做合格党员", "安全生产", "三会一课", "主题党日"]


class Base(DeclarativeBase):
    """Declarative base of the ceiling tables."""


class Item(Base):
    """A row of the 100,000-row table; `bucket` is indexed and holds 20 rows each."""

    __tablename__ = "ceiling_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[int] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[int]


class Note(Base):
    """One write; `token` is not unique on purpose, so a doubled write shows up as two rows."""

    __tablename__ = "ceiling_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(60), index=True)


db = SQLAlchemy(model_class=Base)


def _sqlite_pragmas(dbapi_connection, _record):
    """The same pragmas portal.core.database sets on every SQLite connection."""
    cursor = dbapi_connection.cursor()
    for pragma in ("foreign_keys=ON", "busy_timeout=30000", "journal_mode=WAL", "synchronous=NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def create_app(url=None):
    """The ceiling app bound to `url` (default: the CEILING_DATABASE_URL environment variable)."""
    app = Flask(__name__)
    url = url or os.environ["CEILING_DATABASE_URL"]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    db.init_app(app)
    if url.startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)
    app.add_url_rule("/ceiling", view_func=ceiling)
    app.add_url_rule("/ceiling_read", view_func=ceiling_read)
    app.add_url_rule("/ceiling_write", view_func=ceiling_write, methods=["POST"])
    return app


def ceiling():
    """A small template, nothing else."""
    return render_template("ceiling.html", title="党建学习", items=ITEMS)


def ceiling_read():
    """Twenty rows by an indexed column, rendered."""
    bucket = random.randrange(BUCKETS)  # noqa: S311 - picks a row group, not a secret
    rows = db.session.scalars(select(Item).where(Item.bucket == bucket)).all()
    return render_template("ceiling_read.html", bucket=bucket, rows=rows)


def ceiling_write():
    """One ORM insert, committed; echoes the token so the load generator can tell it was acknowledged."""
    note = Note(token=request.form.get("token", "")[:60])
    db.session.add(note)
    db.session.flush()
    saved = {"id": note.id, "token": note.token}
    db.session.commit()
    return render_template("ceiling_write.html", note=saved)


def build_database(url):
    """Create the ceiling tables and fill the 100,000-row table (a fresh, empty database)."""
    engine = _engine(url)
    try:
        Base.metadata.create_all(engine)
        rng = random.Random(2026)  # noqa: S311 - fixed filler data
        with engine.begin() as conn:
            for start in range(0, ROWS, CHUNK):
                conn.execute(insert(Item), [
                    {"bucket": i % BUCKETS, "name": f"条目{i:06d}", "value": rng.randrange(1000)}
                    for i in range(start, start + CHUNK)
                ])
    finally:
        engine.dispose()


def count_writes(url, tag, acked):
    """Rows written by one run (tokens starting with `tag`): written, lost and duplicated counts."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Note.token, func.count()).where(Note.token.startswith(f"{tag}-")).group_by(Note.token)
            ).all()
    finally:
        engine.dispose()
    written = {token for token, _count in rows}
    return {
        "written": sum(count for _token, count in rows),
        "lost": len(set(acked) - written),
        "duplicated": sum(count - 1 for _token, count in rows),
    }


def row_count(url):
    """How many rows the read table holds (a sanity check for the report)."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM ceiling_item"))
    finally:
        engine.dispose()


def _engine(url):
    engine = create_engine(url)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine
