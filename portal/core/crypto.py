"""Encryption at rest for personal numbers, and keyed hashes (blind indexes) for look-up."""

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


def _fernet():
    # Rebuilt only when the configured keys change (tests switch them), not on every call.
    cache = current_app.extensions.setdefault("portal_crypto", {})
    raw = current_app.config["ID_ENCRYPTION_KEYS"]
    if cache.get("raw") != raw:
        keys = [k.strip() for k in raw.split(",") if k.strip()]
        cache["raw"] = raw
        cache["fernet"] = MultiFernet([Fernet(k.encode()) for k in keys])
        # A separate, never-rotated key: rotating the encryption keys must not break look-ups.
        cache["index_key"] = current_app.config["ID_INDEX_KEY"].encode()
    return cache


def encrypt(plaintext):
    """Encrypt a short string; the first configured key is used."""
    return _fernet()["fernet"].encrypt(plaintext.encode()).decode()


def decrypt(token):
    """Decrypt a value written by encrypt(); any configured key may have written it."""
    try:
        return _fernet()["fernet"].decrypt(token.encode()).decode()
    except InvalidToken:
        raise RuntimeError("无法解密：密钥配置与数据不匹配") from None


def blind_index(kind, value):
    """A keyed hash of a normalised value, for unique constraints and exact look-ups."""
    key = _fernet()["index_key"]
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
