"""Notifications: the in-app inbox, e-mail and SMS through an outbox sent by background jobs (issue 13).

The API other packages call is in operations.py (notify, queue_message, deliver_due), the recipients in
recipients.py, the events and their texts in events.py; docs/notifications.md explains the whole."""
from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from . import cli, dispatch, models, receivers, views  # noqa: E402,F401  (models: tables for create_all)


def init_app(app):
    """Called by create_app: the account-event receivers, the header's unread count, the delivery after commit."""
    receivers.connect()
    dispatch.init_app(app)
    app.context_processor(views.header_context)
