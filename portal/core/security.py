"""Security headers on every response, and the one check of a `next` address."""

import re
from urllib.parse import urlsplit

from flask import abort, request

# The portal's own limits, under gunicorn's (--limit-request-line 8190,
# --limit-request-field_size 16380 in the Makefile and README), so a long address or an
# oversized cookie gets the portal's Chinese page, not the server's English one.
MAX_URL_LENGTH = 4096
MAX_HEADER_BYTES = 16 * 1024

# Browsers drop tab and newline anywhere in a URL and read a backslash as a slash; any other
# control character or space makes the address unusable. A target holding any of them is refused.
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(target, prefix="/"):
    """`target` if it is a path on this site under `prefix`, else None.

    Decided on the address as a browser would read it: no scheme, no host, starting with one
    "/" (never two, nor a slash and a backslash), and nothing the browser would strip or rewrite first, so what is
    checked is exactly what the redirect sends.
    """
    if not target or _UNSAFE_IN_NEXT.search(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(prefix) or target.startswith("//"):
        return None
    return target


def init_security(app):
    """Refuse over-long requests; add CSP, nosniff, frame and referrer headers (and HSTS in production)."""

    @app.before_request
    def _limits():
        if len(request.environ.get("RAW_URI") or request.full_path) > MAX_URL_LENGTH:
            abort(414)
        if sum(len(name) + len(value) for name, value in request.headers.items()) > MAX_HEADER_BYTES:
            abort(431)

    @app.after_request
    def _headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("HSTS"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
