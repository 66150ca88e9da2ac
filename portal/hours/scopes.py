"""Which hour entries a user may see or change: the one place that decides it.

Volunteers see their own entries from every unit; staff and authorities see the entries of
the units in their scope. Another unit's entries for a shared volunteer are never rows for
a unit: they only reach it as a total per unit (see operations.person_totals).
"""
from flask import abort
from sqlalchemy import false, func, select

from portal.platform import access
from portal.platform.extensions import db
from portal.registry.models import Membership, Unit
from portal.registry.scopes import visible_unit_ids, visible_units, writable_unit_ids

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


# Above this many units a filter asks for a unit's code instead of listing them all (a county has ~1,000,
# the ministry ~20,000: building and sending that many options cost the ministry's list 0.8 s).
UNIT_CHOICES = 300


def filter_units(user) -> list[Unit] | None:
    """The units a list may be narrowed to: none for a volunteer (own entries from every unit); None when the
    scope has more than UNIT_CHOICES (the filter then takes a unit code, `unit_by_reference`)."""
    if user.role == access.VOLUNTEER:
        return []
    units = db.session.scalars(visible_units(user).limit(UNIT_CHOICES + 1)).all()
    return None if len(units) > UNIT_CHOICES else units


def unit_by_reference(user, text: str) -> Unit | None:
    """The unit of the user's scope with this code (any case) or id, or None."""
    text = (text or "").strip()
    if not text:
        return None
    match = Unit.id == int(text) if text.isdigit() and len(text) < 10 else func.upper(Unit.code) == text.upper()
    return db.session.scalar(select(Unit).where(match, Unit.id.in_(visible_unit_ids(user))))


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
