"""Which record books and requests a user may see or act on: the one place that decides it.

A book belongs to the person for life, so it is visible wherever the person is (the
volunteer, and the staff and authorities of any unit the person serves in). Requests belong
to the requesting unit: its staff may withdraw them, the county authority of that unit's
county issues or declines them. Out of scope answers 404 exactly like a missing id.
"""
from flask import abort
from sqlalchemy import false, select

from portal.platform import access
from portal.platform.extensions import db
from portal.registry.models import Person, Unit
from portal.registry.scopes import person_scope, visible_unit_ids

from .models import RecordBook, RecordBookRequest


def book_scope(user):
    return RecordBook.person_id.in_(select(Person.id).where(person_scope(user)))


def get_book_or_404(book_id: int, user) -> RecordBook:
    book = db.session.scalar(select(RecordBook).where(RecordBook.id == book_id, book_scope(user)))
    if book is None:
        abort(404)
    return book


def get_book_to_cancel_or_404(book_id: int, user) -> RecordBook:
    """The county authority may cancel a book of a person serving in its county."""
    if user.role != access.COUNTY:
        abort(404)
    return get_book_or_404(book_id, user)


def request_scope(user):
    if user.role == access.VOLUNTEER:
        return RecordBookRequest.person_id == user.person_id if user.person_id else false()
    return RecordBookRequest.unit_id.in_(visible_unit_ids(user))


def get_request_or_404(request_id: int, user, action: str = "read") -> RecordBookRequest:
    """action: "read", "withdraw" (staff of the requesting unit) or "decide" (county of the unit)."""
    if action == "withdraw":
        condition = RecordBookRequest.unit_id == user.unit_id if user.role in access.UNIT_STAFF else false()
    elif action == "decide":
        condition = (RecordBookRequest.unit_id.in_(select(Unit.id).where(
            Unit.county_code == user.authority.county_code))
            if user.role == access.COUNTY and user.authority is not None else false())
    else:
        condition = request_scope(user)
    req = db.session.scalar(select(RecordBookRequest).where(RecordBookRequest.id == request_id, condition))
    if req is None:
        abort(404)
    return req


def row_units_for(user) -> set[int] | None:
    """Units whose hour rows the viewer may see (None = all: the volunteer themself, the ministry)."""
    if user.role in (access.VOLUNTEER, access.MINISTRY):
        return None
    return set(db.session.scalars(visible_unit_ids(user)))
