"""Base form and shared fields/validators.

WTForms' own messages would come out in Simplified Chinese for zh_Hant_TW (docs/rules/platform.md#pl6):
the base form asks WTForms for language_TERRITORY first.
"""
import unicodedata

from flask import abort
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, StringField
from wtforms.i18n import get_translations
from wtforms.validators import ValidationError

from .dates import DateFormatError, parse_date


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            locale = get_locale()
            if locale is None:
                return None
            names = [f"{locale.language}_{locale.territory}"] if locale.territory else []
            return get_translations(names + [locale.language])


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
        if self.raw and self.raw.strip():
            try:
                self.data = parse_date(self.raw)
            except DateFormatError:
                self.data = None
                raise ValueError(_l("Enter a date such as 114/03/05 or 2025-03-05.")) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""


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


def check_version(obj, form):
    """409 when the record changed since the page that posted `form` (its hidden `version`) was shown."""
    if not same_version(obj, form.version.data):
        abort(409)
