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

A worker can die mid-job (killed, out of memory, its machine lost); its row would say "running"
for ever. So each run counts as an attempt, and every run.advance() / run.set_total() refreshes the
row's heartbeat_at. reap_stale() — called by start(), by the pages that list jobs and by the RQ
worker (portal.worker.Worker) when it starts and at every maintenance interval — takes a running job
whose heartbeat is older than JOB_STALE_SECONDS: queued again while it has had fewer than
JOB_MAX_ATTEMPTS runs, failed otherwise, with an audit row either way. Hence a job function must be
safe to run again (skip what an earlier attempt finished) and must call run.advance() — advance(0)
during a long step — more often than JOB_STALE_SECONDS. A run that was given up on but is still
alive learns it at its next advance(): JobTaken is raised, its uncommitted work is rolled back,
and the row stays with the new attempt. Every change of status is a conditional UPDATE, so two
hosts reaping at once, or two workers handed the same job, never both win.
"""
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from flask import current_app, has_request_context
from flask_babel import force_locale
from sqlalchemy import JSON, ForeignKey, String, Text, case, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from . import audit
from .database import expect_write
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
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")   # runs started so far
    heartbeat_at: Mapped[datetime | None]   # last sign of life of the running attempt (or of the re-queue)

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


class JobTaken(Exception):
    """This run was given up on (re-queued or failed by reap_stale) while it was still working."""


def _owned_by(job_id: int, attempt: int):
    """The WHERE clause of a change only the given attempt of a running job may make."""
    return (Job.id == job_id, Job.status == RUNNING, Job.attempts == attempt)


class JobRun:
    """What a job function sees: its parameters and a way to report progress."""

    def __init__(self, row: Job):
        self.id = row.id
        self.kind = row.kind
        self.params: dict = dict(row.params or {})
        self.unit_id = row.unit_id
        self.user_id = row.created_by_id
        self.locale = row.locale
        self.attempt = row.attempts   # 1 for the first run, 2 for the first retry, ...

    def _beat(self, **values):
        changed = db.session.execute(
            update(Job).where(*_owned_by(self.id, self.attempt)).values(heartbeat_at=utcnow(), **values)
            .execution_options(synchronize_session=False)).rowcount
        if not changed:
            db.session.rollback()
            raise JobTaken(f"job {self.id}: attempt {self.attempt} was given up on while running")

    def set_total(self, total: int, commit: bool = True):
        self._beat(total=total)
        if commit:
            db.session.commit()

    def advance(self, n: int = 1, commit: bool = True):
        """Count `n` more items as done and refresh the heartbeat (advance(0): only the heartbeat);
        by default commit the work so far with the progress. Raises JobTaken when the job was
        given up on meanwhile (the work since the last commit is rolled back)."""
        self._beat(done=Job.done + n)
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
    job_id = row.id
    reap_stale()
    return _dispatch(db.session.get(Job, job_id))


def _dispatch(row: Job) -> str:
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
    now = utcnow()
    # Claim the queued row: of two workers handed the same job (a re-queue racing a late RQ
    # delivery), only one gets it.
    claimed = db.session.execute(
        update(Job).where(Job.id == job_id, Job.status == QUEUED)
        .values(status=RUNNING, started_at=now, heartbeat_at=now, attempts=Job.attempts + 1, done=0)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    row = db.session.get(Job, job_id)
    if row is None:
        log.error("job %s not found", job_id)
        return None
    if not claimed:
        log.warning("job %s is %s, not run again", job_id, row.status)
        return row.result
    run = JobRun(row)
    fn = REGISTRY.get(run.kind)
    try:
        with force_locale(run.locale):
            if fn is None:
                raise KeyError(f"unknown job kind {run.kind!r}")
            result = fn(run) or {}
    except JobTaken:
        log.warning("job %s (%s) attempt %s stopped: it was given up on while running", job_id, run.kind,
                    run.attempt)
        return None
    except Exception as exc:  # the job fails visibly; the traceback goes to the log only
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, run.kind)
        _finish(run, status=FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        return None
    if not _finish(run, status=DONE, result=_jsonable(result),
                   done=case((Job.done < Job.total, Job.total), else_=Job.done)):
        log.warning("job %s (%s) attempt %s finished after it was given up on; result dropped", job_id,
                    run.kind, run.attempt)
        return None
    return db.session.get(Job, job_id).result


def _finish(run: JobRun, **values) -> bool:
    """Record the end of this attempt, unless it was given up on meanwhile."""
    changed = db.session.execute(
        update(Job).where(*_owned_by(run.id, run.attempt)).values(finished_at=utcnow(), **values)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return bool(changed)


def reap_stale(now: datetime | None = None) -> list[int]:
    """Give up on jobs whose worker stopped reporting (see the module docstring); returns the ids
    dispatched again. Cheap when nothing is stale: two small queries on the status index."""
    config = current_app.config
    now = now or utcnow()
    cutoff = now - timedelta(seconds=config["JOB_STALE_SECONDS"])
    last_sign = func.coalesce(Job.heartbeat_at, Job.started_at, Job.created_at)
    running = (Job.status == RUNNING, last_sign < cutoff)
    # A thread job that never started: the web process died between the commit and the thread.
    unstarted = (Job.status == QUEUED, Job.backend.in_(("", "thread")), last_sign < cutoff)
    stale = db.session.execute(select(Job.id, Job.attempts).where(*running)).all()
    lost = db.session.scalars(select(Job.id).where(*unstarted)).all()
    if not stale and not lost:
        return []
    db.session.commit()   # end the read: the updates below begin a fresh transaction with the write lock
    if has_request_context():
        expect_write()
    again = []
    for job_id in lost:
        if db.session.execute(update(Job).where(Job.id == job_id, *unstarted).values(heartbeat_at=now)
                              .execution_options(synchronize_session=False)).rowcount:
            log.warning("job %s was never started: dispatched again", job_id)
            again.append(job_id)
    for job_id, attempts in stale:
        retry = attempts < config["JOB_MAX_ATTEMPTS"]
        values = ({"status": QUEUED, "heartbeat_at": now, "queue_id": ""} if retry else
                  {"status": FAILED, "finished_at": now,
                   "error": f"WorkerLost: no progress reported for {config['JOB_STALE_SECONDS']} s "
                            f"(attempt {attempts} of {config['JOB_MAX_ATTEMPTS']})"})
        changed = db.session.execute(
            update(Job).where(Job.id == job_id, Job.attempts == attempts, *running).values(**values)
            .execution_options(synchronize_session=False)).rowcount
        if not changed:
            continue   # another host reaped it first, or its worker reported meanwhile
        audit.record("job.retry" if retry else "job.lost", db.session.get(Job, job_id), attempts=attempts,
                     max_attempts=config["JOB_MAX_ATTEMPTS"], stale_seconds=config["JOB_STALE_SECONDS"])
        log.warning("job %s lost its worker during attempt %s: %s", job_id, attempts,
                    "queued again" if retry else "failed")
        if retry:
            again.append(job_id)
    db.session.commit()
    for job_id in again:
        row = db.session.get(Job, job_id)
        if row.status == QUEUED:
            _dispatch(row)
    return again


def _jsonable(value: Any):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
