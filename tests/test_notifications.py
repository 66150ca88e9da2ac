"""Notifications (issue 13): inbox, outbox, preferences, delivery through a real SMTP server, retries."""
from sqlalchemy import func, select

from portal.notifications.models import Notification, OutboxMessage
from portal.notifications.operations import deliver_due, notify
from portal.platform.extensions import db


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_notify_writes_inbox_and_outbox_in_the_recipients_language(app, world):
    zh, en = world.users["clerk_a"], world.users["supervisor_a"]
    zh.email, en.email, en.locale = "clerk@example.org", "supervisor@example.org", "en"
    db.session.commit()
    notify([zh, en], "certificates.requested", link="/certificates/", person="王小明", kind="performance")
    db.session.commit()
    assert count(Notification) == 2
    messages = {m.address: m for m in db.session.scalars(select(OutboxMessage))}
    assert messages["clerk@example.org"].subject == "有志工申請證明"
    assert messages["supervisor@example.org"].subject == "A certificate was requested"


def test_delivery_through_smtp(app, world, smtp_server):
    user = world.users["clerk_a"]
    user.email = "clerk@example.org"
    db.session.commit()
    notify([user], "certificates.requested", link="/certificates/", person="王小明", kind="performance")
    db.session.commit()
    assert deliver_due() == (1, 0)
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "clerk@example.org"
