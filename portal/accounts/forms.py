"""Forms of activation and recovery: shape only (an ID number's checksum, a date, a code's characters)."""
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from portal.auth.passwords import MAX_LENGTH
from portal.platform.forms import DateInput, Form, options
from portal.registry.identity import IdNumberError, classify

from .rules import Channel, normalise_code


def valid_id_number(form, field):
    try:
        field.data = classify(field.data, allow_passport=True)[1]
    except IdNumberError as error:
        raise ValidationError(_l("Check the ID number: it is not a valid number.") if error.reason == "checksum"
                              else _l("Enter an ID number such as A123456789, or a passport number.")) from None


def code_shape(form, field):
    if normalise_code(field.data) is None:
        raise ValidationError(_l("Enter the 6 digits you received, or the 8 letters and digits your unit "
                                 "printed."))


def channel_choices():
    return options([(Channel.EMAIL, _l("E-mail")), (Channel.SMS, _l("Text message (SMS)"))])


def _id_field():
    return StringField(_l("ID number"), validators=[DataRequired(), Length(max=20), valid_id_number],
                       description=_l("National ID, resident certificate or passport number, as your unit registered it."),
                       render_kw={"autocomplete": "username", "autocapitalize": "characters", "spellcheck": "false"})


def _code_field(description):
    return StringField(_l("One-time code"), validators=[DataRequired(), Length(max=20), code_shape], description=description,
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters",
                                  "spellcheck": "false"})


ANY_ACCOUNT = _l("At least 12 characters for staff accounts, 8 for volunteers. "
                 "A long phrase is easier to remember than symbols.")


def _new_password_fields(description=ANY_ACCOUNT):
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                        description=description, render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})
    return new, confirm


class ActivationRequestForm(Form):
    id_number = _id_field()
    birth_date = DateInput(_l("Date of birth"), validators=[DataRequired()],
                           description=_l("For example 49/05/17 (ROC year) or 1960-05-17."),
                           render_kw={"autocomplete": "bday", "inputmode": "numeric"})
    channel = RadioField(_l("Send the code by"), choices=channel_choices(), default=Channel.EMAIL)


class ActivationForm(Form):
    id_number = _id_field()
    code = _code_field(_l("The 6-digit code from the e-mail or text message, or the 8 characters your unit printed."))
    new, confirm = _new_password_fields(_l("At least 8 characters. A long phrase is easier to remember than "
                                           "symbols; not your name, birth date or ID number."))


class RecoveryRequestForm(Form):
    identifier = StringField(_l("Username or ID number"), validators=[DataRequired(), Length(max=64)],
                             render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    channel = RadioField(_l("Send the code by"), choices=channel_choices(), default=Channel.EMAIL)


class RecoveryCodeForm(Form):
    identifier = StringField(_l("Username or ID number"), validators=[DataRequired(), Length(max=64)],
                             render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    code = _code_field(_l("The 6-digit code from the e-mail or text message."))


class RecoveryPasswordForm(Form):
    new, confirm = _new_password_fields()
    totp = StringField(_l("Six-digit code from your authenticator app"), validators=[Length(max=12)],
                       description=_l("Your account signs in in two steps, so choosing a new password needs the "
                                      "code your authenticator app shows now as well."),
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"})


class PrintCodeForm(Form):
    """Only the CSRF token: printing a code is a change (a new code makes the older ones worthless)."""
