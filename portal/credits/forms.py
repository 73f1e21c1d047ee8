"""Credit forms: editing a rule, a manual adjustment, a reversal, a payout sign-off."""

from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from portal.core.forms import CheckboxListField, CreatingForm, PortalForm
from portal.credits.models import RuleMode
from portal.roster.models import PoliticalStatus

MODE_LABELS = {RuleMode.FIXED: "固定分值", RuleMode.SCORE: "按成绩折算"}


class RuleForm(CreatingForm):
    """New settings for a rule; saving makes a new version valid from today."""

    name = StringField("规则名称", validators=[DataRequired("请填写规则名称"),
                                           Length(max=80, message="规则名称不能超过 80 字")])
    description = TextAreaField("说明", validators=[Optional(), Length(max=500, message="说明不能超过 500 字")])
    mode = SelectField("计分方式", choices=[SelectChoice(mode, label) for mode, label in MODE_LABELS.items()])
    points = IntegerField("分值", validators=[InputRequired("请填写分值")])
    daily_cap = IntegerField("每日上限", validators=[Optional()])
    weekly_cap = IntegerField("每周上限", validators=[Optional()])
    monthly_cap = IntegerField("每月上限", validators=[Optional()])
    # Named after CreditRule.statuses, so the form can be filled from a rule object.
    statuses = CheckboxListField("适用人员", choices=[SelectChoice(s.value) for s in PoliticalStatus],
                                 validate_choice=True)


class AdjustForm(CreatingForm):
    """A manual bonus or penalty for one person."""

    # The person picked by the page's search: kept in a hidden field, never typed or shown.
    person_id = IntegerField("调整对象", widget=HiddenInput(), validators=[InputRequired("请先查找并选择调整对象")])
    points = IntegerField("调整分值", validators=[InputRequired("请填写调整分值")])
    reason = TextAreaField("调整原因", validators=[DataRequired("请写明调整原因"),
                                                 Length(max=500, message="原因不能超过 500 字")])


class ReverseForm(PortalForm):
    """Cancel one ledger entry, with a reason."""

    reason = StringField("冲销原因", validators=[DataRequired("请写明冲销原因"),
                                               Length(max=200, message="原因不能超过 200 字")])


class PayoutSignForm(PortalForm):
    """Sign a closed quarter's payout list off."""

    period = HiddenField(validators=[DataRequired("请选择季度")])
    note = TextAreaField("签认备注", validators=[Optional(), Length(max=500, message="备注不能超过 500 字")])
