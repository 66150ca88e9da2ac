"""gunicorn for the page benchmark: the portal and the floors under the same settings, on free ports of
127.0.0.1, and the memory of its workers read from /proc."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
# Every server of a run gets these settings, the floors as much as the portal. Sync workers are the
# portal's deployment (docs: 2 workers on 2 cores); the long timeout lets a slow page finish and be
# measured instead of the worker being killed.
GUNICORN = ["--workers", str(WORKERS), "--worker-class", "sync", "--timeout", "300", "--graceful-timeout", "5",
            "--log-level", "warning"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`with Server("wsgi:app", env, log) as server:` serves the app until the block ends."""

    def __init__(self, app: str, env: dict | None = None, log: Path | None = None, ready_path: str = "/"):
        self.app, self.env, self.log, self.ready_path = app, env or {}, log, ready_path
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [gunicorn, *GUNICORN, "--bind", f"127.0.0.1:{self.port}", "--chdir", str(ROOT), self.app],
            env={**os.environ, **self.env}, stdout=out, stderr=out, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn {self.app} stopped at start-up (see {self.log})")
            try:
                with urllib.request.urlopen(self.base + self.ready_path, timeout=30) as answer:
                    if answer.status == 200 and len(self.workers()) == WORKERS:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.__exit__()
        raise RuntimeError(f"gunicorn {self.app} did not answer within 120 s (see {self.log})")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def workers(self) -> list[int]:
        """The worker processes (children of the gunicorn master)."""
        if not self.process:
            return []
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def reset_peak_memory(self):
        """Starts each worker's peak resident memory (VmHWM) afresh (Linux: clear_refs 5)."""
        for pid in self.workers():
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError:
                pass

    def peak_memory_mib(self) -> float | None:
        """The largest peak resident memory of a worker since the last reset, in MiB."""
        peaks = []
        for pid in self.workers():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
            except OSError:
                pass
        return max(peaks) if peaks else None
