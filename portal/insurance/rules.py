"""The insurance rules (docs/rules/insurance.md I2–I4), pure: facts in, decision and reasons out.

No database and no request here: facts.py loads the insurers and who is enrolled, operations.py
and the views act on these answers.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from itertools import pairwise

from flask_babel import gettext as _

from portal.platform.i18n import format_date, localized
from portal.registry.catalog import COUNTY_BY_CODE

from .models import EnrolmentStatus, PolicyStatus, RosterCheck

# docs/rules/insurance.md#i2: insurer age caps are settings; defaults 新光 75, 第一 80.
DEFAULT_INSURERS = {
    "shinkong": ("新光人壽", "Shin Kong Life", 75),
    "first": ("第一產物保險", "First Insurance", 80),
}


@dataclass(frozen=True)
class InsurerInfo:
    code: str
    name: str
    name_en: str
    max_age: int | None


class CoverState(StrEnum):
    """An enrolment seen on a day (the policy page's status column)."""
    VOID = "void"
    COVERED = "covered"
    ENDED = "ended"
    LATER = "later"


# --- cover in force (I4) -------------------------------------------------------------------

def in_force(enrolment, day: date) -> bool:
    """I4: an active enrolment in an active policy whose start and end include the day (both ends covered).
    facts.covered is the same rule as an SQL condition."""
    return (enrolment.status == EnrolmentStatus.ACTIVE and enrolment.policy.status == PolicyStatus.ACTIVE
            and enrolment.starts_on <= day <= enrolment.ends_on)


def cover_state(enrolment, day: date) -> CoverState:
    if enrolment.status != EnrolmentStatus.ACTIVE:
        return CoverState.VOID
    if in_force(enrolment, day):
        return CoverState.COVERED
    return CoverState.ENDED if enrolment.ends_on < day else CoverState.LATER


def open_cover(enrolment, day: date) -> bool:
    """Active cover that has not ended before `day`: it can still be ended, and its volunteer is not offered
    for enrolment in the same policy again."""
    return enrolment.status == EnrolmentStatus.ACTIVE and enrolment.ends_on >= day


def default_start(policy, today: date) -> date:
    """Cover offered from today, kept within the policy period."""
    return max(policy.starts_on, min(today, policy.ends_on))


def start_problem(policy, starts_on: date) -> str | None:
    """I4: cover starts within the policy period."""
    if policy.starts_on <= starts_on <= policy.ends_on:
        return None
    return _("The cover must start within the policy period (%(start)s – %(end)s).",
             start=format_date(policy.starts_on), end=format_date(policy.ends_on))


def end_problem(enrolment, ends_on: date) -> str | None:
    """I4: ending cover moves its end earlier, never later."""
    if ends_on >= enrolment.ends_on:
        return _("The new end date must be before the current end of cover (%(end)s).",
                 end=format_date(enrolment.ends_on))
    return None


def end_voids(enrolment, ends_on: date) -> bool:
    """I4: cover ended before its start is void (kept, never deleted)."""
    return ends_on < enrolment.starts_on


# --- age caps (I2, I3) ---------------------------------------------------------------------

def over_age_cap(age: int, cap: int | None) -> bool:
    """I2: the age on the first day of cover at or above the insurer's cap is refused (cap 75: 74 in, 75 out)."""
    return cap is not None and age >= cap


def age_refusal(person, policy, starts_on: date, unit, info: InsurerInfo | None) -> str | None:
    """Why the insurer's age cap refuses this person, in plain words, or None (`info`: the policy's insurer).
    I3: a unit's volunteer over the cap is sent to the county authority."""
    cap = info.max_age if info else None
    if cap is None:
        return None
    if person.birth_date is None:
        return _("%(name)s has no date of birth on record; the insurer's age cap (%(cap)d) cannot be checked. "
                 "Record the date of birth first.", name=person.name, cap=cap)
    age = person.age_on(starts_on)
    if not over_age_cap(age, cap):
        return None
    county = COUNTY_BY_CODE.get(unit.county_code) if unit is not None else None
    if policy.unit_id is not None:
        return _("%(name)s is %(age)d on %(date)s. %(insurer)s insures volunteers only below the age of %(cap)d. "
                 "Volunteers at or above that age are insured through the county authority: ask %(county)s "
                 "(social affairs bureau) to enrol them in a county policy whose insurer covers their age.",
                 name=person.name, age=age, date=format_date(starts_on), insurer=policy.insurer_name, cap=cap,
                 county=localized(county) if county else _("your county or city government"))
    return _("%(name)s is %(age)d on %(date)s. %(insurer)s insures volunteers only below the age of %(cap)d. "
             "Use a county policy with an insurer whose age cap is higher; the caps are set by the ministry.",
             name=person.name, age=age, date=format_date(starts_on), insurer=policy.insurer_name, cap=cap)


# --- cover over time (I5, I6) ------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """Days from `starts_on` to `ends_on`, both included."""
    starts_on: date
    ends_on: date

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


def cover_periods(enrolments) -> list[Period]:
    """I5: the days a person is covered for one unit's service, as merged periods: enrolments that
    overlap or follow on the next day (a renewal on 1 January) make one period. Void cover is left out."""
    spans = sorted((e.starts_on, e.ends_on) for e in enrolments if e.status == EnrolmentStatus.ACTIVE)
    merged: list[list[date]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [Period(start, end) for start, end in merged]


def cover_gaps(periods: list[Period]) -> list[Period]:
    """I5: the uncovered days between two periods of cover (none before the first or after the last):
    cover ending on the 31st and starting again on the 1st leaves no gap; starting on the 2nd leaves one day."""
    return [Period(a.ends_on + timedelta(days=1), b.starts_on - timedelta(days=1))
            for a, b in pairwise(periods) if b.starts_on > a.ends_on + timedelta(days=1)]


def cover_overlaps(enrolments) -> list[tuple]:
    """I5: pairs of active enrolments of one person for the same unit's service that share at least one day
    (the volunteer is insured twice for the same work); sharing no day is no overlap."""
    active = sorted((e for e in enrolments if e.status == EnrolmentStatus.ACTIVE), key=lambda e: (e.starts_on, e.id))
    return [(a, b) for i, a in enumerate(active) for b in active[i + 1:]
            if a.unit_id == b.unit_id and b.starts_on <= a.ends_on and a.starts_on <= b.ends_on]


def uninsured_days(start: date, end: date, periods: list[Period]) -> bool:
    """I6: an hour entry from `start` to `end` falls on a day without cover (facts.uninsured_entries is the
    same rule as an SQL condition over every entry of a list)."""
    day = start
    for period in periods:
        if period.ends_on < day:
            continue
        if period.starts_on > day:
            return True
        day = period.ends_on + timedelta(days=1)
        if day > end:
            return False
    return True


# --- alerts (I7) -------------------------------------------------------------------------------

NOTICE_DAYS = 60   # docs/rules/insurance.md#i7: 60 days ahead, and every day after until the day itself


def cap_day(birth_date: date | None, cap: int | None) -> date | None:
    """The day a person reaches the age `cap` (a 29 February birthday counts on 1 March in other years, as
    Person.age_on counts it)."""
    if birth_date is None or cap is None:
        return None
    try:
        return birth_date.replace(year=birth_date.year + cap)
    except ValueError:
        return date(birth_date.year + cap, 3, 1)


def notice_due(day: date | None, today: date, days: int = NOTICE_DAYS) -> bool:
    """I7: a notice of `day` is due from `days` days before it to the day itself (61 days ahead: not yet)."""
    return day is not None and 0 <= (day - today).days <= days


def reaches_cap_in_cover(enrolment, birth_date: date | None, cap: int | None, today: date) -> date | None:
    """I7: the day the volunteer reaches the insurer's cap when that day falls within the cover and its notice
    is due; None otherwise."""
    day = cap_day(birth_date, cap)
    if day is None or not (enrolment.starts_on <= day <= enrolment.ends_on):
        return None
    return day if notice_due(day, today) else None


# --- the insurer's roster (I8) -----------------------------------------------------------------

@dataclass(frozen=True)
class RosterRow:
    """A line of the insurer's roster for one policy, matched to a person by ID number (None: nobody)."""
    row: int
    person_id: int | None
    masked_id: str
    name: str
    starts_on: date
    ends_on: date


def reconcile(rows: list[RosterRow], enrolments) -> list[tuple]:
    """I8: (check, roster row or None, enrolment or None) for every roster row of a policy and every active
    enrolment of it the roster lacks: matched (same first and last day), dates (enrolled, other dates: compared
    with the latest cover), extra (not enrolled), missing (enrolled, not on the roster)."""
    enrolled: dict[int, list] = {}
    for enrolment in enrolments:
        if enrolment.status == EnrolmentStatus.ACTIVE:
            enrolled.setdefault(enrolment.person_id, []).append(enrolment)
    found, seen = [], set()
    for row in rows:
        mine = enrolled.get(row.person_id, []) if row.person_id is not None else []
        if not mine:
            found.append((RosterCheck.EXTRA, row, None))
            continue
        seen.add(row.person_id)
        same = next((e for e in mine if (e.starts_on, e.ends_on) == (row.starts_on, row.ends_on)), None)
        found.append((RosterCheck.MATCHED, row, same) if same is not None
                     else (RosterCheck.DATES, row, max(mine, key=lambda e: (e.ends_on, e.id))))
    for person_id, mine in sorted(enrolled.items()):
        if person_id not in seen:
            found.append((RosterCheck.MISSING, None, max(mine, key=lambda e: (e.ends_on, e.id))))
    return found
