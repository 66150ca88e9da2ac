"""The KPI definitions the authorities are measured by (docs/kpi.md), written once and read by every page,
export and command: active volunteers in a year, those aged 65+, growth, data completeness, the targets.

Numbers come from summaries, never from counting memberships per request: the current year from the live
headcount (records.serving, kept by every write), past years from the frozen year-end rows
(stats.headcounts), completeness from the completeness summaries (records.rates).
"""
import logging
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.records import rates
from portal.records.completeness import kpi_target
from portal.records.models import CompletenessCountyDay
from portal.records.serving import (
    age_65_cutoff,
    key_of,
    live_counts,
    parse_key,
    span_of,
    unit_condition,
    user_key,
)
from portal.registry.catalog import COUNTIES, FIELDS
from portal.registry.models import SECTORS, Unit

from .headcounts import frozen, recounted, year_end

log = logging.getLogger(__name__)

ONE_DECIMAL = Decimal("0.1")
BREAKDOWNS = {"county": tuple(c.code for c in COUNTIES), "field": tuple(f.code for f in FIELDS), "sector": SECTORS}


# --- the definitions, for one volunteer ------------------------------------------------------------------

def serves_on(joined_on: date, left_on: date | None, status: str, day: date) -> bool:
    """A membership counts on `day`: joined on or before it, not left before it (the leaving day counts);
    a "left" membership without a leaving date never counts (docs/kpi.md#active)."""
    span = span_of(joined_on, left_on, status)
    return span is not None and span[0] <= day and (span[1] is None or day <= span[1])


def aged_65_plus(birth_date: date | None, year: int) -> bool:
    """65 or older on 31 December of `year`; unknown without a birth date (not counted as 65+)."""
    return birth_date is not None and birth_date <= age_65_cutoff(year)


def is_provisional(year: int, today: date) -> bool:
    return year == today.year


def counting_day(year: int, today: date) -> date:
    """The day a year's headcount is taken: 31 December once the year is over, today while it runs."""
    if year > today.year:
        raise ValueError(f"{year} has not begun")
    return today if year == today.year else year_end(year)


def rounded(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def growth_pct(now: int, before: int) -> Decimal | None:
    """(now - before) / before x 100 to one decimal, halves away from zero; None ("n/a") when before is 0."""
    if not before:
        return None
    return rounded((Decimal(now) - Decimal(before)) * 100 / Decimal(before))


def share_pct(part: int, whole: int) -> Decimal | None:
    return rounded(Decimal(part) * 100 / Decimal(whole)) if whole else None


# --- targets (docs/kpi.md#targets) -----------------------------------------------------------------------

@dataclass(frozen=True)
class Targets:
    completeness_pct: Decimal
    completeness_guided_pct: Decimal
    growth_pct: Decimal
    growth_65_pct: Decimal


# Welfare performance indicators of 2024 (ROC 113) and 2025 (114), seed minutes discussion 5; a year before
# the first uses the first, a year after the last the last, until new indicators are recorded here.
GROWTH_TARGETS = {2024: (Decimal("2"), Decimal("6.5")), 2025: (Decimal("2"), Decimal("7"))}
GUIDED_UNITS_TARGET = Decimal("100")


def targets(year: int) -> Targets:
    known = sorted(GROWTH_TARGETS)
    growth, growth_65 = GROWTH_TARGETS[min(max(year, known[0]), known[-1])]
    return Targets(Decimal(kpi_target(year)), GUIDED_UNITS_TARGET, growth, growth_65)


# --- headcounts ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Headcounts:
    year: int
    volunteers: int
    volunteers_prev: int
    growth_pct: Decimal | None
    volunteers_65: int
    volunteers_65_prev: int
    growth_65_pct: Decimal | None
    provisional: bool


def counts(keys, year: int, today: date | None = None) -> dict[str, tuple[int, int]]:
    """(active volunteers, of them 65+) of each scope key in `year`."""
    today = today or today_taipei()
    day = counting_day(year, today)
    if year == today.year:
        return live_counts(keys, day, year)
    found = frozen(keys, year)
    if found is None:
        # Not frozen yet (`flask stats refresh` runs daily): counted from the raw memberships, slow at scale.
        log.warning("headcounts of %s are not frozen: counting memberships (run flask stats refresh)", year)
        found = {key: recounted(key, day, year) for key in keys}
    return found


def _headcounts(year: int, now: tuple[int, int], before: tuple[int, int], today: date) -> Headcounts:
    return Headcounts(year, now[0], before[0], growth_pct(now[0], before[0]), now[1], before[1],
                      growth_pct(now[1], before[1]), is_provisional(year, today))


def headcounts(scope: str, year: int) -> Headcounts:
    """Active volunteers and those aged 65+ of a scope in `year` and the year before, with growth."""
    parse_key(scope)
    today = today_taipei()
    return _headcounts(year, counts([scope], year, today)[scope], counts([scope], year - 1, today)[scope], today)


def children(scope: str, by: str) -> dict[str, str]:
    """The scope split `by` county, field or sector: {code: key}, every code of the catalog in its order
    (a unit, or a scope that fixes that dimension already, gives itself once)."""
    if by not in BREAKDOWNS:
        raise ValueError(f"cannot break down by {by!r}")
    dims = parse_key(scope)
    if "unit" in dims:
        unit = db.session.get(Unit, dims["unit"])
        return {{"county": unit.county_code, "field": unit.field_code, "sector": unit.sector}[by]: scope} if unit else {}
    if by in dims:
        return {dims[by]: scope}
    return {value: key_of({**dims, by: value}) for value in BREAKDOWNS[by]}


def headcounts_by(scope: str, year: int, by: str) -> dict[str, Headcounts]:
    """headcounts() of each part of the scope `by` county, field or sector, keyed by code."""
    parts = children(scope, by)
    today = today_taipei()
    now, before = counts(parts.values(), year, today), counts(parts.values(), year - 1, today)
    return {code: _headcounts(year, now[key], before[key], today) for code, key in parts.items()}


# --- completeness --------------------------------------------------------------------------------------

def completeness_counts(scope: str, on: date) -> tuple[int, int] | None:
    """(current person x unit records, complete ones) of the scope on `on` (docs/rules/record-book.md#b9),
    from the completeness summaries; None for a day before today (the summary answers today and later)."""
    if on < today_taipei():
        return None
    dims = parse_key(scope)
    if set(dims) <= {"county"}:     # the nation or one county: the few county rows
        query = select(func.coalesce(func.sum(CompletenessCountyDay.people), 0),
                       func.coalesce(func.sum(CompletenessCountyDay.complete), 0)).where(CompletenessCountyDay.day <= on)
        if dims:
            query = query.where(CompletenessCountyDay.county_code == dims["county"])
        people, complete = db.session.execute(query).one()
        return int(people), int(complete)
    total = rates.scope_total(unit_condition(scope), on)
    return total.people, total.complete


def completeness_pct(scope: str, on: date) -> Decimal | None:
    """The share of complete records of the scope on `on`, to one decimal; None without records or for a
    past day."""
    found = completeness_counts(scope, on)
    return share_pct(found[1], found[0]) if found else None


def scope_of(user) -> str | None:
    """The scope key of a staff or authority account (None: no scope)."""
    return user_key(user)
