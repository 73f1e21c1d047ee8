"""Password hashing and the two password policies (standard and 等保2.0 strict)."""

import re
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from portal.core.exceptions import ValidationError

MIN_LENGTH = 8
MAX_LENGTH = 128
STRICT_MAX_AGE = timedelta(days=90)
STRICT_IDLE_MINUTES = 30
_DUMMY_HASH = None


@lru_cache(maxsize=1)
def common_passwords():
    """The set of passwords refused as too common (lower-cased)."""
    path = Path(__file__).with_name("common_passwords.txt")
    return {
        line.strip().lower()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }


def hash_password(password):
    """Hash with scrypt (werkzeug); the cost comes from config so tests can lower it."""
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def verify_password(stored_hash, password):
    """Check a password against a stored hash."""
    return check_password_hash(stored_hash, password)


def burn_time(password):
    """Spend as long as a real check would, so unknown accounts cannot be told by timing."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("not-a-real-password")
    check_password_hash(_DUMMY_HASH, password)


def is_strict():
    """True when the 等保2.0 level-3 policy is switched on."""
    return current_app.config.get("PASSWORD_POLICY") == "strict"


def check_policy(password, identifiers=()):
    """Raise ValidationError (in Chinese) if the password breaks the active policy."""
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"密码至少需要 {MIN_LENGTH} 个字符", field="new_password")
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"密码不能超过 {MAX_LENGTH} 个字符", field="new_password")
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) <= 2:
        raise ValidationError("这个密码太常见，容易被猜到，请换一个", field="new_password")
    for ident in identifiers:
        if ident and len(ident) >= 4 and ident.lower() in lowered:
            raise ValidationError("密码不能包含您的账号、工号或手机号", field="new_password")
    if is_strict():
        classes = sum(
            bool(re.search(p, password))
            for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]")
        )
        if classes < 3:
            raise ValidationError(
                "按照等级保护要求，密码须包含大写字母、小写字母、数字、符号中的至少三类",
                field="new_password",
            )
