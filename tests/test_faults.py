"""kill -9 in the middle of an import's confirmation, a batch approval of hour claims and a bulk honor-card
decision with its e-card PDFs: afterwards the database holds the operation wholly or not at all, never a
part (50 runs each, on SQLite and PostgreSQL). The runs are forked from one zygote process that built the
app and the data once (tests/fault_zygote.py); each run starts from a restored copy of the database and
the upload folder, and is killed after a random delay within the operation's measured duration.

Elsewhere: a worker killed mid-job is retried or marked failed (tests/test_scale_out.py)."""
import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from portal.platform.extensions import db
from tests import security_report
from tests.conftest import BACKENDS, ROOT, login, pg_database

# One worker builds each zygote once (make test runs pytest -n 2 --dist loadgroup).
pytestmark = [pytest.mark.faults, pytest.mark.xdist_group("faults")]

RUNS = 50
OPERATIONS = ("import", "claims", "honor_cards")


@pytest.fixture(scope="module", params=BACKENDS)
def zygote(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"faults-{request.param}")
    url = f"sqlite:///{workdir / 'faults.db'}" if request.param == "sqlite" else pg_database("faults")
    log = (workdir / "zygote.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "tests.fault_zygote", url, str(workdir)], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})

    def answer():
        line = process.stdout.readline()
        if not line:
            log.flush()
            pytest.fail("the zygote ended:\n" + (workdir / "zygote.log").read_text()[-3000:])
        return json.loads(line)

    def ask(op: str, seed: int) -> dict:
        process.stdin.write(json.dumps({"op": op, "runs": RUNS, "seed": seed}) + "\n")
        process.stdin.flush()
        return answer()

    try:
        assert answer() == {"ready": True}
        yield ask
    finally:
        process.stdin.close()
        process.wait(60)
        process.stdout.close()
        log.close()


@pytest.mark.parametrize("op", OPERATIONS)
def test_kill_9_leaves_the_operation_done_wholly_or_not_at_all(zygote, op):
    result = zygote(op, seed=OPERATIONS.index(op) + 1)
    assert "error" not in result, result["error"]
    assert result["between"] == [], result
    assert result["before"] + result["after"] == RUNS
    security_report.record("kill -9 runs (import, claims approval, honor cards with PDFs), none between", RUNS)
    # The kills did land inside the operation (before its commit) in a good share of the runs.
    assert result["killed"] >= RUNS // 5 and result["before"] >= 1, result


# --- PostgreSQL connections cut under the portal ------------------------------------------------------------

def test_after_postgresql_drops_every_connection_the_next_request_succeeds_and_no_commit_is_lost(app, backend,
                                                                                                  world, client):
    """What a restart of PostgreSQL does to the portal's pooled connections, without restarting the shared
    server: pg_terminate_backend on all of them. The pool tests a connection before lending it
    (pool_pre_ping), so the next request gets a new one instead of an error page."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    login(client, world.users["clerk_a"])
    person = world.people["a"]
    assert client.get("/volunteers/").status_code == 200
    data = {"name": "重啟志工", "id_kind": "taiwan", "id_number": person.id_number, "sex": "", "birth_date": "",
            "name_latin": "", "phone": "", "email": "", "address": "", "version": person.version}
    assert client.post(f"/volunteers/{person.id}/edit", data=data).status_code == 302
    db.session.remove()   # the request's connection back in the pool, as at the end of a real request
    admin = create_engine(db.engine.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        cut = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    admin.dispose()
    assert cut >= 1
    page = client.get("/volunteers/")
    assert page.status_code == 200 and "重啟志工" in page.get_data(as_text=True)
