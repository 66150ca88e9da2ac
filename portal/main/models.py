"""What the daily reminders and digests have sent, so that each goes once (portal/main/reminders.py)."""
from datetime import date, datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow


class ReminderSent(db.Model):
    """One row per reminder given: (kind, the thing's id, stage) is unique, so a second run, the same day or
    later, finds it and sends nothing again; two runs at once cannot both insert it.

    kind: the event key (honor_cards.expiring, certificates.due, awards.round_deadline, digest.daily);
    object_id: the card, request, round or user; stage: what else makes it another reminder (the round's
    7- or 1-day notice with the deadline it was for, the digest's day), "" when nothing does."""
    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("kind", "object_id", "stage", name="uq_reminders_sent_kind_object_stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    stage: Mapped[str] = mapped_column(String(40), default="")
    sent_on: Mapped[date]                   # the day of the run (Asia/Taipei)
    recipients: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self):
        return f"<ReminderSent {self.kind} {self.object_id} {self.stage!r}>"
