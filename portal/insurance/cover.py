"""Cover over time as SQL (docs/rules/insurance.md#i5, #i6): which hour entries fall on a day without cover
by the unit's insurance, for a list or a count, set-based.

An entry is on an uninsured day when its first day is not covered, or when some cover of the same person for
the same unit ends inside the entry's range and the next day is not covered (the first uncovered day after a
covered first day always follows the end of a cover). Each test is an index probe on
ix_insurance_enrolments_person_dates per entry; the entries come from the hour indexes by unit and day, so a
list or a count reads one unit's (or county's) entries of one year, never the whole table.
"""
from datetime import date

from sqlalchemy import Date, and_, exists, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from portal.hours.models import EntryStatus, HourEntry
from portal.platform.extensions import db
from portal.registry.scopes import visible_unit_ids

from .models import EnrolmentStatus, InsuranceEnrolment, InsurancePolicy, PolicyStatus
from .rules import cover_gaps, cover_overlaps, cover_periods

# Claims waiting for approval are flagged too: the unit sees the problem before it approves them.
FLAGGED_STATUSES = (EntryStatus.ACTIVE, EntryStatus.PENDING)


class next_day(FunctionElement):  # noqa: N801 (an SQL function's name)
    """The day after a date column, in each backend's date arithmetic."""
    type = Date()
    inherit_cache = True


@compiles(next_day)
def _next_day_default(element, compiler, **kw):
    return f"({compiler.process(element.clauses, **kw)} + 1)"      # PostgreSQL: date + integer


@compiles(next_day, "sqlite")
def _next_day_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+1 day')"


def _covers(person, unit, day):
    """SQL: some active cover of `person` for `unit`'s service includes `day` (docs/rules/insurance.md#i4)."""
    e, p = aliased(InsuranceEnrolment), aliased(InsurancePolicy)
    return exists().where(e.person_id == person, e.unit_id == unit, e.starts_on <= day, e.ends_on >= day,
                          e.status == EnrolmentStatus.ACTIVE, p.id == e.policy_id, p.status == PolicyStatus.ACTIVE)


def uninsured():
    """SQL condition on HourEntry: the entry falls on at least one day without cover (I6);
    rules.uninsured_days is the same rule in Python."""
    e, p = aliased(InsuranceEnrolment), aliased(InsurancePolicy)
    ends_inside = exists().where(
        e.person_id == HourEntry.person_id, e.unit_id == HourEntry.unit_id, e.status == EnrolmentStatus.ACTIVE,
        p.id == e.policy_id, p.status == PolicyStatus.ACTIVE,
        e.ends_on >= HourEntry.start_on, e.ends_on < HourEntry.end_on,
        ~_covers(HourEntry.person_id, HourEntry.unit_id, next_day(e.ends_on)))
    return ~_covers(HourEntry.person_id, HourEntry.unit_id, HourEntry.start_on) | ends_inside


def unit_condition(user, unit_id: int | None = None):
    """The entries of the user's units (unit staff: their unit; an authority: its units), or of one of them."""
    condition = HourEntry.unit_id.in_(visible_unit_ids(user))
    if unit_id is not None:
        condition = condition & (HourEntry.unit_id == unit_id)
    return condition


def flagged_in_year(user, year: int, unit_id: int | None = None):
    """SQL condition on HourEntry: flagged (I6), starting in `year`, in the user's units (or one of them).
    One year at a time: cover recorded in the portal starts with its first policies, so earlier years would
    flag every entry, and a year bounds what a list or a work-list count reads."""
    return and_(unit_condition(user, unit_id), HourEntry.status.in_(FLAGGED_STATUSES),
                HourEntry.start_on >= date(year, 1, 1), HourEntry.start_on <= date(year, 12, 31), uninsured())


def uninsured_entries(user, year: int, unit_id: int | None = None):
    """select(HourEntry) of the flagged entries (no order: the list pages it by keyset)."""
    return select(HourEntry).where(flagged_in_year(user, year, unit_id))


def person_cover(person_id: int, user) -> dict[int, dict]:
    """{unit id: {"enrolments", "periods", "gaps", "overlaps"}} of one person for the user's units, every
    enrolment (void too); another unit's cover is that unit's business."""
    enrolments = db.session.scalars(
        select(InsuranceEnrolment).join(InsuranceEnrolment.policy)
        .where(InsuranceEnrolment.person_id == person_id, InsurancePolicy.status == PolicyStatus.ACTIVE,
               InsuranceEnrolment.unit_id.in_(visible_unit_ids(user)))
        .order_by(InsuranceEnrolment.unit_id, InsuranceEnrolment.starts_on, InsuranceEnrolment.id)).all()
    by_unit: dict[int, list] = {}
    for enrolment in enrolments:
        by_unit.setdefault(enrolment.unit_id, []).append(enrolment)
    out = {}
    for unit_id, rows in by_unit.items():
        periods = cover_periods(rows)
        out[unit_id] = {"unit": rows[0].unit, "enrolments": rows, "periods": periods, "gaps": cover_gaps(periods),
                        "overlaps": cover_overlaps(rows)}
    return out
