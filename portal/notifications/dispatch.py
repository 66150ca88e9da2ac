"""Starting the delivery once messages are committed, without flooding the job table.

A transaction that queued messages (operations.PENDING in session.info) marks, when it commits, the app
context (g) as having mail to send; a rollback forgets it. Then, by NOTIFY_SEND_AFTER_COMMIT:
- "job" (default): after the request, the delivery job (`notifications.deliver`) is started unless one is
  already queued (it will see the new rows; a running one may have read the due rows before them, so then
  a second one is queued: at most one waits). Outside a request (a background job, the RQ worker, a
  CLI command) the messages are sent at the end of the app context, in that process: it is background
  work already, and a CLI process would not outlive a job thread it started;
- "inline": sent at once after the request too (tests that read the SMTP server, small set-ups);
- "off": nothing is started; `flask notify send` (cron) or the admin's outbox page sends them.
Rows that wait for a retry (backoff) are sent by the next delivery: run `flask notify send` from cron every
minute, or `flask notify send --watch 60` as a service (docs/notifications.md).
"""
import logging

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal.platform import jobs
from portal.platform.extensions import db

from .operations import PENDING, deliver_due

log = logging.getLogger(__name__)
JOB_KIND = "notifications.deliver"
KICK = "notifications_kick"
BATCH = 200


def deliver(run: jobs.JobRun) -> dict:
    """The delivery job: passes over the due rows until a pass finds fewer than a full batch."""
    total_sent = total_failed = 0
    while True:
        sent, failed = deliver_due(BATCH)
        total_sent, total_failed = total_sent + sent, total_failed + failed
        run.advance(sent + failed)
        if sent + failed < BATCH:
            return {"sent": total_sent, "failed": total_failed}


@event.listens_for(Session, "after_commit")
def _committed(session):
    if session.info.pop(PENDING, False) and has_app_context():
        g.setdefault(KICK, True)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session):
    session.info.pop(PENDING, None)


def start_delivery():
    """Start the delivery job unless one is waiting to start; returns the job started, or None."""
    waiting = db.session.scalar(select(jobs.Job.id).where(jobs.Job.kind == JOB_KIND, jobs.Job.status == jobs.QUEUED)
                                .limit(1))
    db.session.commit()
    if waiting is not None:
        return None
    job = jobs.create(JOB_KIND)
    db.session.commit()
    jobs.start(job)
    return job


def _send(in_request: bool):
    mode = current_app.config.get("NOTIFY_SEND_AFTER_COMMIT", "job")
    if mode == "off":
        return
    try:
        if mode == "job" and in_request:
            start_delivery()
        else:
            deliver_due(BATCH)
    except Exception:  # the rows stay queued for the next delivery; the request or job is not failed for it
        db.session.rollback()
        log.exception("could not start the delivery of queued messages; they stay in the outbox")


def after_request(response):
    if g.pop(KICK, False):
        _send(in_request=True)
    return response


def teardown_appcontext(_exc=None):
    if not has_request_context() and g.pop(KICK, False):
        try:
            _send(in_request=False)
        finally:
            db.session.remove()


def init_app(app):
    app.after_request(after_request)
    app.teardown_appcontext(teardown_appcontext)
