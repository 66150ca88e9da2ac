"""Forms of resolution tracking (the shape of the input; the rules decide the rest)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select
from wtforms import HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.platform.extensions import db
from portal.platform.forms import DateInput, FilterForm, Form, clean_text, no_markup, options, single_line
from portal.platform.i18n import localized
from portal.platform.timeutil import today_taipei
from portal.registry.models import Authority, AuthorityKind

from .models import OUTCOME_LABELS, STATUS_LABELS, Status
from .rules import EARLIEST_ROC_YEAR, LATEST_ROC_YEAR

TEXT_MAX = 4000


def not_future(form, field):
    if field.data and field.data > today_taipei():
        raise ValidationError(_l("The date cannot be in the future."))


class MeetingForm(Form):
    roc_year = IntegerField(_l("ROC year"), validators=[DataRequired(), NumberRange(EARLIEST_ROC_YEAR, LATEST_ROC_YEAR)],
                            description=_l("The year numbers the meeting's resolutions, for example 113 for 113-1."))
    held_on = DateInput(_l("Date"), validators=[Optional()],
                        description=_l("For example 113/09/10 (ROC) or 2024-09-10. Leave empty when not known."))
    place = StringField(_l("Place"), filters=[clean_text], validators=[single_line, Optional(), Length(max=200), no_markup])
    chair = StringField(_l("Chair"), filters=[clean_text], validators=[single_line, Optional(), Length(max=100), no_markup])
    host = StringField(_l("Organised by"), filters=[clean_text], validators=[single_line, Optional(), Length(max=120), no_markup],
                       description=_l("The authority that ran the meeting that year, for example 雲林縣政府."))
    version = HiddenField()

    def values(self) -> dict:
        return {"roc_year": self.roc_year.data, "held_on": self.held_on.data, "place": self.place.data or "",
                "chair": self.chair.data or "", "host": self.host.data or ""}


# Bodies a national meeting gives work to: the ministry, the counties and the central sector authorities,
# then local sector authorities (created as units need them).
KIND_ORDER = case({AuthorityKind.MINISTRY: 0, AuthorityKind.COUNTY: 1, AuthorityKind.SECTOR_CENTRAL: 2},
                  value=Authority.kind, else_=3)


def body_choices():
    rows = db.session.scalars(select(Authority).order_by(KIND_ORDER, Authority.county_code, Authority.field_code,
                                                         Authority.id))
    return options([(str(a.id), localized(a)) for a in rows])


class ResolutionForm(Form):
    seq = IntegerField(_l("Number at the meeting"), validators=[DataRequired(), NumberRange(1, 999)],
                       description=_l("The n of 113-n."))
    subject = TextAreaField(_l("Subject"), filters=[clean_text], validators=[DataRequired(), Length(max=TEXT_MAX)])
    decision = TextAreaField(_l("Decision taken"), filters=[clean_text], validators=[DataRequired(), Length(max=TEXT_MAX)])
    bodies = SelectMultipleField(_l("Responsible bodies"), coerce=str, validators=[DataRequired()],
                                 description=_l("Their accounts report progress on the item."))
    version = HiddenField()

    def values(self) -> dict:
        return {"seq": self.seq.data, "subject": self.subject.data, "decision": self.decision.data}


class ProgressForm(Form):
    reported_on = DateInput(_l("Progress as of"), validators=[DataRequired(), not_future],
                            description=_l("For example 113/08/30 (ROC) or 2024-08-30."))
    text = TextAreaField(_l("Progress"), filters=[clean_text], validators=[DataRequired(), Length(max=TEXT_MAX)])


class ReviewForm(Form):
    meeting = SelectField(_l("At the meeting of"), validators=[DataRequired()])
    outcome = RadioField(_l("Assessment"), choices=options(list(OUTCOME_LABELS.items())), validators=[DataRequired()])
    note = StringField(_l("Note"), filters=[clean_text], validators=[Optional(), Length(max=500)])
    version = HiddenField()


class WithdrawForm(Form):
    reason = TextAreaField(_l("Reason for withdrawing"), filters=[clean_text],
                           validators=[DataRequired(), Length(max=300)])
    version = HiddenField()


class ItemFilter(FilterForm):
    status = SelectField(_l("Status"), validators=[Optional()], default=Status.OPEN,
                         choices=options([("", _l("Any status"))] + list(STATUS_LABELS.items())))
    body = SelectField(_l("Responsible body"), validators=[Optional()],
                       choices=options([("", _l("Any body")), ("mine", _l("My body"))]))

