"""Forms of 每日一学: writing an article, the study plan, and "我已读完"."""

from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.core.forms import CheckboxListField, CreatingForm, PortalForm
from portal.study.models.articles import MAX_READING_SECONDS, MIN_READING_SECONDS


class ArticleForm(CreatingForm):
    """Write or edit an article; 预览 re-renders the page with the sanitised result, saving nothing."""

    title = StringField("标题", validators=[DataRequired("请填写标题"), Length(max=120)])
    organisation_id = SelectField("发布组织", coerce=int)
    published_on = DateField("日期", validators=[DataRequired("请填写日期")])
    reading_seconds = IntegerField(
        "最短阅读时间（秒）", default=90,
        validators=[DataRequired("请填写最短阅读时间"),
                    NumberRange(MIN_READING_SECONDS, MAX_READING_SECONDS,
                                f"应在 {MIN_READING_SECONDS} 到 {MAX_READING_SECONDS} 秒之间")])
    tags = StringField("标签", validators=[Optional(), Length(max=200)])
    source = StringField("出处", validators=[Optional(), Length(max=200)])
    body = TextAreaField("正文（Markdown）", validators=[DataRequired("请填写正文"), Length(max=50_000)])
    preview = SubmitField("预览")
    save = SubmitField("保存")


class AssignmentForm(CreatingForm):
    """Put an article on the plan for a day and some branches (or the whole committee)."""

    # The service checks the article and the organisations (and says why in Chinese), so the
    # fields do not refuse values outside their choices on their own.
    article_id = SelectField("文章", coerce=int, validate_choice=False, validators=[DataRequired("请选择文章")])
    day = DateField("学习日期", validators=[DataRequired("请选择学习日期")])
    organisation_ids = CheckboxListField("安排给", coerce=int, validate_choice=False)


class ReadForm(PortalForm):
    """"我已读完": carries the visit token of the page it was served on."""

    token = HiddenField(validators=[Optional(), Length(max=200)])
