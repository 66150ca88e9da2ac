"""Where one page's time goes, on a benchmark database: server time, its SQL, and its Python.

    .venv/bin/python -m benchmarks.profile record hours-list            # keys of benchmarks/national.py
    BENCH_SCALE=medium .venv/bin/python -m benchmarks.profile --runs 9 verify

The page benchmark says how slow a page is under load; this says why. It loads the app in this process
against the database the page benchmark loaded (`BENCH_SCALE`, or `BENCH_DATABASE_URL` with its manifest),
signs the manifest's persona in through the sign-in form (CSRF off, the TOTP code from the manifest), and
requests the page through the whole Flask stack with the test client: first twice to warm caches, then
`--runs` times for the median, then once more under cProfile while every SQL statement is timed. It prints
per page: median and slowest server time, how many statements and how much of the time they took, the
slowest statements, and the functions of the portal with the most cumulative time.
"""
import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

import pyotp
from sqlalchemy import event

from . import dataset
from .national import PAGES, setting

ROOT = Path(__file__).resolve().parent.parent


def build_app(data: dataset.Dataset):
    from portal import create_app
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://" + data.url.split("://", 1)[1],
        "SECRET_KEY": dataset.SECRET_KEY, "UPLOAD_DIR": str(data.upload_dir), "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://", "JOBS_BACKEND": "thread",
    })
    import logging
    logging.getLogger("portal").setLevel(logging.WARNING)
    return app


def sign_in(client, account: dict, password: str):
    answer = client.post("/login", data={"username": account["username"], "password": password})
    if answer.headers.get("Location", "").endswith("/login/code"):
        answer = client.post("/login/code", data={"code": pyotp.TOTP(account["totp_secret"]).now()})
    if answer.status_code != 302 or "/login" in answer.headers.get("Location", ""):
        raise SystemExit(f"sign-in of {account['username']} failed: {answer.status_code} {answer.headers}")


class Statements:
    """Every statement's text and time while `on` is set."""

    def __init__(self, engine):
        self.on, self.rows = False, []
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)

    def before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["profile_started"] = time.perf_counter()

    def after(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            self.rows.append((time.perf_counter() - conn.info.pop("profile_started"), statement,
                              parameters if not executemany else None))


def poster(data: dataset.Dataset):
    """The hours POST of the page benchmark (wrk/post_hours.lua): one hour for a free (volunteer, day) each time."""
    post = data.manifest["hours_post"]
    free = iter(dataset.free_entries(data.url, post))

    def request(client):
        person, day = next(free)
        return client.post("/hours/new", data={"field_code": post["field_code"], "hours": "1", "content": "",
                                               "persons_served": "", "q": "", "end_on": "",
                                               "person_id": str(person), "start_on": day.isoformat()})
    return request, 302


def explain(engine, statement: str, parameters) -> str:
    """The plan of one statement as it ran (EXPLAIN ANALYZE in a transaction that is rolled back)."""
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        plan = [row[0] for row in cursor.fetchall()]
        connection.rollback()
    return "".join(f"             {line}\n" for line in plan[:int(os.environ.get("PROFILE_PLAN_LINES", "14"))])


def profile(app, client, path: str, runs: int, top: int, request=None, expect: int = 200,
            plans: int = 0) -> str:
    from portal.platform.extensions import db
    request = request or (lambda client: client.get(path))
    for _ in range(2):
        first = request(client)
        if first.status_code != expect:
            return f"{path}: answered {first.status_code} {first.headers.get('Location', '')}\n"
    times, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        request(client).get_data()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    with app.app_context():
        statements = Statements(db.engine)
    statements.on = True
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    request(client).get_data()
    profiler.disable()
    profiled = (time.perf_counter() - started) * 1000
    statements.on = False
    sql_ms = sum(row[0] for row in statements.rows) * 1000
    out = io.StringIO()
    # CPU time of this process too: on a machine others are using, it moves less than the wall clock.
    out.write(f"{path}: median {statistics.median(times):.1f} ms (CPU {statistics.median(cpu):.1f} ms), "
              f"slowest {max(times):.1f} ms of {runs}; "
              f"{len(statements.rows)} statements, {sql_ms:.1f} ms of SQL in a {profiled:.0f} ms profiled request\n")
    slowest = sorted(statements.rows, key=lambda row: -row[0])[:top]
    for n, (seconds, text, parameters) in enumerate(slowest):
        out.write(f"  {seconds * 1000:8.1f} ms  {' '.join(text.split())[:300]}\n")
        if n < plans and parameters is not None and text.lstrip().upper().startswith(("SELECT", "WITH")):
            with app.app_context():
                out.write(explain(db.engine, text, parameters))
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(str(ROOT / "portal"), top * 3)
    stats.sort_stats("tottime").print_stats(top * 2)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", nargs="+", help="keys of benchmarks/national.py PAGES, or a path as PERSONA:/path")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--plans", type=int, default=0, help="EXPLAIN ANALYZE the N slowest statements")
    args = parser.parse_args()
    data = dataset.prepare(setting("BENCH_SCALE", "small"))
    app = build_app(data)
    m = data.manifest
    values = {"big_unit": m["big_unit"]["id"], "big_members": m["big_unit"].get("members", 0),
              "county": m["accounts"]["county"].get("county_code", ""), "round": m.get("award_round_id", ""),
              "token": m.get("verify_token", ""), "volunteer_entries": m["accounts"]["volunteer"].get("entries", 0)}
    by_key = {p.key: p for p in PAGES}
    clients = {}
    for key in args.pages:
        persona, path = (key.split(":", 1) if ":" in key else (by_key[key].persona, by_key[key].path))
        persona = persona or None
        if persona not in clients:
            clients[persona] = app.test_client()
            if persona:
                sign_in(clients[persona], m["accounts"][persona], m["password"])
        print(f"== {key} ({persona or 'anonymous'})", flush=True)
        request, expect = poster(data) if key == "post" else (None, 200)
        print(profile(app, clients[persona], path.format(**values), args.runs, args.top, request, expect,
                      args.plans),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
