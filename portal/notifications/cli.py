"""`flask --app wsgi notify send|status`: the outbox from the command line.

`send` delivers what is due now (the same deliver_due as the background job); run it from cron every minute
so that retries after a mail-server outage go out when their time comes, or keep it running with
`--watch 60`. `status` prints the rows per status, the oldest waiting message and the last failures."""
import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow

from . import bp
from .models import OutboxMessage, OutboxStatus
from .operations import deliver_due, outbox_counts

notify_cli = AppGroup("notify", help="Notifications: send the outbox, show its state.")


@notify_cli.command("send")
@click.option("--limit", default=200, show_default=True, help="rows per pass")
@click.option("--watch", type=float, default=0, help="keep running, a pass every this many seconds")
def send_command(limit, watch):
    while True:
        total_sent = total_failed = 0
        while True:
            sent, failed = deliver_due(limit)
            total_sent, total_failed = total_sent + sent, total_failed + failed
            if sent + failed < limit:
                break
        click.echo(f"notify: {total_sent} sent, {total_failed} failed attempts")
        db.session.remove()
        if not watch:
            return
        time.sleep(watch)


@notify_cli.command("status")
@click.option("--failed", "show_failed", default=10, show_default=True, help="how many failures to list")
def status_command(show_failed):
    counts = outbox_counts()
    click.echo("  ".join(f"{status}: {n}" for status, n in counts.items()))
    oldest = db.session.scalar(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.QUEUED)
                               .order_by(OutboxMessage.created_at, OutboxMessage.id).limit(1))
    if oldest is not None:
        minutes = (utcnow() - oldest.created_at).total_seconds() / 60
        click.echo(f"oldest waiting: #{oldest.id} queued {minutes:.0f} min ago, {oldest.attempts} attempts, "
                   f"next at {oldest.next_attempt_at:%Y-%m-%d %H:%M} UTC")
    failures = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
                                  .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                                  .limit(show_failed))
    for message in failures:
        click.echo(f"failed #{message.id} {message.channel} {message.purpose} after {message.attempts} attempts: "
                   f"{message.last_error[:200]}")


bp.record_once(lambda state: state.app.cli.add_command(notify_cli))
