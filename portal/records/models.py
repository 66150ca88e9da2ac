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
from sqlalchemy import ForeignKey, String
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
