"""Group accident insurance (志工意外事故保險): insurers with their age caps, policies, enrolments.

A policy is held by a using unit or by a county authority (要保單位) and covers the volunteers
enrolled in it from the enrolment's start to its end. Each enrolment names the unit whose
service it covers, so a unit's roster can tell who is insured for its work. Nothing is
deleted: ending cover shortens the enrolment and keeps who did it and why.
"""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow


class PolicyStatus(StrEnum):
    """The value is what the database stores; only active policies are written so far."""
    ACTIVE = "active"


class EnrolmentStatus(StrEnum):
    """An ended enrolment stays active with its new end; one ended before it started is void."""
    ACTIVE = "active"
    VOID = "void"


class Insurer(db.Model):
    """An insurer and its age cap (a setting of the ministry); defaults live in rules.DEFAULT_INSURERS."""
    __tablename__ = "insurers"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    max_age: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class InsurancePolicy(db.Model):
    __tablename__ = "insurance_policies"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="policy_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"), index=True)
    insurer_code: Mapped[str] = mapped_column(String(20))
    insurer_name: Mapped[str] = mapped_column(String(60))
    policy_no: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    cover_note: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(10), default=PolicyStatus.ACTIVE)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    unit: Mapped["Unit | None"] = relationship()  # noqa: F821
    authority: Mapped["Authority | None"] = relationship()  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def holder(self):
        return self.unit or self.authority


class InsuranceEnrolment(db.Model):
    __tablename__ = "insurance_enrolments"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="enrolment_period"),
                      Index("ix_insurance_enrolments_person_dates", "person_id", "starts_on", "ends_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("insurance_policies.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default=EnrolmentStatus.ACTIVE)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(default=1)

    policy: Mapped[InsurancePolicy] = relationship()
    person: Mapped["Person"] = relationship()  # noqa: F821
    unit: Mapped["Unit"] = relationship()  # noqa: F821

    __mapper_args__ = {"version_id_col": version}


class RosterCheck(StrEnum):
    """How a line of an insurer's roster compares with the portal's enrolments (docs/rules/insurance.md#i8)."""
    MATCHED = "matched"      # enrolled with the same dates
    DATES = "dates"          # enrolled, with other dates
    EXTRA = "extra"          # on the insurer's roster, not enrolled in the portal
    MISSING = "missing"      # enrolled in the portal, not on the insurer's roster


class RosterLine(db.Model):
    """One line of an imported insurer roster, or one enrolment the roster lacks: the reconciliation as it
    was found when the roster was imported (kept; enrolments are never changed by it)."""
    __tablename__ = "insurance_roster_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("insurance_policies.id"), index=True)
    check: Mapped[str] = mapped_column(String(10))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_enrolments.id"))
    masked_id: Mapped[str] = mapped_column(String(20), default="")
    name: Mapped[str] = mapped_column(String(60), default="")
    sheet_row: Mapped[int | None]
    roster_starts_on: Mapped[date | None]
    roster_ends_on: Mapped[date | None]

    policy: Mapped[InsurancePolicy] = relationship()
    enrolment: Mapped["InsuranceEnrolment | None"] = relationship()


class HourCoverFlag(db.Model):
    """An hour entry on a day without the unit's cover (docs/rules/insurance.md#i6), kept in the same
    transaction as every write that can change it (flags.py): rows only for flagged entries, read by the unit's
    and county's lists and counts through (unit_id, start_on) instead of finding gaps at read time."""
    __tablename__ = "hour_cover_flags"
    __table_args__ = (Index("ix_hour_cover_flags_unit_start", "unit_id", "start_on", "hour_entry_id"),
                      Index("ix_hour_cover_flags_person_unit", "person_id", "unit_id"))

    hour_entry_id: Mapped[int] = mapped_column(ForeignKey("hour_entries.id", ondelete="CASCADE"), primary_key=True,
                                               autoincrement=False)
    unit_id: Mapped[int]
    person_id: Mapped[int]
    start_on: Mapped[date]


class HourCoverCount(db.Model):
    """How many flagged entries start in one year in one unit (kept by triggers on hour_cover_flags): the
    county's work-list count sums a few hundred of these rows instead of counting entries."""
    __tablename__ = "hour_cover_counts"

    unit_id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    entries: Mapped[int]


class HourCoverDirty(db.Model):
    """The (person, unit) pairs whose flags a write of the open transaction may have changed, written by
    triggers and emptied before the transaction commits (flags.py)."""
    __tablename__ = "hour_cover_dirty"

    person_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
