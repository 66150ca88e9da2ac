"""Training forms: records, certificate files, verification, lost-certificate cases, list filters."""
import unicodedata
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.platform.filecheck import ACCEPT
from portal.platform.forms import DateInput, FilterForm, Form, PageField, clean_text, no_markup, options, single_line
from portal.platform.i18n import localized
from portal.platform.timeutil import today_taipei
from portal.registry.catalog import FIELDS

from .models import CaseStatus, TrainingKind, TrainingStatus

KIND_CHOICES = [(TrainingKind.BASIC, _l("Basic training")), (TrainingKind.SPECIAL, _l("Special training"))]
STATUS_CHOICES = [(TrainingStatus.PENDING, _l("Awaiting verification")), (TrainingStatus.VERIFIED, _l("Verified")),
                  (TrainingStatus.REJECTED, _l("Rejected"))]
CASE_STATUS_CHOICES = [(CaseStatus.FILED, _l("Waiting for a decision")), (CaseStatus.ACCEPTED, _l("Accepted")),
                       (CaseStatus.REFUSED, _l("Refused"))]
MISSING_CHOICES = [("any", _l("Basic or special training")), ("basic", _l("Basic training")),
                   ("special", _l("Special training for the field"))]
EARLIEST = date(1980, 1, 1)


def field_choices(blank_label=None):
    blank = [("", blank_label)] if blank_label else []
    return options(blank + [(f.code, localized(f)) for f in FIELDS])


def not_future(form, field):
    if field.data and field.data > today_taipei():
        raise ValidationError(_l("The date cannot be in the future."))
    if field.data and field.data < EARLIEST:
        raise ValidationError(_l("The date is too early; please check the year."))


def halfwidth(value):
    return unicodedata.normalize("NFKC", value) if isinstance(value, str) else value


class FilesField(MultipleFileField):
    """Several files at once; each is checked by portal.platform.uploads when the form is handled."""

    def __init__(self, label, **kwargs):
        kwargs.setdefault("render_kw", {"accept": ACCEPT, "multiple": True})
        super().__init__(label, **kwargs)

    @property
    def uploads(self):
        return [f for f in (self.data or []) if getattr(f, "filename", None)]


class RecordForm(Form):
    kind = SelectField(_l("Kind of training"), choices=options(KIND_CHOICES), default=TrainingKind.BASIC)
    field_code = SelectField(_l("Field of the special training"), validators=[Optional()],
                             description=_l("Only for special training."))
    course_name = StringField(_l("Course name"), filters=[clean_text],
                              validators=[single_line, DataRequired(), Length(max=120), no_markup])
    hours = DecimalField(_l("Hours"), places=1, filters=[halfwidth],
                         validators=[Optional(), NumberRange(min=0.5, max=500)])
    provider = StringField(_l("Training provider"), filters=[clean_text],
                           validators=[single_line, Optional(), Length(max=120), no_markup])
    completed_on = DateInput(_l("Completion date"), validators=[DataRequired(), not_future],
                             description=_l("For example 114/03/05 (ROC) or 2025-03-05."))
    effective_on = DateInput(_l("Effective date of the certificate"), validators=[Optional(), not_future],
                             description=_l("Hours count from this date. Leave empty if it is the completion date."))
    certificate_no = StringField(_l("Certificate number"), filters=[clean_text],
                                 validators=[single_line, Optional(), Length(max=60), no_markup])
    files = FilesField(_l("Certificate files"),
                       description=_l("PDF, JPEG or PNG, at most 5 MiB each. You can choose several files."))
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.field_code.choices = field_choices(_l("(not special training)"))

    def values(self) -> dict:
        return {"kind": self.kind.data, "field_code": self.field_code.data or None,
                "course_name": self.course_name.data, "hours": self.hours.data, "provider": self.provider.data,
                "completed_on": self.completed_on.data, "effective_on": self.effective_on.data,
                "certificate_no": self.certificate_no.data}


class OwnRecordForm(RecordForm):
    """A volunteer's own certificate, sent to one of their units for verification."""
    unit_id = SelectField(_l("Unit that should verify it"))


class FilesForm(Form):
    files = FilesField(_l("Certificate files"),
                       description=_l("PDF, JPEG or PNG, at most 5 MiB each. You can choose several files."))


class VersionForm(Form):
    version = HiddenField()


class RejectForm(Form):
    reason = TextAreaField(_l("Reason for rejecting"), filters=[clean_text],
                           validators=[DataRequired(), Length(max=300)],
                           description=_l("The unit and the volunteer see this reason."))
    version = HiddenField()


class CaseForm(Form):
    kind = SelectField(_l("Kind of training"), choices=options(KIND_CHOICES), default=TrainingKind.SPECIAL)
    field_code = SelectField(_l("Field of the special training"), validators=[Optional()])
    course_name = StringField(_l("Course name"), filters=[clean_text], validators=[single_line, Optional(), Length(max=120)])
    provider = StringField(_l("Training provider"), filters=[clean_text], validators=[single_line, Optional(), Length(max=120)])
    approx_completed_on = DateInput(_l("Approximate completion date"), validators=[Optional(), not_future])
    evidence = TextAreaField(_l("Evidence"), filters=[clean_text], validators=[DataRequired(), Length(max=2000)],
                             description=_l("For example a class roster, an attestation by the trainer, or a "
                                            "photo of the record book."))
    holds_record_book = BooleanField(_l("The volunteer holds a paper service record book"))
    record_book_no = StringField(_l("Record book number"), filters=[clean_text],
                                 validators=[single_line, Optional(), Length(max=30), no_markup])
    record_book_issued_on = DateInput(_l("Record book issue date"), validators=[Optional(), not_future])
    files = FilesField(_l("Supporting files"), description=_l("Optional. PDF, JPEG or PNG, at most 5 MiB each."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.field_code.choices = field_choices(_l("(not special training)"))

    def values(self) -> dict:
        return {"kind": self.kind.data, "field_code": self.field_code.data or None,
                "course_name": self.course_name.data, "provider": self.provider.data,
                "approx_completed_on": self.approx_completed_on.data, "evidence": self.evidence.data,
                "holds_record_book": bool(self.holds_record_book.data),
                "record_book_no": self.record_book_no.data, "record_book_issued_on": self.record_book_issued_on.data}


class DecideForm(Form):
    decision = RadioField(_l("Decision"), choices=options([("accept", _l("Accept: the training counts")),
                                                           ("refuse", _l("Refuse"))]),
                          validators=[DataRequired()])
    effective_on = DateInput(_l("Training counts from"), validators=[Optional()],
                             description=_l("Required when accepting. Hours in the field count from this date."))
    reason = TextAreaField(_l("Reason for refusing"), filters=[clean_text], validators=[Optional(), Length(max=300)])
    note = StringField(_l("Note on the decision"), filters=[clean_text], validators=[Optional(), Length(max=300)])
    version = HiddenField()


class RecordFilter(FilterForm):
    q = StringField(_l("Name or ID number"), filters=[clean_text], validators=[Optional(), Length(max=60)])
    unit = SelectField(_l("Unit"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()],
                         choices=options([("", _l("Any status"))] + STATUS_CHOICES))
    kind = SelectField(_l("Kind of training"), validators=[Optional()],
                       choices=options([("", _l("Any kind"))] + KIND_CHOICES))
    field = SelectField(_l("Field"), validators=[Optional()])
    page = PageField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.field.choices = field_choices(_l("Any field"))


class MissingFilter(FilterForm):
    q = StringField(_l("Name or ID number"), filters=[clean_text], validators=[Optional(), Length(max=60)])
    unit = SelectField(_l("Unit"), validators=[Optional()])
    field = SelectField(_l("Service field"), validators=[Optional()])
    missing = SelectField(_l("Missing"), choices=options(MISSING_CHOICES), default="any", validators=[Optional()])
    page = PageField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.field.choices = field_choices(_l("Any field"))


class CaseFilter(FilterForm):
    unit = SelectField(_l("Unit"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()],
                         choices=options([("", _l("Any status"))] + CASE_STATUS_CHOICES))
    page = PageField()
