"""A using unit's application to be registered (docs/rules/unit-registration.md#ur1): what it says about
itself, its plan document, and the authority's decision. Nothing is deleted: a returned application stays as
it was returned, and the unit applies again with a new one."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from portal.platform.uploads import StoredFile  # noqa: F401  (the target of UnitApplication.plan)
from portal.registry.catalog import COUNTY_BY_CODE, FIELD_BY_CODE


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


APPLICATION_STATUSES = tuple(ApplicationStatus)


class UnitApplication(db.Model):
    __tablename__ = "unit_applications"
    # The authorities' queue: their county's applications of one status, oldest first (keyset order).
    __table_args__ = (Index("ix_unit_applications_queue", "county_code", "status", "submitted_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=ApplicationStatus.SUBMITTED)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    county_code: Mapped[str] = mapped_column(String(3))
    field_code: Mapped[str] = mapped_column(String(20))   # the main service field
    # Further service fields, comma-separated (they become the unit's registry.UnitField rows).
    further_fields: Mapped[str] = mapped_column(String(400), default="")
    sector: Mapped[str] = mapped_column(String(10))
    contact_name: Mapped[str] = mapped_column(String(60))
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str] = mapped_column(String(30))
    plan_file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    # The language the applicant used: the e-mails about the application are written in it.
    locale: Mapped[str] = mapped_column(String(10), default="zh_TW")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    return_reason: Mapped[str] = mapped_column(String(300), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    plan: Mapped["StoredFile"] = relationship()
    unit: Mapped["Unit | None"] = relationship()  # noqa: F821
    supervisor: Mapped["User | None"] = relationship(foreign_keys=[supervisor_id])  # noqa: F821
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def fields(self) -> list[str]:
        """The main field first, then the further ones."""
        return [self.field_code] + [code for code in self.further_fields.split(",") if code]

    @property
    def county(self):
        return COUNTY_BY_CODE.get(self.county_code)

    @property
    def field_entries(self):
        return [FIELD_BY_CODE[code] for code in self.fields if code in FIELD_BY_CODE]

    @property
    def is_open(self) -> bool:
        return self.status == ApplicationStatus.SUBMITTED

    def __repr__(self):
        return f"<UnitApplication {self.reference}>"
