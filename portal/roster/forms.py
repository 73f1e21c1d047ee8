"""Roster forms; the fields a form does not list can never be set through it."""

from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.core.forms import CodeField, CreatingForm, PortalForm
from portal.roster.models import ORG_KIND_LABELS, PersonStatus, PoliticalStatus

GENDERS = [SelectChoice("男"), SelectChoice("女")]


class PersonForm(CreatingForm):
    """Add or edit one person."""

    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=40)])
    gender = SelectField("性别", choices=GENDERS)
    id_number = CodeField("身份证号", validators=[DataRequired("请填写身份证号"), Length(max=20)])
    phone = CodeField("手机号", validators=[DataRequired("请填写手机号"), Length(max=20)])
    employee_no = CodeField("工号", validators=[Optional(), Length(max=20)])
    unit_id = SelectField("单位", coerce=int)
    job_type = StringField("工种", validators=[Optional(), Length(max=40)])
    skill_level = StringField("技能等级", validators=[Optional(), Length(max=20)])
    political_status = SelectField("政治面貌", choices=[SelectChoice(s.value) for s in PoliticalStatus])
    joined_party_on = DateField("入党时间", validators=[Optional()])
    status = SelectField("状态", choices=[SelectChoice(s.value) for s in PersonStatus])


class OrganisationForm(CreatingForm):
    """Add an organisation to the tree."""

    name = StringField("名称", validators=[DataRequired("请填写名称"), Length(max=80)])
    kind = SelectField("类型", choices=[SelectChoice(k.value, v) for k, v in ORG_KIND_LABELS.items()])
    parent_id = SelectField("上级组织", coerce=int)
    sort_order = IntegerField("排序", default=0, validators=[Optional()])


class UnitForm(CreatingForm):
    """Add an administrative unit (队组/科室)."""

    name = StringField("单位名称", validators=[DataRequired("请填写单位名称"), Length(max=80)])
    branch_id = SelectField("所属党支部", coerce=int)


class OrganisationEditForm(PortalForm):
    """Rename an organisation or move it under another parent (the view drops the parent for the top one)."""

    name = StringField("名称", validators=[DataRequired("请填写名称"), Length(max=80)])
    parent_id = SelectField("上级组织", coerce=int)


class UnitEditForm(PortalForm):
    """Rename a unit or give it to another branch."""

    name = StringField("单位名称", validators=[DataRequired("请填写单位名称"), Length(max=80)])
    branch_id = SelectField("所属党支部", coerce=int)


class ImportForm(PortalForm):
    """Upload a roster sheet (.xlsx or .csv)."""

    file = FileField("花名册文件（.xlsx 或 .csv）", validators=[FileRequired("请选择要导入的文件")])
