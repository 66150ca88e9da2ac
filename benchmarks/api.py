"""API benchmark (issue 15): `POST /api/v1/hours/batches` of 1,000 rows (target ≤ 2 s) and
`GET /api/v1/volunteers/{id}/status` (target p95 ≤ 50 ms), on the page benchmark's PostgreSQL data set under
the same gunicorn settings, next to a floor measured in the same run: a Flask app under the same settings that
parses the same JSON body (POST) or answers a small JSON object (GET), without the portal.

    BENCH_ONLY=api .venv/bin/python -m benchmarks.run                  # the small set (portal_bench, made if missing)
    BENCH_SCALE=national BENCH_ONLY=api .venv/bin/python -m benchmarks.run
    BENCH_API_BATCHES=5 BENCH_API_ROWS=1000 BENCH_API_LOOKUPS=300       # the defaults

Each run registers two clients with `flask api-clients add` (hours:write for the big unit's clerk,
volunteers:status for the county account, each with a rate limit the loop cannot reach) and gets their tokens
from /api/v1/oauth/token. The batches are single-day rows of the big unit's members on days in 2025 they have
no entry yet (read from the database before each run), so every row is written; the batches stay in the
database like the page benchmark's posted hours. A last request sends the first batch again with its key
(answered from the stored result). The lookups are sequential (concurrency 1) over distinct members.
"""
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import date, timedelta
from pathlib import Path

from flask import Flask, jsonify, request

from . import dataset
from .national import redis_for_limits, setting
from .server import Server

ROOT = Path(__file__).resolve().parent.parent
BATCH_TARGET_SECONDS = 2.0
STATUS_P95_TARGET_MS = 50.0
FREE_FROM = date(2025, 1, 1)      # before the 2026 training gate, so untrained members' rows are valid too
UNLIMITED = "1000000 per minute"
# Every request claims a proxy's HTTPS (PROXY_COUNT=1): the token endpoint refuses plain HTTP.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.251.0.1"}


# -- the floor ---------------------------------------------------------------------------------------

floor = Flask("api_floor")


@floor.get("/")
def floor_ready():
    return "ok"


@floor.post("/batches")
def floor_batch():
    """What any JSON endpoint pays for the same body: the round trip and parsing it."""
    rows = request.get_json()["rows"]
    return jsonify({"rows": len(rows), "written": len(rows)}), 201


@floor.get("/volunteers/<national_id>/status")
def floor_status(national_id):
    return jsonify({"national_id": national_id[:2] + "****", "memberships": [], "insured_today": False})


# -- HTTP ---------------------------------------------------------------------------------------------

def call(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None,
         timeout: float = 600) -> tuple[int, dict, float]:
    """(status, JSON body or {}, seconds)."""
    req = urllib.request.Request(url, data=body, method=method, headers={**PROXY_HEADERS, **(headers or {})})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            status, data = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, data = error.code, error.read()
    seconds = time.perf_counter() - started
    try:
        return status, json.loads(data or b"{}"), seconds
    except ValueError:
        return status, {}, seconds


def register(env: dict, name: str, owner: str, scopes: str) -> tuple[str, str]:
    command = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "api-clients", "add", name,
               "--owner", owner, "--scopes", scopes, "--rate-limit", UNLIMITED, "--json"]
    out = subprocess.run(command, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=True)
    credentials = json.loads(out.stdout.strip().splitlines()[-1])
    return credentials["client_id"], credentials["client_secret"]


def token(base: str, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    status, data, _seconds = call(base + "/api/v1/oauth/token", "POST",
                                  urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
                                  {"Authorization": f"Basic {basic}",
                                   "Content-Type": "application/x-www-form-urlencoded"})
    if status != 200:
        raise RuntimeError(f"token endpoint answered {status}: {data}")
    return data["access_token"]


# -- the data -----------------------------------------------------------------------------------------

def members(url: str, unit_id: int, limit: int) -> list[tuple[int, str, str]]:
    """(person id, ID number, name) of members serving in the unit all through 2025."""
    with dataset.connect(url) as conn:
        return conn.execute(
            "SELECT p.id, p.id_number, p.name FROM memberships m JOIN people p ON p.id = m.person_id "
            "WHERE m.unit_id = %s AND m.joined_on <= %s AND (m.left_on IS NULL OR m.left_on >= %s) "
            "ORDER BY p.id LIMIT %s", (unit_id, FREE_FROM, date(2025, 12, 31), limit)).fetchall()


def free_rows(url: str, unit_id: int, people: list, count: int) -> list[dict]:
    """`count` single-day rows on (member, day) pairs of 2025 without any entry of that member on that day."""
    ids = [p[0] for p in people]
    taken = set()
    with dataset.connect(url) as conn:
        for person, start, end in conn.execute(
                "SELECT person_id, start_on, end_on FROM hour_entries WHERE person_id = ANY(%s) AND status = 'active' "
                "AND end_on >= %s AND start_on <= %s", (ids, FREE_FROM, date(2025, 12, 31))):
            day = max(start, FREE_FROM)
            while day <= min(end, date(2025, 12, 31)):
                taken.add((person, day))
                day += timedelta(days=1)
    rows, day = [], FREE_FROM
    while len(rows) < count and day.year == 2025:
        rows += [{"id_number": number, "name": name, "start_on": day.isoformat(), "hours": 2}
                 for person, number, name in people if (person, day) not in taken]
        day += timedelta(days=1)
    if len(rows) < count:
        raise RuntimeError(f"only {len(rows):,} free (member, day) pairs left in 2025")
    return rows[:count]


# -- measuring ----------------------------------------------------------------------------------------

def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def post_batches(base: str, path: str, headers: dict, batches: list[list[dict]]) -> tuple[list[float], list]:
    seconds, answers = [], []
    for rows in batches:
        key = str(uuid.uuid4())
        body = json.dumps({"rows": rows}).encode()
        status, data, took = call(base + path, "POST", body, {**headers, "Content-Type": "application/json",
                                                              "Idempotency-Key": key})
        seconds.append(took)
        answers.append((status, data, key, body))
    return seconds, answers


def lookups(base: str, headers: dict, numbers: list[str]) -> tuple[list[float], dict]:
    seconds, statuses = [], {}
    for number in numbers:
        status, _data, took = call(f"{base}/volunteers/{number}/status?purpose=benchmark", headers=headers)
        seconds.append(took * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    return seconds, statuses


def main() -> int:
    scale = setting("BENCH_SCALE", "small")
    batches, size = int(setting("BENCH_API_BATCHES", "5")), int(setting("BENCH_API_ROWS", "1000"))
    count = int(setting("BENCH_API_LOOKUPS", "300"))
    data = dataset.prepare(scale)
    manifest = data.manifest
    unit_id, accounts = manifest["big_unit"]["id"], manifest["accounts"]
    redis_url, _limiter = redis_for_limits()
    logs = Path(tempfile.mkdtemp(prefix="bench-api-"))
    env = {"DATABASE_URL": data.url, "SECRET_KEY": dataset.SECRET_KEY, "UPLOAD_DIR": str(data.upload_dir),
           "PROXY_COUNT": "1", "JOBS_BACKEND": "thread", "REDIS_URL": redis_url or "", "INSTANCE_PATH": str(logs),
           "FLASK_DEBUG": "0"}
    print(f"API benchmark: scale {scale}, {batches} batches of {size:,} rows, {count} status lookups, logs in {logs}",
          flush=True)
    hours_client = register(env, "benchmark hours", accounts["clerk"]["username"], "hours:write")
    status_client = register(env, "benchmark status", accounts["county"]["username"], "volunteers:status")
    people = members(data.url, unit_id, max(count, 400))
    with Server("benchmarks.api:floor", log=logs / "gunicorn-floor.log") as floor_server, \
            Server("wsgi:app", env, logs / "gunicorn-portal.log", ready_path="/login") as server:
        api = server.base + "/api/v1"
        hours_headers = {"Authorization": "Bearer " + token(server.base, *hours_client)}
        status_headers = {"Authorization": "Bearer " + token(server.base, *status_client)}
        rows = free_rows(data.url, unit_id, people, batches * size + 2)
        chunks = [rows[i * size:(i + 1) * size] for i in range(batches)]
        # Two rows first: the workers' first requests load code and caches.
        post_batches(api, "/hours/batches", hours_headers, [rows[-2:]])
        post_seconds, answers = post_batches(api, "/hours/batches", hours_headers, chunks)
        failed = [(s, d) for s, d, _k, _b in answers if s != 201 or d.get("written") != size]
        _status, _data, first_key, first_body = answers[0]
        replay_status, _replayed, replay_seconds = call(api + "/hours/batches", "POST", first_body, {
            **hours_headers, "Content-Type": "application/json", "Idempotency-Key": first_key})
        floor_post = [call(floor_server.base + "/batches", "POST", body, {"Content-Type": "application/json"})[2]
                      for _s, _d, _k, body in answers]
        numbers = [number for _id, number, _name in people][:count]
        lookups(api, status_headers, numbers[:10])                    # warm-up
        status_ms, statuses = lookups(api, status_headers, numbers)
        floor_ms, _floor_statuses = lookups(floor_server.base, {}, numbers)
    print(render(scale, size, post_seconds, floor_post, replay_seconds, replay_status, status_ms, floor_ms,
                 statuses, failed))
    return 1 if failed or replay_status != 201 or set(statuses) != {200} else 0


def render(scale, size, post_seconds, floor_post, replay_seconds, replay_status, status_ms, floor_ms, statuses,
           failed) -> str:
    post_median, floor_median = statistics.median(post_seconds), statistics.median(floor_post)
    p95, floor_p95 = percentile(status_ms, 0.95), percentile(floor_ms, 0.95)
    lines = [f"API benchmark, scale {scale}, PostgreSQL, gunicorn (the page benchmark's settings), {os.cpu_count()} "
             f"CPUs; the floor is a Flask app under the same settings, measured in the same run",
             "",
             "| measurement | requests | median | p95 | max | floor median / p95 | ÷ floor | target |",
             "|---|--:|--:|--:|--:|--:|--:|--:|",
             f"| POST /hours/batches, {size:,} new rows each | {len(post_seconds)} | {post_median:.2f} s | "
             f"{percentile(post_seconds, 0.95):.2f} s | {max(post_seconds):.2f} s | {floor_median * 1000:.0f} ms "
             f"(parse the same body) | {post_median / floor_median:.0f}× | ≤ {BATCH_TARGET_SECONDS:g} s: "
             f"{'met' if max(post_seconds) <= BATCH_TARGET_SECONDS else 'MISSED'} |",
             f"| the same batch again with its Idempotency-Key (answered {replay_status}) | 1 | "
             f"{replay_seconds * 1000:.0f} ms | – | – | – | – | – |",
             f"| GET /volunteers/{{id}}/status, concurrency 1 | {len(status_ms)} | {statistics.median(status_ms):.1f} ms "
             f"| {p95:.1f} ms | {max(status_ms):.1f} ms | {floor_p95:.1f} ms (p95, small JSON) | "
             f"{p95 / floor_p95:.1f}× | p95 ≤ {STATUS_P95_TARGET_MS:g} ms: "
             f"{'met' if p95 <= STATUS_P95_TARGET_MS else 'MISSED'} |",
             ""]
    if set(statuses) != {200}:
        lines.append(f"status lookups answered {statuses}")
    for status, data in failed:
        lines.append(f"a batch failed: {status} {json.dumps(data, ensure_ascii=False)[:300]}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
