"""Account forms; labels and messages in Chinese."""

from wtforms import IntegerField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.core.forms import CodeField, CreatingForm, PortalForm
from portal.core.permissions import ROLE_LABELS


class LoginForm(PortalForm):
    """Log in by phone number, employee number or login name."""

    identifier = CodeField("手机号 / 工号", validators=[DataRequired("请输入手机号或工号"), Length(max=40)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=256)])


class ChangePasswordForm(PortalForm):
    """Change one's own password."""

    current_password = PasswordField("当前密码", validators=[DataRequired("请输入当前密码")])
    new_password = PasswordField("新密码", validators=[DataRequired("请输入新密码")])
    confirm_password = PasswordField("再次输入新密码", validators=[DataRequired("请再次输入新密码")])


class CreateAccountForm(CreatingForm):
    """Open an account for a person on the roster (or a named service account)."""

    person_id = IntegerField("人员编号", validators=[Optional()])
    login_name = CodeField("登录名（无花名册人员时填写）", validators=[Optional(), Length(max=40)])
    display_name = StringField("显示名称", validators=[Optional(), Length(max=40)])


class GrantRoleForm(CreatingForm):
    """Grant a role on an organisation."""

    role = SelectField("角色", choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()])
    organisation_id = SelectField("组织", coerce=int, validate_choice=True)


class UserFilterForm(PortalForm):
    """Search accounts (GET, no CSRF)."""

    class Meta(PortalForm.Meta):
        """A read-only filter: no CSRF token needed."""

        csrf = False

    q = StringField("姓名或登录名", validators=[Optional(), Length(max=40)])
