"""Which hour entries a user may see or change: the one place that decides it.

Volunteers see their own entries from every unit; staff and authorities see the entries of
the units in their scope. Another unit's entries for a shared volunteer are never rows for
a unit: they only reach it as a total per unit (see operations.person_totals).
"""
from flask import abort
from sqlalchemy import false, select

from portal.platform import access
from portal.platform.extensions import db
from portal.registry.scopes import visible_unit_ids, writable_unit_ids
from .models import HourEntry


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
