"""Training records (basic / special per field) that unlock service hours."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

KINDS = ("basic", "special")
STATUSES = ("pending", "verified", "rejected")
# How a record came to count: an uploaded certificate, the seed's rule for health-and-welfare
# record-book holders, or an authority's decision on a lost-certificate case.
BASES = ("certificate", "record_book_rule", "authority_decision")


class TrainingRecord(db.Model):
    __tablename__ = "training_records"

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
    status: Mapped[str] = mapped_column(String(10), default="pending")
    basis: Mapped[str] = mapped_column(String(20), default="certificate")
    reject_reason: Mapped[str] = mapped_column(String(300), default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped["Person"] = relationship()  # noqa: F821

    __mapper_args__ = {"version_id_col": version}
