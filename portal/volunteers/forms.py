"""Volunteer registry forms with field-level messages in both languages."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.platform.forms import DateInput, FilterForm, Form, PageField, clean_text, no_markup, options, single_line
from portal.platform.timeutil import today_taipei
from portal.registry.catalog import FIELDS
from portal.registry.identity import IdNumberError, classify
from portal.registry.models import MembershipStatus

ID_KINDS = [("taiwan", _l("National ID or resident certificate")), ("passport", _l("Passport"))]
SEX_CHOICES = [("", _l("Not given")), ("F", _l("Female")), ("M", _l("Male")), ("X", _l("Other"))]
STATUS_CHOICES = [(MembershipStatus.ACTIVE.value, _l("Serving")), (MembershipStatus.PAUSED.value, _l("Paused")),
                  (MembershipStatus.TRAINEE.value, _l("Trainee")), (MembershipStatus.LEFT.value, _l("Left"))]
FILTER_STATUSES = [("", _l("Any status"))] + STATUS_CHOICES
YES_NO = [("", _l("Any")), ("yes", _l("Yes")), ("no", _l("No"))]
PHOTO_FILTER = [("", _l("Any")), ("pending", _l("Waiting for acceptance"))]

_PHONE = re.compile(r"^[0-9+()#\- ]{6,30}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_LATIN = re.compile(r"^[A-Za-z][A-Za-z .,'\-]*$")


def field_choices(localize):
    return options((f.code, localize(f)) for f in FIELDS)


def id_message(reason: str):
    if reason == "checksum":
        return _l("The check digit does not match. Please compare each character with the ID card.")
    return _l("Use 1 letter and 9 digits, e.g. A123456789 (resident certificates: A800000014).")


def check_id_number(id_kind: str, text: str) -> str:
    """The normalised number, or ValidationError with the reason in the user's language."""
    try:
        return classify(text, allow_passport=(id_kind == "passport"))[1]
    except IdNumberError as exc:
        if id_kind == "passport":
            raise ValidationError(_l("A passport number has 5 to 20 letters or digits.")) from exc
        raise ValidationError(id_message(exc.reason)) from exc


class PersonForm(Form):
    name = StringField(_l("Name"), filters=[clean_text], validators=[single_line, DataRequired(), Length(max=60), no_markup])
    name_latin = StringField(
        _l("Name in Latin script"), filters=[clean_text], validators=[single_line, Optional(), Length(max=120)],
        description=_l("As in the passport, e.g. WANG, HSIAO-MING. Used on English certificates."))
    id_kind = SelectField(_l("Type of ID"), choices=options(ID_KINDS), default="taiwan")
    id_number = StringField(_l("ID number"), filters=[clean_text], validators=[single_line, DataRequired(), Length(max=30)],
                            render_kw={"autocomplete": "off", "spellcheck": "false"})
    sex = SelectField(_l("Sex"), choices=options(SEX_CHOICES), default="")
    birth_date = DateInput(_l("Date of birth"), validators=[Optional()],
                           description=_l("For example 76/04/05 (ROC) or 1987-04-05."))
    phone = StringField(_l("Phone"), filters=[clean_text], validators=[single_line, Optional(), Length(max=30)],
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    email = StringField(_l("E-mail"), filters=[clean_text], validators=[Optional(), Length(max=254)],
                        render_kw={"autocomplete": "email", "inputmode": "email"})
    address = StringField(_l("Address"), filters=[clean_text], validators=[single_line, Optional(), Length(max=200)])
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    def validate_id_number(self, field):
        field.data = check_id_number(self.id_kind.data, field.data)

    def validate_name_latin(self, field):
        if field.data and not _LATIN.match(field.data):
            raise ValidationError(_l("Use Latin letters only, as printed in the passport."))

    def validate_birth_date(self, field):
        if field.data and field.data > today_taipei():
            raise ValidationError(_l("The date of birth cannot be in the future."))
        if field.data and field.data.year < 1900:
            raise ValidationError(_l("Please check the year of birth."))

    def validate_phone(self, field):
        if field.data and not _PHONE.match(field.data):
            raise ValidationError(_l("Use digits, spaces, +, - or parentheses, e.g. 0912-345-678."))

    def validate_email(self, field):
        if field.data and not _EMAIL.match(field.data):
            raise ValidationError(_l("Enter an e-mail address such as name@example.org."))


class MembershipFields:
    """Membership fields shared by the new-volunteer form and the add-membership form."""
    field_code = SelectField(_l("Service field"), validators=[DataRequired()])
    joined_on = DateInput(_l("Joined on"), validators=[DataRequired()])
    status = SelectField(_l("Status"), choices=options(STATUS_CHOICES[:3]), default=MembershipStatus.ACTIVE.value)

    def validate_joined_on(self, field):
        if field.data and field.data > today_taipei():
            raise ValidationError(_l("The joining date cannot be in the future."))
        if field.data and field.data.year < 2001:
            raise ValidationError(_l("Records start with the Volunteer Service Act in 2001."))


class NewVolunteerForm(MembershipFields, PersonForm):
    pass


class MembershipForm(MembershipFields, Form):
    submit = SubmitField(_l("Add to my unit"))


class EndMembershipForm(Form):
    left_on = DateInput(_l("Left on"), validators=[DataRequired()])
    version = HiddenField()
    submit = SubmitField(_l("End membership"))

    def validate_left_on(self, field):
        if field.data and field.data > today_taipei():
            raise ValidationError(_l("The leaving date cannot be in the future."))


class RosterFilter(FilterForm):
    q = StringField(_l("Search name or ID"), filters=[clean_text], validators=[Optional(), Length(max=60)])
    unit = SelectField(_l("Unit"), coerce=str, validators=[Optional()])
    field = SelectField(_l("Service field"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=options(FILTER_STATUSES), validators=[Optional()])
    training = SelectField(_l("Training complete?"), choices=options(YES_NO), validators=[Optional()])
    book = SelectField(_l("Record book?"), choices=options(YES_NO), validators=[Optional()])
    insured = SelectField(_l("Insured today?"), choices=options(YES_NO), validators=[Optional()])
    photo = SelectField(_l("ID photo"), choices=options(PHOTO_FILTER), validators=[Optional()])
    page = PageField()


class ContactForm(Form):
    """What volunteers may change themselves: contact details and the Latin-script name."""
    name_latin = PersonForm.name_latin
    phone = PersonForm.phone
    email = PersonForm.email
    address = PersonForm.address
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    validate_name_latin = PersonForm.validate_name_latin
    validate_phone = PersonForm.validate_phone
    validate_email = PersonForm.validate_email


class PhotoForm(Form):
    photo = FileField(_l("ID photo (JPEG or PNG)"),
                      description=_l("A recent colour photo of your face, like a passport photo. It is cropped "
                                     "to the 1-inch shape (2.5 × 3.5 cm)."),
                      render_kw={"accept": ".jpg,.jpeg,.png,image/jpeg,image/png"})
    submit = SubmitField(_l("Upload the photo"))


class PhotoReviewForm(Form):
    note = StringField(_l("Why the photo is refused"), filters=[clean_text],
                       validators=[Optional(), Length(max=200), no_markup])
    version = HiddenField()
