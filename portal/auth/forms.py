"""Sign-in and password forms."""
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.platform.forms import Form, clean_text, no_markup


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


class PasskeyResponseForm(Form):
    """What the browser's passkey answered (JSON, filled in by static/js/passkeys.js)."""
    credential = HiddenField(validators=[Length(max=20000)])
    next = HiddenField(validators=[Length(max=500)])


class PasskeyNameForm(PasskeyResponseForm):
    name = StringField(_l("Name of the passkey"), validators=[DataRequired(), Length(max=60), no_markup],
                       filters=[clean_text],
                       description=_l("So that you can tell your passkeys apart, for example “my phone” or "
                                      "“office security key”."),
                       render_kw={"autocomplete": "off", "maxlength": 60})


class PasskeyAddForm(PasskeyNameForm):
    # A stolen session alone must not add a way into the account.
    password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=128)],
                             render_kw={"autocomplete": "current-password"})
