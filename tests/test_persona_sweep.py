"""Issue 14's "Done when" sweep: every page each persona reaches (anonymous, volunteer, unit clerk and supervisor,
county, sector authority, ministry, system administrator), in both languages, at a desk's 1366×768 and a phone's
390×844 and 360×640, and every htmx form met there submitted once.

The pages are found, not listed: from each persona's home page (and the few addresses that reach a persona from
outside the portal: a document's printed QR code, a mailed recovery link, the sign-in steps; ENTRIES) the sweep
follows same-origin links, GET forms (with one box of each kind ticked: a selection page such as "apply for these
volunteers") and htmx GETs with the app's test client, without depth limit (a route is fetched once), so a new
page is covered without editing this file. The demo set plus tests/sweep_data.py gives every page something to
show. A route is a rule of the app's URL map (ids, codes and query strings do not make a new one; word arguments
such as a record's section do). Whatever is not an HTML page (downloads, images, style sheets, htmx fragments) is
fetched and must answer 200: status only. test_every_get_rule_is_reached compares the rules reached with every GET
rule of the app: a rule neither reached nor in EXCLUDED (with its reason) fails it.

The browser then checks each route once per persona in one language; family-mates (FAMILY: the unit's staff, the
authorities) alternate languages and each route of a family is checked in both (SWEEP_FULL=1: every route of every
persona in both). One browser context per persona. At 1366×768, everything (tests/sweep_checks.py):
  axe        axe-core serious/critical findings, tags wcag2a … wcag22aa: once per route and family, in one
             language or the other (it checks markup, which the language hardly changes; the costliest check)
  language   words of the other language in the interface (data stored in the database is not counted), Chinese
             punctuation in English sentences
  simplified a Simplified-only character anywhere on a page
  targets    a tap target under 24×24 px whose 24 px circle touches another target (WCAG 2.5.8)
  width      the page is wider than the viewport (the elements that stick out are named)
then at 390×844 and 360×640 (by resizing) the layout again: width and targets. A canary page with one fault of each
kind runs first, so a check that has stopped finding anything fails.

Then focus: every htmx form met (its own hx-get/hx-post, or boosted) is submitted once per family - a POST form
emptied with the browser's checks off, so the server's error path runs and nothing is written; a GET form (a filter)
as it is; a button that swaps (hx-post without fields) clicked - and focus must then be on the error summary, a
heading, or an element the answer marks autofocus (portal/static/js/app.js), never lost to <body>.

SQLite only (the markup does not depend on the database; SWEEP_EVERY_DATABASE=1 adds PostgreSQL). SWEEP_SHOTS=/dir
keeps a full-page screenshot of every page at 390×844, SWEEP_PERSONAS=county,volunteer sweeps some personas only,
SWEEP_LIST=/some/file writes the routes, files and forms each persona met."""
import json
import os
import re
import threading
import time
import zlib
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
    FOCUS_JS,
    FORMS_JS,
    OVERFLOW_JS,
    SIMPLIFIED,
    TARGETS_JS,
    data_values,
)
from tests.sweep_crawl import PageParser, Reached, entries, session_cookie
from tests.test_accessibility import AXE

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("persona_sweep")]

PERSONAS = {"anonymous": None, "volunteer": "volunteer", "clerk": "clerk.tpe-sw-01",
            "supervisor": "supervisor.tpe-sw-01", "county": "county.tpe", "sector": "sector.tpe.health",
            "ministry": "ministry", "admin": "admin"}
# Personas who see a route through the same views and templates; in a family, personas alternate languages.
FAMILY = {"anonymous": "anonymous", "volunteer": "volunteer", "clerk": "unit", "supervisor": "unit",
          "county": "authority", "sector": "authority", "ministry": "authority", "admin": "admin"}
FIRST_LANGUAGE = {"supervisor": "en", "sector": "en"}   # the others start in Chinese
LANGS = {"zh_TW": "zh-TW", "en": "en-US"}
DESK, PHONES = (1366, 768), ((390, 844), (360, 640))
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
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
    def __init__(self, browser, app, base: str, seeded, shots: str | None = None, full: bool = False):
        self.browser, self.app, self.base, self.seeded, self.shots, self.full = browser, app, base, seeded, shots, full
        self.adapter = app.url_map.bind("127.0.0.1")
        self.found: dict[str, list[str]] = {k: [] for k in ("width", "axe", "language", "simplified", "targets",
                                                            "focus", "files")}
        self.reached: dict[str, Reached] = {}
        self.visited: dict[str, list[str]] = {}
        self.forms: dict[tuple, str] = {}      # (family, page route, method, action route, fields) -> outcome
        self.wrote: list[str] = []
        self.clock: dict[str, float] = {}
        self.files: dict[str, tuple] = {}      # route -> (url, status, content type), fetched once
        self.axed: set = set()                 # (family, route) axe-core has checked

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
    def discover(self, name: str, username: str | None) -> Reached:
        t, reached = time.monotonic(), Reached()
        self.clock[f"discover {name}"] = -t
        client = self.app.test_client()
        starts = [("/" if username else "/login", None)] + entries(self.seeded).get(name, [])
        for start, extra in starts:
            cookie = session_cookie(self.app, self.base, username, "zh_TW", extra)
            client.set_cookie(cookie["name"], cookie["value"])
            self.crawl(client, start, extra, reached)
        self.clock[f"discover {name}"] += time.monotonic()
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
        """A file's status, once for the whole sweep (a record book's PDF takes seconds to render)."""
        route = self.route(url)
        if route in reached.files or urlsplit(url).path.startswith("/static/"):
            return
        if route in self.files:
            reached.files[route] = self.files[route]
            return
        response = client.get(url, follow_redirects=True)
        reached.files[route] = self.files[route] = (url, response.status_code, response.mimetype)
        if response.status_code != 200 or not response.get_data():
            self.found["files"].append(f"{url}: {response.status_code}, {len(response.get_data())} bytes")

    # -- the browser ----------------------------------------------------------------------------------------------
    def plan(self, names) -> dict:
        """{persona: {lang: [(route, url, session values)]}}: each route once per persona, each route of a family
        in both languages."""
        plan = {name: {lang: [] for lang in LANGS} for name in names}
        covered = set()
        for second in (False, True):
            for name in names:
                first = FIRST_LANGUAGE.get(name, "zh_TW")
                lang = first if not second else next(code for code in LANGS if code != first)
                for route, (url, extra) in self.reached[name].pages.items():
                    key = (FAMILY[name], route, lang)
                    if not second or self.full or key not in covered:
                        covered.add(key)
                        plan[name][lang].append((route, url, extra))
        return plan

    def set_language(self, context, username: str | None, lang: str):
        with self.app.app_context():
            if username:
                db.session.execute(sa.update(User).where(User.username == username).values(locale=lang))
                db.session.commit()
        context.add_cookies([session_cookie(self.app, self.base, username, lang)])

    def persona(self, name: str, username: str | None, plan: dict):
        context = self.browser.new_context(locale="zh-TW", viewport={"width": DESK[0], "height": DESK[1]})
        context.add_init_script(AXE)  # axe-core in every page before its own scripts (cheaper than evaluating it)
        context.add_init_script(f"window.__sweepData = {json.dumps(self.data)};")
        page, checked, forms = context.new_page(), [], []
        for lang, visits in sorted(plan.items(), key=lambda item: item[0] != FIRST_LANGUAGE.get(name, "zh_TW")):
            self.set_language(context, username, lang)
            for route, url, extra in visits:
                if extra is not None:
                    context.add_cookies([session_cookie(self.app, self.base, username, lang, extra)])
                where = f"{name} {LANGS[lang]} {url}"
                # axe-core checks markup, which the language hardly changes: once per route and family, in
                # one language or the other (half the routes each), every time with SWEEP_FULL.
                axe = self.full or (lang == list(LANGS)[zlib.crc32(route.encode()) % 2]
                                    and (FAMILY[name], route) not in self.axed)
                if axe:
                    self.axed.add((FAMILY[name], route))
                if self.check(page, url, where, axe):
                    checked.append(f"{LANGS[lang]} {url}")
                    forms += [(route, url, extra, form) for form in page.evaluate(FORMS_JS)]
                if extra is not None:
                    self.set_language(context, username, lang)
        self.visited[name] = checked
        self.focus(page, name, username, lang, forms)
        context.close()

    def check(self, page, url: str, where: str, axe: bool) -> bool:
        t = time.monotonic()
        page.set_viewport_size({"width": DESK[0], "height": DESK[1]})
        response = page.goto(self.base + url, wait_until="load")
        t = self.tick("goto", t)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            return False
        if response.status >= 400:      # the crawl found it answering 200: an error now is a finding
            self.found["files"].append(f"{where}: {response.status}")
        self.inspect(page, where, t, axe)
        return True

    def inspect(self, page, where: str, t: float, axe: bool = True):
        """Every check at the desk's width, then the layout (width, targets) at the phones' by resizing."""
        if axe:
            self.axe(page, where)
        t = self.tick("axe", t)
        data = self.data if where.startswith("canary") else None   # a persona's pages have them already
        texts = page.evaluate(CHECKS_JS, {"lang": page.evaluate("document.documentElement.lang"), "data": data,
                                          "simplified": SIMPLIFIED, "allowed": ALLOWED_ENGLISH})
        for kind in ("language", "simplified"):
            self.found[kind] += [f"{where}: {item}" for item in dict.fromkeys(texts[kind])]
        t = self.tick("texts", t)
        for size in (DESK, *PHONES):
            if size != DESK:
                page.set_viewport_size({"width": size[0], "height": size[1]})
            overflow = page.evaluate(OVERFLOW_JS)
            if overflow:
                self.found["width"].append(f"{where} @{size[0]}: {overflow}")
            self.found["targets"] += [f"{where} @{size[0]}: {item}" for item in page.evaluate(TARGETS_JS)]
            if self.shots and size == PHONES[0]:
                name = re.sub(r"[^A-Za-z0-9.-]+", "_", where).strip("_")[:150]
                page.screenshot(path=str(Path(self.shots) / f"{name}.png"), full_page=True)
            t = self.tick("layout", t)

    def axe(self, page, where: str):
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: "
                               "['violations']})", AXE_TAGS)
        for v in result["violations"]:
            if v["impact"] in ("serious", "critical"):
                nodes = "; ".join(" ".join(n["target"]) for n in v["nodes"][:4])
                self.found["axe"].append(f"{where}: {v['id']} ({len(v['nodes'])}×) {nodes}")

    def focus(self, page, name: str, username: str | None, lang: str, forms: list):
        """Each htmx form of the persona's pages not yet submitted in its family: submitted once, then focus."""
        t = time.monotonic()
        for _route, url, extra, form in forms:
            # The same form on several pages (a volunteer's record and each of its sections) is submitted once.
            key = (FAMILY[name], form["method"], self.route(form["action"]), tuple(form["fields"]))
            if (not form["htmx"] or not form["visible"] or key in self.forms
                    or not (form["method"] == "get" or form["fields"] or form["explicit"])):
                continue
            if extra is not None:
                page.context.add_cookies([session_cookie(self.app, self.base, username, lang, extra)])
            page.goto(self.base + url, wait_until="load")
            before = self.audit_rows()
            if not page.evaluate(ARM_JS, [form["method"], form["action"], form["fields"], form["method"] == "post"]):
                continue                                   # gone since (a notification read by "mark all read")
            try:
                outcome = page.evaluate("window.__sweepSwap")
                state = page.evaluate(FOCUS_JS)
            except Exception as exc:  # noqa: BLE001 - the page was left: not an htmx swap after all
                outcome, state = f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}", {"ok": False, "focused": "-"}
            where = f"{name} {url} form {form['method'].upper()} {form['action']} ({form['button'][:40]})"
            self.forms[key] = f"{where}: {outcome}, focus on {state['focused']}"
            if outcome != "swap" or not state["ok"]:
                self.found["focus"].append(self.forms[key])
            if self.audit_rows() != before:
                self.wrote.append(where)
        self.tick("focus", t)

    def audit_rows(self) -> int:
        with self.app.app_context():
            return db.session.scalar(sa.text("SELECT count(*) FROM audit_log"))

    def canary(self):
        """The checks find what they look for: a page with one fault of each kind."""
        context = self.browser.new_context(locale="en-US")
        page = context.new_page()
        page.set_content(CANARY)
        page.evaluate(AXE)
        self.inspect(page, "canary", time.monotonic())
        context.close()
        missed = [kind for kind, items in self.found.items()
                  if kind not in ("focus", "files") and not any(item.startswith("canary") for item in items)]
        assert not missed, f"the sweep's checks missed the faults of the canary page: {missed} {self.found}"
        for kind in self.found:
            self.found[kind] = []


def serve(app):
    app.wsgi_app = _files_read_whole(app.wsgi_app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module", params=["sqlite"] + (["postgresql"] if PG_URL and os.environ.get(
    "SWEEP_EVERY_DATABASE") else []))
def site(request, tmp_path_factory):
    """The demo set, small, with tests/sweep_data.py's objects; served; every persona's routes discovered."""
    folder = tmp_path_factory.mktemp("sweep")
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
    sweep = Sweep(None, app, base, seeded, os.environ.get("SWEEP_SHOTS"), bool(os.environ.get("SWEEP_FULL")))
    only = os.environ.get("SWEEP_PERSONAS", "").split(",") if os.environ.get("SWEEP_PERSONAS") else PERSONAS
    started = time.monotonic()
    for name, username in PERSONAS.items():
        if name in only:
            sweep.reached[name] = sweep.discover(name, username)
    sweep.clock["discover"] = time.monotonic() - started
    yield sweep
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


def test_every_get_rule_is_reached(site):
    """Every GET rule of the app is a page or file some persona reaches, or EXCLUDED with its reason."""
    reached = {route.split(" ")[0] for r in site.reached.values() for route in [*r.pages, *r.files]}
    excluded = {rule.rule for rule in site.app.url_map.iter_rules()
                if any(rule.endpoint == x or (x.endswith(".") and rule.endpoint.startswith(x)) for x in EXCLUDED)}
    missing = sorted(gets(site.app) - reached - excluded)
    counts = {name: len(r.pages) + len(r.files) for name, r in site.reached.items()}
    print(f"\nreached {len(gets(site.app) & reached)} of {len(gets(site.app))} GET rules; per persona {counts}; "
          + ", ".join(f"{k} {v:.1f} s" for k, v in site.clock.items()))
    assert not site.found["files"], "files that did not answer 200:\n  " + "\n  ".join(site.found["files"])
    assert not missing, f"{len(missing)} GET rules no persona reaches (seed the data, link them, or add them " \
                        f"to EXCLUDED with a reason):\n  " + "\n  ".join(missing)


def test_every_page_of_every_persona_at_three_widths(browser, site):
    if site.shots:
        Path(site.shots).mkdir(parents=True, exist_ok=True)
    site.browser, site.data = browser, data_values(site.app)
    site.canary()
    started = time.monotonic()
    plan = site.plan(list(site.reached))
    for name in site.reached:
        site.persona(name, PERSONAS[name], plan[name])
    elapsed = time.monotonic() - started
    counts = {name: f"{len(site.visited[name])} checks of {len(site.reached[name].pages)} pages"
              for name in site.visited}
    print(f"\nswept {sum(map(len, site.visited.values()))} page checks and {len(site.forms)} forms ({len(site.wrote)} "
          f"wrote: {site.wrote}) in {elapsed:.0f} s "
          f"(+ discovery {site.clock.get('discover', 0):.0f} s): {counts}; "
          + ", ".join(f"{k} {v:.1f} s" for k, v in site.clock.items()))
    if os.environ.get("SWEEP_LIST"):
        Path(os.environ["SWEEP_LIST"]).write_text("\n".join(
            [f"{name} pages: {' '.join(sorted(r.pages))}\n{name} files: {' '.join(sorted(r.files))}"
             for name, r in site.reached.items()]
            + [f"{name} checked: {' '.join(pages)}" for name, pages in site.visited.items()]
            + [f"form {outcome}" for outcome in site.forms.values()]
            + [f"wrote on an empty submit: {where}" for where in site.wrote]))
    assert all(len(r.pages) >= 3 for r in site.reached.values()), counts
    report = {kind: items for kind, items in site.found.items() if items}
    assert not report, "\n".join(f"\n{kind} ({len(items)}):\n  " + "\n  ".join(items) for kind, items in report.items())
