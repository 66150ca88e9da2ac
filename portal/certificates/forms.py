"""Forms for requests, the unit's decisions, revocation, the register filter and the verification code."""
import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.documents.models import DOCUMENT_STATUSES, DocumentStatus
from portal.platform.forms import FilterForm, Form, PageField, clean_text, no_markup, options, single_line

from .documents import PURPOSE_LABELS
from .models import PURPOSES, RequestStatus

STATUS_LABELS = {DocumentStatus.VALID: _l("Valid"), DocumentStatus.REVOKED: _l("Revoked"),
                 DocumentStatus.SUPERSEDED: _l("Superseded")}
REQUEST_STATUS_LABELS = {RequestStatus.REQUESTED: _l("Requested"),
                         RequestStatus.PREPARED: _l("Prepared, awaiting countersignature"),
                         RequestStatus.ISSUED: _l("Issued"), RequestStatus.DECLINED: _l("Declined"),
                         RequestStatus.WITHDRAWN: _l("Withdrawn")}


def latin_name(form, field):
    """Latin letters (diacritics allowed, as in a passport's visual zone), spaces, hyphens, apostrophes."""
    for ch in field.data or "":
        if ch in " .,'-’":
            continue
        if not (ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN")):
            raise ValidationError(_l("Use Latin letters as printed in the passport, e.g. WANG, HSIAO-MING."))


class ActionForm(Form):
    """A button that changes a record: CSRF token and the record's version."""
    version = HiddenField()


class RequestForm(Form):
    unit = SelectField(_l("Unit that issues the document"), validators=[DataRequired()])
    purpose = SelectField(_l("Purpose"),
                          choices=options([("", _l("Choose the purpose"))] + list(PURPOSE_LABELS.items())),
                          validators=[Optional()])
    purpose_note = StringField(_l("Details of the purpose"), filters=[clean_text],
                               validators=[single_line, Optional(), Length(max=200), no_markup],
                               description=_l("For example the programme, school or country."))
    name_latin = StringField(_l("Name in Latin script"), filters=[clean_text],
                             validators=[single_line, Optional(), Length(max=120), latin_name],
                             description=_l("As in the passport, e.g. WANG, HSIAO-MING. Printed on English documents."))
    submit = SubmitField(_l("Send the request"))
    english = False  # set per request: purpose and Latin name are asked for English documents only

    def validate_purpose(self, field):
        if self.english and field.data not in PURPOSES:
            raise ValidationError(_l("Please choose the purpose."))

    def validate_name_latin(self, field):
        if self.english and not field.data:
            raise ValidationError(_l("English documents print this name. Please enter it as in the passport."))


class DeclineForm(ActionForm):
    reason = TextAreaField(_l("Reason"), filters=[clean_text], validators=[DataRequired(), Length(max=300), no_markup])
    submit = SubmitField(_l("Decline"))


class RevokeForm(ActionForm):
    reason = TextAreaField(_l("Reason for the revocation"), filters=[clean_text],
                           validators=[DataRequired(), Length(max=300), no_markup],
                           description=_l("Kept in the register; the public page only says that the document "
                                          "was revoked."))
    submit = SubmitField(_l("Revoke the document"))


class UnitEnglishNameForm(Form):
    name_en = StringField(_l("English name of the unit"), filters=[clean_text],
                          validators=[single_line, DataRequired(), Length(max=200), no_markup])
    submit = SubmitField(_l("Save the English name"))


class RegisterFilter(FilterForm):
    q = StringField(_l("Search name or code"), filters=[clean_text], validators=[Optional(), Length(max=60)])
    kind = SelectField(_l("Document"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=options([("", _l("Any status"))] + [(s, STATUS_LABELS[s])
                                                                                     for s in DOCUMENT_STATUSES]),
                         validators=[Optional()])
    page = PageField()


class VerifyForm(Form):
    class Meta:
        csrf = False

    code = StringField(_l("Verification code"), filters=[clean_text], validators=[DataRequired(), Length(max=40)],
                       description=_l("The code printed next to the QR code, e.g. 7K3QD-M9XRT."),
                       render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"})
    submit = SubmitField(_l("Check"))
