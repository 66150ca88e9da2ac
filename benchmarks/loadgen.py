"""wrk, bounded: one URL at a fixed concurrency for a fixed time, its latency distribution read back from the
Lua done() of benchmarks/wrk/common.lua."""
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

LUA = Path(__file__).resolve().parent / "wrk"
# wrk gives up on a request after this long; the servers' own timeout is as long (benchmarks/server.py).
TIMEOUT_SECONDS = 300


@dataclass
class Result:
    requests: int
    seconds: float
    p50: float                  # milliseconds
    p95: float
    p99: float
    max: float
    socket_errors: int          # connect, read, write errors and timeouts
    statuses: dict = field(default_factory=dict)
    expect: tuple = (200,)
    exhausted: bool = False

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def unexpected(self) -> dict:
        return {s: n for s, n in self.statuses.items() if s not in self.expect}

    @property
    def errors(self) -> int:
        return self.socket_errors + sum(self.unexpected.values())


@dataclass
class Export:
    """One download streamed to its end."""
    rows: int
    bytes: int
    seconds: float
    first_byte: float
    peak_mib: float | None      # the largest peak resident memory of a gunicorn worker during the download
    idle_mib: float | None      # the same just before it

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def require_wrk():
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (make bench installs it when run as root)")


def duration_for(seconds: float, probe: float, cap: float) -> float:
    """Long enough for about 20 requests on 2 workers when one request takes `probe` seconds alone (it takes
    longer under load, so the factor is generous), never shorter than asked; at most `cap`."""
    return max(seconds, min(cap, 20 * probe))


def run(url: str, script: str, concurrency: int, seconds: float, env: dict | None = None,
        expect: tuple = (200,)) -> Result:
    """One wrk run with one thread (the load generator shares the machine's 2 cores with the server)."""
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", f"--timeout={TIMEOUT_SECONDS}s",
               "-s", str(LUA / script), url]
    completed = subprocess.run(command, env={**os.environ, "BENCH_LUA_DIR": str(LUA), **(env or {})},
                               capture_output=True, text=True, timeout=seconds + TIMEOUT_SECONDS + 60)
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result for {url}:\n{completed.stdout}\n{completed.stderr}")
    data = json.loads(line.removeprefix("BENCH_RESULT "))
    result = Result(
        requests=data["requests"], seconds=data["duration_us"] / 1e6,
        p50=data["p50_us"] / 1000, p95=data["p95_us"] / 1000, p99=data["p99_us"] / 1000, max=data["max_us"] / 1000,
        socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        statuses={int(s): n for s, n in data["statuses"].items()}, expect=expect, exhausted=bool(data["exhausted"]))
    drain(result)
    return result


def drain(result: Result):
    """Requests still queued at the server when wrk stopped are served anyway; wait about as long as the
    slowest ones took, so that the next measurement does not queue behind them."""
    time.sleep(min(60.0, result.p99 / 1000) + 0.2)
