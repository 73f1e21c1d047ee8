"""The shared form pieces: the checkbox list that the credit, article, bank, quiz and meeting forms use."""

import re

import pytest
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from portal.core.forms import CheckboxListField, PortalForm
from portal.credits.forms import RuleForm
from portal.study.forms.articles import AssignmentForm
from portal.study.forms.bank import QuestionForm
from portal.study.forms.meetings import MeetingForm
from portal.study.forms.quizzes import OverrideForm, QuizForm


class TeamsForm(PortalForm):
    """Two checkbox lists: one checks its choices, one leaves that to a service."""

    class Meta:
        """No CSRF token: these tests build the form outside a page."""

        csrf = False

    teams = CheckboxListField("班组", coerce=int, choices=[SelectChoice(1, "综采一队"), SelectChoice(2, "掘进二队")])
    branch_ids = CheckboxListField("党支部", coerce=int, validate_choice=False)


def _posted(app, **fields):
    with app.test_request_context(method="POST", data=MultiDict(fields)):
        form = TeamsForm()
        return form, form.validate()


def test_renders_a_list_of_checkboxes_with_the_chosen_ones_ticked(app):
    with app.test_request_context():
        html = str(TeamsForm(teams=[2]).teams)
    assert "<select" not in html
    boxes = re.findall(r'<input[^>]*type="checkbox"[^>]*>', html)
    assert len(boxes) == 2
    assert 'value="1"' in boxes[0] and "checked" not in boxes[0]
    assert 'value="2"' in boxes[1] and "checked" in boxes[1]
    assert '<label for="teams-0">综采一队</label>' in html and '<label for="teams-1">掘进二队</label>' in html


def test_a_value_outside_the_choices_is_refused_in_chinese(app):
    form, valid = _posted(app, teams=["1", "3"])
    assert not valid
    assert form.teams.errors == ["不是有效的选择"]
    assert form.teams.data == [1, 3]  # what was ticked comes back with the message


def test_values_among_the_choices_pass(app):
    form, valid = _posted(app, teams=["1", "2"])
    assert valid, form.errors
    assert form.teams.data == [1, 2]


def test_without_choice_checking_the_service_decides(app):
    form, valid = _posted(app, teams=["1"], branch_ids=["99"])
    assert valid, form.errors
    assert form.branch_ids.data == [99]


@pytest.mark.parametrize("form_class, name", [
    (RuleForm, "statuses"), (AssignmentForm, "organisation_ids"), (QuizForm, "branch_ids"),
    (OverrideForm, "person_ids"), (MeetingForm, "attendee_ids"), (QuestionForm, "choice_answer"),
])
def test_the_domain_forms_use_this_field(form_class, name):
    assert getattr(form_class, name).field_class is CheckboxListField


def test_a_question_whose_answer_is_not_an_option_letter_is_refused_in_chinese(app):
    with app.test_request_context(method="POST", data=MultiDict({"choice_answer": "G"})):
        form = QuestionForm(meta={"csrf": False})
        assert form.choice_answer.validate(form) is False
    assert form.choice_answer.errors == ["不是有效的选择"]
