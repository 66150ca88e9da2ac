"""The RQ worker's entry point: a worker process has no app yet, so this builds it from the
environment (composition root) and then runs the job like the other backends do."""
from flask import has_app_context

from portal import create_app
from portal.platform import jobs
from portal.platform.extensions import db

_app = {}


def run_job(job_id: int) -> dict | None:
    if has_app_context():       # a worker running inside an app (tests' SimpleWorker)
        return jobs.run_job(job_id)
    if "app" not in _app:
        _app["app"] = create_app()
    with _app["app"].app_context():
        try:
            return jobs.run_job(job_id)
        finally:
            db.session.remove()
