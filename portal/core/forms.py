"""The base form, the shared fields, and the helper that turns a service's refusal into what the user sees."""

from flask import abort, flash, redirect
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectMultipleField, StringField, TextAreaField, ValidationError
from wtforms.meta import DefaultMeta
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core import submit_keys, text, transactions
from portal.core.exceptions import NotFound, PortalError

# What run_service returns when the service refused: the view re-renders or redirects.
FAILED = object()


class CodeField(StringField):
    """A number or code typed by hand (ID, phone, employee number): full-width characters folded."""


class TextRuleMeta(DefaultMeta):
    """Every text field of a form passes through the text rule (core.text) before its validators.

    TextAreaField keeps tab and newline; CodeField folds full-width digits and letters; a
    password is taken as typed. Use it as the Meta of sub-forms (wtforms.Form in a FormField).
    """

    locales = ("zh",)  # WTForms' bundled zh translations (config WTF_I18N_ENABLED is off)

    def bind_field(self, form, unbound_field, options):
        """Put the text rule first among the field's filters."""
        rule = _text_rule(unbound_field.field_class)
        if rule is not None:
            options["filters"] = (rule, *unbound_field.kwargs.get("filters", ()))
        return super().bind_field(form, unbound_field, options)


def _text_rule(field_class):
    if not issubclass(field_class, StringField) or issubclass(field_class, PasswordField):
        return None
    if issubclass(field_class, CodeField):
        return text.clean_code
    return text.clean_multiline if issubclass(field_class, TextAreaField) else text.clean


class PortalForm(FlaskForm):
    """Base of every form: WTForms' own messages in Chinese, and the text rule on every text field."""

    class Meta(TextRuleMeta):
        """FlaskForm's own Meta (CSRF) with the text rule."""


class CreatingForm(PortalForm):
    """A form that creates or books something: sent twice, it still does it once (core.submit_keys).

    It carries a one-time key, issued with the page; `run_service(action, form)` spends it in
    the request's transaction before the action runs. The form's own name (its class) labels
    the spent key. Forms inside cached page parts cannot carry one (the part is shared).
    """

    submit_key = HiddenField(default=submit_keys.new_key)


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
        if isinstance(form, CreatingForm):
            _spend_key(form)
        return action()
    except NotFound:
        raise
    except PortalError as error:
        transactions.fail()
        show_error(error, form)
        return FAILED


def _spend_key(form):
    """Spend the form's key, or send the user to what the earlier send of this form made."""
    sent = form.submit_key.raw_data  # a form posted without its key is refused, not given a new one
    try:
        submit_keys.spend(sent[0] if sent else None, type(form).__name__)
    except submit_keys.AlreadySubmitted as done:
        flash("这份表单已经提交过，不会重复办理；以下是那次提交的结果", "info")
        abort(redirect(done.result_url))
    # Shown again (a form re-rendered after success), the form carries a key of its own.
    form.submit_key.data = submit_keys.new_key()


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
