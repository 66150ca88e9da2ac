"""Award forms: the unit's list and application, the review queue, paper entries, rounds, revocation."""
from flask_babel import lazy_gettext as _l
from wtforms import FieldList, FormField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.imports.forms import ConfirmForm, UploadForm
from portal.platform.forms import DateInput, FilterForm, Form, PageField, clean_text, options

from .labels import round_label
from .models import APPLICATION_STATUS_LABELS, APPLICATION_STATUSES, SCHEME_LABELS, SCHEMES, RoundStatus, Tier
from .operations import MERIT_MAX, REASON_MAX

SHOW_CHOICES = [("eligible", _l("Eligible now")),
                ("near", _l("Eligible now or close")),
                ("all", _l("Everyone, with what is missing"))]
TIER_CHOICES = [("", _l("Any tier")), (Tier.BRONZE, _l("Bronze")), (Tier.SILVER, _l("Silver")),
                (Tier.GOLD, _l("Gold"))]
ROUND_STATUS_CHOICES = [(RoundStatus.OPEN, _l("Open")), (RoundStatus.CLOSED, _l("Closed"))]
MERIT_HELP = _l("Optional, at most 2,000 characters: what the volunteer did, as the unit would write it in the "
                "roster (事蹟).")


def status_choices(blank_label):
    return options([("", blank_label)] + [(s, APPLICATION_STATUS_LABELS[s]) for s in APPLICATION_STATUSES])


def choose_round(field, rounds):
    """Fill a round select; the chosen round, or the first one when none (or an unknown one) is chosen."""
    field.choices = options([(str(r.id), round_label(r)) for r in rounds])
    chosen = next((r for r in rounds if str(r.id) == (field.data or "")), rounds[0] if rounds else None)
    if chosen is not None:
        field.data = str(chosen.id)
    return chosen


class _Filter(FilterForm):
    def reset_invalid(self):
        """A bad value in the address bar falls back to the default instead of failing the list."""
        if not self.validate():
            for field in self:
                if field.errors:
                    field.data = field.default


class EligibilityFilter(_Filter):
    round = SelectField(_l("Award round"), validators=[Optional()])
    show = SelectField(_l("Show"), choices=options(SHOW_CHOICES), default="near", validators=[Optional()],
                       description=_l("Close: less than a tenth of the next tier's hours still missing, or only a "
                                      "paper missing."))
    q = StringField(_l("Name"), filters=[clean_text], validators=[Optional(), Length(max=60)])
    page = PageField()


class MeritEntry(Form):
    class Meta:
        csrf = False

    person_id = HiddenField()
    merit = TextAreaField(_l("Merit statement (事蹟)"), filters=[clean_text],
                          validators=[Optional(), Length(max=MERIT_MAX)], description=MERIT_HELP)


class ApplyForm(Form):
    """One entry per selected volunteer, each with its own merit statement."""
    round_id = HiddenField()
    entries = FieldList(FormField(MeritEntry), max_entries=500)


class VersionForm(Form):
    version = HiddenField()


class ForwardForm(Form):
    version = HiddenField()
    note = TextAreaField(_l("Note to the ministry (optional)"), filters=[clean_text],
                         validators=[Optional(), Length(max=REASON_MAX)])


class ReturnForm(Form):
    version = HiddenField()
    reason = TextAreaField(_l("Reason for returning"), filters=[clean_text],
                           validators=[DataRequired(), Length(max=REASON_MAX)],
                           description=_l("The unit sees this reason. It can apply again in this round once it "
                                          "is fixed, before the deadline."))


class ReviewFilter(_Filter):
    round = SelectField(_l("Award round"), validators=[Optional()])
    unit = SelectField(_l("Unit"), validators=[Optional()])
    tier = SelectField(_l("Tier"), choices=options(TIER_CHOICES), default="", validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    page = PageField()


class BulkReviewForm(Form):
    """Forward, approve or return the ticked applications (ids come as repeated `application_id` values)."""
    note = TextAreaField(_l("Note to the ministry (optional, when forwarding)"), filters=[clean_text],
                         validators=[Optional(), Length(max=REASON_MAX)])
    reason = TextAreaField(_l("Reason for returning (only when returning)"), filters=[clean_text],
                           validators=[Optional(), Length(max=REASON_MAX)])


class PaperFilter(_Filter):
    round = SelectField(_l("Award round"), validators=[Optional()])
    unit = SelectField(_l("Unit"), validators=[Optional()])
    q = StringField(_l("Name or ID number"), filters=[clean_text], validators=[Optional(), Length(max=60)],
                    description=_l("A name, or an ID number as printed on the paper form (full, or masked like "
                                   "A12345****)."))


class PaperForm(Form):
    round_id = HiddenField()
    unit_id = HiddenField()
    person_id = HiddenField()
    merit = TextAreaField(_l("Merit statement (事蹟)"), filters=[clean_text],
                          validators=[Optional(), Length(max=MERIT_MAX)], description=MERIT_HELP)


class RoundForm(Form):
    scheme = SelectField(_l("Scheme"), choices=options((s, SCHEME_LABELS[s]) for s in SCHEMES),
                         validators=[DataRequired()])
    year = IntegerField(_l("Year (Gregorian)"), validators=[DataRequired(), NumberRange(min=2001, max=2100)])
    cutoff_on = DateInput(_l("Hours count up to"), validators=[DataRequired()],
                          description=_l("Service hours up to and including this date count for the round."))
    unit_deadline = DateInput(_l("Units apply by"), validators=[DataRequired()])
    review_deadline = DateInput(_l("Sector authorities forward by"), validators=[DataRequired()],
                                description=_l("Sector authorities can also enter paper applications until this "
                                               "date."))
    ministry_deadline = DateInput(_l("Ministry decides by"), validators=[DataRequired()])
    status = SelectField(_l("Round status"), choices=options(ROUND_STATUS_CHOICES), default=RoundStatus.OPEN,
                         description=_l("Units can apply only while the round is open and its deadline has not "
                                        "passed."))
    version = HiddenField()

    def validate_unit_deadline(self, field):
        if field.data and self.cutoff_on.data and field.data < self.cutoff_on.data:
            raise ValidationError(_l("The units' deadline cannot be before the date hours count up to."))

    def validate_review_deadline(self, field):
        if field.data and self.unit_deadline.data and field.data <= self.unit_deadline.data:
            raise ValidationError(_l("The sector authorities' deadline must come after the units' deadline."))

    def validate_ministry_deadline(self, field):
        if field.data and self.review_deadline.data and field.data <= self.review_deadline.data:
            raise ValidationError(_l("The ministry's deadline must come after the sector authorities' deadline."))


class RevokeForm(Form):
    version = HiddenField()
    reason = TextAreaField(_l("Reason for revoking"), filters=[clean_text],
                           validators=[DataRequired(), Length(max=REASON_MAX)],
                           description=_l("Kept with the award and shown to the volunteer."))


class AwardUploadForm(UploadForm):
    kind = None     # one kind on the other-award import page


class BatchForm(ConfirmForm):
    """Confirm or discard: the batch as the page showed it."""
    batch = HiddenField()
