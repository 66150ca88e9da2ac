"""Background jobs: in a thread by default, on Redis with RQ when REDIS_URL is set; progress in the database."""
import uuid

import pytest
from flask import current_app
from sqlalchemy import select

from portal.platform import jobs
from portal.platform.extensions import db
from tests.conftest import REDIS_URL, redis_or_skip


def count_job(run: jobs.JobRun):
    n = run.params["n"]
    run.set_total(n)
    for _ in range(n):
        run.advance()
    return {"counted": n, "locale": run.locale}


def explode_job(run: jobs.JobRun):
    run.set_total(3)
    run.advance()
    raise RuntimeError("boom")


jobs.install({"tests.count": count_job, "tests.explode": explode_job})


def new_job(kind="tests.count", **params):
    job = jobs.create(kind, params=params or {"n": 5}, locale="en")
    db.session.commit()
    return job


def test_thread_backend_runs_the_job_and_stores_progress(threaded_app):
    assert jobs.backend_name() == "thread"
    job = new_job(n=7)
    job_id = job.id
    assert job.status == jobs.QUEUED
    assert jobs.start(job) == "thread"
    assert jobs.wait(job_id, timeout=30)
    db.session.expire_all()
    row = db.session.get(jobs.Job, job_id)
    assert (row.status, row.done, row.total, row.percent) == ("done", 7, 7, 100)
    assert row.result == {"counted": 7, "locale": "en"} and row.backend == "thread"
    assert row.started_at and row.finished_at


def test_a_failing_job_is_marked_failed_with_its_error(threaded_app, caplog):
    job = new_job("tests.explode", n=1)
    job_id = job.id
    jobs.start(job)
    assert jobs.wait(job_id, timeout=30)
    db.session.expire_all()
    row = db.session.get(jobs.Job, job_id)
    assert row.status == "failed" and "boom" in row.error and row.done == 1


def test_a_job_runs_only_once(app):
    job = new_job(n=2)
    app.config["JOBS_BACKEND"] = "inline"
    jobs.start(job)
    db.session.expire_all()
    assert db.session.get(jobs.Job, job.id).done == 2
    assert jobs.run_job(job.id) == {"counted": 2, "locale": "en"}
    assert db.session.get(jobs.Job, job.id).done == 2


def test_unknown_kinds_are_refused(app):
    with pytest.raises(KeyError):
        jobs.create("tests.nope")


@pytest.fixture
def redis_connection():
    connection = redis_or_skip()
    yield connection
    connection.close()


def test_rq_backend_enqueues_and_a_burst_worker_runs_it(app, redis_connection):
    from rq import Queue, SimpleWorker
    queue_name = f"portal-test-{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL=REDIS_URL, JOBS_QUEUE=queue_name)
    assert jobs.backend_name() == "rq"
    job = new_job(n=4)
    assert jobs.start(job) == "rq"
    row = db.session.get(jobs.Job, job.id)
    assert row.status == "queued" and row.backend == "rq" and row.queue_id
    queue = Queue(queue_name, connection=redis_connection)
    assert queue.count == 1
    try:
        worker = SimpleWorker([queue], connection=redis_connection)
        assert worker.work(burst=True)
    finally:
        queue.delete(delete_jobs=True)
    db.session.expire_all()
    row = db.session.get(jobs.Job, job.id)
    assert (row.status, row.done, row.result["counted"]) == ("done", 4, 4)


def test_job_page_polls_while_running_and_stops_when_done(app, world):
    from tests.conftest import login
    job = jobs.create("tests.count", params={"n": 3}, unit_id=world.units["A"].id, user=world.users["clerk_a"],
                      locale="en")
    db.session.commit()
    job_id = job.id
    client = login(current_app.test_client(), world.users["clerk_a"])
    fragment = client.get(f"/documents/jobs/{job_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in fragment and "<html" not in fragment and "<progress" in fragment
    page = client.get(f"/documents/jobs/{job_id}").get_data(as_text=True)
    assert "<html" in page and 'hx-trigger="every 1s"' in page
    app.config["JOBS_BACKEND"] = "inline"
    jobs.start(db.session.get(jobs.Job, job_id))
    db.session.expire_all()
    done = client.get(f"/documents/jobs/{job_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in done and "100%" in done
    other = login(current_app.test_client(), world.users["clerk_b"])
    assert other.get(f"/documents/jobs/{job_id}").status_code == 404
    assert db.session.scalar(select(jobs.Job.status).where(jobs.Job.id == job_id)) == "done"
