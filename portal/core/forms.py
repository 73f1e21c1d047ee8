"""Helpers that turn service errors into what the user sees on a form."""

from flask import flash


def show_error(error, form=None):
    """Attach a PortalError to its form field, or flash it when no field fits."""
    field = getattr(form, error.field, None) if form is not None and error.field else None
    if field is not None:
        # WTForms keeps errors as a tuple until validate() runs; make it a list we can extend.
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "danger")
