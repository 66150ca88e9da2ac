"""The unit filter of the long lists (hours, roster, training, honor cards): a choice among the units of the
user's scope, or, past UNIT_CHOICES units (a big county has ~3,000, a central authority or the ministry up
to 20,000), a box for a unit's code. Building and sending 19,500 options cost the ministry's lists 0.8 to
1.5 s on the national data set, more than the lists themselves."""
from flask_babel import gettext as _
from sqlalchemy import func, select
from wtforms.widgets import TextInput

from portal.platform.extensions import db
from portal.platform.forms import options
from portal.platform.i18n import localized
from portal.platform.params import id_or_none

from .models import Unit
from .scopes import visible_unit_ids, visible_units

UNIT_CHOICES = 300


def units_for_filter(user) -> list[Unit] | None:
    """The scope's units to choose from, or None when there are more than UNIT_CHOICES."""
    units = db.session.scalars(visible_units(user).limit(UNIT_CHOICES + 1)).all()
    return None if len(units) > UNIT_CHOICES else units


def unit_by_reference(user, text: str) -> Unit | None:
    """The unit of the user's scope with this code (any case) or id, or None."""
    text = (text or "").strip()
    if not text:
        return None
    number = id_or_none(text)
    match = Unit.id == number if number else func.upper(Unit.code) == text.upper()
    return db.session.scalar(select(Unit).where(match, Unit.id.in_(visible_unit_ids(user))))


def _code_box(shown: str):
    """The select drawn as a text box showing the code (the field's value is the unit's id once found)."""
    return lambda field, **kwargs: TextInput()(field, value=shown, autocomplete="off", **kwargs)


def fill_unit_filter(field, user, blank_label, typed: str) -> list[Unit]:
    """Give a unit SelectField its choices for `user` (`typed`: the request's value); the units offered.
    A code or id outside the scope finds nothing and fails the field's validation like a wrong choice."""
    units = units_for_filter(user)
    if units is None:
        found = unit_by_reference(user, typed)
        units = [found] if found else []
        field.data = str(found.id) if found else typed
        field.widget = _code_box(found.code if found else typed)
        field.description = _("A unit code, e.g. %(code)s; empty for all my units.", code="TPE-SOC-0001")
    field.choices = options([("", blank_label)] + [(str(u.id), f"{u.code} {localized(u)}") for u in units])
    return units
