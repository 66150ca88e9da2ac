"""Which accounts an actor sees and acts on (docs/rules/accounts.md#am1): the admin any account; a unit
supervisor the clerks of their unit; a county the supervisors of its units and its own staff; the ministry
the authority accounts. Outside that, an account answers 404 exactly like one that does not exist.
The SQL condition mirrors rules.manageable (tests compare them account by account)."""
from flask import abort
from sqlalchemy import and_, false, or_, select, true

from portal.auth.models import User
from portal.platform import access
from portal.platform.extensions import db
from portal.registry.models import Authority, Unit

from .rules import Anchor, creatable_roles


def anchor_of(user) -> Anchor:
    """The account's anchor: its unit and the unit's county, or its authority and the authority's county."""
    if user.unit is not None:
        return Anchor(unit_id=user.unit_id, county_code=user.unit.county_code)
    if user.authority is not None:
        return Anchor(authority_id=user.authority_id, county_code=user.authority.county_code)
    return Anchor()


def anchor_for_scope(scope: dict) -> Anchor:
    """The anchor a new account with `scope` ({unit_id, authority_id, person_id}) will have."""
    if scope.get("unit_id"):
        unit = db.session.get(Unit, scope["unit_id"])
        return Anchor(unit_id=unit.id, county_code=unit.county_code)
    if scope.get("authority_id"):
        authority = db.session.get(Authority, scope["authority_id"])
        return Anchor(authority_id=authority.id, county_code=authority.county_code)
    return Anchor()


def manageable_accounts(actor):
    """A SQL condition on User: the accounts `actor` may see and manage (never their own, but for the admin)."""
    role = actor.role
    if role == access.ADMIN:
        return true()
    roles = creatable_roles(role)
    others = User.id != actor.id
    if role == access.UNIT_SUPERVISOR and actor.unit_id is not None:
        return and_(others, User.role.in_(roles), User.unit_id == actor.unit_id)
    if role == access.COUNTY and actor.authority is not None:
        county_units = select(Unit.id).where(Unit.county_code == actor.authority.county_code)
        return and_(others, or_(and_(User.role == access.UNIT_SUPERVISOR, User.unit_id.in_(county_units)),
                                and_(User.role == access.COUNTY, User.authority_id == actor.authority_id)))
    if role == access.MINISTRY:
        return and_(others, User.role.in_(roles))
    return false()


def get_user_or_404(user_id: int, actor) -> User:
    user = db.session.scalar(select(User).where(User.id == user_id, manageable_accounts(actor)))
    if user is None:
        abort(404)
    return user


def county_unit(code: str, actor) -> Unit | None:
    """The unit with `code` among the county's own units (None for another county's unit, as for none)."""
    return db.session.scalar(select(Unit).where(Unit.code == (code or ""),
                                                Unit.county_code == actor.authority.county_code))
