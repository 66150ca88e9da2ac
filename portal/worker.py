"""The RQ worker: `python -m portal.worker [--burst]`, or `rq worker -w portal.worker.Worker --url $REDIS_URL portal`.

A worker process has no app yet, so this builds it from the environment (composition root) and
runs each job like the other backends do. The Worker also gives back the jobs of workers that died
(jobs.reap_stale): when it starts — a restarted worker picks up what its predecessor left — and at
every RQ maintenance interval.
"""
import argparse

import rq
from flask import has_app_context

from portal import create_app
from portal.platform import jobs
from portal.platform.extensions import db

_app = {}


def the_app():
    if "app" not in _app:
        _app["app"] = create_app()
    return _app["app"]


def run_job(job_id: int) -> dict | None:
    if has_app_context():       # a worker running inside an app (tests' SimpleWorker)
        return jobs.run_job(job_id)
    with the_app().app_context():
        try:
            return jobs.run_job(job_id)
        finally:
            db.session.remove()


def reap() -> list[int]:
    """Re-queue or fail the jobs whose worker stopped reporting, then close every connection: the
    work horses RQ forks next must not share this process's database connections."""
    app = the_app()
    with app.app_context():
        try:
            return jobs.reap_stale()
        finally:
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


class Worker(rq.Worker):
    """rq.Worker that reaps stale portal jobs at start and at every maintenance interval."""

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        requeued = reap()
        if requeued:
            self.log.warning("Worker %s: jobs %s lost their worker and were queued again", self.name, requeued)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m portal.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="quit when the queue is empty")
    args = parser.parse_args(argv)
    app = the_app()
    if not app.config.get("REDIS_URL"):
        raise SystemExit("portal.worker: REDIS_URL is not set (without Redis, jobs run in the web process)")
    queue = jobs.rq_queue(app)
    # Reap at least as often as a job can go stale, so a lost job waits about one limit, not ten minutes.
    interval = min(600, max(30, app.config["JOB_STALE_SECONDS"]))
    Worker([queue], connection=queue.connection, maintenance_interval=interval).work(burst=args.burst)


if __name__ == "__main__":
    main()
