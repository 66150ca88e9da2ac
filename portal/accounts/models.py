"""One-time codes for activating a volunteer's account and recovering any account's password
(docs/rules/accounts.md#act1 to #rec4)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow

from .rules import Channel, Purpose  # noqa: F401  (the values of purpose and channel)


class OneTimeCode(db.Model):
    """A code (and, for recovery, a link) sent to a person or an account. Only keyed hashes are stored.

    A request that matched nobody also leaves a row, with neither person nor account: both answers do the
    same work (docs/rules/accounts.md#act1), and the rows show the attempts."""
    __tablename__ = "one_time_codes"
    # The newest code of a purpose for a person or an account (rules.newest).
    __table_args__ = (Index("ix_one_time_codes_person", "person_id", "purpose", "created_at"),
                      Index("ix_one_time_codes_user", "user_id", "purpose", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(10))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(10))
    sent_to: Mapped[str] = mapped_column(String(60), default="")  # masked: w***@example.com, *******678
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    link_expires_at: Mapped[datetime | None]
    tries: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]
    # The unit clerk or supervisor who printed it (channel "print").
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def __repr__(self):
        return f"<OneTimeCode {self.id} {self.purpose} {self.channel}>"
