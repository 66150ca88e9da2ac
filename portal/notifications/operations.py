"""Notifying people and sending the outbox (docs/notifications.md).

notify() and queue_message() only add rows and flush: the caller commits them with its own change, so a
rolled-back change tells nobody. Committing a session that queued messages starts the delivery job
(dispatch.py, an after_commit hook). deliver_due() sends what is due, one conditional UPDATE per claim.
"""
import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import and_, func, select, update

from portal.platform import audit
from portal.platform.extensions import db
from portal.platform.i18n import DEFAULT as DEFAULT_LOCALE
from portal.platform.timeutil import utcnow

from . import events, rules
from .models import CHANNELS, Channel, Notification, OutboxMessage, OutboxStatus, Preference
from .transport import ChannelDown, PermanentFailure, Transport

log = logging.getLogger(__name__)
QUEUED, SENDING, SENT, FAILED = OutboxStatus
# session.info key: this transaction queued messages; dispatch.py starts the delivery after its commit.
PENDING = "notifications_pending"
# Messages that carry a one-time code or link: once sent (or given up), their text is wiped from the outbox,
# so a database reader or a backup never holds a working code (the code row keeps only its HMAC).
SECRET_PURPOSES = frozenset({"code"})
SECRET_WIPED = "[sent: one-time code removed]"
UNREAD_CAP = 99   # the header says "99+" beyond this: the count stops reading there


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _preferences(user_ids: list[int], event: str) -> dict[int, dict[tuple[str, str], bool]]:
    """{user id: {(event or "*", channel): enabled}} of these users for this event, in one query."""
    found: dict[int, dict] = {uid: {} for uid in user_ids}
    if not user_ids:
        return found
    rows = db.session.execute(select(Preference.user_id, Preference.event, Preference.channel, Preference.enabled)
                              .where(Preference.user_id.in_(user_ids),
                                     Preference.event.in_((event, "*"))))
    for user_id, key, channel, enabled in rows:
        found[user_id][(key, channel)] = enabled
    return found


def _pending():
    db.session.info[PENDING] = True


def notify(users, event: str, *, link: str | None = None, **params) -> None:
    """For each user (inactive accounts skipped): one inbox row, and for each channel the user's preferences
    allow for this event (e-mail, SMS), one outbox row with subject/body rendered in the user's language
    (user.locale, default zh_TW). params must be JSON-able plain values (dates become ISO strings).
    Flushes only: the caller commits it together with its own change. Unknown event keys raise KeyError."""
    spec = events.get(event)
    params = {name: _plain(value) for name, value in params.items()}
    seen, people = set(), []
    for user in users if isinstance(users, Iterable) else [users]:
        if user is not None and user.active and user.id not in seen:
            seen.add(user.id)
            people.append(user)
    if not people:
        return
    preferences = _preferences([u.id for u in people], event)
    preferences_link = events.path_for("notifications.preferences")
    queued = False
    for user in people:
        db.session.add(Notification(user_id=user.id, event=event, params=params, link=link or ""))
        for channel in CHANNELS:
            if not rules.channel_enabled(event, channel, preferences[user.id], always=spec.always):
                continue
            address = user.contact_email if channel == Channel.EMAIL else user.contact_phone
            if not address:
                continue
            subject, body = events.render_message(event, params, user.locale, link=link,
                                                  preferences_link=preferences_link)
            if channel == Channel.SMS:
                body = _sms_text(event, params, user.locale, link)
            db.session.add(OutboxMessage(channel=channel, address=address, subject=subject[:300], body=body,
                                         user_id=user.id, purpose=event))
            queued = True
    db.session.flush()
    if queued:
        _pending()


def _sms_text(event: str, params: dict, locale: str | None, link: str | None) -> str:
    with force_locale(locale or DEFAULT_LOCALE):
        _title, text = events.inbox_text(event, params)
        return f"{text} {events.base_url()}{link}" if link else text


def queue_message(channel: str, address: str, subject: str, body: str, *, user_id: int | None = None,
                  purpose: str = "code") -> OutboxMessage:
    """One e-mail ("email") or SMS ("sms") to an address, not tied to an inbox (one-time codes, links,
    "your password was changed"). Flushes only; delivered by the same outbox and job."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if not address:
        raise ValueError("no address to send to")
    message = OutboxMessage(channel=channel, address=address, subject=subject[:300], body=body, user_id=user_id,
                            purpose=purpose)
    db.session.add(message)
    db.session.flush()
    _pending()
    return message


# --- delivery ---------------------------------------------------------------------------------------

def _due(now: datetime):
    """Queued rows whose time came, and claims whose lease ran out (their deliverer died mid-send)."""
    return and_(OutboxMessage.status.in_((QUEUED, SENDING)), OutboxMessage.next_attempt_at <= now)


def _claim(message_id: int, status: str, attempts: int, now: datetime) -> bool:
    """Take one row for this deliverer: only if it is still as it was read (of two deliverers, one wins)."""
    lease = current_app.config["NOTIFY_LEASE_SECONDS"]
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == status,
               OutboxMessage.attempts == attempts, _due(now))
        .values(status=SENDING, attempts=attempts + 1, next_attempt_at=utcnow() + timedelta(seconds=lease))
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return bool(claimed)


def _settle(message_id: int, attempt: int, **values) -> bool:
    """Record the outcome of this claim, unless its lease ran out and another deliverer took the row."""
    changed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == SENDING, OutboxMessage.attempts == attempt)
        .values(**values).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if not changed:
        log.warning("outbox %s: attempt %s ended after its lease; the row was taken again", message_id, attempt)
    return bool(changed)


def _failed(message: OutboxMessage, attempt: int, exc: Exception, permanent: bool = False):
    config = current_app.config
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if permanent or rules.gives_up(attempt, config["NOTIFY_MAX_ATTEMPTS"]):
        _settle(message.id, attempt, status=FAILED, last_error=error, **_wiped(message))
        log.error("outbox %s (%s to %s) failed after %s attempts: %s", message.id, message.channel,
                  message.address, attempt, error)
    else:
        wait = rules.backoff(attempt, config["NOTIFY_BACKOFF_CAP_MINUTES"])
        _settle(message.id, attempt, status=QUEUED, last_error=error, next_attempt_at=utcnow() + wait)
        log.warning("outbox %s (%s) attempt %s failed, next in %s: %s", message.id, message.channel, attempt,
                    wait, error)


def _wiped(message: OutboxMessage) -> dict:
    return {"body": SECRET_WIPED} if message.purpose in SECRET_PURPOSES else {}


def deliver_due(limit: int = 200) -> tuple[int, int]:
    """Sends the outbox rows that are due (queued, next_attempt_at <= now), each claimed by a conditional
    UPDATE so two workers never send one twice; failure -> retry with backoff, failed after
    NOTIFY_MAX_ATTEMPTS. A channel whose server cannot be reached is left alone for the rest of the pass
    (its other rows keep their place). Returns (sent, failed attempts)."""
    now = utcnow()
    due = db.session.execute(select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.channel)
                             .where(_due(now)).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                             .limit(limit)).all()
    db.session.commit()   # end the read: SQLite then takes its write lock at each claim
    sent = failed = 0
    down: set[str] = set()
    with Transport() as transport:
        for message_id, status, attempts, channel in due:
            if channel in down or not _claim(message_id, status, attempts, now):
                continue
            attempt = attempts + 1
            message = db.session.get(OutboxMessage, message_id, populate_existing=True)
            try:
                transport.send(message)
            except ChannelDown as exc:
                down.add(exc.channel)
                _failed(message, attempt, exc.error if isinstance(exc.error, Exception) else exc)
                failed += 1
            except PermanentFailure as exc:
                _failed(message, attempt, exc, permanent=True)
                failed += 1
            except Exception as exc:  # this message only; the traceback goes to the log
                log.exception("outbox %s: sending failed", message_id)
                _failed(message, attempt, exc)
                failed += 1
            else:
                if _settle(message_id, attempt, status=SENT, sent_at=utcnow(), last_error="", **_wiped(message)):
                    sent += 1
    return sent, failed


def retry_message(message: OutboxMessage, actor) -> bool:
    """The admin's "retry now": a failed or waiting message is due at once, with a fresh count of attempts
    when it had failed. Audited. False when it was sent or is being sent meanwhile."""
    now = utcnow()
    values = {"status": QUEUED, "next_attempt_at": now}
    if message.status == FAILED:
        values["attempts"] = 0
    changed = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message.id, OutboxMessage.status.in_((QUEUED, FAILED)),
                                    OutboxMessage.attempts == message.attempts)
        .values(**values).execution_options(synchronize_session=False)).rowcount
    if not changed:
        return False
    audit.record("outbox.retry", message, channel=message.channel, status=message.status,
                 attempts=message.attempts, last_error=message.last_error[:200])
    db.session.expire(message)
    _pending()
    return True


# --- the inbox --------------------------------------------------------------------------------------

def unread_count(user) -> int:
    """The user's unread notifications, counted up to UNREAD_CAP + 1 over the partial index of unread rows."""
    inner = (select(Notification.id).where(Notification.user_id == user.id, Notification.read_at.is_(None))
             .limit(UNREAD_CAP + 1).subquery())
    return db.session.scalar(select(func.count()).select_from(inner)) or 0


def mark_read(notification: Notification) -> bool:
    """Mark one (already loaded through its owner's scope) as read; False when it was read before.
    Not audited: the user's own reading state, no record data."""
    if notification.read_at is not None:
        return False
    notification.read_at = utcnow()
    db.session.flush()
    return True


def mark_all_read(user) -> int:
    """Mark every unread notification of the user as read; returns how many."""
    return db.session.execute(
        update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount


# --- preferences ------------------------------------------------------------------------------------

def preferences_of(user) -> dict[tuple[str, str], bool]:
    return {(p.event, p.channel): p.enabled
            for p in db.session.scalars(select(Preference).where(Preference.user_id == user.id))}


def set_preferences(user, choices: dict[tuple[str, str], bool]) -> dict[str, bool]:
    """Store the user's choice for each (event, channel) given; rows only where something changes.
    Audited with the changes ("event:channel" -> enabled). Returns the changes."""
    stored = {(p.event, p.channel): p for p in db.session.scalars(select(Preference)
                                                                  .where(Preference.user_id == user.id))}
    current = {key: p.enabled for key, p in stored.items()}
    changes = {}
    for (event, channel), enabled in choices.items():
        spec = events.get(event) if event != "*" else None
        if spec is not None and channel in spec.always:
            continue   # security e-mails go regardless; nothing to store
        before = rules.channel_enabled(event, channel, current)
        if before == enabled:
            continue
        if (event, channel) in stored:
            stored[(event, channel)].enabled = enabled
        else:
            db.session.add(Preference(user_id=user.id, event=event, channel=channel, enabled=enabled))
        changes[f"{event}:{channel}"] = enabled
    if changes:
        audit.record("notifications.preferences", user, changes=changes)
        db.session.flush()
    return changes


def outbox_counts() -> dict[str, int]:
    """Rows per status (the admin's outbox page and `flask notify status`)."""
    counts = dict(db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    return {status.value: counts.get(status.value, 0) for status in OutboxStatus}

