"""One transaction per request, committed or rolled back at one boundary.

Services only add and flush. A view calls one service and answers; when the answer is made,
the boundary commits the request's work. A refused service call (`core.forms.run_service`
turning a PortalError into a form error or a flash) and every error page (`core.errors`) call
`fail()` instead, which rolls the work back at once, so the boundary commits nothing.

A commit that fails (a lock held too long, a constraint checked at commit) raises from the
boundary; Flask then answers with the error page, whose own pass through the boundary finds
the request failed and rolls back. Jobs and CLI commands are their own boundaries: they commit
once per unit of work (`<domain>/jobs`).
"""

from flask import g

from portal.core import submit_keys
from portal.extensions import db


def fail():
    """Undo this request's writes now and let the boundary commit nothing more."""
    db.session.rollback()
    g._request_failed = True


def failed():
    """True once fail() has been called in this request."""
    return g.get("_request_failed", False)


def init_transactions(app):
    """Commit each request's work once its answer is ready, unless the request failed."""

    @app.after_request
    def _end_transaction(response):
        if failed():
            db.session.rollback()
        else:
            submit_keys.note_result(response)
            db.session.commit()
        return response
