"""The online service record book (志願服務紀錄冊).

One book per person for life (unique person_id). The number is given once, at the first
issuance, as `<county code>-<ROC year>-<6-digit sequence per county and year>` and stays with
the person when they move unit. Renewal (換發) and reissue (補發) keep the number and raise the
edition; cancellation (註銷) keeps the row with kind "cancelled". Requests from units are rows
of RecordBookRequest until the county authority issues (or declines) them.
"""
from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow


class BookKind(StrEnum):
    """What the book's latest issuance was; CANCELLED (註銷) keeps the row."""
    FIRST = "first"
    RENEWAL = "renewal"
    REISSUE = "reissue"
    CANCELLED = "cancelled"


class RequestStatus(StrEnum):
    PENDING = "pending"
    ISSUED = "issued"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


FIRST, RENEWAL, REISSUE, CANCELLED = BookKind
KINDS = tuple(BookKind)
KIND_LABELS = {FIRST: _l("First issue (初次)"), RENEWAL: _l("Renewal (換發)"),
               REISSUE: _l("Reissue (補發)"), CANCELLED: _l("Cancelled (註銷)")}

PENDING, ISSUED, DECLINED, WITHDRAWN = RequestStatus
REQUEST_STATUS_LABELS = {PENDING: _l("Waiting for the county"), ISSUED: _l("Issued"),
                         DECLINED: _l("Declined"), WITHDRAWN: _l("Withdrawn")}


class RecordBook(db.Model):
    __tablename__ = "record_books"
    # Keyset orders of the lists that show this table (newest or first in order, then id).
    __table_args__ = (Index("ix_record_books_issued", "issued_on", "id"), Index("ix_record_books_authority_issued", "authority_id", "issued_on", "id"),
                      # A scope's books per year below the ministry (the dashboards).
                      Index("ix_record_books_unit_issued", "unit_id", "issued_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), unique=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default=FIRST)
    edition: Mapped[int] = mapped_column(default=1)
    requested_on: Mapped[date | None]
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    issued_on: Mapped[date]
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_on: Mapped[date | None]
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped["Person"] = relationship()  # noqa: F821
    unit: Mapped["Unit | None"] = relationship()  # noqa: F821
    authority: Mapped["Authority | None"] = relationship()  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_cancelled(self) -> bool:
        return self.kind == BookKind.CANCELLED

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    def __repr__(self):
        return f"<RecordBook {self.number} {self.kind}>"


class RecordBookRequest(db.Model):
    """A unit's request to issue (first / renewal / reissue) a person's record book."""
    __tablename__ = "record_book_requests"
    # Keyset orders of the lists that show this table (newest or first in order, then id).
    __table_args__ = (Index("ix_record_book_requests_queue", "status", "requested_on", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=FIRST)
    reason: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default=PENDING, index=True)
    requested_on: Mapped[date]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decline_reason: Mapped[str] = mapped_column(String(200), default="")
    book_id: Mapped[int | None] = mapped_column(ForeignKey("record_books.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped["Person"] = relationship()  # noqa: F821
    unit: Mapped["Unit"] = relationship()  # noqa: F821
    book: Mapped[RecordBook | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def is_pending(self) -> bool:
        return self.status == RequestStatus.PENDING

    @property
    def status_label(self):
        return REQUEST_STATUS_LABELS.get(self.status, self.status)


# --- completeness summaries (summaries.py keeps them, rates.py reads them) -------------------------

BASE = date(1, 1, 1)           # the base row's day: before every change


class CompletenessPair(db.Model):
    """What decides one current (person, unit) pair's items."""
    __tablename__ = "completeness_pairs"
    # A unit's volunteers by name, a page at a time, straight from this index (no sort of the whole unit).
    __table_args__ = (Index("ix_completeness_pairs_unit_name", "unit_id", "name", "person_id"),)

    person_id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), default="")   # the person's, for the unit's list
    county_code: Mapped[str] = mapped_column(String(10), default="")   # the unit's, for the county rows
    flags: Mapped[int] = mapped_column(SmallInteger)   # bit i: STATIC_ITEMS[i] present
    hours_until: Mapped[date | None]                   # the hours item is present on days before this
    cover: Mapped[str] = mapped_column(Text, default="")   # "start/end,start/end" (ISO days, merged)


class CompletenessCounts:
    """The counts of completeness.COUNTS: people (current pairs), people per item, complete records."""
    people: Mapped[int] = mapped_column(default=0)
    id_number: Mapped[int] = mapped_column(default=0)
    birth_date: Mapped[int] = mapped_column(default=0)
    photo: Mapped[int] = mapped_column(default=0)
    training: Mapped[int] = mapped_column(default=0)
    record_book: Mapped[int] = mapped_column(default=0)
    hours: Mapped[int] = mapped_column(default=0)
    insurance: Mapped[int] = mapped_column(default=0)
    complete: Mapped[int] = mapped_column(default=0)


class CompletenessDay(CompletenessCounts, db.Model):
    """The change of one unit's counts on `day` (the base row, BASE, holds all changes up to its last fold)."""
    __tablename__ = "completeness_days"

    unit_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class CompletenessCountyDay(CompletenessCounts, db.Model):
    """The same per county, split over shards by unit id (two units' writers rarely share a row): the
    ministry's rows per county without adding up 20,000 units."""
    __tablename__ = "completeness_county_days"

    county_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
