"""The checks of the persona sweep (tests/test_persona_sweep.py), run in the page: words in the wrong language
and Simplified characters (CHECKS_JS), tap targets (TARGETS_JS), a page wider than the screen (OVERFLOW_JS), the
htmx forms of a page and what happens to focus when one is submitted (FORMS_JS, SUBMIT_JS); a canary page with
one fault of each kind; and the texts of the database, which are data whatever the page's language."""
import re

import sqlalchemy as sa

from portal.platform.extensions import db

# Words Taiwan's Chinese pages use as they are: names of file kinds, encodings and keys, "QR Code", a standard's name (all-capital acronyms such
# as PDF, QR, ID are allowed anyway).
ALLOWED_ENGLISH = ["App", "Code", "Open Badges", "OpenAPI", "Excel", "Big5", "MiB", "KiB", "xlsx", "xls", "csv", "ods", "pdf", "png", "jpg", "jpeg",
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
  // (The values come once per browser context, in an init script, rather than with every page's check.)
  const values = data || window.__sweepData || [];
  const withoutData = text => { for (const value of values) if (text.includes(value)) text = text.split(value).join(" "); return text; };
  // A gloss in the other language in brackets is the portal's way of naming an official term (docs/rules:
  // "Cancelled (註銷)", "英文志願服務證明（Certificate of Volunteer Service）").
  const GLOSS = english ? /[(（]\s*[\u3400-\u9fff、／/\s]+\s*[)）]/g : /[(（]\s*[A-Za-z][A-Za-z0-9 ,.'’&-]*[)）]/g;
  const wrongWords = (text, el) => {
    if (el.closest("code, pre, kbd, samp")) return null;   // code, paths and commands are in no natural language
    text = withoutData(text.replace(GLOSS, " "));
    if (english) {
      if (partLang(el).startsWith("zh")) return null;
      const found = text.match(CJK);
      return found ? found.join(" ") : null;
    }
    if (partLang(el).startsWith("en")) return null;
    // English words (with a small letter: PDF, QR, ID and other acronyms are allowed).
    for (const phrase of allowed) if (phrase.includes(" ")) text = text.split(phrase).join(" ");
    // Not words: e-mail and web addresses, paths ("/api/v1"), parts of a username or file name (".supervisor").
    const words = (text.replace(/\S+@\S+|https?:\/\/\S+|\.[a-z][a-z0-9_-]*|(^|\s)\/\S*/g, " ").match(/[A-Za-z][A-Za-z0-9'’-]*[a-z][A-Za-z0-9'’-]*/g) || [])
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

# The forms of a page that htmx submits (its own hx-get/hx-post, or boosted by the body's hx-boost), with what
# the sweep needs to submit them: a POST form is submitted emptied (its error path, nothing written), so only
# forms with a field to fill are; a GET form (a filter) as it is. Left out: the language switch, signing out,
# and forms whose answer is not swapped in (hx-swap="none": the session's "stay signed in").
FORMS_JS = r"""
() => [...document.forms].map((form, index) => {
  const boost = form.closest("[hx-boost]");
  const htmx = form.matches("[hx-get],[hx-post]") || (!!boost && boost.getAttribute("hx-boost") === "true");
  const method = (form.getAttribute("hx-post") !== null ? "post" : form.getAttribute("hx-get") !== null ? "get"
                  : (form.getAttribute("method") || "get")).toLowerCase();
  const action = form.getAttribute("hx-post") || form.getAttribute("hx-get") || form.getAttribute("action") || location.pathname;
  const fields = [...form.elements].filter(el => el.name && !el.disabled &&
    !["hidden", "submit", "button", "reset", "image"].includes(el.type));
  const buttons = [...form.querySelectorAll("button:not([type]), button[type=submit], input[type=submit]")]
    .filter(b => b.checkVisibility({checkVisibilityCSS: true}) && !b.disabled);
  const swapNone = (form.getAttribute("hx-swap") || "") === "none";
  return {index, htmx: htmx && !swapNone && !form.closest(".lang-switch") && !/\/logout$/.test(action),
          method, action: new URL(action, location.href).pathname, fields: fields.map(el => el.name).sort(),
          explicit: form.matches("[hx-get],[hx-post]"), button: buttons.length ? buttons[0].outerHTML.slice(0, 80) : "",
          visible: form.checkVisibility({checkVisibilityCSS: true}) && buttons.length > 0};
})
"""

# The submit: a POST form is emptied (text cleared, boxes unticked, the empty choice of a list chosen), the
# browser's own checks are turned off so that the server's answer is what the user meets; a promise waits for
# the swap (htmx:afterSettle, then app.js's focus, which runs after a timeout) or an error.
ARM_JS = r"""
([method, action, fields, empty]) => {
  // The form found again by what it does (an earlier submit may have changed the page: a notification read).
  const same = f => (f.getAttribute("hx-post") !== null ? "post" : f.getAttribute("hx-get") !== null ? "get"
                     : (f.getAttribute("method") || "get").toLowerCase()) === method
    && new URL(f.getAttribute("hx-post") || f.getAttribute("hx-get") || f.getAttribute("action") || location.pathname,
               location.href).pathname === action
    && [...f.elements].filter(el => el.name && !el.disabled &&
         !["hidden", "submit", "button", "reset", "image"].includes(el.type)).map(el => el.name).sort().join() === fields.join();
  const form = [...document.forms].find(same);
  if (!form) return false;
  form.noValidate = true;
  if (empty) for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === "checkbox" || el.type === "radio") el.checked = false;
    else if (el.tagName === "SELECT") { const blank = [...el.options].findIndex(o => o.value === "");
                                        if (blank >= 0) el.selectedIndex = blank; }
    else if (!["hidden", "submit", "button", "reset", "image", "file"].includes(el.type)) el.value = "";
  }
  window.__sweepSwap = new Promise(resolve => {
    const settle = () => setTimeout(() => resolve("swap"), 60);
    document.addEventListener("htmx:afterSettle", settle, {once: true});
    document.addEventListener("htmx:sendError", () => resolve("send error"), {once: true});
    setTimeout(() => resolve("no swap within 5 s"), 5000);
  });
  // Submitted as its main button would (the button's name and value go with it; requestSubmit fires the
  // submit event htmx listens to, as a click does).
  const buttons = [...form.querySelectorAll("button:not([type]), button[type=submit], input[type=submit]")]
    .filter(b => b.checkVisibility({checkVisibilityCSS: true}) && !b.disabled);
  const button = buttons.find(b => b.matches(".primary")) || buttons[0];
  form.requestSubmit(button || null);
  return true;
}
"""

# Where focus is after the swap: on the error summary, a heading, or an element the answer asked to be focused.
FOCUS_JS = r"""
() => {
  const el = document.activeElement;
  const describe = e => { if (!e) return "nothing"; let s = e.tagName.toLowerCase(); if (e.id) s += "#" + e.id;
    else if (e.classList.length) s += "." + [...e.classList].slice(0, 2).join(".");
    const t = (e.innerText || e.value || "").trim().replace(/\s+/g, " ").slice(0, 40); return t ? `${s} "${t}"` : s; };
  const ok = !!el && el !== document.body && (el.matches(".error-summary, h1, h2, h3, h4, h5, h6, [autofocus]"));
  return {ok, focused: describe(el), errors: !!document.querySelector(".error-summary"), path: location.pathname};
}
"""


# axe-core on a page: the rules of the WCAG tags but target-size (tests/sweep_checks.py's TARGETS_JS checks WCAG 2.5.8
# itself, at all three widths, where axe would look at one) and css-orientation-lock, which reads nothing but the
# page's style sheets: it needs axe's "preload" (every style sheet fetched again, a third of axe's time on a page),
# so it runs once per distinct set of style sheets (`sheetsDone`: the sets already checked) and the other rules
# without the preload. Serious and critical findings only.
AXE_RUN_JS = r"""
async ({tags, skip, sheetsDone}) => {
  const rules = axe.getRules(tags).map(r => r.ruleId).filter(id => !skip.includes(id) && id !== "css-orientation-lock");
  const hash = text => { let h = 5381; for (let i = 0; i < text.length; i++) h = (h * 33 + text.charCodeAt(i)) | 0; return h; };
  const sheets = [...document.styleSheets].map(s => s.href || `inline ${hash(s.ownerNode ? s.ownerNode.textContent : "")}`).join(" ");
  const options = values => ({runOnly: {type: "rule", values}, resultTypes: ["violations"]});
  let violations = (await axe.run(document, {...options(rules), preload: false})).violations;
  const orientation = !sheetsDone.includes(sheets);
  if (orientation) violations = violations.concat((await axe.run(document, options(["css-orientation-lock"]))).violations);
  return {sheets: orientation ? sheets : null, rules: rules.length + (orientation ? 1 : 0),
          found: violations.filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => `${v.id} (${v.nodes.length}×) ${v.nodes.slice(0, 4).map(n => n.target.join(" ")).join("; ")}`)};
}
"""

# Everything at the desk's width in one round trip: axe-core (when asked), the texts, the width, the tap targets and
# the page's htmx forms.
DESK_JS = f"""
async ({{axeArgs, textArgs}}) => ({{
  axe: axeArgs ? await ({AXE_RUN_JS})(axeArgs) : null,
  texts: ({CHECKS_JS})({{...textArgs, lang: document.documentElement.lang}}),
  width: ({OVERFLOW_JS})(),
  targets: ({TARGETS_JS})(),
  forms: location.protocol.startsWith("http") ? ({FORMS_JS})() : [],   // (the canary has no address)
}})
"""

# The layout at a phone's width: the width and the tap targets.
LAYOUT_JS = f"""() => ({{width: ({OVERFLOW_JS})(), targets: ({TARGETS_JS})()}})"""


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

