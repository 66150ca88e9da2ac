"""Data completeness (docs/rules/record-book.md#b9): which required items each volunteer's record has.

Items per person and unit: ID number, date of birth, accepted photo, verified training
(basic + special for a field served in the unit), a valid record book, hours entered by
the unit up to last month, and insurance cover for the unit's service today. A record is
complete when it has all seven. The unit sees its rate; the county sees each unit's.

This module is the definition, as SQL conditions (`item_conditions`) and as a recomputation from the raw
tables (`unit_rates`, `person_rows`: one grouped query, no query per person, but every membership of the
scope each time). The pages read the same numbers from the summaries that every write keeps
(summaries.py, read by rates.py); the tests hold the two equal.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import aliased

from portal.hours.models import ACTIVE as HOURS_ACTIVE
from portal.hours.models import HourEntry
from portal.insurance.facts import covered
from portal.platform.extensions import db
from portal.registry.models import Membership, Person, PhotoStatus, Unit
from portal.training.facts import verified_basic
from portal.training.models import TrainingKind, TrainingRecord, TrainingStatus

from .operations import valid_book_exists

# The items that do not depend on the day, then the two that do (hours: the month; insurance: the day).
STATIC_ITEMS = ("id_number", "birth_date", "photo", "training", "record_book")
DAY_ITEMS = ("hours", "insurance")
ITEMS = STATIC_ITEMS + DAY_ITEMS
COUNTS = ("people", *ITEMS, "complete")   # what is counted per unit
ITEM_LABELS = {"id_number": _l("ID number"), "birth_date": _l("Date of birth"), "photo": _l("Accepted photo"),
               "training": _l("Training"), "record_book": _l("Record book"),
               "hours": _l("Hours up to last month"), "insurance": _l("Insurance")}
# County KPI (docs/rules/record-book.md#b9): 90% in 2024, 95% from 2025.
KPI_TARGETS = {2024: 90, 2025: 95}


def kpi_target(year: int) -> int:
    return KPI_TARGETS.get(year, 95 if year > 2025 else 90)


def last_month_start(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def members(unit_condition):
    """Distinct (person, unit) pairs of current memberships in the units matching the condition."""
    return (select(Membership.person_id, Membership.unit_id)
            .where(Membership.is_current, Membership.unit_id.in_(select(Unit.id).where(unit_condition)))
            .distinct().subquery())


def static_conditions(person_id, unit_id) -> dict:
    """SQL conditions for the items of the (person, unit) pair that do not depend on the day."""
    served = aliased(Membership)  # a field the person serves in this unit, in the same EXISTS (one level)
    p = aliased(Person)  # never auto-correlated with a Person of the outer query
    person = select(p.id).where(p.id == person_id)
    return {
        "id_number": exists(person.where(p.id_number != "")),
        "birth_date": exists(person.where(p.birth_date.isnot(None))),
        "photo": exists(person.where(p.photo_status == PhotoStatus.ACCEPTED, p.photo_file_id.isnot(None))),
        "training": and_(verified_basic(person_id), exists().where(
            TrainingRecord.person_id == person_id, TrainingRecord.kind == TrainingKind.SPECIAL,
            TrainingRecord.status == TrainingStatus.VERIFIED, served.person_id == person_id, served.unit_id == unit_id,
            served.is_current, TrainingRecord.field_code == served.field_code)),
        "record_book": valid_book_exists(person_id),
    }


def item_conditions(person_id, unit_id, today: date) -> dict:
    """SQL conditions for each item of the (person, unit) pair on `today`."""
    return {
        **static_conditions(person_id, unit_id),
        "hours": exists().where(HourEntry.person_id == person_id, HourEntry.unit_id == unit_id,
                                HourEntry.status == HOURS_ACTIVE, HourEntry.end_on >= last_month_start(today)),
        "insurance": covered(person_id, today, unit_id),
    }


def _flag(condition):
    return case((condition, 1), else_=0)


@dataclass
class Rate:
    """Counts of a unit, a county or a whole scope: people (current pairs), people per item, complete records."""
    people: int
    items: dict          # item -> how many people have it
    complete: int        # people with all items

    @property
    def item_rate(self) -> float:
        return 100 * sum(self.items.values()) / (len(ITEMS) * self.people) if self.people else 0.0

    @property
    def complete_rate(self) -> float:
        return 100 * self.complete / self.people if self.people else 0.0

    @classmethod
    def of(cls, counts, **extra) -> "Rate":
        """From anything with the COUNTS as attributes (a row of sums; None counts as 0)."""
        value = {name: int(getattr(counts, name, 0) or 0) for name in COUNTS}
        return cls(value["people"], {item: value[item] for item in ITEMS}, value["complete"], **extra)


@dataclass
class UnitRate(Rate):
    unit: Unit | None = None


def unit_rates(unit_condition, today: date) -> list[UnitRate]:
    """Completeness per unit for the units matching the condition, recomputed from the raw tables in one
    grouped query (what the summaries must always give)."""
    m = members(unit_condition)
    conditions = item_conditions(m.c.person_id, m.c.unit_id, today)
    flags = [func.sum(_flag(conditions[item])).label(item) for item in ITEMS]
    complete = func.sum(_flag(and_(*conditions.values()))).label("complete")
    rows = db.session.execute(
        select(m.c.unit_id, func.count().label("people"), *flags, complete).group_by(m.c.unit_id)).all()
    by_unit = {row.unit_id: row for row in rows}
    units = db.session.scalars(select(Unit).where(unit_condition).order_by(Unit.county_code, Unit.code)).all()
    result = []
    for unit in units:
        row = by_unit.get(unit.id)
        if row is None:
            result.append(UnitRate.of(None, unit=unit))
        else:
            result.append(UnitRate.of(row, unit=unit))
    return result


def totals(rates: list[Rate]) -> Rate:
    people = sum(r.people for r in rates)
    items = {item: sum(r.items[item] for r in rates) for item in ITEMS}
    return Rate(people, items, sum(r.complete for r in rates))


def person_rows(unit_id: int, today: date, only_incomplete: bool = False):
    """(person, flags dict) for each current member of the unit, in one query."""
    m = members(Unit.id == unit_id)
    conditions = item_conditions(m.c.person_id, m.c.unit_id, today)
    query = (select(Person, *[_flag(conditions[item]).label(item) for item in ITEMS])
             .join(m, m.c.person_id == Person.id).order_by(Person.name, Person.id))
    if only_incomplete:
        query = query.where(~and_(*conditions.values()))
    return [(row[0], {item: bool(getattr(row, item)) for item in ITEMS}) for row in db.session.execute(query)]

