"""Record-book rules: prerequisites, requests, numbering, issuance (flush, never commit)."""
from sqlalchemy import select

from ..extensions import db
from .models import CANCELLED, RecordBook


def issued_record_book(person_id: int) -> RecordBook | None:
    """The person's current valid record book, None if none was issued or it is cancelled."""
    book = db.session.scalar(select(RecordBook).where(RecordBook.person_id == person_id))
    if book is None or book.kind == CANCELLED:
        return None
    return book
