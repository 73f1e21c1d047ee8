"""Configuration classes; every setting can be overridden from the environment."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "dev-secret-change-me"  # noqa: S105 - refused by ProductionConfig
# A fixed development key (urlsafe base64 of 32 bytes); production must set its own.
DEFAULT_ID_KEY = "ZGV2LWlkLWtleS1kby1ub3QtdXNlLWluLXByb2R1Y3Q="
DEFAULT_INDEX_KEY = "dev-index-key-change-me"


def _env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET)
    # Comma-separated Fernet keys; the first encrypts, all decrypt (key rotation).
    ID_ENCRYPTION_KEYS = os.environ.get("ID_ENCRYPTION_KEYS", DEFAULT_ID_KEY)
    # Key of the keyed hashes used to find people by ID or phone; never change it once set.
    ID_INDEX_KEY = os.environ.get("ID_INDEX_KEY", DEFAULT_INDEX_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'portal.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {}
    # A pooled connection idle this long is tested before use (core.database.ping_idle_connections);
    # busy ones are not, which spares a round trip per request. 0 tests every checkout.
    DATABASE_PING_IDLE_SECONDS = 10
    TIMEZONE = "Asia/Shanghai"
    # "standard" or "strict" (the 等保2.0 level-3 policy); see README.
    PASSWORD_POLICY = os.environ.get("PASSWORD_POLICY", "standard")
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", "15"))
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "120"))
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # The cookie is re-issued only when the session changes; accounts.sessions refreshes
    # session["last_seen"] at most once a minute, which re-issues it (and its expiry) then.
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "portal_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    WTF_I18N_ENABLED = False  # WTForms' bundled zh messages, see core.forms.PortalForm
    WTF_CSRF_TIME_LIMIT = None  # the session lifetime bounds the token instead
    BOOTSTRAP_SERVE_LOCAL = True
    HSTS = False
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(BASE_DIR / "instance" / "uploads"))
    BACKUP_DIR = os.environ.get("BACKUP_DIR", str(BASE_DIR / "backups"))
    ROSTER_PAGE_SIZE = 30
    # How long a shared page part (a ranking, a roster list, a ledger) may be reused: its key
    # moves with the data it shows (portal.core.cache), this bounds what the key cannot see.
    CACHE_SECONDS = int(os.environ.get("CACHE_SECONDS", "60"))


class DevelopmentConfig(Config):
    """Local use with `make run`: SQLite in instance/, debug off by default."""

    ENV_NAME = "development"

    DEBUG = _env_bool("FLASK_DEBUG", False)


class TestingConfig(Config):
    """The test suite; the database comes from TEST_DATABASE_URL."""

    TESTING = True
    ENV_NAME = "testing"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False  # switched on by the tests that check it


class ProductionConfig(Config):
    """gunicorn behind HTTPS; refuses to start with development secrets."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS = True

    @classmethod
    def validate(cls, config):
        """Raise if the production configuration still has a development default."""
        if config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET) or len(config["SECRET_KEY"]) < 32:
            raise RuntimeError("生产环境必须设置至少 32 个字符的 SECRET_KEY 环境变量")
        if config.get("ID_ENCRYPTION_KEYS") in (None, "", DEFAULT_ID_KEY):
            raise RuntimeError("生产环境必须设置 ID_ENCRYPTION_KEYS 环境变量（身份证号加密密钥）")
        if config.get("ID_INDEX_KEY") in (None, "", DEFAULT_INDEX_KEY):
            raise RuntimeError("生产环境必须设置 ID_INDEX_KEY 环境变量（检索用密钥，设置后不可更改）")
        if "DATABASE_URL" not in os.environ:
            raise RuntimeError("生产环境必须设置 DATABASE_URL 环境变量")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
