"""Service-hour entries (stored as integer half-hours) and the history of every change to them."""
import json
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from portal.registry.catalog import FIELD_BY_CODE


class EntryStatus(StrEnum):
    """An entry counts when active; a claim is pending until declined or made active; void no longer counts.
    The values are what the database stores."""
    ACTIVE = "active"
    PENDING = "pending"
    DECLINED = "declined"
    VOID = "void"


class EntrySource(StrEnum):
    """Who put the entry in: unit staff (form or grid), the volunteer (a claim), or a file import."""
    UNIT = "unit"
    CLAIM = "claim"
    IMPORT = "import"


class ChangeAction(StrEnum):
    """What an HourChange did to its entry."""
    CORRECT = "correct"
    VOID = "void"
    APPROVE = "approve"
    DECLINE = "decline"
    RESTORE = "restore"    # a void undone within 7 days (docs/rules/platform.md#pl9)


# Other features count hours with these names.
ACTIVE, PENDING, DECLINED, VOID = EntryStatus

_ACTIVE_ONLY = text("status = 'active'")
_PENDING_ONLY = text("status = 'pending'")


class HourEntry(db.Model):
    """Hours one volunteer served for one unit on a day or over a date range (MOHW 服務日期起/訖)."""
    __tablename__ = "hour_entries"
    __table_args__ = (
        CheckConstraint("half_hours > 0", name="positive_hours"),
        CheckConstraint("end_on >= start_on", name="date_order"),
        # The id ends each list's keyset order (start_on desc, id desc), so a page is read straight from these.
        Index("ix_hour_entries_person_start", "person_id", "start_on", "id"),
        Index("ix_hour_entries_unit_start", "unit_id", "start_on", "id"),
        Index("ix_hour_entries_start", "start_on", "id"),       # county and ministry lists
        # The claims waiting for a unit's decision, counted on its hours list (few, so a small index).
        Index("ix_hour_entries_pending_unit", "unit_id", "id", sqlite_where=_PENDING_ONLY, postgresql_where=_PENDING_ONLY),
        # docs/rules/hours.md#h10: the same (volunteer, unit, dates, field, hours) must never count twice.
        Index("uq_hour_entries_business_key", "person_id", "unit_id", "start_on", "end_on", "field_code",
              "half_hours", unique=True, sqlite_where=_ACTIVE_ONLY, postgresql_where=_ACTIVE_ONLY),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    start_on: Mapped[date]
    end_on: Mapped[date]
    half_hours: Mapped[int]
    field_code: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(String(200), default="")
    persons_served: Mapped[int] = mapped_column(default=0)
    # MOHW template columns, kept as given (code lists are not public, docs/rules/imports.md#im3).
    item_code: Mapped[str] = mapped_column(String(4), default="")
    content_code: Mapped[str] = mapped_column(String(4), default="")
    area_code: Mapped[str] = mapped_column(String(4), default="")
    transport_fee: Mapped[int] = mapped_column(default=0)
    meal_fee: Mapped[int] = mapped_column(default=0)
    served_abroad: Mapped[int] = mapped_column(default=0)
    served_domestic: Mapped[int] = mapped_column(default=0)
    sequence_no: Mapped[str] = mapped_column(String(20), default="")
    remarks: Mapped[str] = mapped_column(String(200), default="")

    status: Mapped[str] = mapped_column(String(10), default=EntryStatus.ACTIVE, index=True)
    source: Mapped[str] = mapped_column(String(10), default=EntrySource.UNIT)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped["Person"] = relationship()  # noqa: F821
    unit: Mapped["Unit"] = relationship()  # noqa: F821
    entered_by: Mapped["User | None"] = relationship()  # noqa: F821
    changes: Mapped[list["HourChange"]] = relationship(back_populates="entry", order_by="HourChange.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def hours(self) -> float:
        return self.half_hours / 2

    @property
    def single_day(self) -> bool:
        return self.start_on == self.end_on

    @property
    def field(self):
        return FIELD_BY_CODE.get(self.field_code)

    @property
    def claimed(self) -> bool:
        return self.source == EntrySource.CLAIM

    @property
    def imported(self) -> bool:
        return self.source == EntrySource.IMPORT

    def __repr__(self):
        return f"<HourEntry {self.id} {self.status}>"


class HourChange(db.Model):
    """One correction, void, undone void or claim decision: old and new values, who, when and why."""
    __tablename__ = "hour_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("hour_entries.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(String(300), default="")
    before: Mapped[str] = mapped_column(Text, default="{}")
    after: Mapped[str] = mapped_column(Text, default="{}")

    entry: Mapped[HourEntry] = relationship(back_populates="changes")
    actor: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def before_values(self) -> dict:
        return json.loads(self.before or "{}")

    @property
    def after_values(self) -> dict:
        return json.loads(self.after or "{}")
