"""The completeness numbers the pages show (docs/rules/record-book.md#b9), read from the summaries
(summaries.py): a unit's counts on a day are the sum of its few rows up to that day, so a county of
3,000 units or the whole country of 20,000 costs one grouped query over the summary rows, whatever the
number of volunteers. completeness.py recomputes the same numbers from the raw tables (the tests hold
them equal)."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, not_, select

from portal.insurance.facts import covered
from portal.platform.extensions import db
from portal.platform.pagination import asc
from portal.registry.models import Person, Unit

from .completeness import COUNTS, ITEMS, Rate, UnitRate
from .models import BASE, CompletenessCountyDay, CompletenessDay, CompletenessPair
from .summaries import ALL_STATIC, Pair


@dataclass
class CountyRate(Rate):
    county_code: str = ""
    units: int = 0              # units in the scope in this county
    units_at_target: int | None = 0    # of them, with people and a complete-record rate at the target or above


def _sums(source=CompletenessDay):
    return [func.coalesce(func.sum(getattr(source, c)), 0).label(c) for c in COUNTS]


def _up_to(today: date):
    return CompletenessDay.day <= today


def unit_counts(unit_ids, today: date) -> dict[int, UnitRate]:
    """The counts of these units on `today` (a unit without members has none)."""
    ids = list(unit_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(CompletenessDay.unit_id, *_sums())
                              .where(CompletenessDay.unit_id.in_(ids), _up_to(today))
                              .group_by(CompletenessDay.unit_id))
    return {row.unit_id: UnitRate.of(row) for row in rows}


def rates_of(units: list, today: date) -> list[UnitRate]:
    """A UnitRate for each of these units (entities or rows with an id), in their order."""
    counts = unit_counts([u.id for u in units], today)
    return [UnitRate.of(counts.get(u.id), unit=u) for u in units]


def unit_rates(unit_condition, today: date) -> list[UnitRate]:
    """Every unit matching the condition with its counts, by county and code (the CSV of a scope)."""
    per_unit = _per_unit(today, unit_condition)
    rows = db.session.execute(select(Unit, *[getattr(per_unit.c, c) for c in COUNTS])
                              .outerjoin(per_unit, per_unit.c.unit_id == Unit.id)
                              .where(unit_condition).order_by(Unit.county_code, Unit.code, Unit.id))
    return [UnitRate.of(row, unit=row[0]) for row in rows]


def _per_unit(today: date, unit_condition):
    """Each unit's counts on `today`, for the units of the condition only (not every unit's rows)."""
    return (select(CompletenessDay.unit_id, *_sums())
            .where(_up_to(today), CompletenessDay.unit_id.in_(select(Unit.id).where(unit_condition)))
            .group_by(CompletenessDay.unit_id).subquery())


def county_rates(unit_condition, today: date, target: int) -> list[CountyRate]:
    """Per county of the scope: its units, how many reach `target`, and the counts of all of them."""
    per_unit = _per_unit(today, unit_condition)
    reached = and_(per_unit.c.people > 0, per_unit.c.complete * 100 >= per_unit.c.people * target)
    rows = db.session.execute(
        select(Unit.county_code, func.count(Unit.id).label("units"),
               func.count(per_unit.c.unit_id).filter(reached).label("units_at_target"), *_sums(per_unit.c))
        .select_from(Unit).outerjoin(per_unit, per_unit.c.unit_id == Unit.id)
        .where(unit_condition).group_by(Unit.county_code).order_by(Unit.county_code))
    return [CountyRate.of(row, county_code=row.county_code, units=row.units, units_at_target=row.units_at_target)
            for row in rows]


def country_rates(today: date) -> list[CountyRate]:
    """Per county of the whole country, from the county rows (a few hundred, whatever the number of units);
    units reaching the target are not counted here (that needs every unit's rows)."""
    rows = db.session.execute(
        select(CompletenessCountyDay.county_code, *_sums(CompletenessCountyDay))
        .where(CompletenessCountyDay.day <= today).group_by(CompletenessCountyDay.county_code))
    counts = {row.county_code: row for row in rows}
    units = db.session.execute(select(Unit.county_code, func.count()).group_by(Unit.county_code)
                               .order_by(Unit.county_code)).all()
    return [CountyRate.of(counts.get(code), county_code=code, units=n, units_at_target=None) for code, n in units]


def scope_total(unit_condition, today: date) -> Rate:
    """The counts of every unit of the scope together."""
    row = db.session.execute(select(*_sums()).where(
        CompletenessDay.unit_id.in_(select(Unit.id).where(unit_condition)), _up_to(today))).one()
    return Rate.of(row)


# --- the people of one unit ----------------------------------------------------------------------

def flags_on(pair, today: date) -> dict[str, bool]:
    """The items of a pair (anything with its flags, hours_until and cover) on `today`."""
    counts = dict(zip(COUNTS, Pair.from_row(pair).counts_on(today), strict=True))
    return {item: bool(counts[item]) for item in ITEMS}


def _people(columns, unit_id: int, today: date, only_incomplete: bool):
    query = select(*columns).select_from(CompletenessPair).where(CompletenessPair.unit_id == unit_id)
    if only_incomplete:
        # Complete needs every static item, hours not yet too old and cover today; the cover test (an index
        # probe) runs only for the pairs that pass the two cheap ones.
        query = query.where(not_(and_(CompletenessPair.flags == ALL_STATIC,
                                      func.coalesce(CompletenessPair.hours_until, BASE) > today,
                                      covered(CompletenessPair.person_id, today, unit_id))))
    return query


PAIR_COLUMNS = (CompletenessPair.flags, CompletenessPair.hours_until, CompletenessPair.cover, CompletenessPair.name)
# The unit's volunteers by name over the index on completeness_pairs (unit_id, name, person_id).
PEOPLE_ORDER = (asc(CompletenessPair.name), asc(CompletenessPair.person_id))


def people_query(unit_id: int, today: date, only_incomplete: bool = False):
    """Rows (id, flags, hours_until, cover, name) of the unit's current members, unordered (the caller
    pages them by PEOPLE_ORDER); nothing but the summary is read."""
    return _people((CompletenessPair.person_id.label("id"), *PAIR_COLUMNS), unit_id, today, only_incomplete)


def person_rows(unit_id: int, today: date, only_incomplete: bool = False) -> list:
    """(person, flags) of every current member of the unit by name (the unit's CSV)."""
    rows = db.session.execute(_people((Person, *PAIR_COLUMNS), unit_id, today, only_incomplete)
                              .join(Person, Person.id == CompletenessPair.person_id)
                              .order_by(Person.name, Person.id))
    return [(row[0], flags_on(row, today)) for row in rows]
