"""The base form and the helper that turns service errors into form errors."""

from flask import flash
from flask_wtf import FlaskForm

from portal.core.exceptions import PortalError
from portal.extensions import db

# What commit_or_show returns when the service refused: the view re-renders or redirects.
FAILED = object()


class PortalForm(FlaskForm):
    """Base of every form: WTForms' own messages in Chinese."""

    class Meta:
        """Use WTForms' bundled zh translations (config WTF_I18N_ENABLED is off)."""

        locales = ("zh",)


def show_error(error, form=None):
    """Attach a PortalError to its form field, or flash it when no field fits."""
    field = getattr(form, error.field, None) if form is not None and error.field else None
    if field is not None:
        # WTForms keeps errors as a tuple until validate() runs; make it a list we can extend.
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "danger")


def commit_or_show(action, form=None):
    """Run one service call and commit; if it breaks a rule, roll back and show why.

    The one place a view turns a service's PortalError into what the user sees: the message
    goes under its form field (or into a flash) and nothing is written. Returns the call's
    result, or FAILED.
    """
    try:
        result = action()
    except PortalError as error:
        db.session.rollback()
        show_error(error, form)
        return FAILED
    db.session.commit()
    return result
