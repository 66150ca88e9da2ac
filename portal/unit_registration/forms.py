"""The application form (anonymous) and the authority's decision forms."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from portal.platform.forms import Form, clean_text, no_markup, options, single_line
from portal.registry.catalog import COUNTIES, FIELDS
from portal.registry.labels import SECTOR_LABELS
from portal.registry.models import SECTORS

from .rules import RETURN_REASON_MAX

# The shapes the volunteer form accepts too (portal/volunteers/forms.py).
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
PHONE = re.compile(r"^[0-9+()#\- ]{6,30}$")


class CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ApplyForm(Form):
    name = StringField(_l("Name of the unit (Chinese)"), filters=[clean_text],
                       validators=[single_line, DataRequired(), Length(max=120), no_markup],
                       description=_l("As registered, e.g. 臺北市萬華社區服務協會."))
    name_en = StringField(_l("Name of the unit (English)"), filters=[clean_text],
                          validators=[single_line, Optional(), Length(max=200), no_markup],
                          description=_l("Printed on English certificates; leave empty if the unit has none yet."))
    county = SelectField(_l("County or city"), validators=[DataRequired()])
    field_code = SelectField(_l("Main service field"), validators=[DataRequired()])
    further_fields = CheckboxList(_l("Further service fields"), validators=[Optional()],
                                  description=_l("Tick any other fields the unit serves in."))
    sector = RadioField(_l("Sector"), choices=options((s, SECTOR_LABELS[s]) for s in SECTORS),
                        validators=[DataRequired()])
    contact_name = StringField(_l("Contact person"), filters=[clean_text],
                               validators=[single_line, DataRequired(), Length(max=60), no_markup],
                               description=_l("Usually the volunteer supervisor: the unit's first account is made "
                                              "for this person."),
                               render_kw={"autocomplete": "name"})
    contact_email = StringField(_l("Contact e-mail"), filters=[clean_text],
                                validators=[DataRequired(), Length(max=254)],
                                description=_l("The decision is sent here."),
                                render_kw={"autocomplete": "email", "inputmode": "email"})
    contact_phone = StringField(_l("Contact phone"), filters=[clean_text], validators=[single_line, DataRequired(), Length(max=30)],
                                render_kw={"autocomplete": "tel", "inputmode": "tel"})
    plan = FileField(_l("Volunteer service plan (PDF)"),
                     validators=[FileRequired(message=_l("Attach the volunteer service plan as a PDF file."))],
                     description=_l("The plan the Volunteer Service Act asks for before volunteers serve: one PDF "
                                    "file of at most 5 MiB."),
                     render_kw={"accept": ".pdf,application/pdf"})

    def set_choices(self, localize):
        self.county.choices = options([("", "—")] + [(c.code, localize(c)) for c in COUNTIES])
        self.field_code.choices = options([("", "—")] + [(f.code, localize(f)) for f in FIELDS])
        self.further_fields.choices = options((f.code, localize(f)) for f in FIELDS)

    def validate_contact_email(self, field):
        if field.data and not EMAIL.match(field.data):
            raise ValidationError(_l("Enter an e-mail address such as name@example.org."))

    def validate_contact_phone(self, field):
        if field.data and not PHONE.match(field.data):
            raise ValidationError(_l("Use digits, spaces, +, - or parentheses, e.g. 0912-345-678."))


class ApproveForm(Form):
    version = HiddenField()
    unit_code = StringField(_l("Unit code"), filters=[clean_text, lambda v: v.upper() if v else v],
                            validators=[single_line, Optional(), Length(max=20),
                                        Regexp(r"^[A-Z0-9-]+$", message=_l("Use letters, digits and dashes."))],
                            description=_l("Leave empty for the next number of your county, e.g. TPE-115-0001."))
    username = StringField(_l("Username of the first supervisor"), filters=[clean_text, lambda v: v.lower() if v else v],
                           validators=[single_line, Optional(), Length(min=3, max=64),
                                       Regexp(r"^[a-z0-9._-]+$", message=_l("Use lower-case letters, digits, dots, "
                                                                            "dashes or underscores."))],
                           description=_l("Leave empty for the unit code followed by .supervisor."),
                           render_kw={"autocomplete": "off"})


class ReturnForm(Form):
    version = HiddenField()
    reason = TextAreaField(_l("Reason for returning"), filters=[clean_text],
                           validators=[DataRequired(), Length(max=RETURN_REASON_MAX)],
                           description=_l("The applicant receives this reason by e-mail and can apply again."))
