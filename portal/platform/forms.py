"""Base form and shared fields/validators.

WTForms' own messages would come out in Simplified Chinese for zh_Hant_TW (docs/rules/platform.md#pl6):
the base form asks WTForms for language_TERRITORY first. Values are read by the converters of
`platform.params` (docs/rules/platform.md#pl12): the fields and validators here are their WTForms side.
"""
import unicodedata
from datetime import date

from flask import flash, g
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import Conflict
from wtforms import HiddenField, IntegerField, SelectChoice, StringField
from wtforms.i18n import get_translations
from wtforms.validators import ValidationError

from .i18n import format_date, is_chinese, join_list
from .params import BadValue, character_message, folded, to_date, to_id, to_page, unsafe_character


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            locale = get_locale()
            if locale is None:
                return None
            names = [f"{locale.language}_{locale.territory}"] if locale.territory else []
            return get_translations(names + [locale.language])

    def validate_on_submit(self, extra_validators=None):
        """As Flask-WTF's, except while a stale edit is shown again (`StaleEdit`): then the form is not
        accepted, keeps what the user typed and says what is stored now."""
        stale = g.get(STALE_KEY)
        if stale is not None and "version" in self._fields and self.is_submitted():
            self.validate(extra_validators)
            show_stored(self, stale.obj)
            return False
        return super().validate_on_submit(extra_validators)


class FilterForm(Form):
    """The filter of a list, read from the address bar (GET, no CSRF token). Every value is folded first
    (full-width to ASCII, trimmed): a filter of only spaces is no filter, never a value to convert."""

    class Meta:
        csrf = False

        def wrap_formdata(self, form, formdata):
            formdata = super().wrap_formdata(form, formdata)
            if formdata is None:
                return None
            return MultiDict([(key, folded(value)) for key, value in formdata.items(multi=True)])


def clean_text(value):
    """NFC, trimmed, control characters (incl. bidi overrides) removed."""
    if value is None:
        return value
    value = unicodedata.normalize("NFC", str(value)).strip()
    return "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\n")


class DateInput(StringField):
    """A date typed as ISO, ROC (114/03/05) or 7-digit (1140305), full-width digits allowed."""

    def process_formdata(self, valuelist):
        self.data = None
        self.raw = valuelist[0] if valuelist else ""
        try:
            self.data = to_date(self.raw)
        except BadValue as exc:
            raise ValueError(exc.message) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""


class PageField(IntegerField):
    """A list's page number, 1 to params.MAX_PAGE; anything else is the field's error and page 1."""

    def process_formdata(self, valuelist):
        self.data = 1
        try:
            self.data = to_page(valuelist[0] if valuelist else None)
        except BadValue as exc:
            raise ValueError(exc.message) from None


def field_id(field) -> int | None:
    """The field's value as a record number (params.to_id); None when blank, and None with an error on the
    field when it is not a record number (letters, 0, beyond 2^31-1)."""
    try:
        return to_id(field.data)
    except BadValue as exc:
        field.errors = [*field.errors, exc.message]
        return None


def single_line(form, field):
    """Names, codes and numbers: one line of visible characters (params.unsafe_character). The value as
    typed is checked, before any filter could drop what it refuses; spaces around it do not count."""
    raw = field.raw_data[0] if field.raw_data else field.data
    ch = unsafe_character(str(raw or "").strip())
    if ch is not None:
        raise ValidationError(character_message(ch))


def no_markup(form, field):
    """Names and codes never need angle brackets; refuse them with a clear message."""
    if field.data and any(ch in field.data for ch in "<>"):
        raise ValidationError(_l("Angle brackets (< >) are not allowed here."))


def options(pairs) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


def same_version(obj, posted: str | None) -> bool:
    """The record is still as the page that posted `posted` (its hidden version field) showed it."""
    return str(obj.version) == (posted or "")


class VersionForm(Form):
    """A post that carries only the record's version (and the CSRF token), e.g. an undo button."""
    version = HiddenField()


class StaleEdit(Conflict):
    """The record changed since the page that posted the form was shown. `platform.errors` answers 409 with
    the same page again: the view runs once more, its form keeps the user's input (`Form.validate_on_submit`
    refuses it while `g` holds the conflict) and shows what is stored now."""

    def __init__(self, obj):
        super().__init__()
        self.obj = obj


STALE_KEY = "stale_edit"
# Never shown back: secrets, and the full ID number (its reveal is audited on the edit form's GET).
NOT_SHOWN = ("csrf_token", "version", "submit", "password", "id_number", "confirm")


def check_version(obj, form):
    """409 when the record changed since the page that posted `form` (its hidden `version`) was shown."""
    if not same_version(obj, form.version.data):
        raise StaleEdit(obj)


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    return str(value)


def _stored_text(field, stored) -> str | None:
    """The stored value as the field shows it: a choice by its label; None when the field cannot show it
    (a choice the form words differently from the column)."""
    choices = getattr(field, "choices", None)
    if choices is None:
        return _shown(stored)
    labels = {str(getattr(c, "value", c[0] if isinstance(c, tuple) else c)):
              str(getattr(c, "label", c[1] if isinstance(c, tuple) else c)) for c in choices}
    return labels.get("" if stored is None else str(stored))


def show_stored(form, obj):
    """Tell the user that `obj` changed meanwhile, with the fields whose stored value differs from what they
    typed (their input stays in the form); the hidden version becomes the stored one, so that saving again,
    after a look, is accepted. Said once, above the form (the layout's messages)."""
    changed = []
    for field in form:
        if field.name in NOT_SHOWN or field.type in ("CSRFTokenField", "FileField", "SubmitField") \
                or not hasattr(obj, field.name):
            continue
        stored = getattr(obj, field.name)
        shown = _stored_text(field, stored)
        if shown is not None and _shown(stored) != _shown(field.data):
            changed.append(_("%(label)s: %(value)s", label=field.label.text, value=shown))
    message = _("Someone else changed this record while you were editing it. What you typed is kept below; "
                "check it against what is stored now and save again.")
    if changed:
        stored_now = _("Stored now: %(changes)s", changes=join_list(changed))
        message = f"{message}{'' if is_chinese() else ' '}{stored_now}"
    form.version.data = str(obj.version)
    flash(message, "error")
