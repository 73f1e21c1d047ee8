"""The base form, the shared checkbox list, and the helper that turns a service's refusal into what the user sees."""

from flask import flash
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core import transactions
from portal.core.exceptions import NotFound, PortalError

# What run_service returns when the service refused: the view re-renders or redirects.
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


def run_service(action, form=None):
    """Run a view's one service call; if it breaks a rule, undo the request's writes and show why.

    The one place a view turns a service's PortalError into what the user sees: the request's
    transaction is rolled back (core.transactions.fail) and the message goes under its form
    field, or into a flash. NotFound is not caught: for this user the object is not there, and
    the error page says so. On success nothing is committed here: the request's boundary
    commits once the view has answered. Returns the call's result, or FAILED.
    """
    try:
        return action()
    except NotFound:
        raise
    except PortalError as error:
        transactions.fail()
        show_error(error, form)
        return FAILED


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of checkboxes (easier to tap on a phone than a multi-select).

    A value outside the choices is refused in Chinese: WTForms' zh catalogue has no text for
    its own message. With validate_choice=False the field leaves that check to the service.
    """

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        """Refuse values that are not among the choices, unless validate_choice is off."""
        if not self.validate_choice or not self.data:
            return
        allowed = {str(choice.value) for choice in self.iter_choices()}
        if any(str(value) not in allowed for value in self.data):
            raise ValidationError("不是有效的选择")
