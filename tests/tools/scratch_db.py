"""Scratch databases on the backend under test: a new SQLite file, or a new PostgreSQL database."""

import contextlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal import create_app


def backend_url():
    """The URL of the database the suite runs on (TEST_DATABASE_URL), or None for SQLite files."""
    return os.environ.get("TEST_DATABASE_URL") or None


def is_postgresql():
    """True when the suite runs on PostgreSQL."""
    url = backend_url()
    return bool(url) and make_url(url).get_backend_name() == "postgresql"


@contextlib.contextmanager
def scratch_database(tag="scratch"):
    """Yield the URL of a new, empty database on the backend under test; drop it afterwards."""
    if not is_postgresql():
        directory = Path(tempfile.mkdtemp(prefix=f"portal-{tag}-"))
        try:
            yield f"sqlite:///{directory / 'scratch.sqlite'}"
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    server = make_url(backend_url())
    name = f"{server.database}_{tag}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def make_app(url, **overrides):
    """A second application bound to `url`, configured like the suite's own."""
    scratch = Path(tempfile.gettempdir())
    return create_app({
        "CONFIG": "testing",
        "SQLALCHEMY_DATABASE_URI": url,
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        "UPLOAD_DIR": str(scratch / "portal-scratch-uploads"),
        "BACKUP_DIR": str(scratch / "portal-scratch-backups"),
        **overrides,
    })


def dispose(app):
    """Close every pooled connection of an app made by make_app()."""
    from portal.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
