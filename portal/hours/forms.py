"""Hour-entry forms; every value refused with a field-level message in both languages."""
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal.imports.values import Refused
from portal.platform.forms import DateInput, FilterForm, Form, PageField, clean_text, no_markup, options
from portal.platform.i18n import localized
from portal.platform.timeutil import today_taipei
from portal.registry.catalog import FIELDS

from .models import EntryStatus
from .rules import Problem, check_day, half_hours_of, problem_of, whole_number

LAYOUTS = [("portal", _l("Portal template")), ("mohw", _l("MOHW 17-column template"))]
FILE_FORMATS = [("csv", _l("CSV (UTF-8)")), ("xlsx", _l("Excel (.xlsx)"))]
STATUS_FILTER = [(EntryStatus.ACTIVE, _l("Counted")), (EntryStatus.PENDING, _l("Claim pending")),
                 (EntryStatus.DECLINED, _l("Claim declined")), (EntryStatus.VOID, _l("Voided")), ("", _l("Any status"))]


# The form field that shows a rule's problem, by the problem's field.
PROBLEM_FIELDS = {"person": "q", "start_on": "start_on", "end_on": "end_on", "hours": "hours",
                  "field_code": "field_code"}


def field_options(codes=None):
    """The service fields (all, or these codes) as select choices."""
    return options((f.code, localized(f)) for f in FIELDS if codes is None or f.code in codes)


def attach(form, problems: list[Problem]):
    """Show the rules' problems on the form fields they are about (the start date otherwise)."""
    for problem in problems:
        field = getattr(form, PROBLEM_FIELDS.get(problem.field, "start_on"), None) or form.start_on
        field.errors = list(field.errors) + [problem.message]


def problem_label(form, problem: Problem) -> str:
    """The label of the field a problem is shown on."""
    return str(getattr(form, PROBLEM_FIELDS.get(problem.field, "start_on")).label.text)


def _raise(exc: Refused, field_name: str):
    raise ValidationError(problem_of(exc, field_name).message) from None


class EntryFields:
    """Dates, hours, field, content and persons served: shared by entry, claim and correction forms."""
    start_on = DateInput(_l("Service date"), validators=[InputRequired()],
                         description=_l("For example 114/03/05, 1140305 or 2025-03-05."))
    end_on = DateInput(_l("Until (for a date range)"), validators=[Optional()],
                       description=_l("Leave empty for a single day."))
    hours = StringField(_l("Hours"), filters=[clean_text], validators=[DataRequired()],
                        description=_l("In steps of 0.5, e.g. 3 or 2.5; at most 24 per day."),
                        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    field_code = SelectField(_l("Service field"), validators=[DataRequired()])
    content = StringField(_l("Service content"), filters=[clean_text], validators=[Optional(), Length(max=200),
                                                                                   no_markup])
    persons_served = StringField(_l("Persons served"), filters=[clean_text], validators=[Optional()],
                                 render_kw={"inputmode": "numeric", "autocomplete": "off"})

    def validate_start_on(self, field):
        if field.data:
            try:
                check_day(field.data, today_taipei())
            except Refused as exc:
                _raise(exc, "start_on")

    def validate_end_on(self, field):
        if field.data:
            try:
                check_day(field.data, today_taipei())
            except Refused as exc:
                _raise(exc, "end_on")
            if self.start_on.data and field.data < self.start_on.data:
                raise ValidationError(problem_of(Refused("end_before_start"), "end_on").message)

    def validate_hours(self, field):
        try:
            self.half_hours = half_hours_of(field.data)
        except Refused as exc:
            _raise(exc, "hours")

    def validate_persons_served(self, field):
        try:
            self.persons = whole_number(field.data)
        except Refused as exc:
            _raise(exc, "persons_served")

    @property
    def end_date(self):
        return self.end_on.data or self.start_on.data


class EntryForm(EntryFields, Form):
    q = StringField(_l("Volunteer"), filters=[clean_text], validators=[Optional(), Length(max=60)],
                    description=_l("Type a name or the first characters of the ID number, then pick the person."),
                    render_kw={"autocomplete": "off", "spellcheck": "false"})
    person_id = IntegerField(validators=[Optional()])
    submit = SubmitField(_l("Save entry"))


class ClaimForm(EntryFields, Form):
    unit_id = SelectField(_l("Unit"), validators=[DataRequired()])
    submit = SubmitField(_l("Submit claim"))


class CorrectionForm(EntryFields, Form):
    reason = StringField(_l("Reason for the correction"), filters=[clean_text],
                         validators=[DataRequired(), Length(max=300), no_markup])
    version = HiddenField()
    submit = SubmitField(_l("Save correction"))


class VoidForm(Form):
    reason = StringField(_l("Reason for voiding"), filters=[clean_text],
                         validators=[DataRequired(), Length(max=300), no_markup])
    version = HiddenField()
    submit = SubmitField(_l("Void this entry"))


class HoursFilter(FilterForm):
    q = StringField(_l("Search name or ID"), filters=[clean_text], validators=[Optional(), Length(max=60)])
    start = DateInput(_l("From"), validators=[Optional()])
    end = DateInput(_l("To"), validators=[Optional()])
    field = SelectField(_l("Service field"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=options(STATUS_FILTER), default=EntryStatus.ACTIVE,
                         validators=[Optional()])
    unit = SelectField(_l("Unit"), validators=[Optional()])
    page = PageField()


class ExportForm(HoursFilter):
    layout = SelectField(_l("Layout"), choices=options(LAYOUTS), default="portal")
    format = SelectField(_l("File type"), choices=options(FILE_FORMATS), default="csv")
    full_id = SelectField(_l("ID numbers"), default="",
                          choices=options([("", _l("Masked (A12345****)")),
                                           ("1", _l("Full ID numbers (the download is logged)"))]))
