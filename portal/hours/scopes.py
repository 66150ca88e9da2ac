"""Which hour entries a user may see or change: the one place that decides it.

Volunteers see their own entries from every unit; staff and authorities see the entries of
the units in their scope. Another unit's entries for a shared volunteer are never rows for
a unit: they only reach it as a total per unit (see operations.person_totals).
"""
from flask import abort
from sqlalchemy import false, select

from portal.platform import access
from portal.platform.extensions import db
from portal.registry.models import Membership, Unit
from portal.registry.scopes import visible_unit_ids, writable_unit_ids

from .models import EntryStatus, HourEntry

# Who reads hour entries: record readers (staff, authorities) and volunteers (their own).
READERS = (*access.RECORD_READERS, access.VOLUNTEER)


def entry_scope(user):
    if user.role == access.VOLUNTEER:
        return HourEntry.person_id == user.person_id if user.person_id else false()
    return HourEntry.unit_id.in_(visible_unit_ids(user))


def writable_entry_scope(user):
    return HourEntry.unit_id.in_(writable_unit_ids(user))


def get_entry_or_404(entry_id: int, user, for_write: bool = False) -> HourEntry:
    condition = writable_entry_scope(user) if for_write else entry_scope(user)
    entry = db.session.scalar(select(HourEntry).where(HourEntry.id == entry_id, condition))
    if entry is None:
        abort(404)
    return entry


def may_change_entry(entry: HourEntry, user) -> bool:
    """Only the unit's own staff correct or void an entry, and only while it counts."""
    return entry.status == EntryStatus.ACTIVE and user.role in access.UNIT_STAFF and entry.unit_id == user.unit_id


def may_export_full_ids(user) -> bool:
    """Full ID numbers leave the portal only with the unit's own staff (the download is audited)."""
    return user.role in access.UNIT_STAFF


def totals_row_units(user) -> set[int] | None:
    """Units whose rows (by field, by year) a person's totals show this user; None: every unit
    (the volunteer and the ministry). Other units appear only as their total."""
    if user.role in (access.VOLUNTEER, access.MINISTRY):
        return None
    return set(db.session.scalars(visible_unit_ids(user)))


def claim_units(person_id: int) -> list[Unit]:
    """The units a volunteer may claim hours from: those the volunteer currently serves in."""
    return db.session.scalars(select(Unit).where(Unit.id.in_(
        select(Membership.unit_id).where(Membership.person_id == person_id, Membership.is_current)))
        .order_by(Unit.code)).all()
