"""The base form and the helper that turns service errors into form errors."""

from flask import flash
from flask_wtf import FlaskForm


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
