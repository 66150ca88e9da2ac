"""Record-book forms: requests (one or many), bulk issuance, declining, cancelling, list filters."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.platform.forms import FilterForm, Form, PageField, clean_text, no_markup, options

from .models import FIRST, REISSUE, RENEWAL

REQUEST_KINDS = [(FIRST, _l("First issue (初次)")), (RENEWAL, _l("Renewal (換發)")), (REISSUE, _l("Reissue (補發)"))]


class RequestForm(Form):
    people = SelectMultipleField(_l("Volunteers"), coerce=str, validate_choice=False)
    kind = SelectField(_l("Kind of request"), choices=options(REQUEST_KINDS), default=FIRST)
    reason = StringField(_l("Reason (for a renewal or reissue)"), filters=[clean_text],
                         validators=[Optional(), Length(max=200), no_markup])
    next = HiddenField()


class IssueForm(Form):
    requests = SelectMultipleField(_l("Requests"), coerce=str, validate_choice=False)
    all_waiting = BooleanField(_l("Issue every waiting request"))
    unit = HiddenField()


class DeclineForm(Form):
    reason = StringField(_l("Reason"), filters=[clean_text], validators=[DataRequired(), Length(max=200), no_markup])


class CancelForm(Form):
    reason = StringField(_l("Reason for the cancellation"), filters=[clean_text],
                         validators=[DataRequired(), Length(max=200), no_markup])
    version = HiddenField()


class ListFilter(FilterForm):
    unit = SelectField(_l("Unit"), coerce=str, validators=[Optional()])
    county = StringField(_l("County"), validators=[Optional(), Length(max=10)])
    incomplete = BooleanField(_l("Only incomplete records"))
    page = PageField()
