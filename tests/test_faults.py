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

from tests.conftest import BACKENDS, ROOT, pg_database

pytestmark = pytest.mark.faults

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
    # The kills did land inside the operation (before its commit) in a good share of the runs.
    assert result["killed"] >= RUNS // 5 and result["before"] >= 1, result
