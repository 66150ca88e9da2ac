"""The inbox, the outbox and the preferences of notifications.

- `notifications`: one row per event a user is told of (the inbox). The text is rendered when shown, in the
  reader's language of the moment, from the event key and its plain params.
- `outbox_messages`: one row per e-mail or SMS to send, rendered once in the recipient's language when queued.
  Background deliverers claim a row by a conditional UPDATE (status and attempts as read), so two of them
  never send one message twice; a failure puts it back with a later next_attempt_at (docs/notifications.md).
- `notification_preferences`: only the choices that differ from the defaults (e-mail on, SMS off).
"""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class OutboxStatus(StrEnum):
    """The values are what the database stores."""
    QUEUED = "queued"       # waiting for its next_attempt_at
    SENDING = "sending"     # claimed by a deliverer; next_attempt_at is then the end of its lease
    SENT = "sent"
    FAILED = "failed"       # gave up after NOTIFY_MAX_ATTEMPTS; the admin may retry it


CHANNELS = tuple(Channel)
ALL_EVENTS = "*"            # a preference row for every event of a channel


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        # The inbox: a user's newest first, keyset pages (created_at, id).
        Index("ix_notifications_user_created", "user_id", "created_at", "id"),
        # The header's unread count reads only the unread rows of one user.
        Index("ix_notifications_unread", "user_id", sqlite_where=text("read_at IS NULL"),
              postgresql_where=text("read_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    event: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(500), default="")   # a portal path (url_for), or ""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    @property
    def unread(self) -> bool:
        return self.read_at is None

    def __repr__(self):
        return f"<Notification {self.id} {self.event} user={self.user_id}>"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        # The deliverer's question: which queued rows are due (and which claims outlived their lease).
        Index("ix_outbox_messages_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(60), default="code")   # the event key, or "code", "link", ...
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self):
        return f"<OutboxMessage {self.id} {self.channel} {self.status} attempts={self.attempts}>"


class Preference(db.Model):
    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "event", "channel", name="uq_notification_preferences_user_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    event: Mapped[str] = mapped_column(String(60))        # an event key, or "*" for every event
    channel: Mapped[str] = mapped_column(String(10))
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
