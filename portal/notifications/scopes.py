"""Which rows a user may see: their own notifications only (another user's id answers 404, like a missing
one); the outbox is the system administrator's (the route admits no one else)."""
from flask import abort
from sqlalchemy import select

from portal.platform.extensions import db
from portal.platform.pagination import asc, desc

from .models import Notification, OutboxMessage, OutboxStatus

# Newest first over ix_notifications_user_created (user_id, created_at, id).
INBOX_ORDER = (desc(Notification.created_at), desc(Notification.id))
# The admin's lists: what waits (by when it is due), what failed and what was sent (newest first).
OUTBOX_LISTS = {
    "waiting": ((OutboxStatus.QUEUED, OutboxStatus.SENDING),
                (asc(OutboxMessage.next_attempt_at), asc(OutboxMessage.id))),
    "failed": ((OutboxStatus.FAILED,), (desc(OutboxMessage.created_at), desc(OutboxMessage.id))),
    "sent": ((OutboxStatus.SENT,), (desc(OutboxMessage.created_at), desc(OutboxMessage.id))),
}


def inbox_query(user):
    return select(Notification).where(Notification.user_id == user.id)


def get_notification_or_404(notification_id: int, user) -> Notification:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        abort(404)
    return notification


def outbox_query(which: str):
    statuses, order = OUTBOX_LISTS[which]
    return select(OutboxMessage).where(OutboxMessage.status.in_(statuses)), order


def get_message_or_404(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    return message
