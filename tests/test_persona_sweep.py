"""Issue 14's "Done when" sweep: every page each persona reaches (anonymous, volunteer, unit clerk and supervisor,
county, sector authority, ministry), in both languages, at a phone's 360×640 and 390×844 and at a desk's 1366×768.

The pages are found, not listed: from each persona's home page the sweep follows same-origin links breadth-first
(depth 3) with the app's test client (the server renders, no browser: cheap), skipping sign-out, sign-in steps,
downloads and links that change state (a notification's "open" marks it read), so a new page is covered without
editing this file. A route is an endpoint of the app (ids, codes and query strings do not make a new one; word
arguments such as a record's section do). The browser then checks each route once per language and family of
personas (the volunteer; the unit's staff; the authorities: see FAMILY), at the first URL found for it, and every
persona's home page; SWEEP_FULL=1 checks every route of every persona instead. The data is the demo set (every
persona of the README, with lists, award rounds, record books and resolutions to show), loaded small.

Each page is loaded once per language; the three widths are checked by resizing the viewport. Found, per page:
  width      the page is wider than the viewport (the elements that stick out are named)
  axe        axe-core serious/critical findings, tags wcag2a … wcag22aa (once per page and language, at 360 px)
  language   on English pages, Chinese in the interface (headings, labels, legends, captions, table headers,
             buttons, navigation, help and error texts, status badges, the title, aria-label/title/placeholder/
             alt); on Chinese pages, English words there (all-capital acronyms such as PDF or QR and the few
             words of ALLOWED_ENGLISH are fine). Not counted: text stored in the database (names, addresses,
             usernames: data, whatever the page's language), a part marked with its own lang attribute, and a
             bracketed gloss of an official term ("Cancelled (註銷)"). On English pages, a Chinese pause mark,
             comma or full stop inside an English sentence anywhere on the page.
  simplified a Simplified-only character anywhere on a page (data included: the portal is Traditional only)
  targets    a tap target (link, button, input, select, summary; a checkbox or radio with its label) smaller than
             24×24 px whose 24 px circle touches another target (WCAG 2.5.8; links inside a sentence are exempt)
A canary page with one fault of each kind runs first, so a check that has stopped finding anything fails.

SQLite only (the markup does not depend on the database; SWEEP_EVERY_DATABASE=1 adds PostgreSQL). Set
SWEEP_SHOTS=/some/dir to keep a full-page screenshot of every page at 390×844, SWEEP_PERSONAS=county,volunteer
to sweep some personas only, SWEEP_LIST=/some/file to write the pages each persona checked."""
import os
import re
import time
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import HTTPException

from portal.auth.models import User
from portal.platform.extensions import db
from tests.test_accessibility import AXE

pytestmark = pytest.mark.browser

PERSONAS = {"anonymous": None, "volunteer": "volunteer", "clerk": "clerk.tpe-sw-01",
            "supervisor": "supervisor.tpe-sw-01", "county": "county.tpe", "sector": "sector.tpe.health",
            "ministry": "ministry"}
# Personas who see a route through the same views and templates: a route is checked once per family and language.
FAMILY = {"anonymous": "anonymous", "volunteer": "volunteer", "clerk": "unit", "supervisor": "unit",
          "county": "authority", "sector": "authority", "ministry": "authority"}
LANGS = ("zh-TW", "en-US")
PHONE, WIDTHS = (360, 640), ((390, 844), (1366, 768))  # axe and the text checks run at PHONE
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MAX_DEPTH = 3
DEMO_VOLUNTEERS = 15
# GET links that are not pages to look at: signing out or in, files, and the notification link that marks read.
SKIP = re.compile(r"/(logout|login)(/|$)|\.(csv|xlsx|xls|ods|pdf|zip|png|jpe?g|svg)$"
                  r"|/(download|export|photo|preview|open|card\.pdf)$", re.I)
# Words Taiwan's Chinese pages use as they are: names of file kinds, encodings and keys (all-capital acronyms such
# as PDF, QR, ID are allowed anyway).
ALLOWED_ENGLISH = ["App", "Excel", "Big5", "MiB", "KiB", "xlsx", "xls", "csv", "ods", "pdf", "png", "jpg", "jpeg",
                   "Tab", "Enter", "Esc", "Shift", "Space"]
SECRET_COLUMNS = {"password_hash", "password_history", "totp_secret", "session_token", "known_devices", "code_hash",
                  "link_hash", "challenge", "credential_id", "user_handle", "token", "sha256", "storage_key"}
# Simplified-only forms of common characters: none of them is in Big5, the Traditional set of Taiwan (checked below).
SIMPLIFIED = ("这们时务单记录证书导页请择个为来说对发会过还进经开关问题门间长东车义习乡买乱亚产亲亿仅从众伤传员园围"
              "图场块声处备够头实宝审层岁带帮庆应废弃张弹归彻忆总恶战扩扫护报担拥换损摄无旧显术杀权条杨标样树档检楼"
              "欢没沟泽测济满灵灾点热爱状独献现环电疗盖监盘礼积称稳穷笔类纪约级纳纸线练组细终结给统继续罗职联艺节苏"
              "药获虽补观规视览觉订认让训议讯讲许论设访评识诉词译试诗话该详语误读调谁谈谢负贡财责败货质购贵费资赏赛"
              "转轻较辅输边达迁运远违连选递遗邮邻钟钱铁银错键阅队际陆陈险随隐难须顶项顺预领频额风飞饭馆验鸟齐龄华协"
              "区医卫县国营业号码")
assert not any(c.encode("cp950", "ignore") for c in SIMPLIFIED)  # none of them is a Traditional character

CHECKS_JS = r"""
({lang, simplified, data, allowed}) => {
  const out = {language: [], simplified: [], targets: []};
  const allowedWords = new Set(allowed);
  const CJK = /[\u3400-\u9fff\uf900-\ufaff]+/g;
  const english = lang.startsWith("en");
  const describe = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    else if (el.classList.length) s += "." + [...el.classList].slice(0, 2).join(".");
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().replace(/\s+/g, " ");
    return text ? `${s} "${text.slice(0, 40)}"` : s;
  };
  // The language of a node: its nearest lang attribute (a marked part), else the page's.
  const partLang = el => (el.closest("[lang]") || document.documentElement).getAttribute("lang") || "";
  // Values stored in the database (names, addresses, usernames, notes) are data, not the interface's words.
  const withoutData = text => { for (const value of data) if (text.includes(value)) text = text.split(value).join(" "); return text; };
  // A gloss in the other language in brackets is the portal's way of naming an official term (docs/rules:
  // "Cancelled (註銷)", "英文志願服務證明（Certificate of Volunteer Service）").
  const GLOSS = english ? /[(（]\s*[\u3400-\u9fff、／/\s]+\s*[)）]/g : /[(（]\s*[A-Za-z][A-Za-z0-9 ,.'’&-]*[)）]/g;
  const wrongWords = (text, el) => {
    text = withoutData(text.replace(GLOSS, " "));
    if (english) {
      if (partLang(el).startsWith("zh")) return null;
      const found = text.match(CJK);
      return found ? found.join(" ") : null;
    }
    if (partLang(el).startsWith("en")) return null;
    // English words (with a small letter: PDF, QR, ID and other acronyms are allowed), not e-mail addresses.
    const words = (text.replace(/\S+@\S+/g, "").match(/[A-Za-z][A-Za-z0-9'’-]*[a-z][A-Za-z0-9'’-]*/g) || [])
      .filter(word => !allowedWords.has(word));
    return words.length ? words.join(" ") : null;
  };
  const shown = el => el.checkVisibility({checkVisibilityCSS: true}) && !el.closest("[aria-hidden=true]");
  const CHROME = "h1,h2,h3,h4,h5,h6,label,legend,caption,th,button,nav,summary,dt,.help,.error,.flash," +
                 ".error-summary,.badge";
  const seen = new Set();
  for (const root of document.querySelectorAll(CHROME)) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (seen.has(node) || !node.textContent.trim() || !shown(node.parentElement)) continue;
      seen.add(node);
      const bad = wrongWords(node.textContent, node.parentElement);
      if (bad) out.language.push(`${describe(node.parentElement)}: ${bad}`);
    }
  }
  const title = wrongWords(document.title, document.documentElement);
  if (title) out.language.push(`<title>: ${title}`);
  for (const el of document.querySelectorAll("[aria-label],[title],[placeholder],img[alt],input[type=submit][value]")) {
    if (!shown(el) && !el.matches("[aria-label]")) continue;
    for (const attr of ["aria-label", "title", "placeholder", "alt", "value"]) {
      if (attr === "value" && el.tagName !== "INPUT") continue;
      const value = el.getAttribute(attr);
      const bad = value && wrongWords(value, el);
      if (bad) out.language.push(`${describe(el)} [${attr}]: ${bad}`);
    }
  }
  // Chinese punctuation inside an English sentence (a text node with English words and 、，。；：).
  const all = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const simplifiedSet = new Set(simplified);
  for (let node = all.nextNode(); node; node = all.nextNode()) {
    const text = node.textContent;
    const parent = node.parentElement;
    if (!text.trim() || !parent || parent.closest("script,style")) continue;
    if (english && /[A-Za-z]{2,}[^\u3400-\u9fff]*[、，。；：]|[、，。；：][^\u3400-\u9fff]*[A-Za-z]{2,}/.test(text)
        && !partLang(parent).startsWith("zh"))
      out.language.push(`${describe(parent)}: Chinese punctuation in "${text.trim().slice(0, 60)}"`);
    const simp = [...text].filter(c => simplifiedSet.has(c));
    if (simp.length) out.simplified.push(`${describe(parent)}: ${simp.join("")}`);
  }
  for (const el of document.querySelectorAll("[aria-label],[title],[placeholder],[alt]")) {
    for (const attr of ["aria-label", "title", "placeholder", "alt"]) {
      const simp = [...(el.getAttribute(attr) || "")].filter(c => simplifiedSet.has(c));
      if (simp.length) out.simplified.push(`${describe(el)} [${attr}]: ${simp.join("")}`);
    }
  }
  const docTitleSimp = [...document.title].filter(c => simplifiedSet.has(c));
  if (docTitleSimp.length) out.simplified.push(`<title>: ${docTitleSimp.join("")}`);
  return out;
}
"""

TARGETS_JS = r"""
() => {
  const describe = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    else if (el.classList.length) s += "." + [...el.classList].slice(0, 2).join(".");
    if (el.type === "checkbox" || el.type === "radio") s += `[${el.type}]`;
    const text = (el.innerText || el.getAttribute("aria-label") || el.value || "").trim().replace(/\s+/g, " ");
    return text ? `${s} "${text.slice(0, 30)}"` : s;
  };
  const box = r => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
  const union = (a, b) => ({left: Math.min(a.left, b.left), top: Math.min(a.top, b.top),
                            right: Math.max(a.right, b.right), bottom: Math.max(a.bottom, b.bottom)});
  // A link inside a sentence is exempt (WCAG 2.5.8 "inline"): its block holds text besides the link.
  const inSentence = el => {
    if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display === "inline") block = block.parentElement;
    return block && block.innerText.replace(/\s+/g, "").length > el.innerText.replace(/\s+/g, "").length;
  };
  const targets = [];
  for (const el of document.querySelectorAll("a[href],button,input:not([type=hidden]),select,textarea,summary")) {
    if (!el.checkVisibility({checkVisibilityCSS: true}) || el.disabled) continue;
    let r = box(el.getBoundingClientRect());
    if (r.right - r.left <= 1 || r.bottom - r.top <= 1 || r.right <= 0) continue;  // visually hidden, skip link
    if ((el.type === "checkbox" || el.type === "radio")) {
      const label = el.closest("label") || (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`));
      if (label && label.checkVisibility()) r = union(r, box(label.getBoundingClientRect()));
    }
    targets.push({el, r, exempt: inSentence(el)});
  }
  const small = t => t.r.right - t.r.left < 23.5 || t.r.bottom - t.r.top < 23.5;
  const centre = t => [(t.r.left + t.r.right) / 2, (t.r.top + t.r.bottom) / 2];
  const distanceToBox = ([x, y], r) => Math.hypot(Math.max(r.left - x, 0, x - r.right), Math.max(r.top - y, 0, y - r.bottom));
  const found = [];
  for (const t of targets) {
    if (t.exempt || !small(t)) continue;
    const c = centre(t);
    const crowded = targets.find(o => o !== t && !o.el.contains(t.el) && !t.el.contains(o.el) &&
      (small(o) ? Math.hypot(c[0] - centre(o)[0], c[1] - centre(o)[1]) < 24 : distanceToBox(c, o.r) < 12));
    if (crowded) {
      const w = Math.round(t.r.right - t.r.left), h = Math.round(t.r.bottom - t.r.top);
      found.push(`${describe(t.el)} ${w}×${h} px, too close to ${describe(crowded.el)}`);
    }
  }
  return found;
}
"""

OVERFLOW_JS = r"""
() => {
  const root = document.documentElement;
  const over = root.scrollWidth - root.clientWidth;
  if (over <= 1) return null;
  // The deepest elements that stick out of the viewport, outside any container that scrolls sideways.
  const vw = root.clientWidth;
  const scrolls = el => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (/(auto|scroll|hidden|clip)/.test(getComputedStyle(p).overflowX)) return true; } return false; };
  const out = [...document.body.querySelectorAll("*")].filter(el => el.getBoundingClientRect().right > vw + 1 && !scrolls(el));
  const deepest = out.filter(el => !out.some(o => o !== el && el.contains(o)));
  const name = el => { let s = el.tagName.toLowerCase(); if (el.id) s += "#" + el.id;
    else if (el.classList.length) s += "." + [...el.classList].slice(0, 2).join(".");
    const t = (el.innerText || "").trim().replace(/\s+/g, " ").slice(0, 30); return t ? `${s} "${t}"` : s; };
  return `${over} px wider; sticking out: ${deepest.slice(0, 4).map(name).join(", ")}`;
}
"""

# One fault of each kind the sweep looks for (the canary of Sweep.canary).
CANARY = """<!doctype html><html lang="en"><head><title>Canary</title></head><body><main>
<h1>Canary 會員</h1><p>Names, dates、places</p><p>这是</p>
<div style="width: 2000px">wide</div>
<form><input type="text" name="q"></form>
<p><a href="#a" style="display: inline-block; width: 12px; height: 12px">a</a><a href="#b"
    style="display: inline-block; width: 12px; height: 12px">b</a></p>
</main></body></html>"""



def data_values(app) -> list[str]:
    """Every text stored in the demo database that a page may show as data (names, addresses, usernames, notes,
    titles), longest first. Left out: codes of enumerations (they must be shown translated) and a Chinese name
    whose row has an English one (an English page must show that one)."""
    values = set()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, sa.String) and not c.name.endswith("_en")
                       and c.name not in SECRET_COLUMNS]
            if not columns or table.name == "audit_log":
                continue
            for row in db.session.execute(sa.select(*table.columns)).mappings():
                for column in columns:
                    value = row[column.name]
                    if (not isinstance(value, str) or len(value.strip()) < 2 or row.get(f"{column.name}_en")
                            or (re.fullmatch(r"[a-z_]+", value) and column.name != "username")):
                        continue
                    values.update(part.strip() for part in value.splitlines() if len(part.strip()) >= 2)
    return sorted(values, key=len, reverse=True)


def session_cookie(server, username: str) -> dict:
    """A signed-in session for `username` with the second step done, as a cookie: signing in through the pages
    (password hashing, the authenticator code) is tested elsewhere and would cost seconds per persona here."""
    app = server.app
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        value = app.session_interface.get_signing_serializer(app).dumps(
            {"_user_id": user.get_id(), "_fresh": True, "mfa": True})
    return {"name": app.config["SESSION_COOKIE_NAME"], "value": value, "url": server.url}


class LinkParser(HTMLParser):
    """The href of every link of a page that is not a download."""

    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href") and "download" not in attrs:
            self.links.append(attrs["href"])


class Sweep:
    """The crawl and the checks. A route is an endpoint of the app plus the values of its word arguments (a
    volunteer's record sections are pages of their own; ids, codes and query strings are not).

    Each persona's routes are found from its home page with the app's test client (the server renders the page,
    no browser: cheap), so every persona's own pages are reached; then the browser checks each route once per
    language and family of personas (FAMILY), at the first URL found for it, and every home page (full=True:
    every route of every persona)."""

    def __init__(self, browser, server, shots: str | None, full: bool = False):
        self.browser, self.server, self.base, self.shots, self.full = browser, server, server.url, shots, full
        self.adapter = server.app.url_map.bind("127.0.0.1")
        self.data = data_values(server.app)
        self.found: dict[str, list[str]] = {k: [] for k in ("width", "axe", "language", "simplified", "targets")}
        self.visited: dict[str, list[str]] = {}  # the pages each persona checked
        self.reached: dict[str, list[str]] = {}  # the routes each persona reaches
        self.checked: set = set()
        self.clock: dict[str, float] = {}

    def tick(self, phase: str, since: float) -> float:
        now = time.monotonic()
        self.clock[phase] = self.clock.get(phase, 0) + now - since
        return now

    def route(self, url: str) -> str:
        path = urlsplit(url).path
        try:
            endpoint, args = self.adapter.match(path, method="GET")
        except HTTPException:  # not a route of the app (or a redirect to one): the path itself
            return path
        words = [f"{k}={v}" for k, v in sorted(args.items()) if isinstance(v, str) and re.fullmatch(r"[a-z][a-z_-]*", v)]
        return ":".join([endpoint, *words])

    def discover(self, username: str | None) -> dict[str, str]:
        """{route: the first URL (path and query) found for it} of the pages the persona reaches, breadth-first."""
        t = time.monotonic()
        client = self.server.app.test_client()
        if username:
            cookie = session_cookie(self.server, username)
            client.set_cookie(cookie["name"], cookie["value"])
        start = "/" if username else "/login"
        queue, queued, routes = deque([(start, 0)]), {start}, {}
        while queue:
            url, depth = queue.popleft()
            if self.route(url) in routes:
                continue
            response = client.get(url, follow_redirects=True)
            landed = response.request.path + (f"?{response.request.query_string.decode()}"
                                               if response.request.query_string else "")
            html = response.status_code == 200 and response.mimetype == "text/html"
            if not html or (SKIP.search(response.request.path) and url != start):
                continue  # a file, an error, or a page that sends the persona to sign in
            routes.setdefault(self.route(url), landed)
            routes.setdefault(self.route(landed), landed)
            if depth == MAX_DEPTH:
                continue
            parser = LinkParser()
            parser.feed(response.get_data(as_text=True))
            for link in parser.links:
                parts = urlsplit(urljoin("http://localhost" + landed, link))
                link = parts.path + (f"?{parts.query}" if parts.query else "")
                if parts.netloc == "localhost" and not SKIP.search(parts.path) and link not in queued:
                    queued.add(link)
                    queue.append((link, depth + 1))
        self.tick("discover", t)
        return routes

    def persona(self, name: str, username: str | None):
        routes = self.discover(username)
        home = next(iter(routes.values()), None)
        for lang in LANGS:
            context = self.browser.new_context(locale=lang, viewport={"width": PHONE[0], "height": PHONE[1]})
            context.add_init_script(AXE)  # axe-core in every page, before its own scripts
            if username:
                context.add_cookies([session_cookie(self.server, username)])
            page = context.new_page()
            pages = []
            for url in dict.fromkeys(routes.values()):  # a route that redirects shares its page with another
                key = (lang, self.route(url), name if self.full or url == home else FAMILY[name])
                if key not in self.checked:
                    self.checked.add(key)
                    if self.check(page, self.base + url, f"{name} {lang}"):
                        pages.append(url)
            self.visited[f"{name} {lang}"] = pages
            context.close()
        self.reached[name] = sorted(routes)

    def check(self, page, url: str, who: str) -> bool:
        """The checks of one page; False when it is not an HTML page of the portal after all."""
        t = time.monotonic()
        page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
        response = page.goto(url, wait_until="load")
        t = self.tick("goto", t)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            return False
        self.inspect(page, f"{who} {page.url[len(self.base):]}", t)
        return True

    def inspect(self, page, where: str, t: float):
        """Every check of the page shown, at 360 px, then the other two widths by resizing."""
        page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: "
                               "['violations']})", AXE_TAGS)
        for v in result["violations"]:
            if v["impact"] in ("serious", "critical"):
                nodes = "; ".join(" ".join(n["target"]) for n in v["nodes"][:4])
                self.found["axe"].append(f"{where}: {v['id']} ({len(v['nodes'])}×) {nodes}")
        t = self.tick("axe", t)
        texts = page.evaluate(CHECKS_JS, {"lang": page.evaluate("document.documentElement.lang"), "data": self.data,
                                          "simplified": SIMPLIFIED, "allowed": ALLOWED_ENGLISH})
        for kind in ("language", "simplified"):
            self.found[kind] += [f"{where}: {item}" for item in dict.fromkeys(texts[kind])]
        t = self.tick("texts", t)
        self.found["targets"] += [f"{where} @{PHONE[0]}: {item}" for item in page.evaluate(TARGETS_JS)]
        t = self.tick("targets", t)
        for size in (PHONE, *WIDTHS):
            if size != PHONE:
                page.set_viewport_size({"width": size[0], "height": size[1]})
            overflow = page.evaluate(OVERFLOW_JS)
            if overflow:
                self.found["width"].append(f"{where} @{size[0]}: {overflow}")
            t = self.tick("widths", t)
            if self.shots and size == WIDTHS[0]:
                name = re.sub(r"[^A-Za-z0-9.-]+", "_", where).strip("_")[:150]
                page.screenshot(path=str(Path(self.shots) / f"{name}.png"), full_page=True)
                t = self.tick("shots", t)

    def canary(self):
        """The checks find what they look for: a page with one fault of each kind (a check that cannot fail
        would pass the sweep too)."""
        context = self.browser.new_context(locale="en-US")
        page = context.new_page()
        page.set_content(CANARY)
        page.evaluate(AXE)
        self.inspect(page, "canary", time.monotonic())
        context.close()
        missed = [kind for kind, items in self.found.items() if not any(item.startswith("canary") for item in items)]
        assert not missed, f"the sweep's checks missed the faults of the canary page: {missed} {self.found}"
        for kind in self.found:
            self.found[kind] = []


@pytest.fixture
def demo_site(backend, live_server):
    """The demo set, small: one account per persona of the README, every kind of record to show."""
    if backend != "sqlite" and not os.environ.get("SWEEP_EVERY_DATABASE"):
        # The sweep checks markup, which the database does not change; on PostgreSQL too it would double the
        # cost of the suite's longest browser test (SWEEP_EVERY_DATABASE=1 runs it there).
        pytest.skip("the persona sweep runs on SQLite")
    result = live_server.app.test_cli_runner().invoke(args=["demo-data", "--volunteers", str(DEMO_VOLUNTEERS)])
    assert result.exit_code == 0, result.output
    # The browser keeps the style sheet and scripts instead of asking for them again with every page.
    live_server.app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    return live_server


def test_every_page_of_every_persona_at_three_widths(browser, demo_site):
    shots = os.environ.get("SWEEP_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
    sweep = Sweep(browser, demo_site, shots, full=bool(os.environ.get("SWEEP_FULL")))
    sweep.canary()
    started = time.monotonic()
    only = os.environ.get("SWEEP_PERSONAS", "").split(",") if os.environ.get("SWEEP_PERSONAS") else PERSONAS
    for name, username in PERSONAS.items():
        if name in only:
            sweep.persona(name, username)
    elapsed = time.monotonic() - started
    counts = {who: f"{len(pages)}/{len(sweep.reached[who.split()[0]])}" for who, pages in sweep.visited.items()}
    print(f"\nswept {sum(map(len, sweep.visited.values()))} pages in {elapsed:.0f} s (checked/reached): {counts}; "
          + ", ".join(f"{k} {v:.1f} s" for k, v in sweep.clock.items()))
    # The crawl really found the pages: each persona reaches several routes from its home page.
    assert all(len(routes) >= 5 for routes in sweep.reached.values()), counts
    if os.environ.get("SWEEP_LIST"):
        Path(os.environ["SWEEP_LIST"]).write_text("\n".join(
            [f"{who} checked: {' '.join(pages)}" for who, pages in sweep.visited.items()]
            + [f"{who} reached: {' '.join(routes)}" for who, routes in sweep.reached.items()]))
    report = {kind: items for kind, items in sweep.found.items() if items}
    assert not report, "\n".join(f"\n{kind} ({len(items)}):\n  " + "\n  ".join(items) for kind, items in report.items())
