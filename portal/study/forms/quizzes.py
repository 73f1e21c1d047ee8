"""Forms of 每周一测: a test with its assembly rules, and overrides for shift workers.

Taking a test needs no WTForms form: its fields depend on the member's own paper, and the
page carries the CSRF token that CSRFProtect checks on every POST.
"""

from wtforms import (
    DateTimeLocalField,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import FieldList
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.core.forms import CheckboxListField, CodeField, CreatingForm, TextRuleMeta
from portal.study.models.questions import KIND_LABELS
from portal.study.services.marking import PARTIAL_LABELS

RULE_ROWS = 6
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
POLICY_NAMES = {"none": "全对才得分", "half": "少选得一半", "proportional": "按比例得分"}


class RuleRow(Form):
    """One assembly rule; a row without a kind is ignored."""

    Meta = TextRuleMeta

    kind = SelectField("题型", choices=[SelectChoice("", "（不使用）")] + [
        SelectChoice(k.value, v) for k, v in KIND_LABELS.items()], validate_choice=False)
    count = IntegerField("题数", validators=[Optional(), NumberRange(1, 100, "题数应在 1 到 100 之间")])
    tag = StringField("标签", validators=[Optional(), Length(max=30)])
    difficulty = SelectField("难度", choices=[SelectChoice("", "不限")] + [
        SelectChoice(str(d), str(d)) for d in range(1, 6)], validate_choice=False)
    points = IntegerField("每题分值", default=5, validators=[Optional(), NumberRange(1, 100, "分值应在 1 到 100 之间")])


class QuizForm(CreatingForm):
    """A test: settings, window, branches, rules and hand-picked questions."""

    title = StringField("测试名称", validators=[DataRequired("请填写测试名称"), Length(max=100)])
    organisation_id = SelectField("发布组织", coerce=int, validate_choice=False)
    description = TextAreaField("说明", validators=[Optional(), Length(max=2000)])
    partial_policy = RadioField("多选题计分方式", default="none", validate_choice=False,
                                choices=[SelectChoice(k, f"{POLICY_NAMES[k]}：{v}") for k, v in PARTIAL_LABELS.items()])
    time_limit = IntegerField("答题时限（分钟）", default=30, validators=[
        DataRequired("请填写答题时限"), NumberRange(1, 600, "应在 1 到 600 分钟之间")])
    attempts_allowed = IntegerField("允许作答次数", default=1, validators=[
        DataRequired("请填写允许作答次数"), NumberRange(1, 10, "应在 1 到 10 次之间")])
    pass_mark = IntegerField("及格分（满分 100）", default=60,
                             validators=[Optional(), NumberRange(0, 100, "应在 0 到 100 之间")])
    opens_at = DateTimeLocalField("开放时间", format=LOCAL_FORMAT, validators=[DataRequired("请填写开放时间")])
    closes_at = DateTimeLocalField("截止时间", format=LOCAL_FORMAT, validators=[DataRequired("请填写截止时间")])
    branch_ids = CheckboxListField("参加的党支部", coerce=int, validate_choice=False)
    rules = FieldList(FormField(RuleRow), min_entries=RULE_ROWS, max_entries=RULE_ROWS)
    pick_ids = CodeField("指定题目（题目编号，用逗号分隔）", validators=[Optional(), Length(max=500)])
    pick_points = IntegerField("指定题目每题分值", default=5,
                               validators=[Optional(), NumberRange(1, 100, "分值应在 1 到 100 之间")])


class OverrideForm(CreatingForm):
    """Another window and/or extra minutes for some people or a 党小组, with the reason."""

    person_ids = CheckboxListField("人员", coerce=int, validate_choice=False)
    group_id = SelectField("或整个党小组", coerce=int, validate_choice=False)
    opens_at = DateTimeLocalField("另行开放时间", format=LOCAL_FORMAT, validators=[Optional()])
    closes_at = DateTimeLocalField("另行截止时间", format=LOCAL_FORMAT, validators=[Optional()])
    extra_minutes = IntegerField("延长答题时间（分钟）", default=0,
                                 validators=[Optional(), NumberRange(0, 600, "应在 0 到 600 分钟之间")])
    reason = StringField("原因", validators=[DataRequired("请填写原因（如：夜班、出差）"), Length(max=200)])
