"""The training gate (domain.md T5–T7, decisions.md "Hours").

From 2026-01-01 an hour entry in a field is accepted only when the volunteer has verified
basic training and verified special training for that field; hours count from the later
of the two effective dates. Where that data exists, the effective date applies to earlier
years too.
"""
from collections.abc import Callable, Iterable
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..i18n import format_date, localized
from ..units.catalog import FIELD_BY_CODE
from .models import TrainingRecord

GATE_START = date(2026, 1, 1)

GateCheck = Callable[[int, str, date], str | None]


def gate_checker(person_ids: Iterable[int]) -> GateCheck:
    """Load the verified training of these people in one query; return check(person_id, field, day).

    check() gives None when hours on `day` in `field` may be recorded, else a message in the
    user's language that names what is missing.
    """
    ids = set(person_ids)
    basic_from: dict[int, date] = {}
    special_from: dict[tuple[int, str], date] = {}
    if ids:
        rows = db.session.execute(select(TrainingRecord.person_id, TrainingRecord.kind, TrainingRecord.field_code,
                                         TrainingRecord.effective_on, TrainingRecord.completed_on)
                                  .where(TrainingRecord.person_id.in_(ids), TrainingRecord.status == "verified"))
        for person_id, kind, field_code, effective_on, completed_on in rows:
            start = effective_on or completed_on or date.min
            if kind == "basic":
                basic_from[person_id] = min(start, basic_from.get(person_id, date.max))
            else:
                key = (person_id, field_code)
                special_from[key] = min(start, special_from.get(key, date.max))

    def check(person_id: int, field_code: str, day: date) -> str | None:
        basic = basic_from.get(person_id)
        special = special_from.get((person_id, field_code))
        field_name = localized(FIELD_BY_CODE.get(field_code)) or field_code
        if basic is None or special is None:
            if day < GATE_START:
                return None
            missing = []
            if basic is None:
                missing.append(_("verified basic training"))
            if special is None:
                missing.append(_("verified special training for %(field)s", field=field_name))
            return _("Hours from 2026 need %(missing)s with an uploaded certificate.",
                     missing=_(" and ").join(missing))
        start = max(basic, special)
        if day < start:
            return _("Hours in %(field)s count from %(date)s, the effective date of the training certificate.",
                     field=field_name, date=format_date(start))
        return None

    return check


def training_problem(person_id: int, field_code: str, day: date) -> str | None:
    """The gate for one entry."""
    return gate_checker([person_id])(person_id, field_code, day)
