"""What the insurance rules need from the database: the insurers with their caps, who is covered
on a day (docs/rules/insurance.md#i4, as an SQL condition for lists), and who may be enrolled."""
from datetime import date

from sqlalchemy import and_, exists, select

from portal.platform import access
from portal.platform.extensions import db
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


def candidate_memberships(policy: InsurancePolicy, user) -> list[Membership]:
    """Current members who may be enrolled: the holder unit's, or for a county policy the county's."""
    query = (select(Membership).join(Membership.person).join(Membership.unit)
             .where(Membership.is_current))
    if policy.unit_id is not None:
        query = query.where(Membership.unit_id == policy.unit_id)
    else:
        query = query.where(Unit.county_code == policy.authority.county_code)
    if user.role != access.MINISTRY:
        query = query.where(Membership.unit_id.in_(visible_unit_ids(user)))
    return list(db.session.scalars(query.order_by(Unit.code, Person.name, Membership.id)))
