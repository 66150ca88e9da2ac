"""Background jobs: in a thread of the web process by default, on Redis with RQ when REDIS_URL is set.

A job is a row in `jobs` (kind, parameters, progress, result), so any process can report
progress and an htmx page can poll it. A job function takes a JobRun and is made runnable by
name in portal/kinds.py (JOBS), which create_app installs:

    def issue_batch(run: jobs.JobRun):
        run.set_total(len(items))
        for item in items:
            ...
            run.advance()          # commits the work done so far together with the progress

and started from a view with

    job = jobs.create("certificates.issue_batch", params={...}, unit_id=unit.id)
    db.session.commit()           # the worker reads the row from another session
    jobs.start(job)

Backends (config JOBS_BACKEND, default "rq" when REDIS_URL is set, else "thread"):
  thread  a daemon thread with its own app context and database session;
  rq      `portal.worker.run_job(job_id)` enqueued on the JOBS_QUEUE queue ("portal"); start a
          worker with `rq worker --url $REDIS_URL portal` (it builds the app from the environment);
  inline  runs at once in the caller (CLI and tests that want no concurrency).
"""
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from flask import current_app, has_request_context
from flask_babel import force_locale
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .i18n import current_language
from .timeutil import utcnow

log = logging.getLogger(__name__)

class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


QUEUED, RUNNING, DONE, FAILED = JobStatus
FINISHED = (DONE, FAILED)
DEFAULT_QUEUE = "portal"
# RQ calls a function by its dotted name in a worker process; the composition root builds the app there.
WORKER_ENTRY = "portal.worker.run_job"


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10), default=QUEUED, index=True)
    backend: Mapped[str] = mapped_column(String(10), default="")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(10), default="zh_TW")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    queue_id: Mapped[str] = mapped_column(String(64), default="")

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        if self.status == DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    def __repr__(self):
        return f"<Job {self.id} {self.kind} {self.status} {self.done}/{self.total}>"


JobFunction = Callable[["JobRun"], dict | None]
REGISTRY: dict[str, JobFunction] = {}


def install(functions: dict[str, "JobFunction"]) -> None:
    """Make job functions runnable by name (portal/kinds.py lists the portal's; tests add their own)."""
    REGISTRY.update(functions)


class JobRun:
    """What a job function sees: its parameters and a way to report progress."""

    def __init__(self, row: Job):
        self.id = row.id
        self.kind = row.kind
        self.params: dict = dict(row.params or {})
        self.unit_id = row.unit_id
        self.user_id = row.created_by_id
        self.locale = row.locale

    def _row(self) -> Job:
        return db.session.get(Job, self.id)

    def set_total(self, total: int, commit: bool = True):
        self._row().total = total
        if commit:
            db.session.commit()

    def advance(self, n: int = 1, commit: bool = True):
        """Count `n` more items as done; by default commit the work so far with the progress."""
        row = self._row()
        row.done = (row.done or 0) + n
        if commit:
            db.session.commit()


def create(kind: str, *, params: dict | None = None, unit_id: int | None = None, user=None,
           locale: str | None = None) -> Job:
    """Add a queued job (flushed, not committed: the caller commits, then calls start())."""
    if kind not in REGISTRY:
        raise KeyError(f"unknown job kind {kind!r}")
    if locale is None and has_request_context():
        locale = current_language()
    row = Job(kind=kind, params=params or {}, unit_id=unit_id, created_by_id=getattr(user, "id", None),
              locale=locale or "zh_TW", status=QUEUED)
    db.session.add(row)
    db.session.flush()
    return row


def backend_name(app=None) -> str:
    config = (app or current_app).config
    return config.get("JOBS_BACKEND") or ("rq" if config.get("REDIS_URL") else "thread")


_threads: dict[int, threading.Thread] = {}


def start(row: Job) -> str:
    """Dispatch a committed job to the configured backend; returns the backend's name.

    The caller should not hold a database transaction open afterwards while the job runs
    (SQLite has one writer): use the job's id taken before this call.
    """
    app = current_app._get_current_object()
    backend = backend_name(app)
    job_id, description = row.id, f"{row.kind} #{row.id}"
    if backend == "rq":
        enqueued = rq_queue(app).enqueue(WORKER_ENTRY, job_id, description=description, result_ttl=3600,
                                         job_timeout=app.config.get("JOBS_TIMEOUT", 3600))
        _mark(job_id, backend=backend, queue_id=enqueued.id)
    elif backend == "thread":
        _mark(job_id, backend=backend)
        thread = threading.Thread(target=_thread_main, args=(app, job_id), name=f"portal-job-{job_id}", daemon=True)
        _threads[job_id] = thread
        thread.start()
    elif backend == "inline":
        _mark(job_id, backend=backend)
        run_job(job_id)
    else:
        raise ValueError(f"unknown JOBS_BACKEND {backend!r}")
    return backend


def _mark(job_id: int, **values):
    row = db.session.get(Job, job_id)
    for key, value in values.items():
        setattr(row, key, value)
    db.session.commit()


def rq_queue(app=None):
    from redis import Redis
    from rq import Queue
    app = app or current_app
    connection = Redis.from_url(app.config["REDIS_URL"])
    return Queue(app.config.get("JOBS_QUEUE", DEFAULT_QUEUE), connection=connection)


def _thread_main(app, job_id: int):
    with app.app_context():
        try:
            _execute(job_id)
        finally:
            db.session.remove()


def wait(job_id: int | None = None, timeout: float = 120) -> bool:
    """Join in-process job threads (all, or one); True when they all finished in time."""
    threads = [_threads.get(job_id)] if job_id is not None else list(_threads.values())
    for thread in threads:
        if thread is not None:
            thread.join(timeout)
    alive = [t for t in threads if t is not None and t.is_alive()]
    for key in [k for k, t in _threads.items() if not t.is_alive()]:
        _threads.pop(key, None)
    return not alive


def run_job(job_id: int) -> dict | None:
    """Entry point of the thread and inline backends (inside an app context); an RQ worker process
    enters through portal.worker.run_job, which builds the app first."""
    return _execute(job_id)


def _execute(job_id: int) -> dict | None:
    row = db.session.get(Job, job_id)
    if row is None:
        log.error("job %s not found", job_id)
        return None
    if row.status != QUEUED:
        log.warning("job %s is %s, not run again", job_id, row.status)
        return row.result
    fn = REGISTRY.get(row.kind)
    row.status, row.started_at = RUNNING, utcnow()
    db.session.commit()
    run = JobRun(row)
    try:
        with force_locale(run.locale):
            if fn is None:
                raise KeyError(f"unknown job kind {run.kind!r}")
            result = fn(run) or {}
    except Exception as exc:  # the job fails visibly; the traceback goes to the log only
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, run.kind)
        row = db.session.get(Job, job_id)
        row.status, row.finished_at = FAILED, utcnow()
        row.error = f"{type(exc).__name__}: {exc}"[:2000]
        db.session.commit()
        return None
    row = db.session.get(Job, job_id)
    row.status, row.finished_at, row.result = DONE, utcnow(), _jsonable(result)
    row.done = max(row.done, row.total)
    db.session.commit()
    return row.result


def _jsonable(value: Any):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
