"""Insurance forms: a policy, enrolling members, ending cover, insurer age caps, list filters, the insurer's roster."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.imports.forms import ENCODINGS
from portal.platform.forms import DateInput, FilterForm, Form, clean_text, no_markup, options, single_line


class PolicyForm(Form):
    insurer_code = SelectField(_l("Insurer"), validators=[DataRequired()])
    policy_no = StringField(_l("Policy number"), filters=[clean_text],
                            validators=[single_line, DataRequired(), Length(max=40), no_markup])
    starts_on = DateInput(_l("Cover starts on"), validators=[DataRequired()])
    ends_on = DateInput(_l("Cover ends on"), validators=[DataRequired()])
    cover_note = StringField(_l("Cover (death/disability, medical, burns)"), filters=[clean_text],
                             validators=[Optional(), Length(max=300), no_markup],
                             description=_l("For example: death and disability NT$1,000,000; accident medical "
                                            "NT$30,000 per incident."))

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end of cover cannot be before its start."))
        if field.data and self.starts_on.data and (field.data - self.starts_on.data).days > 3 * 366:
            raise ValidationError(_l("A policy period longer than three years is not accepted; please check the dates."))


class EnrolForm(Form):
    members = SelectMultipleField(_l("Volunteers to enrol"), coerce=str, validate_choice=False)
    starts_on = DateInput(_l("Cover starts on"), validators=[DataRequired()])


class EndCoverForm(Form):
    ends_on = DateInput(_l("Cover ends on"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), filters=[clean_text], validators=[DataRequired(), Length(max=200), no_markup])
    version = HiddenField()


class InsurerForm(Form):
    code = StringField(_l("Code"), filters=[clean_text],
                       validators=[single_line, DataRequired(), Length(max=20),
                                   Regexp(r"^[a-z][a-z0-9_]*$", message=_l("Use lower-case letters, digits and _."))])
    name = StringField(_l("Name"), filters=[clean_text], validators=[single_line, DataRequired(), Length(max=60), no_markup])
    name_en = StringField(_l("English name"), filters=[clean_text], validators=[single_line, Optional(), Length(max=120), no_markup])
    max_age = IntegerField(_l("Age cap"), validators=[Optional(), NumberRange(min=18, max=120)],
                           description=_l("Volunteers at or above this age cannot be enrolled. Leave empty for no cap."))


class UninsuredFilter(FilterForm):
    """The list of hours on days without cover: one year (this year by default), one unit or all of the user's."""
    year = SelectField(_l("Year"), validators=[Optional()])
    unit = SelectField(_l("Unit"), validators=[Optional()])


class CandidateFilter(FilterForm):
    """The enrolment screen's volunteers: by unit, by name, and only those at or above the unit insurer's cap."""
    unit = SelectField(_l("Unit"), validators=[Optional()])
    q = StringField(_l("Name"), filters=[clean_text], validators=[Optional(), Length(max=60)])
    over = SelectField(_l("Volunteers"), validators=[Optional()])


class RosterUploadForm(Form):
    file = FileField(_l("File"), validators=[
        FileRequired(_l("Choose a file to upload.")),
        FileAllowed(["xlsx", "xls", "csv"], _l("Upload an .xlsx, .xls or .csv file."))],
        description=_l("The insurer's list of insured volunteers: Excel (.xlsx, .xls) or CSV."))
    encoding = SelectField(_l("Text encoding (CSV only)"), choices=options(ENCODINGS), default="",
                           validators=[Optional()])
