"""Training records (basic / special per field) that unlock service hours, their certificate
files, and lost-certificate cases with their decisions."""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from portal.platform.uploads import StoredFile  # noqa: F401  (the target of TrainingFile.file)
from portal.registry.catalog import FIELD_BY_CODE


class TrainingKind(StrEnum):
    """The values are what the database stores and templates compare."""
    BASIC = "basic"
    SPECIAL = "special"


class TrainingStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Basis(StrEnum):
    """How a record came to count: an uploaded certificate, the rule for health-and-welfare record-book
    holders, or an authority's decision on a lost-certificate case (docs/rules/training.md#t4, #t7, #t8)."""
    CERTIFICATE = "certificate"
    RECORD_BOOK_RULE = "record_book_rule"
    AUTHORITY_DECISION = "authority_decision"


class Source(StrEnum):
    """Who put the record in: the unit's form, the volunteer, an import, a lost-certificate decision."""
    UNIT = "unit"
    VOLUNTEER = "volunteer"
    IMPORT = "import"
    LOST_CASE = "lost_case"


class CaseStatus(StrEnum):
    FILED = "filed"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class TrainingRecord(db.Model):
    __tablename__ = "training_records"
    # Keyset orders of the lists that show this table (newest or first in order, then id).
    __table_args__ = (Index("ix_training_records_created", "created_at", "id"), Index("ix_training_records_person_kind", "person_id", "kind", "status", "field_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    field_code: Mapped[str | None] = mapped_column(String(20))
    course_name: Mapped[str] = mapped_column(String(120), default="")
    hours: Mapped[float | None] = mapped_column(Numeric(5, 1))
    provider: Mapped[str] = mapped_column(String(120), default="")
    completed_on: Mapped[date | None]
    effective_on: Mapped[date | None]
    certificate_no: Mapped[str] = mapped_column(String(60), default="", index=True)
    status: Mapped[str] = mapped_column(String(10), default=TrainingStatus.PENDING, index=True)
    basis: Mapped[str] = mapped_column(String(20), default=Basis.CERTIFICATE)
    source: Mapped[str] = mapped_column(String(10), default=Source.UNIT)
    lost_case_id: Mapped[int | None] = mapped_column(ForeignKey("training_lost_cases.id"))
    reject_reason: Mapped[str] = mapped_column(String(300), default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped["Person"] = relationship()  # noqa: F821
    unit: Mapped["Unit | None"] = relationship()  # noqa: F821
    lost_case: Mapped["LostCertificateCase | None"] = relationship(foreign_keys=[lost_case_id])
    attachments: Mapped[list["TrainingFile"]] = relationship(
        primaryjoin="and_(TrainingFile.record_id == TrainingRecord.id, TrainingFile.removed_at.is_(None))",
        order_by="TrainingFile.id", viewonly=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def field(self):
        return FIELD_BY_CODE.get(self.field_code)

    @property
    def is_verified(self) -> bool:
        return self.status == TrainingStatus.VERIFIED

    @property
    def is_rejected(self) -> bool:
        return self.status == TrainingStatus.REJECTED

    def __repr__(self):
        return f"<TrainingRecord {self.id} {self.kind} {self.field_code} {self.status}>"


class LostCertificateCase(db.Model):
    """A unit's request to recognise training whose certificate is lost (docs/rules/training.md#t7, #t8)."""
    __tablename__ = "training_lost_cases"
    # Keyset orders of the lists that show this table (newest or first in order, then id).
    __table_args__ = (Index("ix_training_lost_cases_created", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    field_code: Mapped[str | None] = mapped_column(String(20))
    course_name: Mapped[str] = mapped_column(String(120), default="")
    provider: Mapped[str] = mapped_column(String(120), default="")
    approx_completed_on: Mapped[date | None]
    evidence: Mapped[str] = mapped_column(Text, default="")
    holds_record_book: Mapped[bool] = mapped_column(default=False)
    record_book_no: Mapped[str] = mapped_column(String(30), default="")
    record_book_issued_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(10), default=CaseStatus.FILED, index=True)
    basis: Mapped[str] = mapped_column(String(20), default="")
    effective_on: Mapped[date | None]
    refusal_reason: Mapped[str] = mapped_column(String(300), default="")
    decision_note: Mapped[str] = mapped_column(String(300), default="")
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped["Person"] = relationship()  # noqa: F821
    unit: Mapped["Unit"] = relationship()  # noqa: F821
    decided_by_authority: Mapped["Authority | None"] = relationship()  # noqa: F821
    attachments: Mapped[list["TrainingFile"]] = relationship(
        primaryjoin="and_(TrainingFile.case_id == LostCertificateCase.id, TrainingFile.removed_at.is_(None))",
        order_by="TrainingFile.id", viewonly=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def field(self):
        return FIELD_BY_CODE.get(self.field_code)

    @property
    def is_filed(self) -> bool:
        """Waiting for a decision."""
        return self.status == CaseStatus.FILED

    @property
    def is_accepted(self) -> bool:
        return self.status == CaseStatus.ACCEPTED

    @property
    def is_refused(self) -> bool:
        return self.status == CaseStatus.REFUSED


class TrainingFile(db.Model):
    """A stored file attached to a training record or a lost-certificate case; removal is a mark."""
    __tablename__ = "training_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("training_records.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("training_lost_cases.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), unique=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None]

    file: Mapped["StoredFile"] = relationship(lazy="joined")  # noqa: F821
    record: Mapped[TrainingRecord | None] = relationship(foreign_keys=[record_id])
    case: Mapped[LostCertificateCase | None] = relationship(foreign_keys=[case_id])
