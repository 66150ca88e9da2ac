"""Slow clients (docs/rules/serving.md#srv1): the production recipe — nginx with deploy/nginx-proxy.conf in
front of gunicorn with deploy/gunicorn.conf.py — keeps answering while 50 clients trickle their requests
in one byte at a time and hold their connections. The same clients sent to gunicorn directly leave it
without an answer, which is why the recipe puts nginx in front (the check that this test can fail).

Real processes on free ports of 127.0.0.1, a SQLite file database; about 10 s."""
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from portal import create_app
from portal.platform.extensions import db
from tests import security_report
from tests.conftest import base_config, reset_database

pytestmark = pytest.mark.slow_clients

ROOT = Path(__file__).resolve().parent.parent
SLOW_CLIENTS = 50
ANSWER_WITHIN = 2.0          # seconds for a normal request while the slow clients hold on
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, timeout: float) -> tuple[int, float]:
    started = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=timeout) as answer:
        answer.read()
        return answer.status, time.monotonic() - started


def wait_until_answering(port: int, process: subprocess.Popen, log: Path, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped at start-up:\n{log.read_text()[-3000:]}")
        try:
            if get(port, 10)[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(f"no answer on port {port} within {seconds} s:\n{log.read_text()[-3000:]}")


class Trickle:
    """`count` connections that each send a request one byte per round and never finish: half stop inside
    the headers, half inside a declared 64 KiB form body (what nginx must buffer before passing it on)."""

    def __init__(self, port: int, count: int):
        body_head = (b"POST /login HTTP/1.1\r\nHost: portal.test\r\nContent-Type: application/x-www-form-urlencoded"
                     b"\r\nContent-Length: 65536\r\n\r\nusername=")
        header_head = b"GET /login HTTP/1.1\r\nHost: portal.test\r\nUser-Agent: slow"
        self.selector = selectors.DefaultSelector()
        self.connections = []
        for i in range(count):
            conn = socket.create_connection(("127.0.0.1", port))
            conn.setblocking(False)
            self.connections.append([conn, body_head if i % 2 else header_head, 0])

    def send_round(self):
        """One more byte on every connection (headers go on with an endless X-Pad header, bodies with 'a')."""
        for item in self.connections:
            conn, data, sent = item
            byte = data[sent:sent + 1] or (b"a" if data.startswith(b"POST") else b"x")
            try:
                conn.send(byte)
                item[2] = sent + 1
            except BlockingIOError:
                pass

    def still_open(self) -> int:
        """Connections the server has not closed (a closed one reads as b'' or fails)."""
        open_ = 0
        for conn, _data, _sent in self.connections:
            try:
                open_ += conn.recv(1, socket.MSG_PEEK) != b""
            except BlockingIOError:
                open_ += 1
            except OSError:
                pass
        return open_

    def hold(self, seconds: float):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.send_round()
            time.sleep(0.05)

    def close(self):
        for conn, _data, _sent in self.connections:
            conn.close()


def answer_during(trickle: Trickle, port: int) -> float | None:
    """Seconds a normal request took while the slow clients keep sending, or None if none came in time."""
    trickle.hold(1.0)                                # every slow client is connected and part-way in
    try:
        status, took = get(port, ANSWER_WITHIN)
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        return None
    assert status == 200
    return took


@pytest.fixture
def database_file(tmp_path):
    uri = f"sqlite:///{tmp_path / 'portal.db'}"
    app = create_app(base_config(tmp_path, uri))
    with app.app_context():
        reset_database()
        db.engine.dispose()
    return uri


@pytest.fixture
def servers(tmp_path, database_file):
    if NGINX is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is missing: the production recipe puts it in front of gunicorn (.ci/run installs it)")
        pytest.skip("nginx is not installed")
    gunicorn_port, nginx_port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": database_file, "SECRET_KEY": "slow-clients-" + "k" * 50,
           "INSTANCE_PATH": str(tmp_path), "UPLOAD_DIR": str(tmp_path / "uploads"), "PROXY_COUNT": "1"}
    env.pop("REDIS_URL", None)
    # One worker of the recipe's kind instead of one per core: it starts in half the time, and with fewer
    # threads behind nginx the recipe's result is, if anything, harder to reach.
    env["WEB_CONCURRENCY"] = "1"
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        gunicorn = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{gunicorn_port}", "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    conf = tmp_path / "nginx.conf"
    temp = tmp_path / "nginx-temp"
    temp.mkdir()
    conf.write_text(f"""
daemon off;
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log warn;
{"user root;" if os.geteuid() == 0 else ""}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy; fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;
    upstream portal_app {{ server 127.0.0.1:{gunicorn_port}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{nginx_port};
        include {ROOT / "deploy" / "nginx-proxy.conf"};
        location / {{ proxy_pass http://portal_app; }}
    }}
}}
""")
    with (tmp_path / "nginx.out").open("wb") as out:
        nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf)], stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_answering(gunicorn_port, gunicorn, log)
        wait_until_answering(nginx_port, nginx, tmp_path / "nginx-error.log")
        yield gunicorn_port, nginx_port
    finally:
        nginx.terminate()                               # nginx: fast shutdown
        gunicorn.send_signal(signal.SIGQUIT)            # gunicorn: quick shutdown, no draining
        for process in (nginx, gunicorn):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_the_recipe_answers_while_50_slow_clients_hold_on_and_gunicorn_alone_does_not(servers):
    gunicorn_port, nginx_port = servers
    trickle = Trickle(nginx_port, SLOW_CLIENTS)
    try:
        took = answer_during(trickle, nginx_port)
        assert took is not None and took < ANSWER_WITHIN, "behind nginx the portal must answer"
        assert trickle.still_open() == SLOW_CLIENTS       # nginx held every slow client, dropped none
        security_report.record("slow clients held while the portal answered", SLOW_CLIENTS)
    finally:
        trickle.close()

    direct = Trickle(gunicorn_port, SLOW_CLIENTS)
    try:
        assert answer_during(direct, gunicorn_port) is None, \
            "gunicorn alone answered under 50 slow clients: the test no longer shows why nginx is needed"
    finally:
        direct.close()
