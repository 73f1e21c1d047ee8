"""Uploaded files kept between two requests: encrypted at rest, private, and purged when stale."""

import base64
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import current_app

from portal.core import crypto
from portal.core.clock import utcnow
from portal.core.exceptions import ValidationError

STALE_AFTER = timedelta(hours=24)


def _dir(kind):
    directory = Path(current_app.config["UPLOAD_DIR"]) / kind
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def path_of(kind, name):
    """Where a kept upload lives (it may already be gone)."""
    return _dir(kind) / name


def keep(kind, data, extension):
    """Store bytes encrypted (they may hold full ID numbers), readable by the portal only; returns the name."""
    name = f"{secrets.token_hex(16)}.{extension}"
    token = crypto.encrypt(base64.b64encode(data).decode("ascii"))
    descriptor = os.open(path_of(kind, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(token)
    return name


def load(kind, name):
    """The bytes of a kept upload; ValidationError if it has expired or been removed."""
    try:
        token = path_of(kind, name).read_text(encoding="ascii")
    except FileNotFoundError:
        raise ValidationError("上传的文件已失效，请重新上传", field="file") from None
    return base64.b64decode(crypto.decrypt(token))


def discard(kind, name):
    """Remove a kept upload (no error if it is already gone)."""
    path_of(kind, name).unlink(missing_ok=True)


def purge_stale(kind, age=STALE_AFTER):
    """Delete kept uploads older than `age`; returns the names removed."""
    cutoff = (utcnow() - age).timestamp()
    removed = []
    for path in _dir(kind).iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed
