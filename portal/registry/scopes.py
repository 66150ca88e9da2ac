"""Which using units a user may see: the base of every scoped query in the portal.

Which people and memberships a user may see or change: the one place that decides it.
"""
from flask import abort
from sqlalchemy import and_, exists, false, select, true

from portal.platform import access
from portal.platform.extensions import db

from .models import Membership, Person, Unit


def unit_scope(user):
    """A SQL condition on Unit that is true for the units within the user's scope."""
    role = getattr(user, "role", access.ANONYMOUS)
    authority = getattr(user, "authority", None)
    if role in access.UNIT_STAFF:
        return Unit.id == user.unit_id
    if role == access.MINISTRY:
        return true()
    if authority is None:
        return false()
    if role == access.COUNTY:
        return Unit.county_code == authority.county_code
    if role == access.SECTOR_LOCAL:
        return and_(Unit.county_code == authority.county_code, Unit.field_code == authority.field_code)
    if role == access.SECTOR_CENTRAL:
        return Unit.field_code == authority.field_code
    return false()


def visible_units(user):
    return select(Unit).where(unit_scope(user)).order_by(Unit.county_code, Unit.code)


def visible_unit_ids(user):
    return select(Unit.id).where(unit_scope(user))


def in_unit_scope(unit_id_column, user):
    """SQL: the row's unit is within the user's scope. No condition at all for the ministry, which sees every
    unit: `IN (SELECT id FROM units)` made PostgreSQL join every summary row of the country to the units first."""
    if getattr(user, "role", None) == access.MINISTRY:
        return true()
    return unit_id_column.in_(visible_unit_ids(user))


def writable_unit_ids(user):
    """Units whose volunteer records the user may change: only the unit's own staff."""
    if user.role in access.UNIT_STAFF:
        return select(Unit.id).where(Unit.id == user.unit_id)
    return select(Unit.id).where(false())


def get_unit_or_404(unit_id: int, user) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.id == unit_id, unit_scope(user)))
    if unit is None:
        abort(404)
    return unit


def person_scope(user):
    """SQL condition on Person: the volunteer's own record, or people serving in a visible unit."""
    if user.role == access.VOLUNTEER:
        return Person.id == user.person_id if user.person_id else false()
    return exists().where(Membership.person_id == Person.id, Membership.unit_id.in_(visible_unit_ids(user)))


def writable_person_scope(user):
    return exists().where(Membership.person_id == Person.id, Membership.unit_id.in_(writable_unit_ids(user)))


def get_person_or_404(person_id: int, user, for_write: bool = False) -> Person:
    condition = writable_person_scope(user) if for_write else person_scope(user)
    person = db.session.scalar(select(Person).where(Person.id == person_id, condition))
    if person is None:
        abort(404)
    return person


def membership_scope(user):
    if user.role == access.VOLUNTEER:
        return Membership.person_id == user.person_id if user.person_id else false()
    return Membership.unit_id.in_(visible_unit_ids(user))


def get_membership_or_404(membership_id: int, user, for_write: bool = False) -> Membership:
    condition = Membership.unit_id.in_(writable_unit_ids(user)) if for_write else membership_scope(user)
    membership = db.session.scalar(select(Membership).where(Membership.id == membership_id, condition))
    if membership is None:
        abort(404)
    return membership


def visible_memberships(user, person: Person) -> list[Membership]:
    """A person's memberships in units the user may see (all of them for the volunteer)."""
    return list(db.session.scalars(
        select(Membership).where(Membership.person_id == person.id, membership_scope(user))
        .order_by(Membership.joined_on)))
