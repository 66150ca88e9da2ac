"""Sign-in and password forms."""
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.platform.forms import Form


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=128)],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)],
                        description=_l("At least 12 characters for staff accounts, 8 for volunteers. "
                                       "A long phrase is easier to remember than symbols."),
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Change password"))


class CodeForm(Form):
    code = StringField(_l("Six-digit code"), validators=[DataRequired(), Length(max=12)],
                       description=_l("The code your authenticator app shows now for this portal."),
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autocapitalize": "none",
                                  "spellcheck": "false"})
    submit = SubmitField(_l("Continue"))
