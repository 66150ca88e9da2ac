"""Which using units a user may see: the base of every scoped query in the portal."""
from flask import abort
from sqlalchemy import and_, false, select, true

from portal.platform import access
from portal.platform.extensions import db
from .models import Unit


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
