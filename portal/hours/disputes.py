"""A volunteer's dispute of one of their hour entries and the unit's answer (docs/rules/hours.md#h13).

The volunteer gives a reason; the unit that entered the hours sees the dispute on its work list and answers it:
it keeps the entry, with a reason, or corrects (or voids) it through the existing correction flow, which settles
the open dispute with the correction's reason. Only one dispute of an entry is open at a time (a partial unique
index says so to the database too); each state change writes an audit row, and the volunteer is told of the
answer in their own language. The disputes stay beside the entry's history: nothing is deleted.
"""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.notifications.events import path_for
from portal.notifications.operations import notify
from portal.notifications.recipients import unit_staff, volunteer_accounts
from portal.platform import audit
from portal.platform.extensions import db
from portal.platform.i18n import hours_text
from portal.platform.timeutil import utcnow

from .models import EntryStatus, HourEntry


class DisputeStatus(StrEnum):
    """Open until the unit answers; then kept (with the unit's reason), corrected or voided."""
    OPEN = "open"
    KEPT = "kept"
    CORRECTED = "corrected"
    VOIDED = "voided"


_OPEN_ONLY = text("status = 'open'")


class HourDispute(db.Model):
    __tablename__ = "hour_disputes"
    __table_args__ = (
        # docs/rules/hours.md#h13: one open dispute per entry, whoever posts at the same moment.
        Index("uq_hour_disputes_open_entry", "entry_id", unique=True, sqlite_where=_OPEN_ONLY,
              postgresql_where=_OPEN_ONLY),
        # The unit's work list counts its open disputes; the volunteer's export reads theirs.
        Index("ix_hour_disputes_unit_status", "unit_id", "status"),
        Index("ix_hour_disputes_person", "person_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("hour_entries.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    reason: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default=DisputeStatus.OPEN)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str] = mapped_column(String(300), default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    entry: Mapped[HourEntry] = relationship()
    answered_by: Mapped["User | None"] = relationship(foreign_keys=[answered_by_id])  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.status == DisputeStatus.OPEN


class DisputeRefused(Exception):
    """A dispute that cannot be opened or answered; the message is for the person."""


def disputes_of(entry_id: int) -> list[HourDispute]:
    """Every dispute of the entry, oldest first (shown in its history)."""
    return list(db.session.scalars(select(HourDispute).where(HourDispute.entry_id == entry_id)
                                   .order_by(HourDispute.id)))


def open_dispute_of(entry_id: int) -> HourDispute | None:
    return db.session.scalar(select(HourDispute).where(HourDispute.entry_id == entry_id,
                                                       HourDispute.status == DisputeStatus.OPEN))


def may_dispute(entry: HourEntry, user) -> bool:
    """docs/rules/hours.md#h13: the volunteer disputes their own counted entry, when none is open."""
    return (user.person_id is not None and entry.person_id == user.person_id and entry.status == EntryStatus.ACTIVE
            and open_dispute_of(entry.id) is None)


def open_dispute(entry: HourEntry, reason: str, user) -> HourDispute:
    """The volunteer's dispute; the unit's staff are told (their work list counts it too)."""
    if not may_dispute(entry, user):
        raise DisputeRefused("not disputable")
    dispute = HourDispute(entry_id=entry.id, person_id=entry.person_id, unit_id=entry.unit_id, reason=reason,
                          status=DisputeStatus.OPEN, opened_by_id=user.id, opened_at=utcnow())
    db.session.add(dispute)
    db.session.flush()
    audit.record("hours.dispute_open", dispute, entry_id=entry.id, person_id=entry.person_id, unit_id=entry.unit_id,
                 reason=reason)
    notify(unit_staff([entry.unit_id]), "hours.dispute_opened", link=path_for("hours.show", entry_id=entry.id),
           person=entry.person.name, date=entry.start_on, hours=hours_text(entry.half_hours), reason=reason)
    return dispute


def _answer(dispute: HourDispute, status: str, answer: str, user):
    dispute.status, dispute.answer = status, answer
    dispute.answered_by_id, dispute.answered_at = getattr(user, "id", None), utcnow()
    db.session.flush()
    audit.record("hours.dispute_answer", dispute, entry_id=dispute.entry_id, person_id=dispute.person_id,
                 outcome=status, answer=answer)
    entry = dispute.entry
    notify(volunteer_accounts([dispute.person_id]), "hours.dispute_answered",
           link=path_for("hours.show", entry_id=entry.id), unit=entry.unit.name, date=entry.start_on,
           hours=hours_text(entry.half_hours), outcome=status, reason=answer)


def keep_entry(dispute: HourDispute, answer: str, user):
    """The unit keeps the entry as it is and says why."""
    if not dispute.is_open:
        raise DisputeRefused("answered")
    _answer(dispute, DisputeStatus.KEPT, answer, user)


def settle_by_change(entry: HourEntry, action: str, reason: str, user):
    """A correction or void of a disputed entry answers its open dispute with the change's reason (the unit
    answered 'correct' and went through the correction form, or voided the entry)."""
    dispute = open_dispute_of(entry.id)
    if dispute is not None:
        _answer(dispute, DisputeStatus.VOIDED if action == "void" else DisputeStatus.CORRECTED, reason, user)


def open_disputes(unit_id: int, limit: int = 200) -> list[HourDispute]:
    """The unit's open disputes, oldest first (the unit answers them in turn; a unit has few at a time)."""
    return list(db.session.scalars(select(HourDispute).where(HourDispute.unit_id == unit_id,
                                                             HourDispute.status == DisputeStatus.OPEN)
                                   .order_by(HourDispute.opened_at, HourDispute.id).limit(limit)))
