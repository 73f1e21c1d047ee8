"""QR codes of the portal's own addresses (a check-in page, a calendar feed), as SVG responses."""

import io

import segno
from flask import Response


def svg_response(text, title):
    """`text` as a QR code in an SVG answer that no cache keeps (the address it holds is a key)."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=8, border=2, xmldecl=False, title=title)
    return Response(buffer.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "private, no-store"})
