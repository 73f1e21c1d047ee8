"""Question bank and daily-question forms; the service checks every rule, the forms only shape input."""

from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.core.forms import CheckboxListField, CreatingForm, PortalForm
from portal.study.models.questions import KIND_LABELS, OPTION_LETTERS, QuestionKind
from portal.study.services import bank

KIND_CHOICES = [SelectChoice(k.value, v) for k, v in KIND_LABELS.items()]
DIFFICULTY_CHOICES = [SelectChoice(k, f"{k} - {v}") for k, v in bank.DIFFICULTY_LABELS.items()]


class QuestionForm(CreatingForm):
    """Add or edit one question; which answer field counts depends on the kind."""

    organisation_id = SelectField("所属题库", coerce=int)
    kind = SelectField("题型", choices=KIND_CHOICES)
    stem = TextAreaField("题干", validators=[DataRequired("请填写题干"), Length(max=bank.MAX_STEM)])
    option_a = StringField("选项A", validators=[Optional(), Length(max=bank.MAX_OPTION)])
    option_b = StringField("选项B", validators=[Optional(), Length(max=bank.MAX_OPTION)])
    option_c = StringField("选项C", validators=[Optional(), Length(max=bank.MAX_OPTION)])
    option_d = StringField("选项D", validators=[Optional(), Length(max=bank.MAX_OPTION)])
    option_e = StringField("选项E", validators=[Optional(), Length(max=bank.MAX_OPTION)])
    option_f = StringField("选项F", validators=[Optional(), Length(max=bank.MAX_OPTION)])
    choice_answer = CheckboxListField("正确选项（单选题勾选一项，多选题勾选两项及以上）",
                                      choices=[SelectChoice(letter) for letter in OPTION_LETTERS])
    true_false_answer = RadioField("判断题答案", choices=[SelectChoice("T", "正确"), SelectChoice("F", "错误")],
                                   validators=[Optional()])
    fill_answer = StringField("填空题答案", validators=[Optional(), Length(max=1000)])
    explanation = TextAreaField("解析", validators=[Optional(), Length(max=bank.MAX_EXPLANATION)])
    difficulty = SelectField("难度", choices=DIFFICULTY_CHOICES, coerce=int, default=3)
    tags = StringField("标签", validators=[Optional(), Length(max=400)])

    OPTION_FIELDS = ("option_a", "option_b", "option_c", "option_d", "option_e", "option_f")

    def load(self, question):
        """Fill the answer fields from a stored question (GET of the edit page)."""
        for name, text in zip(self.OPTION_FIELDS, question.options, strict=False):
            getattr(self, name).data = text
        if question.kind in bank.CHOICE_KINDS:
            self.choice_answer.data = list(question.answer)
        elif question.kind == QuestionKind.TRUE_FALSE:
            self.true_false_answer.data = question.answer[0]
        else:
            self.fill_answer.data = "|".join("/".join(alts) for alts in question.answer)
        self.tags.data = "、".join(question.tag_names)

    def values(self):
        """The fields as the bank service takes them."""
        kind = self.kind.data
        if kind in bank.CHOICE_KINDS:
            answer = self.choice_answer.data or []
        elif kind == QuestionKind.TRUE_FALSE:
            answer = self.true_false_answer.data or ""
        else:
            answer = self.fill_answer.data or ""
        return dict(
            kind=kind, stem=self.stem.data, options=[getattr(self, n).data for n in self.OPTION_FIELDS],
            answer=answer, explanation=self.explanation.data, difficulty=self.difficulty.data,
            tags=self.tags.data or "",
        )


class ImportForm(PortalForm):
    """Upload a question sheet (.xlsx) into one organisation's bank."""

    organisation_id = SelectField("导入到", coerce=int)
    file = FileField("题库文件（.xlsx）", validators=[FileRequired("请选择要导入的文件")])


class PickForm(PortalForm):
    """Set a question as an organisation's daily question for a date."""

    organisation_id = SelectField("用于", coerce=int)
    day = DateField("日期", validators=[DataRequired("请选择日期")])
