"""Which people and memberships a user may see or change: the one place that decides it."""
from flask import abort
from sqlalchemy import exists, false, select

from portal.platform import access
from portal.platform.extensions import db
from portal.units.scopes import visible_unit_ids, writable_unit_ids
from .models import Membership, Person


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
