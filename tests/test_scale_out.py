"""The scale-out path (docs/deployment.md): a stateless web tier, SECRET_KEY from the environment
outside SQLite, jobs that survive a dead worker, and read-mostly views on a read replica."""
import logging
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask_login import current_user
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from portal import create_app
from portal.auth.operations import create_user, end_sessions
from portal.platform import access, audit, config, jobs
from portal.platform.audit import AuditLog
from portal.platform.database import expect_write, reads_from_replica, replica_engine
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from tests.conftest import REDIS_URL, ROOT, FreshRequestClient, base_config, pg_database, redis_or_skip, reset_database

# --- jobs used by these tests (the worker subprocess imports this module to install them) ------------

def slow_job(run: jobs.JobRun):
    """Counts to n with a pause per item; writes its process id so the test can kill the work horse."""
    Path(run.params["pidfile"]).write_text(str(os.getpid()))
    run.set_total(run.params["n"])
    for _ in range(run.params["n"]):
        time.sleep(run.params["delay"])
        run.advance()
    return {"attempt": run.attempt}


def count_job(run: jobs.JobRun):
    run.set_total(2)
    run.advance(2)
    return {"attempt": run.attempt}


def given_up_midway_job(run: jobs.JobRun):
    """Another host's reaper queues the job again while this run still works on it."""
    run.set_total(3)
    run.advance()
    db.session.execute(text("UPDATE jobs SET status = 'queued' WHERE id = :id"), {"id": run.id})
    db.session.commit()
    run.params["after"] = "reached"
    run.advance()            # raises JobTaken: this run no longer owns the job
    run.params["after"] = "not stopped"


jobs.install({"tests.slow": slow_job, "tests.count2": count_job, "tests.given_up": given_up_midway_job})



# --- 1. the web tier keeps no state of its own ---------------------------------------------------------

def two_hosts(tmp_path, uri, second_key=None):
    """Two app instances on one database, as two web hosts behind a load balancer."""
    host_a = create_app(base_config(tmp_path / "a", uri))
    config_b = base_config(tmp_path / "b", uri)
    if second_key:
        config_b["SECRET_KEY"] = second_key
    host_b = create_app(config_b)
    for host in (host_a, host_b):
        @host.get("/_whoami")
        @access.allow(*access.UNIT_STAFF)
        def whoami():
            return current_user.username
    return host_a, host_b


@pytest.mark.parametrize("same_key", [True, False])
def test_a_session_cookie_from_one_host_is_honoured_by_another_with_the_same_key(tmp_path, backend, same_key):
    uri = f"sqlite:///{tmp_path / 'shared.db'}" if backend == "sqlite" else pg_database("test")
    host_a, host_b = two_hosts(tmp_path, uri, second_key=None if same_key else "another-key-" + "x" * 40)
    with host_a.app_context():
        reset_database()
        user = create_user("clerk.shared", "correct-horse-battery", "unit_clerk")
        db.session.commit()
        user_id, user_type, user_pk = user.get_id(), type(user), user.id
    client_a = host_a.test_client()
    with client_a.session_transaction() as sess:
        sess.update({"_user_id": user_id, "_fresh": True, "mfa": True})
    assert client_a.get("/_whoami").get_data(as_text=True) == "clerk.shared"
    client_b = host_b.test_client()
    client_b.set_cookie("session", client_a.get_cookie("session").value)
    answer = client_b.get("/_whoami")
    if same_key:
        assert answer.status_code == 200 and answer.get_data(as_text=True) == "clerk.shared"
        # Signing out on one host ends the session everywhere: the token lives in the shared database.
        with host_a.app_context():
            end_sessions(db.session.get(user_type, user_pk))
            db.session.commit()
        assert client_b.get("/_whoami").status_code == 302
    else:
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    for host in (host_a, host_b):
        with host.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("storage", ["redis", "memory"])
def test_login_rate_limits_are_counted_in_redis_for_every_host(tmp_path, storage):
    """Three failed sign-ins on host A, the fourth on host B: refused only when the counters live in Redis."""
    if storage == "redis":
        redis_or_skip()
    uri = f"sqlite:///{tmp_path / 'limits.db'}"
    address = f"10.{uuid.uuid4().int % 250}.{os.getpid() % 250}.{int(time.time()) % 250}"
    settings = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute",
                "RATELIMIT_STORAGE_URI": REDIS_URL if storage == "redis" else "memory://"}
    host_a = create_app(base_config(tmp_path / "a", uri) | settings)
    with host_a.app_context():
        reset_database()
        client = host_a.test_client()
        codes = [client.post("/login", data={"username": "nobody", "password": "whatever-pass"},
                             environ_base={"REMOTE_ADDR": address}).status_code for _ in range(3)]
        db.engine.dispose()
    host_b = create_app(base_config(tmp_path / "b", uri) | settings)   # re-initialises the limiter's storage
    with host_b.app_context():
        codes.append(host_b.test_client().post("/login", data={"username": "nobody", "password": "x-whatever"},
                                               environ_base={"REMOTE_ADDR": address}).status_code)
        db.engine.dispose()
    if storage == "redis":
        connection = redis_or_skip()
        for key in connection.scan_iter(f"*{address}*"):
            connection.delete(key)
        assert codes == [422, 422, 422, 429]
    else:
        assert codes == [422, 422, 422, 422]


def test_the_environment_puts_rate_limits_and_jobs_on_redis(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "DATABASE_REPLICA_URL", "JOBS_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/0")
    settings = config.from_environment(str(tmp_path))
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6379/0"
    app = create_app(base_config(tmp_path, "sqlite://") | {"REDIS_URL": settings["REDIS_URL"]})
    assert jobs.backend_name(app) == "rq"
    monkeypatch.delenv("REDIS_URL")
    assert config.from_environment(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "memory://"
    assert jobs.backend_name(create_app(base_config(tmp_path, "sqlite://"))) == "thread"


# Where the portal may write files. Everything a web host writes must be on storage all hosts share
# (UPLOAD_DIR) or be scratch that is gone when the request ends; instance/ holds only the SQLite setup.
FILE_WRITERS = {
    "portal/__init__.py": "creates UPLOAD_DIR",
    "portal/platform/uploads.py": "stored files under UPLOAD_DIR",
    "portal/imports/storage.py": "import files between preview and confirmation, under UPLOAD_DIR/imports",
    "portal/platform/config.py": "the generated SECRET_KEY in instance/ (SQLite only)",
    "portal/platform/filecheck.py": "a TemporaryDirectory for pdftoppm, removed before the request ends",
    "portal/platform/exports.py": "an anonymous TemporaryFile spooling a streamed export, gone when closed",
    "portal/platform/backup.py": "flask backup / restore: the operator's archive and the restored UPLOAD_DIR",
    "portal/volunteers/my_data.py": "an anonymous TemporaryFile holding a volunteer's zip while it is sent",
    "portal/credentials/keys.py": "the credential key file: generated in instance/ on SQLite or in tests only, "
                                  "set from CREDENTIAL_KEYS(_FILE) elsewhere; `flask credentials rotate` rewrites it",
}
WRITE_CALL = re.compile(r"\.write_bytes\(|\.write_text\(|\bos\.open\(|\.mkdir\(|\bopen\([^)]*['\"][wax]b?['\"]"
                        r"|shutil\.(copy|move)|\.save\(\s*(?!out\b|buffer\b)[\w.]*(path|file|name)")


def test_the_portal_writes_files_only_under_upload_dir_or_instance():
    writers = set()
    for path in sorted((ROOT / "portal").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        # Operator commands (cli.py, the synthetic and demo data) run on one machine, not on web hosts.
        if path.name == "cli.py" or relative.startswith(("portal/synth/", "portal/demo/")):
            continue
        if WRITE_CALL.search(path.read_text(encoding="utf-8")):
            writers.add(relative)
    assert writers == set(FILE_WRITERS), "a new module writes files: keep it under UPLOAD_DIR and list it here"


# --- 2. SECRET_KEY outside SQLite ----------------------------------------------------------------------

@pytest.fixture
def environment(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "JOBS_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path / "uploads"))
    portal_log = logging.getLogger("portal")
    handlers = list(portal_log.handlers)
    yield monkeypatch
    portal_log.handlers[:] = handlers     # create_app() outside testing adds a log handler each time


def postgres_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or "postgresql://portal@db.internal:5432/portal"


def test_postgresql_without_secret_key_in_the_environment_refuses_to_start(environment, tmp_path):
    environment.setenv("DATABASE_URL", postgres_url())
    with pytest.raises(config.ConfigurationError) as refused:
        create_app()
    message = str(refused.value)
    assert "SECRET_KEY" in message and "environment" in message and "環境變數" in message
    assert not (tmp_path / "instance" / "secret_key").exists()      # no key was generated either


def test_a_configured_app_on_postgresql_without_a_key_refuses_too(tmp_path):
    settings = base_config(tmp_path, postgres_url().replace("postgresql://", "postgresql+psycopg://", 1))
    settings["SECRET_KEY"] = ""
    with pytest.raises(config.ConfigurationError):
        create_app(settings)


def test_postgresql_with_secret_key_in_the_environment_starts(environment):
    environment.setenv("DATABASE_URL", postgres_url())
    environment.setenv("SECRET_KEY", "from-the-environment-" + "k" * 40)
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment-" + "k" * 40
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    if os.environ.get("TEST_DATABASE_URL"):
        with app.app_context():
            assert db.session.scalar(text("select 1")) == 1
            db.session.remove()
            db.engine.dispose()


def test_sqlite_without_secret_key_still_generates_one_and_keeps_it(environment, tmp_path):
    first = create_app().config["SECRET_KEY"]
    assert len(first) >= 50 and (tmp_path / "instance" / "secret_key").read_text().strip() == first
    assert create_app().config["SECRET_KEY"] == first


@pytest.mark.parametrize("with_key", [False, True])
def test_the_wsgi_entry_point_exits_with_the_message(environment, tmp_path, with_key):
    env = {**os.environ, "DATABASE_URL": postgres_url()}
    if with_key:
        env["SECRET_KEY"] = "k" * 50
    started = subprocess.run([sys.executable, "-c", "import wsgi; print('started')"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    if with_key:
        assert started.returncode == 0 and "started" in started.stdout, started.stderr
    else:
        assert started.returncode == 1 and "started" not in started.stdout
        assert "portal: SECRET_KEY must be set in the environment" in started.stderr
        assert "Traceback" not in started.stderr and "金鑰" in started.stderr


# --- 3. jobs survive a dead worker ---------------------------------------------------------------------

def running_row(heartbeat, attempts=1, kind="tests.count2") -> int:
    row = jobs.Job(kind=kind, status=jobs.RUNNING, attempts=attempts, started_at=heartbeat, heartbeat_at=heartbeat,
                   locale="en", backend="rq")
    db.session.add(row)
    db.session.commit()
    return row.id


def fetch(job_id) -> SimpleNamespace:
    """The job's columns as they are now, with the transaction ended at once (outside a request SQLite
    begins with the write lock, and a worker process is waiting to write)."""
    row = db.session.execute(select(jobs.Job.__table__).where(jobs.Job.id == job_id)).mappings().one()
    db.session.rollback()
    return SimpleNamespace(**row)


def audit_actions(job_id) -> list[str]:
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "Job",
                                                              AuditLog.object_id == job_id).order_by(AuditLog.id)).all()
    db.session.rollback()
    return actions


def test_a_running_job_is_left_alone_up_to_the_staleness_limit(app):
    app.config.update(JOBS_BACKEND="inline", JOB_STALE_SECONDS=300, JOB_MAX_ATTEMPTS=2)
    beat = utcnow() - timedelta(hours=1)
    job_id = running_row(beat)
    assert jobs.reap_stale(now=beat + timedelta(seconds=300)) == []
    row = fetch(job_id)
    assert (row.status, row.attempts) == ("running", 1) and audit_actions(job_id) == []


def test_past_the_limit_a_job_with_attempts_left_is_queued_again_and_finishes(app):
    app.config.update(JOBS_BACKEND="inline", JOB_STALE_SECONDS=300, JOB_MAX_ATTEMPTS=2)
    beat = utcnow() - timedelta(hours=1)
    job_id = running_row(beat)
    assert jobs.reap_stale(now=beat + timedelta(seconds=300, microseconds=1)) == [job_id]
    row = fetch(job_id)   # the inline backend ran the second attempt at once
    assert (row.status, row.attempts, row.done, row.result) == ("done", 2, 2, {"attempt": 2})
    assert audit_actions(job_id) == ["job.retry"]


def test_past_the_limit_a_job_without_attempts_left_fails(app):
    app.config.update(JOBS_BACKEND="inline", JOB_STALE_SECONDS=300, JOB_MAX_ATTEMPTS=2)
    beat = utcnow() - timedelta(hours=1)
    job_id = running_row(beat, attempts=2)
    assert jobs.reap_stale(now=beat + timedelta(seconds=301)) == []
    row = fetch(job_id)
    assert row.status == "failed" and row.finished_at and row.error.startswith("WorkerLost: no progress reported for 300 s")
    assert audit_actions(job_id) == ["job.lost"]
    assert jobs.reap_stale(now=beat + timedelta(days=1)) == []         # finished jobs are never touched again


def test_a_run_that_was_given_up_on_stops_at_its_next_progress_report(app):
    app.config["JOBS_BACKEND"] = "inline"
    job = jobs.create("tests.given_up", locale="en")
    db.session.commit()
    job_id = job.id
    jobs.start(job)
    row = fetch(job_id)
    # Not failed by the stale run: the row stays queued for the new attempt, with the progress it had.
    assert (row.status, row.done, row.error, row.attempts) == ("queued", 1, "", 1)


def test_a_thread_job_that_never_started_is_dispatched_again(app):
    app.config.update(JOBS_BACKEND="inline", JOB_STALE_SECONDS=300)
    job = jobs.create("tests.count2", locale="en")
    job.backend = "thread"
    job.created_at = utcnow() - timedelta(seconds=301)
    db.session.commit()
    job_id = job.id
    assert jobs.reap_stale() == [job_id]
    assert fetch(job_id).status == "done"


def test_a_queued_rq_job_is_left_to_its_queue(app):
    app.config.update(JOBS_BACKEND="inline", JOB_STALE_SECONDS=300)
    job = jobs.create("tests.count2", locale="en")
    job.backend, job.created_at = "rq", utcnow() - timedelta(days=1)
    db.session.commit()
    assert jobs.reap_stale() == [] and fetch(job.id).status == "queued"


class Workers:
    """`python -m portal.worker --burst` in subprocesses against the test's database and Redis."""

    def __init__(self, app, tmp_path, queue, max_attempts):
        self.tmp_path, self.procs = tmp_path, []
        self.env = {**os.environ, "DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
                    "SECRET_KEY": app.config["SECRET_KEY"], "REDIS_URL": REDIS_URL, "JOBS_QUEUE": queue,
                    "JOB_STALE_SECONDS": "1", "JOB_MAX_ATTEMPTS": str(max_attempts),
                    "INSTANCE_PATH": str(tmp_path / "worker"), "UPLOAD_DIR": str(tmp_path / "uploads"),
                    "PYTHONPATH": str(ROOT)}
        for name in ("DATABASE_REPLICA_URL", "JOBS_BACKEND"):
            self.env.pop(name, None)

    def start(self):
        log = open(self.tmp_path / f"worker-{len(self.procs)}.log", "wb")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            [sys.executable, "-c", "import tests.test_scale_out; from portal.worker import main; main(['--burst'])"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        proc.log = log
        self.procs.append(proc)
        return proc

    def kill_mid_job(self, proc, job_id, pidfile: Path, at_least: int):
        """SIGKILL the worker and its work horse (RQ forks it into its own process group) once the job
        has reported `at_least` items on this attempt: a machine lost in the middle of a job."""
        attempt = fetch(job_id).attempts + 1
        deadline = time.monotonic() + 90
        while True:
            row = fetch(job_id)
            if row.status == "running" and row.attempts == attempt and row.done >= at_least:
                break
            assert proc.poll() is None and time.monotonic() < deadline, self.output(proc)
            time.sleep(0.05)
        horse = int(pidfile.read_text())
        os.killpg(proc.pid, signal.SIGKILL)
        try:
            os.kill(horse, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)

    def finish(self, proc, timeout=120):
        proc.wait(timeout)
        return self.output(proc)

    def output(self, proc) -> str:
        proc.log.flush()
        return Path(proc.log.name).read_text(errors="replace")

    def close(self):
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
            proc.log.close()


@pytest.fixture
def workers(threaded_app, tmp_path):
    connection = redis_or_skip()
    queue = f"portal-test-{uuid.uuid4().hex[:8]}"
    threaded_app.config.update(REDIS_URL=REDIS_URL, JOBS_QUEUE=queue, JOB_STALE_SECONDS=300)
    made = []

    def make(max_attempts):
        made.append(Workers(threaded_app, tmp_path, queue, max_attempts))
        return made[-1]
    yield make
    for w in made:
        w.close()
    remove_queue(connection, queue)
    connection.close()


def remove_queue(connection, name):
    """The queue, its registries and every RQ job that went through them (killed ones never expire)."""
    from rq import Queue
    from rq.job import Job as RQJob
    from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry
    queue = Queue(name, connection=connection)
    ids = {i.split(":")[0] for registry in (StartedJobRegistry, FailedJobRegistry, FinishedJobRegistry)
           for i in registry(queue=queue).get_job_ids(cleanup=False)} | set(queue.get_job_ids())
    for job in RQJob.fetch_many(sorted(ids), connection=connection):
        if job is not None:
            job.delete(remove_from_queue=False)
    for key in connection.scan_iter(f"*{name}*"):
        connection.delete(key)


def start_slow_job(tmp_path, n=8) -> tuple[int, Path]:
    pidfile = tmp_path / "horse.pid"
    job = jobs.create("tests.slow", params={"n": n, "delay": 0.3, "pidfile": str(pidfile)}, locale="en")
    db.session.commit()
    job_id = job.id
    assert jobs.start(job) == "rq"
    return job_id, pidfile


def wait_until_stale(job_id, seconds=1.5):
    while utcnow() - fetch(job_id).heartbeat_at < timedelta(seconds=seconds):
        time.sleep(0.1)


def test_a_job_whose_worker_was_killed_is_retried_by_the_next_worker_and_finishes(workers, tmp_path):
    pool = workers(max_attempts=2)
    job_id, pidfile = start_slow_job(tmp_path)
    first = pool.start()
    pool.kill_mid_job(first, job_id, pidfile, at_least=2)
    row = fetch(job_id)
    assert (row.status, row.attempts) == ("running", 1) and 2 <= row.done < 8
    # Within the staleness limit nobody takes the job away (the web host's limit is 300 s).
    assert jobs.reap_stale() == [] and fetch(job_id).status == "running"
    wait_until_stale(job_id)
    output = pool.finish(pool.start())     # reaps at start (limit 1 s), then runs the job again
    row = fetch(job_id)
    assert (row.status, row.attempts, row.done, row.total) == ("done", 2, 8, 8), output
    assert row.result == {"attempt": 2} and audit_actions(job_id) == ["job.retry"]


def test_a_job_whose_workers_keep_dying_fails_after_the_last_attempt(workers, tmp_path):
    pool = workers(max_attempts=2)
    job_id, pidfile = start_slow_job(tmp_path)
    pool.kill_mid_job(pool.start(), job_id, pidfile, at_least=1)
    wait_until_stale(job_id)
    pool.kill_mid_job(pool.start(), job_id, pidfile, at_least=1)     # the retry dies too
    assert fetch(job_id).attempts == 2
    wait_until_stale(job_id)
    output = pool.finish(pool.start())
    row = fetch(job_id)
    assert row.status == "failed" and row.error.startswith("WorkerLost"), output
    assert audit_actions(job_id) == ["job.retry", "job.lost"]


# --- 4. read replica -----------------------------------------------------------------------------------

@pytest.fixture
def replica_setup(backend, tmp_path):
    """A primary and a 'replica' database holding different rows, so a read shows where it ran."""
    if backend == "sqlite":
        primary, replica = f"sqlite:///{tmp_path / 'primary.db'}", f"sqlite:///{tmp_path / 'replica.db'}"
    else:
        primary, replica = pg_database("test"), pg_database("replica")
        engine = create_engine(replica)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.dispose()
    made = []

    def make(with_replica=True, sticky=60):
        settings = base_config(tmp_path, primary) | {"REPLICA_STICKY_SECONDS": sticky}
        if with_replica:
            settings["DATABASE_REPLICA_URL"] = replica
        app = create_app(settings)
        app.test_client_class = FreshRequestClient    # a new `g` per request, as in production
        add_probe_views(app)
        context = app.app_context()
        context.push()
        made.append(context)
        reset_database()
        db.session.add(jobs.Job(kind="on-primary"))
        db.session.commit()
        replica_engine = create_engine(replica)
        db.metadata.create_all(replica_engine)
        with Session(replica_engine) as other:
            other.execute(text("DELETE FROM jobs"))
            other.add(jobs.Job(id=1, kind="on-replica"))
            other.commit()
        replica_engine.dispose()
        create_user("clerk.primary", "correct-horse-battery", "unit_clerk")   # on the primary only
        db.session.commit()
        return app
    yield make
    for context in reversed(made):
        db.session.remove()
        db.engine.dispose()
        if replica_engine():
            replica_engine().dispose()
        context.pop()


def add_probe_views(app):
    def first_kind():
        return db.session.scalar(select(jobs.Job.kind).where(jobs.Job.id == 1))

    @app.route("/_probe", methods=["GET", "POST"])
    @access.allow(*access.EVERYONE)
    @reads_from_replica
    def probe():
        return first_kind()

    @app.get("/_plain")
    @access.allow(*access.EVERYONE)
    def plain():
        return first_kind()

    @app.get("/_reveal")
    @access.allow(*access.EVERYONE)
    @reads_from_replica
    def reveal():
        expect_write()
        audit.record("test.reveal", db.session.get(jobs.Job, 1))
        db.session.commit()
        return first_kind()

    @app.get("/_locked")
    @reads_from_replica
    @access.allow(*access.EVERYONE)
    def locked():
        return db.session.scalar(select(jobs.Job.kind).where(jobs.Job.id == 1).with_for_update())

    @app.get("/_mine")
    @access.allow(*access.UNIT_STAFF)
    @reads_from_replica
    def mine():
        return f"{current_user.username} {first_kind()}"


def sign_in(client, username):
    from portal.auth.models import User
    user = db.session.scalar(select(User).where(User.username == username))
    with client.session_transaction() as sess:
        sess.update({"_user_id": user.get_id(), "_fresh": True, "mfa": True})


def test_a_marked_page_reads_from_the_replica_and_an_unmarked_one_from_the_primary(replica_setup):
    app = replica_setup()
    client = app.test_client()
    assert client.get("/_probe").get_data(as_text=True) == "on-replica"
    assert client.get("/_plain").get_data(as_text=True) == "on-primary"
    assert client.get("/_locked").get_data(as_text=True) == "on-primary"      # SELECT ... FOR UPDATE


def test_the_signed_in_user_is_read_from_the_primary_even_on_a_marked_page(replica_setup):
    app = replica_setup()
    client = app.test_client()
    sign_in(client, "clerk.primary")                   # the replica has no such user
    assert client.get("/_mine").get_data(as_text=True) == "clerk.primary on-replica"


def test_writes_go_to_the_primary_and_a_view_that_writes_reads_the_primary_from_then_on(replica_setup):
    app = replica_setup(sticky=0)
    client = app.test_client()
    assert client.get("/_reveal").get_data(as_text=True) == "on-primary"
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "test.reveal")) == 1
    with replica_engine().connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AuditLog.__table__)) == 0
    assert client.post("/_probe").get_data(as_text=True) == "on-primary"      # a write request
    assert client.get("/_probe").get_data(as_text=True) == "on-replica"       # no stickiness at 0 s


def test_a_browser_that_just_wrote_reads_from_the_primary_for_a_while(replica_setup):
    app = replica_setup(sticky=60)
    client, other = app.test_client(), app.test_client()
    assert client.get("/_probe").get_data(as_text=True) == "on-replica"
    client.post("/_probe")
    assert client.get("/_probe").get_data(as_text=True) == "on-primary"       # within 60 s of its write
    assert other.get("/_probe").get_data(as_text=True) == "on-replica"        # other browsers are unaffected
    with client.session_transaction() as sess:
        sess["wrote_at"] -= 61
    assert client.get("/_probe").get_data(as_text=True) == "on-replica"


def test_without_a_replica_a_marked_page_reads_from_the_primary(replica_setup):
    app = replica_setup(with_replica=False)
    assert replica_engine() is None
    assert app.test_client().get("/_probe").get_data(as_text=True) == "on-primary"


def test_the_replica_url_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgresql://reader@replica.internal/portal")
    settings = config.from_environment(str(tmp_path))
    assert settings["DATABASE_REPLICA_URL"] == "postgresql+psycopg://reader@replica.internal/portal"
    app = create_app(base_config(tmp_path, "sqlite://") | {"DATABASE_REPLICA_URL": settings["DATABASE_REPLICA_URL"]})
    assert replica_engine(app).url.host == "replica.internal" and replica_engine(app).dialect.name == "postgresql"
    monkeypatch.delenv("DATABASE_REPLICA_URL")
    assert config.from_environment(str(tmp_path))["DATABASE_REPLICA_URL"] is None


def test_the_marker_keeps_the_access_policy_in_either_order(replica_setup):
    app = replica_setup()
    for endpoint in ("probe", "locked"):
        view = app.view_functions[endpoint]
        assert view.reads_from_replica and access.allowed_roles(endpoint) == frozenset(access.EVERYONE)


# The read-mostly pages a replica takes off the primary (lists and reports of other people's records,
# where a moment of lag is harmless; the browser that just wrote stays on the primary anyway).
REPLICA_PAGES = {"hours.index", "hours.person", "hours.unit", "hours.search", "volunteers.index",
                 "records.completeness", "honor_cards.eligibility", "honor_cards.person_eligibility",
                 "awards.index", "stats.index", "stats.county_dashboard", "stats.unit_dashboard"}


def test_the_heavy_read_pages_are_marked_for_the_replica(app):
    marked = {name for name, view in app.view_functions.items() if getattr(view, "reads_from_replica", False)}
    assert REPLICA_PAGES <= marked
    # Marked pages answer GET only: a POST handler on the replica would read what it is about to change.
    for name in marked:
        methods = {m for rule in app.url_map.iter_rules(name) for m in rule.methods} - {"HEAD", "OPTIONS"}
        assert methods == {"GET"}, name
