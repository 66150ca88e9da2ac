"""Honor-card forms: eligibility filters, application, review decisions, card actions, venues, import."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.platform.forms import DateInput, FilterForm, Form, PageField, clean_text, no_markup, options, single_line
from portal.registry.catalog import COUNTIES, FIELDS

from .models import CARD_FORM_LABELS, DISCOUNT_LABELS, ApplicationStatus, CardForm, Discount

WITHIN_CHOICES = [("0", _l("Eligible now")), ("3", _l("Now or within 3 months")),
                  ("6", _l("Now or within 6 months")), ("12", _l("Now or within 12 months")),
                  ("all", _l("Everyone, with what is missing"))]
REVIEW_STATUS_CHOICES = [(ApplicationStatus.SUBMITTED, _l("Waiting for the county")),
                         (ApplicationStatus.APPROVED, _l("Approved")),
                         (ApplicationStatus.RETURNED, _l("Returned by the county")),
                         (ApplicationStatus.CANCELLED, _l("Cancelled by the unit")), ("", _l("Any status"))]
ENCODINGS = [("", _l("Detect automatically (UTF-8 or Big5)")), ("utf-8", _l("UTF-8")),
             ("cp950", _l("Big5 / CP950 (older Excel files)"))]


def county_choices(localize, blank_label=None):
    blank = [("", blank_label)] if blank_label is not None else []
    return options(blank + [(c.code, localize(c)) for c in COUNTIES])


def field_choices(localize, blank_label):
    return options([("", blank_label)] + [(f.code, localize(f)) for f in FIELDS])


class EligibilityFilter(FilterForm):
    unit = SelectField(_l("Unit"), validators=[Optional()])
    within = SelectField(_l("Show"), choices=options(WITHIN_CHOICES), default="3", validators=[Optional()])
    q = StringField(_l("Name"), filters=[clean_text], validators=[Optional(), Length(max=60)])
    page = PageField()


class ApplyForm(Form):
    """The application for the selected volunteers (person ids come as repeated `person_id` values)."""
    letter = FileField(
        _l("Official letter (公文), PDF, optional"),
        validators=[Optional(), FileAllowed(["pdf"], _l("The official letter must be a PDF file."))],
        description=_l("If your county asks for an official letter with the roster, attach it here. It goes with "
                       "every application sent now."),
        render_kw={"accept": ".pdf,application/pdf"})
    note = StringField(_l("Note to the county (optional)"), filters=[clean_text],
                       validators=[Optional(), Length(max=300), no_markup])


class VersionForm(Form):
    version = HiddenField()


class ReturnForm(Form):
    version = HiddenField()
    reason = TextAreaField(_l("Reason for returning"), filters=[clean_text],
                           validators=[DataRequired(), Length(max=300)],
                           description=_l("The unit sees this reason and can apply again once it is fixed."))


class ReviewFilter(FilterForm):
    unit = SelectField(_l("Unit"), validators=[Optional()])
    field = SelectField(_l("Service field of the unit"), validators=[Optional()])
    applied_from = DateInput(_l("Applied from"), validators=[Optional()])
    applied_to = DateInput(_l("Applied until"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=options(REVIEW_STATUS_CHOICES), default=ApplicationStatus.SUBMITTED,
                         validators=[Optional()])
    page = PageField()


class BulkDecisionForm(Form):
    """Approve or return the ticked applications (ids come as repeated `application_id` values)."""
    reason = TextAreaField(_l("Reason for returning (only when returning)"), filters=[clean_text],
                           validators=[Optional(), Length(max=300)])


class CancelCardForm(Form):
    version = HiddenField()
    reason = TextAreaField(_l("Reason for cancelling the card"), filters=[clean_text],
                           validators=[DataRequired(), Length(max=300)],
                           description=_l("The card and its verification page stop being valid at once."))


class VenueFilter(FilterForm):
    q = StringField(_l("Search"), filters=[clean_text], validators=[Optional(), Length(max=60)],
                    description=_l("Name, address or conditions"))
    county = SelectField(_l("County or city"), validators=[Optional()])
    card_form = SelectField(_l("Card form"), validators=[Optional()],
                            choices=options([("", _l("Any card form")), (CardForm.PAPER, _l("Accepts the paper card")),
                                             (CardForm.ELECTRONIC, _l("Accepts the electronic card"))]))
    page = PageField()


class VenueForm(Form):
    name = StringField(_l("Name of the venue"), filters=[clean_text],
                       validators=[single_line, DataRequired(), Length(max=120), no_markup])
    name_en = StringField(_l("English name"), filters=[clean_text], validators=[single_line, Optional(), Length(max=200), no_markup])
    county_code = SelectField(_l("County or city"), validators=[DataRequired()])
    address = StringField(_l("Address"), filters=[clean_text], validators=[single_line, Optional(), Length(max=200), no_markup])
    discount = SelectField(_l("Discount"), choices=options((d, DISCOUNT_LABELS[d]) for d in Discount),
                           default=Discount.FREE)
    discount_note = StringField(_l("Discount in detail"), filters=[clean_text],
                                validators=[Optional(), Length(max=200), no_markup],
                                description=_l("For example: free entry for the card holder and one companion."))
    conditions = TextAreaField(_l("Conditions"), filters=[clean_text], validators=[Optional(), Length(max=2000)],
                               description=_l("Opening days, what to show at the entrance, exclusions."))
    card_forms = SelectField(_l("Accepted card forms"), choices=options((f, CARD_FORM_LABELS[f]) for f in CardForm),
                             default=CardForm.BOTH,
                             description=_l("Some venues accept only the paper card; volunteers then print their "
                                            "e-card at card size."))
    website = StringField(_l("Website"), filters=[clean_text], validators=[Optional(), Length(max=300)])
    active = BooleanField(_l("Listed (untick to withdraw the venue from the list)"), default=True)
    version = HiddenField()

    def validate_website(self, field):
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError(_l("Enter an address starting with https://"))


class ImportForm(Form):
    file = FileField(_l("File"), validators=[
        FileRequired(_l("Choose a file to upload.")),
        FileAllowed(["xlsx", "xls", "csv"], _l("Upload an .xlsx, .xls or .csv file."))],
        description=_l("Excel (.xlsx, .xls) or CSV with the columns of the template."))
    encoding = SelectField(_l("Text encoding (CSV only)"), choices=options(ENCODINGS), default="",
                           validators=[Optional()])
