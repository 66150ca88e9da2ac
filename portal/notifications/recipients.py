"""Who gets an event: the active accounts of volunteers, of a unit's staff, of an authority's staff.
Each is one query on indexed columns, whatever the number of ids."""
from collections.abc import Iterable

from sqlalchemy import select

from portal.auth.models import User
from portal.platform.access import UNIT_STAFF
from portal.platform.extensions import db


def _ids(values: Iterable[int | None]) -> list[int]:
    return sorted({v for v in values if v is not None})


def volunteer_accounts(person_ids: Iterable[int]) -> list[User]:
    """The active accounts of these people (a person has at most one account)."""
    ids = _ids(person_ids)
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.person_id.in_(ids), User.active.is_(True))
                                   .order_by(User.id)))


def unit_staff(unit_ids: Iterable[int], roles: Iterable[str] = UNIT_STAFF) -> list[User]:
    """The active staff accounts of these units, of the given roles (clerks and supervisors by default)."""
    ids, roles = _ids(unit_ids), tuple(roles)
    if not ids or not roles:
        return []
    return list(db.session.scalars(select(User).where(User.unit_id.in_(ids), User.role.in_(roles),
                                                      User.active.is_(True)).order_by(User.id)))


def authority_staff(authority_ids: Iterable[int]) -> list[User]:
    """The active accounts of these authorities."""
    ids = _ids(authority_ids)
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.authority_id.in_(ids), User.active.is_(True))
                                   .order_by(User.id)))
