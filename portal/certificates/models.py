"""Requests for certificates: the volunteer's request or the unit's start, through preparation and
countersignature to a document in the register (portal.documents)."""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.documents.models import Document
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow

# The certificate kinds: a request's kind is the kind of the document it leads to.
PERFORMANCE = "performance"
ENGLISH_CERTIFICATE = "english_certificate"
ENGLISH_TRANSCRIPT = "english_transcript"
REQUEST_KINDS = (PERFORMANCE, ENGLISH_CERTIFICATE, ENGLISH_TRANSCRIPT)


class RequestStatus(StrEnum):
    """A request's status; the values are what the database stores."""
    REQUESTED = "requested"
    PREPARED = "prepared"       # performance certificates: the clerk prepared it, a supervisor countersigns
    ISSUED = "issued"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


OPEN_REQUEST_STATUSES = (RequestStatus.REQUESTED, RequestStatus.PREPARED)


class RequestOrigin(StrEnum):
    """Who started the request: the volunteer, or the unit (then it starts prepared)."""
    VOLUNTEER = "volunteer"
    UNIT = "unit"


PURPOSES = ("exchange", "study", "visa", "work", "other")


class CertificateRequest(db.Model):
    """A request for a performance certificate or an English document, from the volunteer or the unit."""
    __tablename__ = "certificate_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    origin: Mapped[str] = mapped_column(String(10))  # "volunteer" or "unit"
    purpose: Mapped[str] = mapped_column(String(20), default="")
    purpose_note: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(12), default=RequestStatus.REQUESTED, index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_on: Mapped[date]
    due_on: Mapped[date]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    prepared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    prepared_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decline_reason: Mapped[str] = mapped_column(String(300), default="")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped["Person"] = relationship()  # noqa: F821
    unit: Mapped["Unit"] = relationship()  # noqa: F821
    document: Mapped[Document | None] = relationship()
    prepared_by: Mapped["User | None"] = relationship(foreign_keys=[prepared_by_id])  # noqa: F821
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES

    @property
    def is_performance(self) -> bool:
        return self.kind == PERFORMANCE

    @property
    def is_from_volunteer(self) -> bool:
        return self.origin == RequestOrigin.VOLUNTEER

    @property
    def awaits_preparation(self) -> bool:
        """A performance certificate the volunteer requested: the clerk prepares it first."""
        return self.is_performance and self.status == RequestStatus.REQUESTED

    @property
    def awaits_countersignature(self) -> bool:
        return self.is_performance and self.status == RequestStatus.PREPARED

    @property
    def is_decided(self) -> bool:
        """Issued or declined: someone at the unit decided it (withdrawn is the volunteer's own step)."""
        return self.status in (RequestStatus.ISSUED, RequestStatus.DECLINED)

    def __repr__(self):
        return f"<CertificateRequest {self.id} {self.kind} {self.status}>"
