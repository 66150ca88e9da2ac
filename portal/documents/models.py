"""The register of issued documents and their stored PDFs. Rows are never deleted: revoked or superseded instead."""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow


class DocumentStatus(StrEnum):
    """A document's status; the values are what the database stores and templates compare."""
    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


DOCUMENT_STATUSES = tuple(DocumentStatus)
# The names the features (honor cards, record books, awards) import.
VALID, REVOKED, SUPERSEDED = DocumentStatus.VALID, DocumentStatus.REVOKED, DocumentStatus.SUPERSEDED


class Document(db.Model):
    """One issued document with its verification token. Never deleted: revoked or superseded instead.

    `payload` is the snapshot of everything printed, so the verification page and a later
    download show what was issued even when the record changes afterwards.
    """
    __tablename__ = "documents"
    # Keyset orders of the lists that show this table (newest or first in order, then id).
    __table_args__ = (Index("ix_documents_issued", "issued_at", "id"), Index("ix_documents_unit_issued", "unit_id", "issued_at", "id"), Index("ix_documents_person_issued", "person_id", "issued_at", "id"), Index("ix_documents_authority_issued", "authority_id", "issued_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    language: Mapped[str] = mapped_column(String(10))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    short_code: Mapped[str] = mapped_column(String(16), unique=True)
    issuer_name: Mapped[str] = mapped_column(String(200), default="")
    issuer_name_en: Mapped[str] = mapped_column(String(200), default="")
    total_half_hours: Mapped[int | None]
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_on: Mapped[date]
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12), default=DocumentStatus.VALID, index=True)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str] = mapped_column(String(300), default="")
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    superseded_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped["Person"] = relationship()  # noqa: F821
    unit: Mapped["Unit | None"] = relationship()  # noqa: F821
    authority: Mapped["Authority | None"] = relationship()  # noqa: F821
    issued_by: Mapped["User | None"] = relationship(foreign_keys=[issued_by_id])  # noqa: F821
    file: Mapped["DocumentFile | None"] = relationship(back_populates="document", uselist=False)

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_revoked(self) -> bool:
        return self.status == DocumentStatus.REVOKED

    @property
    def is_superseded(self) -> bool:
        return self.status == DocumentStatus.SUPERSEDED

    def validity(self) -> tuple[date | None, date | None]:
        """The period a time-limited document (e.g. an honor card) is good for, if it has one."""
        payload = self.payload or {}
        return tuple(date.fromisoformat(payload[key]) if payload.get(key) else None
                     for key in ("valid_from", "valid_to"))

    def public_status(self, today: date) -> str:
        """valid / expired / revoked / superseded, as the verification page states it."""
        valid_to = self.validity()[1]
        if self.status == DocumentStatus.VALID and valid_to is not None and today > valid_to:
            return "expired"
        return self.status

    def __repr__(self):
        return f"<Document {self.id} {self.kind} {self.status}>"


class DocumentFile(db.Model):
    """The PDF exactly as issued, kept in the database so every worker (web or RQ) can serve it."""
    __tablename__ = "document_files"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="file")
