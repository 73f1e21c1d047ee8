"""Forms of the exemplar module: campaigns, nominations, decisions, ballots, objections, flags."""

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    FileField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.core.clock import LOCAL_TZ, to_local
from portal.core.files import Upload
from portal.core.forms import CheckboxListField, CreatingForm, PortalForm, TextRuleMeta
from portal.exemplars.models import SOURCE_LABELS, TIE_BREAK_LABELS, NominationSource, TieBreak
from portal.exemplars.services.campaigns import DATE_BEGINS, DEFAULT_CATEGORIES, VOTER_STATUSES, CategorySpec

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
CATEGORY_ROWS = 8


def to_int(value):
    """A posted id as an int, or None when it is not one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class CategoryRow(Form):
    """One category of the campaign form; a row with no name is left out."""

    Meta = TextRuleMeta

    name = StringField("类别名称", validators=[Optional(), Length(max=40, message="类别名称不能超过 40 字")])
    description = StringField("说明", validators=[Optional(), Length(max=200, message="说明不能超过 200 字")])
    quota = IntegerField("当选名额", default=3, validators=[Optional(), NumberRange(1, 100, "名额应为 1 到 100")])
    max_choices = IntegerField("每票最多选", default=3,
                               validators=[Optional(), NumberRange(1, 100, "可选人数应为 1 到 100")])
    members_only = BooleanField("限党员")


def _date_field(label):
    # Optional here: a date whose phase has begun is shown disabled and not posted; the service
    # asks for every date it may change (and keeps the others).
    return DateTimeLocalField(f"{label}（北京时间）", format=LOCAL_FORMAT, validators=[Optional()])


class CampaignForm(CreatingForm):
    """Set up or change a campaign; times in Beijing time."""

    organisation_id = SelectField("组织单位", coerce=int, choices=[], validate_choice=False)
    # The settings fixed by the campaign's phase are shown disabled and not posted: the fields
    # are optional here and the service checks what it may still change.
    title = StringField("活动名称", validators=[Optional(), Length(max=80, message="活动名称不能超过 80 字")])
    year = IntegerField("评选年度", validators=[Optional(), NumberRange(2000, 2100, "年度应为四位数")])
    description = TextAreaField("活动说明（支持 Markdown）", validators=[Optional(), Length(max=5000)])
    nominate_by = CheckboxListField("提名方式",
                                    choices=[SelectChoice(s.value, SOURCE_LABELS[s]) for s in NominationSource])
    voter_statuses = CheckboxListField("投票人", choices=[SelectChoice(s, s) for s in VOTER_STATUSES])
    multi_category = BooleanField("允许同一人被提名多个类别")
    credit_period = SelectField("计算积分的考核周期", choices=[], validate_choice=False)
    min_credit = IntegerField("积分门槛（分）", default=0,
                              validators=[Optional(), NumberRange(0, 100000, "门槛应为非负整数")])
    vote_weight = IntegerField("得票所占权重（%）", default=60,
                               validators=[Optional(), NumberRange(0, 100, "权重应为 0 到 100")])
    tie_break = RadioField("同分时", default=TieBreak.VOTES.value,
                           choices=[SelectChoice(t.value, TIE_BREAK_LABELS[t]) for t in TieBreak])
    live_tally = BooleanField("投票期间公开实时票数（默认投票结束后才公开）")
    nomination_opens_at = _date_field("提名开始时间")
    nomination_closes_at = _date_field("提名截止时间")
    voting_opens_at = _date_field("投票开始时间")
    voting_closes_at = _date_field("投票截止时间")
    publicity_ends_at = _date_field("公示结束时间")
    categories = FieldList(FormField(CategoryRow), min_entries=CATEGORY_ROWS, max_entries=CATEGORY_ROWS)

    def start_with_defaults(self, year):
        """A new campaign's form: the six roles, members and staff voting, every nomination source."""
        self.year.data = year
        self.title.data = f"{year}年度“六大员”评选"
        self.nominate_by.data = [s.value for s in NominationSource]
        self.voter_statuses.data = list(VOTER_STATUSES)
        for entry, (name, description) in zip(self.categories, DEFAULT_CATEGORIES, strict=False):
            entry.form.name.data, entry.form.description.data = name, description
            entry.form.quota.data, entry.form.max_choices.data = 3, 3

    def load(self, campaign):
        """Fill the form from a campaign."""
        for name in ("title", "year", "description", "multi_category", "credit_period", "min_credit", "vote_weight",
                     "tie_break", "live_tally", "organisation_id"):
            getattr(self, name).data = getattr(campaign, name)
        self.nominate_by.data, self.voter_statuses.data = campaign.sources, campaign.statuses
        for name in DATE_BEGINS:
            getattr(self, name).data = to_local(getattr(campaign, name)).replace(tzinfo=None)
        for entry, category in zip(self.categories, campaign.categories, strict=False):
            for name in ("name", "description", "quota", "max_choices", "members_only"):
                getattr(entry.form, name).data = getattr(category, name)

    def values(self):
        """The entered values as the campaign service takes them (times made aware in Asia/Shanghai)."""
        values = {name: getattr(self, name).data for name in (
            "title", "year", "description", "nominate_by", "voter_statuses", "multi_category", "credit_period",
            "min_credit", "vote_weight", "tie_break", "live_tally")}
        for name in DATE_BEGINS:
            local = getattr(self, name).data
            values[name] = local.replace(tzinfo=LOCAL_TZ) if local else None
        values["categories"] = [CategorySpec(e.form.name.data or "", e.form.description.data or "",
                                             e.form.quota.data, e.form.max_choices.data, e.form.members_only.data)
                                for e in self.categories]
        return values


class NominationForm(CreatingForm):
    """Put someone forward in one category, with deeds and evidence."""

    person_id = HiddenField()
    category_id = SelectField("评选类别", coerce=int, choices=[], validate_choice=False)
    deeds = TextAreaField("主要事迹（支持 Markdown）", validators=[DataRequired("请填写主要事迹"), Length(max=5000)])
    photo = FileField("本人照片（可选，JPG 或 PNG）")
    evidence = MultipleFileField("证明材料（可选，图片或 PDF，最多 6 个）")

    def uploads(self, files):
        """(photo, [evidence]) as the service takes them (`files`: request.files)."""
        photo = files.get(self.photo.name)
        evidence = files.getlist(self.evidence.name)
        as_upload = lambda f: Upload(f.filename, f.read()) if f and f.filename else None  # noqa: E731
        return as_upload(photo), [u for u in map(as_upload, evidence) if u is not None]


class DecisionForm(PortalForm):
    """The committee's decision on a nomination."""

    decision = RadioField("审核结果", choices=[SelectChoice("approve", "通过"), SelectChoice("reject", "不通过")],
                          validators=[InputRequired("请选择审核结果")])
    note = StringField("审核意见（不通过时必填）", validators=[Optional(), Length(max=500)])


class ConfirmForm(PortalForm):
    """A button that posts (phase moves, withdrawals, finalisation)."""

    expected = HiddenField()


class BallotForm(PortalForm):
    """The choices of a ballot arrive as c<category id> fields (several values each); this carries the token."""


class CastForm(CreatingForm):
    """Casting a confirmed ballot: the choices come back as hidden c<category id> fields."""


class PaperVoterForm(PortalForm):
    """The officer's polling point and the voter they are entering."""

    voter_id = HiddenField()
    polling_point = StringField("投票点", validators=[DataRequired("请填写投票点"), Length(max=60)])


class PaperCastForm(CreatingForm):
    """Casting a confirmed paper ballot."""

    voter_id = HiddenField()
    polling_point = HiddenField()


class FindReceiptForm(PortalForm):
    """A receipt code typed (or filled in from this browser) to find one's ballots."""

    code = StringField("回执码", validators=[DataRequired("请输入回执码"), Length(max=40)])


class ObjectionForm(CreatingForm):
    """An objection to a winner during publicity (the winners are the page's choices; the service checks)."""

    nomination_id = SelectField("对谁提出异议", coerce=int, choices=[], validate_choice=False,
                                validators=[InputRequired("请选择拟当选人员")])
    reason = TextAreaField("异议事实和理由", validators=[DataRequired("请写明异议的事实和理由"), Length(max=2000)])


class ObjectionDecisionForm(PortalForm):
    """The committee's finding on an objection."""

    decision = RadioField("核实结果", choices=[SelectChoice("uphold", "异议成立，取消其当选资格"),
                                               SelectChoice("dismiss", "异议不成立")],
                          validators=[InputRequired("请选择核实结果")])
    note = StringField("核实结论", validators=[DataRequired("请写明核实结论"), Length(max=500)])


class FlagForm(CreatingForm):
    """The committee marks a person as not to stand for now."""

    person_id = HiddenField()
    reason = StringField("标记原因", validators=[DataRequired("请写明标记原因"), Length(max=500)])


class CloseFlagForm(PortalForm):
    """Lifting a flag."""

    note = StringField("解除说明", validators=[Optional(), Length(max=500)])
