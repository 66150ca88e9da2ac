"""Translated labels of the notifications' templates."""
from flask_babel import lazy_gettext as _l

from portal.registry.identity import mask_email

from . import events
from .models import Channel, OutboxStatus

CHANNEL_LABELS = {Channel.EMAIL: _l("E-mail"), Channel.SMS: _l("Text message (SMS)")}
STATUS_LABELS = {OutboxStatus.QUEUED: _l("Waiting"), OutboxStatus.SENDING: _l("Being sent"),
                 OutboxStatus.SENT: _l("Sent"), OutboxStatus.FAILED: _l("Failed")}
LIST_LABELS = {"waiting": _l("Waiting"), "failed": _l("Failed"), "sent": _l("Sent")}
PURPOSE_LABELS = {"code": _l("One-time code"), "link": _l("Sign-in link")}


def channel_label(channel: str) -> str:
    return str(CHANNEL_LABELS.get(channel, channel))


def outbox_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def purpose_label(purpose: str) -> str:
    event = events.EVENTS.get(purpose)
    if event is not None:
        return str(event.label)
    return str(PURPOSE_LABELS.get(purpose, purpose))


def masked_address(address: str) -> str:
    """An address as the admin's outbox shows it: enough to recognise, not enough to harvest."""
    if "@" in address:
        return mask_email(address)
    return f"{address[:2]}****{address[-3:]}" if len(address) > 5 else "****"


def masked_error(error: str, address: str) -> str:
    return error.replace(address, masked_address(address)) if address else error


JINJA = {"channel_label": channel_label, "outbox_status_label": outbox_status_label, "purpose_label": purpose_label,
         "masked_address": masked_address, "masked_error": masked_error}
