"""The insurance rules (docs/rules/insurance.md I2–I4), pure: facts in, decision and reasons out.

No database and no request here: facts.py loads the insurers and who is enrolled, operations.py
and the views act on these answers.
"""
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from flask_babel import gettext as _

from portal.platform.i18n import format_date, localized
from portal.registry.catalog import COUNTY_BY_CODE

from .models import EnrolmentStatus, PolicyStatus

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
