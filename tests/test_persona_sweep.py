"""Issue 14's "Done when" sweep: every page each persona reaches (anonymous, volunteer, unit clerk and supervisor,
county, sector authority, ministry, system administrator), in both languages, at a desk's 1366×768 and a phone's
390×844 and 360×640, with axe-core on every (persona, page, language), and every htmx form met submitted once.

The pages are found, not listed: from each persona's home page (and the few addresses that reach a persona from
outside the portal: a document's printed QR code, a mailed recovery link, the sign-in steps; ENTRIES) the sweep
follows same-origin links, GET forms (with one box of each kind ticked: a selection page such as "apply for these
volunteers") and htmx GETs with the app's test client, without depth limit (a route is fetched once), so a new
page is covered without editing this file. The demo set plus tests/sweep_data.py gives every page something to
show. A route is a rule of the app's URL map (ids, codes and query strings do not make a new one; word arguments
such as a record's section do). Whatever is not an HTML page (downloads, images, style sheets, htmx fragments) is
fetched and must answer 200: status only. test_every_get_rule_is_reached compares the rules reached by all personas
with every GET rule of the app: a rule neither reached nor in EXCLUDED (with its reason) fails it.

One test per persona (test_every_page_of_a_persona[...], the heaviest first), so that `pytest -n 2 --dist loadgroup`
shares them between its two workers. Each worker builds the site once (a session fixture: the demo set, served) and
discovers a persona in that persona's test; test_every_get_rule_is_reached, last, takes the routes of the personas
a worker already discovered (either worker: each writes them to the session's shared temporary folder) and
discovers the others itself. In a persona's test every page it reaches is checked in Chinese and in English, in one
browser context. At 1366×768, everything (tests/sweep_checks.py, in one round trip per page):
  axe        axe-core serious/critical findings, tags wcag2a … wcag22aa, on every page in both languages; not its
             target-size rule (the targets check below does WCAG 2.5.8 at all three widths) and its
             css-orientation-lock (which reads only the style sheets and needs every sheet fetched again) once per
             distinct set of style sheets
  language   words of the other language in the interface (data stored in the database is not counted), Chinese
             punctuation in English sentences
  simplified a Simplified-only character anywhere on a page
  targets    a tap target under 24×24 px whose 24 px circle touches another target (WCAG 2.5.8)
  width      the page is wider than the viewport (the elements that stick out are named)
and at 390×844 and 360×640 (by resizing: a page is loaded once per language) the layout again: width and targets.
The widths go desk → 390 → 360 on one page and 360 → 390 → desk on the next, so that a page needs two resizes.
test_the_checks_catch_a_canary_page: a page with one fault of each kind, each must be found.

Then focus: every htmx form of the persona's pages (its own hx-get/hx-post, or boosted; the same form on several
pages once) is submitted once, in the persona's second language - a POST form emptied with the browser's checks off,
so the server's error path runs and nothing is written; a GET form (a filter) as it is; a button that swaps (hx-post
without fields) clicked - and focus must then be on the error summary, a heading, or an element the answer marks
autofocus (portal/static/js/app.js), never lost to <body>; the texts the answer swapped in are checked for language
and Simplified characters as a page's are.

SQLite only (the markup does not depend on the database; SWEEP_EVERY_DATABASE=1 adds PostgreSQL). SWEEP_SHOTS=/dir
keeps a full-page screenshot of every page at 390×844, SWEEP_PERSONAS=county,volunteer sweeps some personas only,
SWEEP_LIST=/some/dir writes the routes, files and forms each persona met (one file per persona)."""
import json
import os
import re
import threading
import time
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.serving import make_server

from portal import create_app
from portal.auth.models import User
from portal.platform.extensions import db
from tests import sweep_data
from tests.conftest import (
    PG_URL,
    _files_read_whole,
    _wait_for_request_threads,
    base_config,
    pg_database,
    reset_database,
)
from tests.sweep_checks import (
    ALLOWED_ENGLISH,
    ARM_JS,
    CANARY,
    CHECKS_JS,
    DESK_JS,
    FOCUS_JS,
    LAYOUT_JS,
    SIMPLIFIED,
    data_values,
)
from tests.sweep_crawl import PageParser, Reached, entries, session_cookie
from tests.test_accessibility import AXE

# No xdist_group: the personas' tests are shared by the workers.
pytestmark = pytest.mark.browser

# The heaviest first: the workers take the tests in this order, the longest ones start early.
PERSONAS = {"county": "county.tpe", "ministry": "ministry", "supervisor": "supervisor.tpe-sw-01",
            "clerk": "clerk.tpe-sw-01", "sector": "sector.tpe.health", "volunteer": "volunteer", "anonymous": None,
            "admin": "admin"}
# Every persona sees every page in both languages; its forms are submitted in the second one.
FIRST_LANGUAGE = {"supervisor": "en", "sector": "en", "anonymous": "en"}   # the others start in Chinese
LANGS = {"zh_TW": "zh-TW", "en": "en-US"}
DESK, PHONES = (1366, 768), ((390, 844), (360, 640))
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_ELSEWHERE = ["target-size"]   # WCAG 2.5.8: TARGETS_JS, at all three widths
KINDS = ("width", "axe", "language", "simplified", "targets", "focus", "files")
DEMO_VOLUNTEERS = 15
# Never followed: signing out ends the persona's session.
SKIP = re.compile(r"/logout$")
# GET rules no persona reaches as a page or a file.
EXCLUDED = {   # endpoint (or its blueprint, ending in ".") -> why
    "api.": "JSON for API clients with a bearer token, not pages (tests/test_api*.py); the API's reference "
            "pages are api_clients' and are swept",
    "credentials.status_list": "a credential's status list, JSON fetched by verifiers (tests/test_credentials*.py)",
}


class Sweep:
    """The served site of one worker, what its personas reach (discovered once per persona and worker) and the
    browser checks of a persona's pages."""

    def __init__(self, app, base: str, seeded, shared: Path, shots: str | None = None):
        self.app, self.base, self.seeded, self.shared, self.shots = app, base, seeded, shared, shots
        self.adapter = app.url_map.bind("127.0.0.1")
        self.reached: dict[str, Reached] = {}
        self.files: dict[str, tuple] = {}      # route -> (url, status, content type), fetched once per worker
        self.file_problems: dict[str, str] = {}
        self.sheets_done: list[str] = []       # sets of style sheets axe's css-orientation-lock has checked
        self.clock: dict[str, float] = {}
        self.data = None

    def tick(self, phase: str, since: float) -> float:
        now = time.monotonic()
        self.clock[phase] = self.clock.get(phase, 0) + now - since
        return now

    def rule(self, path: str):
        try:
            return self.adapter.match(path, method="GET", return_rule=True)
        except RequestRedirect as redirect:
            return self.rule(urlsplit(redirect.new_url).path)
        except HTTPException:
            return None, {}

    def route(self, url: str) -> str:
        rule, args = self.rule(urlsplit(url).path)
        if rule is None:
            return urlsplit(url).path
        words = [f"{k}={v}" for k, v in sorted(args.items()) if isinstance(v, str) and re.fullmatch(r"[a-z][a-z_-]*", v)]
        return " ".join([rule.rule, *words])

    # -- discovery, with the app's test client ------------------------------------------------------------------
    def reached_by(self, name: str) -> Reached:
        """What `name` reaches, discovered on this worker's site once; its routes are also written to the shared
        folder for test_every_get_rule_is_reached on either worker."""
        if name not in self.reached:
            self.reached[name] = reached = self.discover(name, PERSONAS[name])
            path = self.shared / f"{name}.json"
            routes = {"routes": sorted([*reached.pages, *reached.files]), "problems": self.problems(reached)}
            path.with_suffix(".tmp").write_text(json.dumps(routes))
            path.with_suffix(".tmp").replace(path)
        return self.reached[name]

    def routes_of(self, name: str) -> dict:
        """{routes, problems} of `name`: as either worker discovered them on its site (the same data, built by the
        same code), else discovered here."""
        path = self.shared / f"{name}.json"
        if name not in self.reached and path.exists():
            return json.loads(path.read_text())
        reached = self.reached_by(name)
        return {"routes": sorted([*reached.pages, *reached.files]), "problems": self.problems(reached)}

    def problems(self, reached: Reached) -> list[str]:
        return [self.file_problems[route] for route in reached.files if route in self.file_problems]

    def discover(self, name: str, username: str | None) -> Reached:
        t, reached = time.monotonic(), Reached()
        client = self.app.test_client()
        starts = [("/" if username else "/login", None)] + entries(self.seeded).get(name, [])
        for start, extra in starts:
            cookie = session_cookie(self.app, self.base, username, "zh_TW", extra)
            client.set_cookie(cookie["name"], cookie["value"])
            self.crawl(client, start, extra, reached)
        self.tick(f"discover {name}", t)
        return reached

    def crawl(self, client, start: str, extra, reached: Reached):
        """Breadth-first from `start`, each route fetched once; links before GET forms (a filter's defaults may
        show less than its page)."""
        links, forms, queued, fetched = deque([start]), deque(), {start}, set()

        def add(link: str, base: str, into: deque | None):
            parts = urlsplit(urljoin("http://localhost" + base, link))
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.netloc == "localhost" and not SKIP.search(parts.path) and link not in queued:
                queued.add(link)
                if into is not None:
                    into.append(link)
                else:
                    self.fetch_file(client, link, reached)

        while links or forms:
            url = (links or forms).popleft()
            key = self.route(url)
            if key in fetched or key in reached.files:
                continue
            fetched.add(key)
            response = client.get(url, follow_redirects=True)
            landed = response.request.path + (f"?{response.request.query_string.decode()}"
                                               if response.request.query_string else "")
            body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
            if response.status_code != 200:
                continue                                   # not this persona's (403, 404), or gone
            if "<html" not in body[:500]:
                reached.files.setdefault(self.route(url), (url, 200, response.mimetype))
                continue                                   # a download or an htmx fragment: status only
            for route in (self.route(url), self.route(landed)):   # the address whose visit shows the page
                reached.pages.setdefault(route, (url, extra))
            parser = PageParser()
            parser.feed(body)
            for link in parser.links:
                add(link, landed, links)
            for link in parser.forms:
                add(link, landed, forms)
            for link in parser.files:
                add(link, landed, None)

    def fetch_file(self, client, url: str, reached: Reached):
        """A file's status, once per worker (a record book's PDF takes seconds to render)."""
        route = self.route(url)
        if route in reached.files or urlsplit(url).path.startswith("/static/"):
            return
        if route in self.files:
            reached.files[route] = self.files[route]
            return
        response = client.get(url, follow_redirects=True)
        reached.files[route] = self.files[route] = (url, response.status_code, response.mimetype)
        if response.status_code != 200 or not response.get_data():
            self.file_problems[route] = f"{url}: {response.status_code}, {len(response.get_data())} bytes"

    # -- the browser ----------------------------------------------------------------------------------------------
    def set_language(self, context, username: str | None, lang: str):
        with self.app.app_context():
            if username:
                db.session.execute(sa.update(User).where(User.username == username).values(locale=lang))
                db.session.commit()
        context.add_cookies([session_cookie(self.app, self.base, username, lang)])

    def persona(self, browser, name: str) -> "Persona":
        """Every page `name` reaches, in both languages, then its forms."""
        if self.data is None:
            self.data = data_values(self.app)
        username, reached = PERSONAS[name], self.reached_by(name)
        run = Persona(name, self.clock)
        context = browser.new_context(locale="zh-TW", viewport={"width": DESK[0], "height": DESK[1]})
        context.add_init_script(f"window.__sweepData = {json.dumps(self.data)};")
        page, size, forms = context.new_page(), DESK, {}
        page.add_init_script(AXE)  # axe-core in every page checked, before its own scripts (cheaper than evaluating it)
        first = FIRST_LANGUAGE.get(name, "zh_TW")
        for lang in sorted(LANGS, key=lambda code: code != first):
            self.set_language(context, username, lang)
            for route, (url, extra) in reached.pages.items():
                if extra is not None:
                    context.add_cookies([session_cookie(self.app, self.base, username, lang, extra)])
                found_forms = self.check(page, run, url, f"{name} {LANGS[lang]} {url}", size)
                if found_forms is not None:     # the page ended on the other end of its widths
                    size = PHONES[-1] if size == DESK else DESK
                for form in found_forms or []:
                    # The same form on several pages (a volunteer's record and each of its sections) once.
                    key = (form["method"], self.route(form["action"]), tuple(form["fields"]))
                    forms.setdefault(key, (route, url, extra, form))
                if extra is not None:
                    self.set_language(context, username, lang)
                if found_forms is not None:
                    run.checked.append(f"{LANGS[lang]} {url}")
        page.close()
        self.focus(context.new_page(), run, username, lang, forms)   # a page without axe-core
        context.close()
        _wait_for_request_threads()
        return run

    def check(self, page, run: "Persona", url: str, where: str, start: tuple) -> list | None:
        """A page at its three widths, starting at the width the page before ended on; its htmx forms, or None when
        the address is not an HTML page."""
        t = time.monotonic()
        response = page.goto(self.base + url, wait_until="load")
        t = self.tick("goto", t)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            return None
        if response.status >= 400:      # the crawl found it answering 200: an error now is a finding
            run.found["files"].append(f"{where}: {response.status}")
        return self.inspect(page, run, where, t, start)

    def inspect(self, page, run: "Persona", where: str, t: float, start: tuple = DESK) -> list:
        """Every check at the desk's width (axe-core, texts, width, targets, in one round trip), the layout (width,
        targets) at the phones' by resizing."""
        forms = []
        for size in ((DESK, *PHONES) if start == DESK else (*reversed(PHONES), DESK)):
            if size != start:
                page.set_viewport_size({"width": size[0], "height": size[1]})
            if size == DESK:
                found = page.evaluate(DESK_JS, {
                    "axeArgs": {"tags": AXE_TAGS, "skip": AXE_ELSEWHERE, "sheetsDone": self.sheets_done},
                    "textArgs": {"data": self.data if where.startswith("canary") else None,
                                 "simplified": SIMPLIFIED, "allowed": ALLOWED_ENGLISH}})
                if found["axe"]["sheets"]:
                    self.sheets_done.append(found["axe"]["sheets"])
                run.found["axe"] += [f"{where}: {item}" for item in found["axe"]["found"]]
                for kind in ("language", "simplified"):
                    run.found[kind] += [f"{where}: {item}" for item in dict.fromkeys(found["texts"][kind])]
                forms = found["forms"]
                t = self.tick("desk: axe, texts, layout", t)
            else:
                found = page.evaluate(LAYOUT_JS)
                if self.shots and size == PHONES[0]:
                    name = re.sub(r"[^A-Za-z0-9.-]+", "_", where).strip("_")[:150]
                    page.screenshot(path=str(Path(self.shots) / f"{name}.png"), full_page=True)
                t = self.tick("phones: layout", t)
            if found["width"]:
                run.found["width"].append(f"{where} @{size[0]}: {found['width']}")
            run.found["targets"] += [f"{where} @{size[0]}: {item}" for item in found["targets"]]
        return forms

    def focus(self, page, run: "Persona", username: str | None, lang: str, forms: dict):
        """Each htmx form of the persona's pages submitted once, then focus, and the texts it swapped in."""
        t = time.monotonic()
        for _route, url, extra, form in forms.values():
            if not form["htmx"] or not form["visible"] or not (form["method"] == "get" or form["fields"]
                                                                or form["explicit"]):
                continue
            if extra is not None:
                page.context.add_cookies([session_cookie(self.app, self.base, username, lang, extra)])
            page.goto(self.base + url, wait_until="load")
            before = self.audit_rows()
            if not page.evaluate(ARM_JS, [form["method"], form["action"], form["fields"], form["method"] == "post"]):
                continue                                   # gone since (a notification read by "mark all read")
            where = f"{run.name} {LANGS[lang]} {url} form {form['method'].upper()} {form['action']} " \
                    f"({form['button'][:40]})"
            try:
                outcome = page.evaluate("window.__sweepSwap")
                state = page.evaluate(FOCUS_JS)
                texts = page.evaluate(CHECKS_JS, {"lang": page.evaluate("document.documentElement.lang"),
                                                  "data": None, "simplified": SIMPLIFIED, "allowed": ALLOWED_ENGLISH})
                for kind in ("language", "simplified"):
                    run.found[kind] += [f"{where}: {item}" for item in dict.fromkeys(texts[kind])]
            except Exception as exc:  # noqa: BLE001 - the page was left: not an htmx swap after all
                outcome, state = f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}", {"ok": False, "focused": "-"}
            run.forms.append(f"{where}: {outcome}, focus on {state['focused']}")
            if outcome != "swap" or not state["ok"]:
                run.found["focus"].append(run.forms[-1])
            if self.audit_rows() != before:
                run.wrote.append(where)
            if extra is not None:
                self.set_language(page.context, username, lang)
        self.tick("focus", t)

    def audit_rows(self) -> int:
        with self.app.app_context():
            return db.session.scalar(sa.text("SELECT count(*) FROM audit_log"))


class Persona:
    """What one persona's sweep found."""

    def __init__(self, name: str, clock: dict):
        self.name, self.clock = name, clock
        self.found: dict[str, list[str]] = {kind: [] for kind in KINDS}
        self.checked: list[str] = []
        self.forms: list[str] = []
        self.wrote: list[str] = []


def serve(app):
    app.wsgi_app = _files_read_whole(app.wsgi_app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="session", params=["sqlite"] + (["postgresql"] if PG_URL and os.environ.get(
    "SWEEP_EVERY_DATABASE") else []))
def site(request, tmp_path_factory):
    """The demo set, small, with tests/sweep_data.py's objects; served. Once per worker (a session fixture: the
    personas' tests of one worker share it, whatever other tests run between them)."""
    folder = tmp_path_factory.mktemp("sweep")
    # The session's folder that both workers see (under xdist the base folder is the worker's own).
    shared = tmp_path_factory.getbasetemp()
    shared = shared.parent if os.environ.get("PYTEST_XDIST_WORKER") else shared
    shared = shared / f"persona-sweep-{request.param}"
    shared.mkdir(exist_ok=True)
    uri = f"sqlite:///{folder / 'sweep.db'}" if request.param == "sqlite" else pg_database("sweep")
    config = {**base_config(folder, uri), "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": sa.pool.NullPool},
              "SEND_FILE_MAX_AGE_DEFAULT": 3600}   # the browser keeps the style sheet and scripts
    app = create_app(config)
    with app.app_context():
        reset_database()
    result = app.test_cli_runner().invoke(args=["demo-data", "--volunteers", str(DEMO_VOLUNTEERS)])
    assert result.exit_code == 0, result.output
    seeded = sweep_data.seed(app)
    sweep_data.upload_imports(lambda username, path, data: post(app, username, path, data))
    server = serve(app)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["WTF_CSRF_ENABLED"] = True
    shots = os.environ.get("SWEEP_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
    yield Sweep(app, base, seeded, shared, shots)
    server.shutdown()
    server.server_close()
    _wait_for_request_threads()
    with app.app_context():
        db.engine.dispose()


def post(app, username: str, path: str, data: dict):
    """A form posted as `username` (CSRF is off while the site is seeded)."""
    client = app.test_client()
    cookie = session_cookie(app, "http://localhost", username, "zh_TW")
    client.set_cookie(cookie["name"], cookie["value"])
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code in (200, 302, 303, 422), (path, response.status_code)


def gets(app) -> set:
    return {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and rule.endpoint != "static"}


def swept(name: str) -> bool:
    only = os.environ.get("SWEEP_PERSONAS")
    return not only or name in only.split(",")


def test_the_checks_catch_a_canary_page(browser):
    """The checks find what they look for: a page with one fault of each kind (focus and files aside)."""
    sweep = Sweep.__new__(Sweep)
    sweep.sheets_done, sweep.clock, sweep.data, sweep.shots = [], {}, [], None
    run = Persona("canary", {})
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_content(CANARY)
    page.evaluate(AXE)
    sweep.inspect(page, run, "canary", time.monotonic())
    context.close()
    missed = [kind for kind, items in run.found.items() if kind not in ("focus", "files") and not items]
    assert not missed, f"the sweep's checks missed the faults of the canary page: {missed} {run.found}"


@pytest.mark.parametrize("name", list(PERSONAS))
def test_every_page_of_a_persona(browser, site, name):
    if not swept(name):
        pytest.skip("not in SWEEP_PERSONAS")
    started, clock = time.monotonic(), dict(site.clock)
    run = site.persona(browser, name)
    reached = site.reached[name]
    phases = {k: v - clock.get(k, 0) for k, v in site.clock.items() if v - clock.get(k, 0) > 0.05}
    print(f"\n{name}: {len(run.checked)} page checks of {len(reached.pages)} pages, {len(reached.files)} files and "
          f"{len(run.forms)} forms ({len(run.wrote)} wrote: {run.wrote}) in {time.monotonic() - started:.0f} s: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()))
    if os.environ.get("SWEEP_LIST"):
        Path(os.environ["SWEEP_LIST"]).mkdir(parents=True, exist_ok=True)
        (Path(os.environ["SWEEP_LIST"]) / f"{name}.txt").write_text("\n".join(
            [f"pages: {' '.join(sorted(reached.pages))}", f"files: {' '.join(sorted(reached.files))}",
             f"checked: {' '.join(run.checked)}"] + [f"form {outcome}" for outcome in run.forms]
            + [f"wrote on an empty submit: {where}" for where in run.wrote]))
    assert len(reached.pages) >= 3, f"{name} reaches {len(reached.pages)} pages"
    run.found["files"] += site.problems(reached)
    report = {kind: items for kind, items in run.found.items() if items}
    assert not report, "\n".join(f"\n{kind} ({len(items)}):\n  " + "\n  ".join(items) for kind, items in report.items())


def test_every_get_rule_is_reached(site):
    """Every GET rule of the app is a page or file some persona reaches, or EXCLUDED with its reason. (Last in the
    module: by the time a worker takes it, the personas' tests have discovered most personas.)"""
    found = {name: site.routes_of(name) for name in PERSONAS}
    reached = {route.split(" ")[0] for r in found.values() for route in r["routes"]}
    excluded = {rule.rule for rule in site.app.url_map.iter_rules()
                if any(rule.endpoint == x or (x.endswith(".") and rule.endpoint.startswith(x)) for x in EXCLUDED)}
    missing = sorted(gets(site.app) - reached - excluded)
    print(f"\nreached {len(gets(site.app) & reached)} of {len(gets(site.app))} GET rules; per persona "
          f"{ {name: len(r['routes']) for name, r in found.items()} }; discovered here: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in site.clock.items() if k.startswith("discover")))
    problems = sorted({problem for r in found.values() for problem in r["problems"]})
    assert not problems, "files that did not answer 200:\n  " + "\n  ".join(problems)
    assert not missing, f"{len(missing)} GET rules no persona reaches (seed the data, link them, or add them " \
                        f"to EXCLUDED with a reason):\n  " + "\n  ".join(missing)
