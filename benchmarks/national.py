"""The page benchmark of issue 11: every heavy page of the portal under gunicorn on a synthetic data set on
PostgreSQL, driven by wrk, next to two floors measured in the same run under the same gunicorn settings.

    make bench                                  # small set (5,000 volunteers), loaded once, then reused
    BENCH_SCALE=medium make bench               # 200,000 volunteers / 2,000 units
    BENCH_SCALE=national make bench             # 1,200,000 volunteers / 19,500 units (about 45 min to load)
    BENCH_ONLY=web BENCH_PAGES=roster,verify BENCH_SECONDS=5 make bench

Prints one Markdown table (floors first) and writes it to benchmarks/results/<date>-<scale>.md.
benchmarks/README.md explains every setting and how to read the table.
"""
import contextlib
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from . import dataset, loadgen
from .client import BenchError, Browser
from .report import FLOOR_TABLE, render
from .server import Server

HERE = Path(__file__).resolve().parent
# wrk replays the cookie of the last request the browser made; authority sessions end after 15 idle minutes.
SESSION_REFRESH_SECONDS = 300


@dataclass(frozen=True)
class Page:
    key: str                         # for BENCH_PAGES
    label: str                       # may name manifest values: {volunteer_entries}, {big_members}
    persona: str | None              # manifest account signed in, None for public pages
    path: str                        # may name manifest values: {big_unit}, {round}, {token}, {county}
    concurrency: tuple | None = None  # None: BENCH_CONCURRENCY


PAGES = [
    Page("signin", "sign-in page", None, "/login"),
    Page("record", "volunteer's own record ({volunteer_entries:,} entries)", "volunteer", "/"),
    Page("roster", "unit roster, first page ({big_members:,} members)", "clerk", "/volunteers/"),
    Page("roster-filtered", "roster, filtered (name 陳, active)", "clerk", "/volunteers/?q=%E9%99%B3&status=active"),
    Page("roster-deep", "roster, page {depth}", "clerk", "/volunteers/"),
    Page("roster-csv", "roster CSV of the big unit", "clerk", "/volunteers/export.csv", (1, 4)),
    Page("hours-month", "unit hours, month view", "clerk", "/hours/units/{big_unit}"),
    Page("hours-list", "unit hours, list", "clerk", "/hours/"),
    Page("honor", "honor-card eligibility of the big unit", "clerk", "/honor-cards/eligibility"),
    Page("awards", "award eligibility of the big unit", "clerk", "/awards/?round={round}"),
    Page("county-completeness", "county completeness", "county", "/records/completeness"),
    Page("county-hours", "county hours list", "county", "/hours/"),
    Page("ministry-completeness", "ministry completeness", "ministry", "/records/completeness"),
    Page("ministry-hours", "ministry hours list", "ministry", "/hours/"),
    Page("verify", "verification page (/verify/<token>)", None, "/verify/{token}"),
    # Issue 12: what the authorities run the system for.
    Page("dash-county", "county dashboard", "county", "/stats/"),
    Page("dash-sector", "local sector authority dashboard", "sector", "/stats/"),
    Page("dash-ministry", "ministry dashboard (every county)", "ministry", "/stats/"),
    Page("dash-drill-county", "ministry dashboard, one county", "ministry", "/stats/county/{county}"),
    Page("dash-drill-unit", "county dashboard, the big unit", "county", "/stats/unit/{big_unit}"),
    Page("channels", "award channels of a round (ministry)", "ministry", "/awards/rounds/{round}/channels"),
    Page("home-clerk", "unit home page with its work list", "clerk", "/"),
    Page("home-county", "county home page with its work list", "county", "/"),
    Page("home-ministry", "ministry home page with its work list", "ministry", "/"),
    Page("post", "hours entry POST", "clerk", "/hours/new"),
]


@dataclass
class Row:
    key: str
    label: str
    concurrency: int
    result: loadgen.Result | None
    note: str = ""
    floor_p95: float | None = None   # the 50-row floor's p95 measured beside this row (ms)


def setting(name: str, default: str) -> str:
    return os.environ.get(name) or default


def numbers(text: str) -> tuple:
    return tuple(int(x) for x in text.replace(" ", "").split(",") if x)


def redis_for_limits() -> tuple[str | None, str]:
    """The rate limiter's storage: Redis as in a deployment of several web hosts, when one answers."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    if not url:
        return None, "in-process memory (BENCH_REDIS_URL empty)"
    try:
        from redis import Redis
        Redis.from_url(url, socket_connect_timeout=2).ping()
        return url, f"Redis ({url})"
    except Exception as error:  # noqa: BLE001  (any failure means: no Redis here)
        return None, f"in-process memory (no Redis at {url}: {error.__class__.__name__})"


FLOORS = (("floor-hello", "benchmarks.floors:hello", "floor: Flask hello world", "/"),
          ("floor-table", "benchmarks.floors:table", FLOOR_TABLE, "/table"))


def floors(servers: list[Server], concurrencies: tuple, seconds: float) -> list[Row]:
    rows = []
    for server, (key, _app, label, path) in zip(servers, FLOORS, strict=True):
        # One second of load first: the floor is every ratio's denominator, so it should not carry the
        # workers' first requests.
        loadgen.run(server.base + path, "get.lua", max(concurrencies), 1)
        for c in concurrencies:
            rows.append(Row(key, label, c, loadgen.run(server.base + path, "get.lua", c, seconds)))
    return rows


class PortalRun:
    """The portal's pages, signed in as the manifest's personas."""

    def __init__(self, server: Server, data: dataset.Dataset, seconds: float, cap: float, floor: Server,
                 floor_seconds: float):
        self.server, self.data, self.seconds, self.cap = server, data, seconds, cap
        self.floor, self.floor_seconds = floor, floor_seconds
        self.manifest = data.manifest
        self.browsers: dict[str | None, Browser] = {}

    def browser(self, persona: str | None) -> Browser:
        if persona not in self.browsers:
            browser = Browser(self.server.base)
            if persona:
                account = self.manifest["accounts"][persona]
                browser.sign_in(account["username"], self.manifest["password"], account.get("totp_secret"))
            self.browsers[persona] = browser
        return self.browsers[persona]

    def floor_p95(self, concurrency: int) -> float | None:
        """The 50-row floor at this concurrency, measured beside a row: on a shared machine the load changes
        from minute to minute, and the ratio should compare like with like."""
        if not self.floor_seconds:
            return None
        return loadgen.run(self.floor.base + "/table", "get.lua", concurrency, self.floor_seconds).p95

    def bracketed(self, concurrency: int, measure) -> tuple[loadgen.Result, float | None]:
        """`measure()` between two short floor runs; the floor is their mean (a load that came or went
        during the row counts half)."""
        before = self.floor_p95(concurrency)
        result = measure()
        after = self.floor_p95(concurrency)
        return result, (before + after) / 2 if before and after else None

    def values(self, **extra) -> dict:
        m = self.manifest
        return {"big_unit": m["big_unit"]["id"], "big_members": m["big_unit"].get("members", 0),
                "county": m["accounts"]["county"].get("county_code", ""),
                "round": m.get("award_round_id", ""), "token": m.get("verify_token", ""),
                "volunteer_entries": m["accounts"]["volunteer"].get("entries", 0), **extra}

    def page(self, page: Page, concurrencies: tuple) -> list[Row]:
        if page.key == "post":
            return self.post(page, concurrencies)
        browser = self.browser(page.persona)
        path, label = page.path.format(**self.values()), page.label
        if page.key == "roster-deep":
            path, depth = browser.deep_page(path, int(setting("BENCH_DEEP_PAGE", "100")) - 1)
            label = label.format(depth=depth)
        else:
            label = label.format(**self.values())
        # The probe warms the worker up, checks the answer (no redirect to the sign-in page) and refreshes the
        # session's last activity, so that no run reaches the idle limit (15 minutes for authorities).
        # Two requests (one per worker, as like as not), the faster one's time: the first pays for cold caches.
        probe = min(browser.get(path).seconds, browser.get(path).seconds)
        duration = loadgen.duration_for(self.seconds, probe, self.cap)
        script = "verify.lua" if page.key == "verify" else "get.lua"
        rows = []
        for c in page.concurrency or concurrencies:
            if time.monotonic() - browser.last_request > SESSION_REFRESH_SECONDS:
                browser.get(path)
            result, floor = self.bracketed(c, lambda c=c: loadgen.run(
                browser.url(path), script, c, duration, env={"BENCH_COOKIE": browser.cookie_header()}))
            rows.append(Row(page.key, label, c, result, floor_p95=floor))
        return rows

    def post(self, page: Page, concurrencies: tuple) -> list[Row]:
        post = self.manifest["hours_post"]
        browser = self.browser(page.persona)
        rows = []
        for c in concurrencies:
            token = browser.csrf(page.path)
            free = dataset.free_entries(self.data.url, post)
            if not free:
                rows.append(Row(page.key, page.label, c, None, "no free (volunteer, day) left to post"))
                continue
            with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
                fh.write("".join(f"{person},{day.isoformat()}\n" for person, day in free))
            try:
                env = {"BENCH_COOKIE": browser.cookie_header(), "BENCH_CSRF": token, "BENCH_PAIRS": fh.name,
                       "BENCH_FIELD": post["field_code"]}
                result, floor = self.bracketed(c, lambda c=c, env=env: loadgen.run(
                    browser.url(page.path), "post_hours.lua", c, self.seconds, expect=(302,), env=env))
            finally:
                os.unlink(fh.name)
            note = f"the {len(free):,} free (volunteer, day) pairs ran out" if result.exhausted else ""
            rows.append(Row(page.key, page.label, c, result, note, floor_p95=floor))
        return rows

    def export(self) -> loadgen.Export:
        """The big unit's hours as CSV, streamed: rows per second and the worker's peak memory."""
        browser = self.browser("clerk")
        browser.get("/hours/")
        self.server.reset_peak_memory()
        before = self.server.peak_memory_mib()
        started = time.perf_counter()
        first = None
        lines = size = 0
        with browser.open("/hours/export?format=csv&layout=portal", timeout=loadgen.TIMEOUT_SECONDS) as answer:
            while chunk := answer.read(1 << 16):
                first = first or time.perf_counter() - started
                lines += chunk.count(b"\n")
                size += len(chunk)
        return loadgen.Export(rows=max(lines - 1, 0), bytes=size, seconds=time.perf_counter() - started,
                              first_byte=first or 0.0, peak_mib=self.server.peak_memory_mib(), idle_mib=before)


def chosen(pages: list[Page]) -> list[Page]:
    wanted = [k for k in setting("BENCH_PAGES", "").split(",") if k]
    return [p for p in pages if not wanted or p.key in wanted]


def main() -> int:
    loadgen.require_wrk()
    scale = setting("BENCH_SCALE", "small")
    if os.environ.get("BENCH_DATABASE_URL") and not os.environ.get("BENCH_SCALE"):
        scale = dataset.libpq(os.environ["BENCH_DATABASE_URL"]).rsplit("/", 1)[-1]
    seconds = float(setting("BENCH_SECONDS", "10"))
    cap = float(setting("BENCH_MAX_SECONDS", "120"))
    concurrencies = numbers(setting("BENCH_CONCURRENCY", "4,16"))
    data = dataset.prepare(scale)
    started = datetime.now(ZoneInfo("Asia/Taipei"))
    box = dataset.machine(data.url)
    redis_url, limiter_storage = redis_for_limits()
    logs = Path(tempfile.mkdtemp(prefix="bench-"))
    print(f"benchmark: scale {scale}, {seconds:g} s per page and concurrency, logs in {logs}", flush=True)

    pages = chosen(PAGES)
    floor_seconds = float(setting("BENCH_FLOOR_SECONDS", "3"))
    env = {"DATABASE_URL": data.url, "SECRET_KEY": dataset.SECRET_KEY, "UPLOAD_DIR": str(data.upload_dir),
           "PROXY_COUNT": "1", "JOBS_BACKEND": "thread", "REDIS_URL": redis_url or "", "INSTANCE_PATH": str(logs),
           "FLASK_DEBUG": "0"}
    export, failures = None, []
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(Server(app, log=logs / "gunicorn-floors.log")) for _k, app, _l, _p in FLOORS]
        # The floors at every concurrency a page is measured at, so that each row has its ratio.
        rows = floors(servers, tuple(sorted({c for p in pages for c in (p.concurrency or concurrencies)})), seconds)
        server = stack.enter_context(Server("wsgi:app", env, logs / "gunicorn-portal.log", ready_path="/login"))
        run = PortalRun(server, data, seconds, cap, servers[1], floor_seconds)
        for page in pages:
            print(f"  {page.key} ...", flush=True)
            try:
                rows += run.page(page, concurrencies)
            except (BenchError, RuntimeError, OSError) as error:
                failures.append(f"{page.label}: {error}")
                rows.append(Row(page.key, page.label.split(" (")[0].format(depth="N"), 0, None, str(error)))
        if setting("BENCH_EXPORT", "1") == "1":
            try:
                export = run.export()
            except (BenchError, OSError) as error:
                export = str(error)
    text = render(rows, export, data, box, scale, started, seconds, limiter_storage)
    print("\n" + text)
    # A run of some pages only (BENCH_PAGES) does not overwrite the day's full run.
    partial = "-partial" if setting("BENCH_PAGES", "") else ""
    out = HERE / "results" / f"{started.date().isoformat()}-{scale}{partial}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    print(f"written to {out.relative_to(HERE.parent)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
