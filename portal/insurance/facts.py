"""What the insurance rules need from the database: the insurers with their caps, who is covered
on a day (docs/rules/insurance.md#i4, as an SQL condition for lists), and who may be enrolled."""
from datetime import date

from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.orm import aliased

from portal.platform import access
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.registry.models import Membership, Person, Unit
from portal.registry.scopes import visible_unit_ids

from .models import EnrolmentStatus, InsuranceEnrolment, InsurancePolicy, Insurer, PolicyStatus
from .rules import DEFAULT_INSURERS, InsurerInfo


def insurers() -> list[InsurerInfo]:
    """The defaults, overridden and extended by the ministry's settings (no write on read)."""
    found = {code: InsurerInfo(code, *values) for code, values in DEFAULT_INSURERS.items()}
    for row in db.session.scalars(select(Insurer)):
        found[row.code] = InsurerInfo(row.code, row.name, row.name_en, row.max_age)
    return sorted(found.values(), key=lambda i: (i.code not in DEFAULT_INSURERS, i.code))


def insurer(code: str) -> InsurerInfo | None:
    return next((i for i in insurers() if i.code == code), None)


# --- who is covered ------------------------------------------------------------------------

def covered(person_id_column, day: date, unit_id_column=None):
    """SQL condition: the person is covered on `day` (for the unit's service, when unit_id_column is given);
    rules.in_force is the same rule on one enrolment."""
    conditions = [InsuranceEnrolment.person_id == person_id_column,
                  InsuranceEnrolment.status == EnrolmentStatus.ACTIVE,
                  InsuranceEnrolment.starts_on <= day, InsuranceEnrolment.ends_on >= day,
                  InsurancePolicy.id == InsuranceEnrolment.policy_id, InsurancePolicy.status == PolicyStatus.ACTIVE]
    if unit_id_column is not None:
        conditions.append(InsuranceEnrolment.unit_id == unit_id_column)
    return exists().where(and_(*conditions))


def cover_of(person_id: int, day: date | None = None) -> list[InsuranceEnrolment]:
    """The person's enrolments (newest first); with `day`, only those covering it."""
    query = (select(InsuranceEnrolment).join(InsuranceEnrolment.policy)
             .where(InsuranceEnrolment.person_id == person_id, InsuranceEnrolment.status == EnrolmentStatus.ACTIVE,
                    InsurancePolicy.status == PolicyStatus.ACTIVE)
             .order_by(InsuranceEnrolment.ends_on.desc(), InsuranceEnrolment.id.desc()))
    if day is not None:
        query = query.where(InsuranceEnrolment.starts_on <= day, InsuranceEnrolment.ends_on >= day)
    return list(db.session.scalars(query))


def enrolled_from(policy_id: int, person_id: int, starts_on: date) -> bool:
    """The person already has active cover in the policy that runs on or after `starts_on`."""
    return bool(db.session.scalar(select(InsuranceEnrolment.id).where(
        InsuranceEnrolment.policy_id == policy_id, InsuranceEnrolment.person_id == person_id,
        InsuranceEnrolment.status == EnrolmentStatus.ACTIVE, InsuranceEnrolment.ends_on >= starts_on)))


def candidate_query(policy: InsurancePolicy, user):
    """select(Membership): current members who may be enrolled, one membership per person and unit (the
    first), the holder unit's or for a county policy the county's, not already under open cover of the policy."""
    first = aliased(Membership)
    query = (select(Membership).join(Membership.person).join(Membership.unit)
             .where(Membership.is_current, Membership.id == select(func.min(first.id)).where(
                 first.person_id == Membership.person_id, first.unit_id == Membership.unit_id,
                 first.is_current).scalar_subquery(),
                 ~exists().where(InsuranceEnrolment.policy_id == policy.id,
                                 InsuranceEnrolment.person_id == Membership.person_id,
                                 InsuranceEnrolment.status == EnrolmentStatus.ACTIVE,
                                 InsuranceEnrolment.ends_on >= today_taipei())))
    if policy.unit_id is not None:
        query = query.where(Membership.unit_id == policy.unit_id)
    else:
        query = query.where(Unit.county_code == policy.authority.county_code)
    if user.role != access.MINISTRY:
        query = query.where(Membership.unit_id.in_(visible_unit_ids(user)))
    return query


def candidate_memberships(policy: InsurancePolicy, user) -> list[Membership]:
    return list(db.session.scalars(candidate_query(policy, user).order_by(Unit.code, Person.name, Membership.id)))


def years_before(day: date, years: int) -> date:
    """The last date of birth that makes a person `years` old on `day` (29 February: 28 February, as
    Person.age_on counts it)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return date(day.year - years, 2, 28)


def over_unit_cap(day: date):
    """SQL condition on Membership joined to Person: docs/rules/insurance.md#i3 — the volunteer is at or above
    the age cap of the insurer of the unit's own policy in force on `day`; with no unit policy that day, at or
    above the lowest cap of any insurer. These are the volunteers the county insures."""
    capped = [i for i in insurers() if i.max_age is not None]
    if not capped:
        return false()
    unit_policy = (InsurancePolicy.unit_id == Membership.unit_id, InsurancePolicy.status == PolicyStatus.ACTIVE,
                   InsurancePolicy.starts_on <= day, InsurancePolicy.ends_on >= day)
    by_insurer = [and_(exists().where(*unit_policy, InsurancePolicy.insurer_code == i.code),
                       Person.birth_date <= years_before(day, i.max_age)) for i in capped]
    lowest = min(i.max_age for i in capped)
    return or_(*by_insurer, and_(~exists().where(*unit_policy), Person.birth_date <= years_before(day, lowest)))
