"""Page capture: proof that a refactoring did not change what the portal serves.

Captures every GET page of the portal for every demo persona, in both languages, as a full page and
as an htmx request, on a fresh SQLite database loaded with the demo data, with the clock frozen and
every source of randomness seeded, so that two runs of the same code give the same files. Comparing
a capture made before a change with one made after shows whether the pages differ in anything but
white space and per-session tokens.

Not a pytest module (no ``test_`` prefix): run it by hand.

Usage (from the repository root)::

    # capture the code in this working tree (about 1.5 minutes, ~6,800 files)
    .venv/bin/python -m tests.page_capture capture /tmp/capture/now

    # capture another commit (e.g. the one before a refactoring) with THIS script
    git worktree add --detach /tmp/before 63e3656
    (cd /tmp/before && /work/main/.venv/bin/pybabel compile -d translations)   # *.mo are not in git
    .venv/bin/python -m tests.page_capture capture --code /tmp/before /tmp/capture/before

    # compare two captures: exit status 0 only when every page matches
    .venv/bin/python -m tests.page_capture compare /tmp/capture/before /tmp/capture/now

    # determinism: the same code twice must give "0 different" (and byte-identical files)
    .venv/bin/python -m tests.page_capture capture /tmp/capture/now2
    .venv/bin/python -m tests.page_capture compare /tmp/capture/now /tmp/capture/now2

``--code DIR`` puts DIR first on sys.path before ``portal`` is imported and checks that
``portal.__file__`` really lies under DIR (the virtualenv's editable install of /work/main would
otherwise win); the templates, translations and migrations then come from DIR as well, since
create_app() finds them next to the package. The script can also be run as a file
(``cd /tmp/before && PYTHONPATH=/tmp/before python /work/main/tests/page_capture.py capture OUT``).

An older commit may need other packages than the shared .venv now holds (63e3656 still imports
htmx_flask, since removed): give it a virtualenv of its own with the same pins, e.g.::

    .venv/bin/python -m pip freeze | grep -v volunteer.portal > /tmp/freeze.txt
    python3.11 -m venv /tmp/before-venv
    /tmp/before-venv/bin/pip install -r /tmp/freeze.txt htmx-flask==0.1.0
    /tmp/before-venv/bin/python -m tests.page_capture capture --code /tmp/before /tmp/capture/before

Options of ``capture``: ``--volunteers N`` (demo size, default 500), ``--personas a,b`` (a subset),
``--quick`` (zh full pages only; for trying the script, not for proofs), ``--unseeded`` (os.urandom
left random, so every token differs from run to run: a check of the normaliser, see below).

What is captured
  personas  anonymous plus the README's demo logins (authority and admin accounts complete the
            two-step sign-in: the key is read off the set-up page and the code computed with pyotp)
  pages     every GET rule of app.url_map except static; URL parameters are filled with ids from
            the demo database (plus a few objects the demo does not make: documents, honor cards,
            training files, lost-certificate cases, requests, jobs), probing candidates in a fixed
            order and keeping the first one the persona may open (else the first one); string
            parameters (document kind, template name, verify token) get one page per value; plus a
            handful of query strings (page=2, search, filters)
  variants  <persona>/<zh|en>/<full|htmx>/<endpoint>[@query].txt, and full-csrf/: the pages with a
            form (and the home page) again with CSRF protection on, so real tokens appear; the
            sign-in pages are in <persona>/zh/signin/. manifest.json lists every file with its URL.
  bodies    HTML, CSV and other text as is; PDFs as their text (pypdfium2) and metadata; XLSX as
            cell values; images and other binaries as size and sha256.

Determinism: time is frozen at 2026-12-06 10:00 Asia/Taipei (freezegun, after importing every
portal module, because SQLAlchemy cannot map freezegun's datetime class), ``random`` is seeded, and
os.urandom (which ``secrets``, uuid4 and password salts use) is replaced by a seeded stream for the
run. Two captures of the same code are byte-identical.

``compare`` normalises before comparing: CSRF tokens, signed tokens, nonces, document verification
tokens and short codes, TOTP keys and their QR codes, long hex digests and UUIDs become
placeholders; all white space is collapsed and white space around tags removed. It prints a
unified diff of the first differences per file and a summary line, and exits 1 when any page
differs or exists on one side only.
"""
from __future__ import annotations

import argparse
import difflib
import hashlib
import importlib
import io
import json
import os
import pkgutil
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

# freezegun replaces time.perf_counter in every module it finds it in; a tuple keeps the real one.
_REAL_CLOCK = (time.perf_counter,)
FROZEN_AT = "2026-12-06 10:00:00+08:00"  # Asia/Taipei
SEED = 20261206
PASSWORD = "demo-password-2026"
SECRET_KEY = "page-capture-secret-key-not-for-production-0123456789"
LANGS = {"zh": ("zh_TW", "zh-TW,zh;q=0.9"), "en": ("en", "en-US,en;q=0.9")}
PERSONAS = ["anonymous", "volunteer", "clerk.tpe-sw-01", "supervisor.tpe-sw-01", "clerk.khh-sw-01",
            "sector.tpe.health", "county.tpe", "sector.education", "ministry", "admin"]
ANCHOR_UNITS = ["TPE-SW-01", "KHH-SW-01", "TPE-SW-02", "TPE-ED-01", "NWT-ED-01", "KHH-ED-01", "TPE-CU-01"]
MAX_CANDIDATES = 8
SKIP_ENDPOINTS = {"static", "auth.logout"}
# Endpoints whose GET has a side effect on the session (sign-in steps pop the pending sign-in and
# flash a message): captured last so that the flash cannot land on an unrelated page.
LAST_ENDPOINTS = ("auth.",)
EXTRA_QUERIES = {
    "main.home": [{"page": 2}],
    "volunteers.index": [{"page": 2}, {"q": "陳"}, {"training": "no"}, {"status": "inactive"}],
    "hours.index": [{"page": 2}, {"q": "林", "start": "2026-01-01", "end": "2026-06-30"}, {"status": "all"}],
    "hours.search": [{"q": "陳"}],
    "training.index": [{"page": 2}, {"q": "陳"}],
    "training.missing": [{"page": 2}],
    "records.index": [{"page": 2}],
    "records.completeness": [{"page": 2}],
    "certificates.index": [{"page": 2}, {"q": "陳"}],
    "certificates.candidates": [{"all": "1"}],
    "certificates.verify_form": [{"code": "ABCDE-12345"}],
    "honor_cards.applications": [{"status": "approved"}, {"page": 2}],
    "honor_cards.cards": [{"q": "陳"}],
    "honor_cards.eligibility": [{"page": 2}],
    "awards.index": [{"page": 2}],
    "awards.review": [{"status": "all"}, {"page": 2}],
    "admin.index": [{"q": "clerk"}, {"role": "unit_clerk"}, {"page": 2}],
    "imports.index": [{"page": 2}],
    "auth.login": [{"next": "/volunteers/"}],
}

# Pages that need volunteers ticked on another page (query strings built by Capture.selection_urls)
SELECTION_PAGES = {"awards.apply", "honor_cards.apply", "awards.enter_paper"}

# URL parameter -> (model class name, module candidates old and new, extra filter on the query[, id column])
PARAMS = {
    "person_id": ("Person", ["portal.volunteers.models", "portal.people.models", "portal.registry.models"], None),
    "unit_id": ("Unit", ["portal.units.models", "portal.registry.models"], None),
    "user_id": ("User", ["portal.auth.models"], None),
    "entry_id": ("HourEntry", ["portal.hours.models"], None),
    "training_id": ("TrainingRecord", ["portal.training.models"], None),
    "training_file_id": ("TrainingFile", ["portal.training.models"], None, "file_id"),  # the stored file's id
    "lost_case_id": ("LostCertificateCase", ["portal.training.models"], None),
    "document_id": ("Document", ["portal.certificates.models", "portal.documents.models"], None),
    "request_id": ("CertificateRequest", ["portal.certificates.models"], None),
    "job_id": ("Job", ["portal.jobs", "portal.platform.jobs"], None),
    "batch_id": ("ImportBatch", ["portal.imports.models"], None),
    "card_batch_id": ("ImportBatch", ["portal.imports.models"], ("kind", "honor_cards")),
    "book_id": ("RecordBook", ["portal.records.models"], None),
    "policy_id": ("InsurancePolicy", ["portal.insurance.models"], None),
    "application_id": ("HonorCardApplication", ["portal.honor_cards.models"], None),
    "card_id": ("HonorCard", ["portal.honor_cards.models"], None),
    "venue_id": ("Venue", ["portal.honor_cards.models"], None),
    "award_application_id": ("AwardApplication", ["portal.awards.models"], None),
    "award_id": ("Award", ["portal.awards.models"], None),
    "round_id": ("AwardRound", ["portal.awards.models"], None),
}


# ------------------------------------------------------------------------------------------------
# Finding code that may have moved between packages

def _import_first(*names: str):
    """The first of the modules that imports (old and new locations of a moved module)."""
    errors = []
    for name in names:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            errors.append(f"{name}: {exc}")
    raise ModuleNotFoundError("none of these modules exists: " + "; ".join(errors))


def _find(attr: str, *modules: str):
    """`attr` from the first module that has it; else from the one portal module that defines it."""
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        if hasattr(module, attr):
            return getattr(module, attr)
    hits = []
    for name, module in sorted(sys.modules.items()):
        if not name.startswith("portal.") or module is None:
            continue
        obj = module.__dict__.get(attr)
        if obj is not None and getattr(obj, "__module__", None) == name:
            hits.append((name, obj))
    if not hits:
        raise LookupError(f"{attr} not found in {modules} nor in any portal module")
    tails = {m.rsplit(".", 1)[-1] for m in modules}
    hits.sort(key=lambda hit: hit[0].rsplit(".", 1)[-1] not in tails)
    return hits[0][1]


def _module_with(name: str, *attrs: str):
    """Module `name`, or else the one portal module that has all of `attrs` (a moved module)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        pass
    hits = [m for n, m in sorted(sys.modules.items()) if n.startswith("portal.") and m is not None
            and all(a in m.__dict__ for a in attrs)]
    if len(hits) != 1:
        raise LookupError(f"{name} not found, and {len(hits)} portal modules have {attrs}")
    return hits[0]


def _import_all_portal_modules() -> list[str]:
    """Every module imported before the clock is frozen (SQLAlchemy cannot map FakeDatetime)."""
    import portal
    failed = []
    for info in pkgutil.walk_packages(portal.__path__, "portal."):
        if ".static" in info.name:
            continue
        try:
            importlib.import_module(info.name)
        except Exception as exc:  # noqa: BLE001 - reported in the manifest
            failed.append(f"{info.name}: {type(exc).__name__}: {exc}")
    return failed


# ------------------------------------------------------------------------------------------------
# Determinism

class _SeededBytes:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def __call__(self, n: int) -> bytes:
        return self.rng.randbytes(n)


def _seed_randomness(seed: int):
    random.seed(seed)
    urandom = _SeededBytes(seed)
    os.urandom = urandom
    random._urandom = urandom  # random.SystemRandom, hence secrets.*


# ------------------------------------------------------------------------------------------------
# Bodies

def _pdf_text(data: bytes) -> str:
    try:
        import pypdfium2 as pdfium
    except ImportError:
        return f"PDF {len(data)} bytes sha256={hashlib.sha256(data).hexdigest()}"
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception as exc:  # noqa: BLE001
        return f"unreadable PDF ({type(exc).__name__}) {len(data)} bytes sha256={hashlib.sha256(data).hexdigest()}"
    lines = [f"PDF pages={len(pdf)}"]
    try:
        meta = pdf.get_metadata_dict()
        for key in sorted(meta):
            if "Date" not in key:
                lines.append(f"meta {key}: {meta[key]}")
    except Exception as exc:  # noqa: BLE001
        lines.append(f"meta unreadable: {type(exc).__name__}")
    for i in range(len(pdf)):
        page = pdf[i]
        textpage = page.get_textpage()
        lines.append(f"--- page {i + 1} ({page.get_width():.0f}x{page.get_height():.0f}) ---")
        lines.append(textpage.get_text_range())
        textpage.close()
        page.close()
    pdf.close()
    return "\n".join(lines)


def _xlsx_text(data: bytes) -> str:
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    lines = []
    for ws in wb.worksheets:
        lines.append(f"--- sheet {ws.title} ---")
        for row in ws.iter_rows(values_only=True):
            lines.append("\t".join("" if v is None else str(v) for v in row))
    wb.close()
    return "\n".join(lines)


def body_text(content_type: str, data: bytes) -> str:
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype == "application/pdf" or data[:5] == b"%PDF-":
        return _pdf_text(data)
    if "spreadsheetml" in ctype or (data[:2] == b"PK" and b"xl/" in data[:2000]):
        try:
            return _xlsx_text(data)
        except Exception as exc:  # noqa: BLE001
            return f"unreadable XLSX ({type(exc).__name__}) {len(data)} bytes sha256={hashlib.sha256(data).hexdigest()}"
    if ctype.startswith("text/") or ctype in ("application/json", "application/javascript", "image/svg+xml", ""):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return f"binary {ctype or '?'} {len(data)} bytes sha256={hashlib.sha256(data).hexdigest()}"


DROP_HEADERS = {"set-cookie", "content-length", "date", "etag", "last-modified", "expires"}


def page_record(method_url: str, response) -> str:
    lines = [method_url, f"status: {response.status_code}"]
    for key, value in sorted(response.headers.items(), key=lambda kv: kv[0].lower()):
        if key.lower() not in DROP_HEADERS:
            lines.append(f"{key.lower()}: {value}")
    lines.append("--- body ---")
    return "\n".join(lines) + "\n" + body_text(response.headers.get("Content-Type", ""), response.get_data())


# ------------------------------------------------------------------------------------------------
# Capture

def _safe(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z._@=,+-]+", "_", text).strip("_")[:150] or "_"


class Capture:
    def __init__(self, outdir: Path, volunteers: int, personas: list[str], quick: bool, seeded: bool = True):
        self.seeded = seeded
        self.outdir = outdir
        self.volunteers = volunteers
        self.personas = personas
        self.quick = quick
        self.manifest: dict = {"pages": {}, "notes": []}
        self.string_labels: dict = {}
        self.extra_ids: dict = {}  # URL parameter -> ids of the objects add_extras() made, tried first
        self.count = 0

    # -- setup --------------------------------------------------------------------------------
    def build_app(self, workdir: Path):
        from portal import create_app
        config = {
            "TESTING": True,
            "SECRET_KEY": SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'capture.db'}",
            "UPLOAD_DIR": str(workdir / "uploads"),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "PUBLIC_BASE_URL": "https://portal.example.tw",
            "SERVER_NAME": None,
        }
        self.app = create_app(config)
        return self.app

    def load_data(self):
        from sqlalchemy import select
        db = _find("db", "portal.extensions", "portal.platform.extensions")
        self.db = db
        with self.app.app_context():
            db.create_all()
            result = self.app.test_cli_runner().invoke(args=["demo-data", "--volunteers", str(self.volunteers)])
            if result.exit_code != 0:
                raise RuntimeError(f"demo-data failed: {result.output}\n{result.exception!r}")
            self.manifest["demo_data_output"] = result.output.strip().splitlines()
            self.add_extras()
            User = _find("User", "portal.auth.models")
            self.users = {u.username: u.id for u in db.session.scalars(select(User))}
            volunteer = db.session.scalar(select(User).where(User.username == "volunteer"))
            self.volunteer_person_id = volunteer.person_id

    def add_extras(self):
        """Objects the demo set does not make, so that their pages can be opened (cf. tests/scope_objects.py)."""
        from datetime import date

        from sqlalchemy import select
        db = self.db
        Unit = _find("Unit", "portal.units.models", "portal.registry.models")
        Person = _find("Person", "portal.volunteers.models", "portal.people.models", "portal.registry.models")
        Membership = _find("Membership", "portal.volunteers.models", "portal.people.models", "portal.registry.models")
        User = _find("User", "portal.auth.models")
        authority_for = _find("authority_for", "portal.units.operations", "portal.registry.operations")
        units = {u.code: u for u in db.session.scalars(select(Unit))}
        volunteer = db.session.scalar(select(User).where(User.username == "volunteer"))
        members = {}
        for code in ANCHOR_UNITS[:4]:
            ids = list(db.session.scalars(
                select(Membership.person_id).where(Membership.unit_id == units[code].id, Membership.status == "active")
                .order_by(Membership.person_id).limit(40)))
            if code == "TPE-SW-01":
                ids = [volunteer.person_id] + [i for i in ids if i != volunteer.person_id]
            members[code] = ids
        made, missing = [], []

        def each_unit(name, fn):
            """fn(person, unit) for every anchor unit, on the first of its volunteers it works for."""
            for code, person_ids in members.items():
                error = None
                for person_id in person_ids:
                    try:
                        with db.session.begin_nested():
                            ids = fn(db.session.get(Person, person_id), units[code]) or {}
                        for param, value in ids.items():
                            self.extra_ids.setdefault(param, []).append(value)
                        error = None
                        break
                    except Exception as exc:  # noqa: BLE001 - the next volunteer may do
                        error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                if error is None:
                    made.append(f"{name}:{code}")
                else:
                    missing.append(f"{name}:{code}")
                    self.manifest["notes"].append(f"extra object {name} for {code} not made: {error}")
            db.session.commit()

        png = io.BytesIO()
        from PIL import Image
        Image.new("RGB", (40, 30), "white").save(png, "PNG")
        pdf = io.BytesIO()
        import pikepdf
        with pikepdf.new() as doc:
            doc.add_blank_page()
            doc.save(pdf, deterministic_id=True)
        check_file = _find("check_file", "portal.uploads", "portal.platform.uploads")
        store = _find("store", "portal.uploads", "portal.platform.uploads")

        def training(person, unit):
            create_record = _find("create_record", "portal.training.operations")
            attach_files = _find("attach_files", "portal.training.operations")
            record, error = None, None
            for field in dict.fromkeys([unit.field_code, "health", "education", "culture", "environment"]):
                try:
                    with db.session.begin_nested():
                        record = create_record(person, unit.id, {"kind": "special", "field_code": field,
                                                                 "course_name": "特殊訓練",
                                                                 "completed_on": date(2026, 1, 5)}, None)
                    break
                except Exception as exc:  # noqa: BLE001 - another field may do
                    error = exc
            if record is None:
                raise error
            stored = store(check_file("證書.png", png.getvalue()), "training_certificate", None)
            attach_files(record, [stored], None)
            return {"training_id": record.id, "training_file_id": stored.id}

        def lost_case(person, unit):
            file_case = _find("file_case", "portal.training.operations")
            case = file_case(person, unit.id, {"kind": "basic", "evidence": "roster"}, None)
            return {"lost_case_id": case.id}

        def document(person, unit):
            CertificateRequest = _find("CertificateRequest", "portal.certificates.models")
            issue_document = _find("issue_document", "portal.certificates.operations", "portal.documents.operations")
            Job = _find("Job", "portal.jobs", "portal.platform.jobs")
            doc = issue_document("performance", person, {"name": person.name, "total_half_hours": 300}, unit,
                                 render=lambda prepared: pdf.getvalue())
            req = CertificateRequest(kind="english_certificate", person_id=person.id, unit_id=unit.id,
                                     origin="volunteer", requested_on=date(2026, 11, 20), due_on=date(2026, 11, 27))
            job = Job(kind="certificates.issue_prepared", unit_id=unit.id, status="done", total=1, done=1)
            db.session.add_all([req, job])
            db.session.flush()
            return {"document_id": doc.id, "request_id": req.id, "job_id": job.id}

        def record_request(person, unit):
            RecordBookRequest = _find("RecordBookRequest", "portal.records.models")
            db.session.add(RecordBookRequest(person_id=person.id, unit_id=unit.id, kind="renewal",
                                             reason="lost", status="pending", requested_on=date(2026, 11, 1)))
            db.session.flush()

        def honor_card(person, unit):
            HonorCard = _find("HonorCard", "portal.honor_cards.models")
            HonorCardApplication = _find("HonorCardApplication", "portal.honor_cards.models")
            Venue = _find("Venue", "portal.honor_cards.models")
            ImportBatch = _find("ImportBatch", "portal.imports.models")
            issue_card_document = _find("issue_card_document", "portal.honor_cards.documents")
            county = authority_for("county", unit.county_code, None)
            stored = store(check_file("公文.pdf", pdf.getvalue()), "honor_card_letter", None)
            application = HonorCardApplication(person_id=person.id, unit_id=unit.id, applied_on=date(2026, 11, 1),
                                               letter_file_id=stored.id)
            card = HonorCard(person_id=person.id, number=f"HC-CAPTURE-{unit.code}", county_code=unit.county_code,
                             authority_id=county.id, approved_on=date(2026, 3, 1), valid_from=date(2026, 3, 1),
                             valid_to=date(2029, 3, 1))
            venue = Venue(name=f"場館 {unit.code}", county_code=unit.county_code, authority_id=county.id)
            batch = ImportBatch(kind="honor_cards", scope_key=f"authority:{county.id}:{unit.code}",
                                authority_id=county.id, sha256=hashlib.sha256(unit.code.encode()).hexdigest())
            db.session.add_all([application, card, venue, batch])
            db.session.flush()
            issue_card_document(card, county, None, render=lambda prepared: pdf.getvalue())
            return {"application_id": application.id, "card_id": card.id, "venue_id": venue.id,
                    "card_batch_id": batch.id}

        def import_batch(person, unit):
            ImportBatch = _find("ImportBatch", "portal.imports.models")
            batch = ImportBatch(kind="hours", scope_key=f"unit:{unit.id}", unit_id=unit.id, filename="hours.csv",
                                sha256=hashlib.sha256(f"hours:{unit.code}".encode()).hexdigest())
            db.session.add(batch)
            db.session.flush()
            return {"batch_id": batch.id}

        for name, fn in (("training", training), ("lost_case", lost_case), ("document", document),
                         ("record_request", record_request), ("honor_card", honor_card),
                         ("import_batch", import_batch)):
            each_unit(name, fn)
        self.manifest["extras"] = {"made": made, "missing": missing}

    # -- URL candidates -----------------------------------------------------------------------
    def candidates(self, name: str) -> list:
        from sqlalchemy import select
        db = self.db
        if name not in PARAMS:
            self.manifest["notes"].append(f"unknown URL parameter {name}: tried ids 1..3")
            return [1, 2, 3]
        cls_name, modules, where, *column = PARAMS[name]
        Model = _find(cls_name, *modules)
        id_column = getattr(Model, column[0] if column else "id")
        Unit = _find("Unit", "portal.units.models", "portal.registry.models")
        Membership = _find("Membership", "portal.volunteers.models", "portal.people.models", "portal.registry.models")
        unit_ids = [db.session.scalar(select(Unit.id).where(Unit.code == c)) for c in ANCHOR_UNITS]

        def first(*conditions):
            query = select(id_column).order_by(Model.id)
            if where:
                query = query.where(getattr(Model, where[0]) == where[1])
            return db.session.scalar(query.where(*conditions).limit(1))

        ids = list(self.extra_ids.get(name, []))
        if cls_name == "Unit":
            ids = unit_ids
        elif cls_name == "Person":
            ids = [self.volunteer_person_id] + ids + [db.session.scalar(
                select(Membership.person_id).where(Membership.unit_id == u, Membership.status == "active")
                .order_by(Membership.person_id).limit(1)) for u in unit_ids]
        elif cls_name == "User":
            ids = [self.users[n] for n in ("clerk.tpe-sw-01", "volunteer", "county.tpe") if n in self.users]
        else:
            if hasattr(Model, "person_id"):
                ids.append(first(Model.person_id == self.volunteer_person_id))
            if hasattr(Model, "unit_id"):
                ids += [first(Model.unit_id == u) for u in unit_ids]
            elif hasattr(Model, "person_id"):
                for u in unit_ids:
                    members = select(Membership.person_id).where(Membership.unit_id == u)
                    ids.append(first(Model.person_id.in_(members)))
            query = select(id_column).order_by(Model.id).limit(3)
            if where:
                query = query.where(getattr(Model, where[0]) == where[1])
            ids += list(db.session.scalars(query))
        seen = []
        for i in ids:
            if i is not None and i not in seen:
                seen.append(i)
        return seen[:MAX_CANDIDATES] or [987654]

    def string_values(self, name: str) -> list[str]:
        from sqlalchemy import select
        if name == "kind":
            try:
                kinds = _find("REQUEST_KINDS", "portal.certificates.models")
                return sorted(kinds) + ["no-such-kind"]
            except LookupError:
                return ["performance", "english_certificate", "english_transcript", "no-such-kind"]
        if name == "name":
            try:
                registry = _module_with("portal.imports.registry", "_KINDS", "kinds", "template")
                names = [n for kind in registry.kinds().values() for n in kind.templates]
            except (LookupError, AttributeError) as exc:
                names = ["roster-template.csv", "hours-template.xlsx", "hours-mohw-template.xlsx",
                         "training-template.csv", "honor-cards-template.csv", "other-awards-template.xlsx"]
                self.manifest["notes"].append(f"import registry not found ({exc}); template names hard-coded")
            return sorted(names) + ["no-such-template.csv"]
        if name == "token":
            Document = _find("Document", "portal.certificates.models", "portal.documents.models")
            tokens = list(self.db.session.scalars(select(Document.token).order_by(Document.id).limit(1)))
            for token in tokens:
                self.string_labels[(name, token)] = "first-document"
            self.string_labels[(name, "x" * 32)] = "unknown"
            return tokens + ["x" * 32]
        self.manifest["notes"].append(f"unknown string URL parameter {name}: used 'x'")
        return ["x"]

    def selection_urls(self, endpoint: str, path: str) -> list[str]:
        """Pages that show ticked volunteers (award and honor-card applications, a paper award entry):
        for each anchor unit and award round, its first three serving volunteers."""
        from sqlalchemy import select
        db = self.db
        Unit = _find("Unit", "portal.units.models", "portal.registry.models")
        Membership = _find("Membership", "portal.volunteers.models", "portal.people.models", "portal.registry.models")
        AwardRound = _find("AwardRound", "portal.awards.models")
        rounds = list(db.session.scalars(select(AwardRound.id).order_by(AwardRound.id)))
        urls = []
        for code in ANCHOR_UNITS:
            unit_id = db.session.scalar(select(Unit.id).where(Unit.code == code))
            people = list(db.session.scalars(select(Membership.person_id).where(
                Membership.unit_id == unit_id, Membership.status == "active").order_by(Membership.person_id).limit(3)))
            if endpoint == "honor_cards.apply":
                urls.append(path + "?" + urlencode([("person_id", p) for p in people]))
            for round_id in rounds:
                if endpoint == "awards.apply":
                    urls.append(path + "?" + urlencode([("round_id", round_id)] + [("person_id", p) for p in people]))
                elif endpoint == "awards.enter_paper" and people:
                    urls.append(path + "?" + urlencode({"round_id": round_id, "unit_id": unit_id,
                                                        "person_id": people[0]}))
        return urls or [path]

    def targets(self) -> list[dict]:
        """Every page to capture: endpoint, URL or (for object routes) URL candidates."""
        out = []
        with self.app.app_context():
            rules = sorted(self.app.url_map.iter_rules(), key=lambda r: (r.endpoint.startswith(LAST_ENDPOINTS), r.rule))
            for rule in rules:
                if rule.endpoint in SKIP_ENDPOINTS or "GET" not in rule.methods:
                    continue
                ints = [n for n, conv in rule._converters.items() if type(conv).__name__ in ("IntegerConverter", "BoundedInt")]
                strings = [n for n in rule.arguments if n not in ints]
                has_form = "POST" in rule.methods
                # (values, labels): a label names the file (a token would differ between runs)
                string_sets = [({}, {})]
                for name in strings:
                    string_sets = [({**s, name: v}, {**lab, name: self.string_labels.get((name, v), v)})
                                   for s, lab in string_sets for v in self.string_values(name)]
                for svalues, labels in string_sets:
                    suffix = "@" + ",".join(f"{k}={v}" for k, v in labels.items()) if labels else ""
                    if ints:
                        per_param = {n: self.candidates(n) for n in ints}
                        length = max(len(v) for v in per_param.values())
                        urls = [rule.build({**svalues, **{n: v[min(i, len(v) - 1)] for n, v in per_param.items()}})[1]
                                for i in range(length)]
                    else:
                        urls = [rule.build(svalues)[1]]
                    out.append({"endpoint": rule.endpoint, "name": _safe(rule.endpoint + suffix), "urls": urls,
                                "form": has_form})
                if rule.endpoint in SELECTION_PAGES and not (ints or strings):
                    out.append({"endpoint": rule.endpoint, "name": _safe(f"{rule.endpoint}@selection"),
                                "urls": self.selection_urls(rule.endpoint, rule.build({})[1]), "form": has_form})
                for query in EXTRA_QUERIES.get(rule.endpoint, []):
                    if ints or strings:
                        continue
                    qs = urlencode(query)
                    out.append({"endpoint": rule.endpoint, "name": _safe(f"{rule.endpoint}@{qs}"),
                                "urls": [rule.build({})[1] + "?" + qs], "form": False})
        return out

    # -- signing in ---------------------------------------------------------------------------
    def sign_in(self, client, username: str, csrf: bool, signin_dir: Path | None):
        import pyotp
        current_step = _find("current_step", "portal.auth.mfa")
        saved = []

        def token_of(html: str) -> dict:
            if not csrf:
                return {}
            match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
                re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
            return {"csrf_token": match.group(1)} if match else {}

        page = client.get("/login")
        saved.append(("01-login", "GET /login", page))
        response = client.post("/login", data={"username": username, "password": PASSWORD,
                                                **token_of(page.get_data(as_text=True))})
        saved.append(("02-login-post", "POST /login", response))
        location = urlsplit(response.headers.get("Location", "")).path
        if location in ("/login/setup", "/login/code"):
            page = client.get(location)
            saved.append(("03-" + location.rsplit("/", 1)[-1], f"GET {location}", page))
            html = page.get_data(as_text=True)
            if location == "/login/setup":
                key = re.search(r'class="mfa-key"[^>]*>([^<]+)<', html).group(1).replace(" ", "")
                self.totp_keys[username] = key
                step = current_step()
            else:
                step = self.totp_steps[username] + 1
            self.totp_steps[username] = step
            code = pyotp.TOTP(self.totp_keys[username]).generate_otp(step)
            response = client.post(location, data={"code": code, **token_of(html)})
            saved.append(("04-code-post", f"POST {location}", response))
        if response.status_code != 302 or urlsplit(response.headers.get("Location", "")).path == "/login":
            raise RuntimeError(f"sign-in of {username} failed: {response.status_code} {response.headers}")
        if signin_dir is not None:
            for name, what, resp in saved:
                self.write(signin_dir / f"{name}.txt", page_record(what, resp))
        return client

    # -- pages --------------------------------------------------------------------------------
    def write(self, path: Path, text: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.count += 1

    def set_language(self, client, lang: str, csrf: bool):
        code, accept = LANGS[lang]
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = accept
        data = {"lang": code, "next": "/"}
        if csrf:
            html = client.get("/", follow_redirects=True).get_data(as_text=True)
            data["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        response = client.post("/language", data=data)
        if response.status_code != 302:
            raise RuntimeError(f"language switch to {code} answered {response.status_code}")

    def choose(self, client, persona: str, target: dict) -> str:
        """The first URL candidate the persona may open, else the first candidate."""
        key = (persona, target["name"])
        if key not in self.chosen:
            chosen, tried = target["urls"][0], 0
            if len(target["urls"]) > 1:
                for url in target["urls"]:
                    tried += 1
                    if client.get(url).status_code == 200:
                        chosen = url
                        break
            self.chosen[key] = chosen
            self.tries[key] = tried
        return self.chosen[key]

    def capture_persona(self, persona: str, targets: list[dict]):
        started = _REAL_CLOCK[0]()
        client = self.app.test_client()
        signed_in = persona != "anonymous"
        pdir = self.outdir / _safe(persona)
        pages = self.manifest["pages"].setdefault(persona, {})
        if signed_in:
            client.environ_base["HTTP_ACCEPT_LANGUAGE"] = LANGS["zh"][1]
            self.sign_in(client, persona, csrf=False, signin_dir=pdir / "zh" / "signin")
        langs = ["zh"] if self.quick else ["zh", "en"]
        modes = ["full"] if self.quick else ["full", "htmx"]
        for lang in langs:
            self.set_language(client, lang, csrf=False)
            for target in targets:
                url = self.choose(client, persona, target)
                for mode in modes:
                    headers = {"HX-Request": "true"} if mode == "htmx" else {}
                    response = client.get(url, headers=headers)
                    rel = Path(_safe(persona)) / lang / mode / f"{target['name']}.txt"
                    self.write(self.outdir / rel, page_record(f"GET {url}" + (" [HX-Request]" if headers else ""),
                                                              response))
                    pages[str(rel)] = {"url": url, "status": response.status_code,
                                       "content_type": response.headers.get("Content-Type", ""),
                                       "candidates_tried": self.tries.get((persona, target["name"]), 0)}
        if not self.quick:
            self.capture_with_csrf(persona, targets, pages)
        self.manifest.setdefault("seconds_per_persona", {})[persona] = round(_REAL_CLOCK[0]() - started, 1)

    def capture_with_csrf(self, persona: str, targets: list[dict], pages: dict):
        """The pages with a form (and the home page) once more with CSRF protection on: real tokens."""
        self.app.config["WTF_CSRF_ENABLED"] = True
        try:
            client = self.app.test_client()
            client.environ_base["HTTP_ACCEPT_LANGUAGE"] = LANGS["zh"][1]
            if persona != "anonymous":
                self.sign_in(client, persona, csrf=True, signin_dir=None)
            for lang in ("zh", "en"):
                self.set_language(client, lang, csrf=True)
                for target in targets:
                    if not (target["form"] or target["name"] == "main.home"):
                        continue
                    url = self.chosen[(persona, target["name"])]
                    response = client.get(url)
                    rel = Path(_safe(persona)) / lang / "full-csrf" / f"{target['name']}.txt"
                    self.write(self.outdir / rel, page_record(f"GET {url} [CSRF on]", response))
                    pages[str(rel)] = {"url": url, "status": response.status_code,
                                       "content_type": response.headers.get("Content-Type", "")}
        finally:
            self.app.config["WTF_CSRF_ENABLED"] = False

    # -- the run ------------------------------------------------------------------------------
    def run(self):
        started = _REAL_CLOCK[0]()
        from freezegun import freeze_time

        import portal
        failed = _import_all_portal_modules()
        root = Path(portal.__file__).resolve().parent.parent
        mo = sorted(root.glob("translations/*/LC_MESSAGES/messages.mo"))
        if not mo:
            raise SystemExit(f"no compiled translations under {root}/translations: run "
                             f"`pybabel compile -d translations` in {root} first (*.mo files are not in git)")
        for path in mo:
            po = path.with_suffix(".po")
            if po.exists() and po.stat().st_mtime > path.stat().st_mtime + 1:
                print(f"warning: {path} is older than {po.name}; run `pybabel compile -d translations`",
                      file=sys.stderr)
        if self.outdir.exists():
            shutil.rmtree(self.outdir)
        self.outdir.mkdir(parents=True)
        self.manifest.update({
            "portal": str(Path(portal.__file__).resolve()), "frozen_at": FROZEN_AT, "seed": SEED,
            "volunteers": self.volunteers, "import_failures": failed,
            "python": sys.version.split()[0], "commit": _git_head(root),
        })
        print(f"capturing {portal.__file__} into {self.outdir}", file=sys.stderr)
        if self.seeded:
            _seed_randomness(SEED)
        else:
            random.seed(SEED)  # os.urandom stays random: tokens differ from run to run (tests the normaliser)
        self.manifest["urandom_seeded"] = self.seeded
        self.totp_keys, self.totp_steps, self.chosen, self.tries = {}, {}, {}, {}
        with tempfile.TemporaryDirectory(prefix="page-capture-") as tmp, freeze_time(FROZEN_AT):
            self.build_app(Path(tmp))
            self.load_data()
            targets = self.targets()
            self.manifest["targets"] = [{"name": t["name"], "endpoint": t["endpoint"], "candidates": t["urls"]}
                                        for t in targets]
            for persona in self.personas:
                self.capture_persona(persona, targets)
                n = sum(1 for p in self.manifest["pages"][persona])
                print(f"  {persona:22} {n:5} pages  {self.manifest['seconds_per_persona'][persona]:6.1f} s",
                      file=sys.stderr)
            with self.app.app_context():
                self.db.session.remove()
                self.db.engine.dispose()
        elapsed = _REAL_CLOCK[0]() - started
        self.manifest["files"] = self.count
        self.manifest["pages_per_persona"] = {p: len(v) for p, v in self.manifest["pages"].items()}
        (self.outdir / "manifest.json").write_text(
            json.dumps(self.manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
        for note in self.manifest["notes"]:
            print(f"note: {note}", file=sys.stderr)
        print(f"captured {self.count} files for {len(self.personas)} personas in {elapsed:.0f} s "
              f"({self.manifest['portal']})")


def _git_head(root: Path) -> str:
    """The checkout's commit, with "+changes" when portal/ or templates/ differ from it."""
    import subprocess
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=False, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "portal", "templates"],
                               check=False, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:  # noqa: BLE001
        return ""
    return head + ("+changes" if dirty else "")


# ------------------------------------------------------------------------------------------------
# Compare

TOKEN_RULES = [
    # Flask-WTF CSRF tokens in hidden inputs and in the htmx header attribute
    (re.compile(r'<input[^>]*\bname="csrf_token"[^>]*>'), '<input name="csrf_token" value="<CSRF>">'),
    (re.compile(r'("X-CSRFToken"\s*:\s*")[^"]*(")'), r"\1<CSRF>\2"),
    # itsdangerous-style signed values (payload.timestamp.signature)
    (re.compile(r"\b[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,}\b"), "<SIGNED>"),
    # CSP / script nonces
    (re.compile(r'\bnonce="[^"]*"'), 'nonce="<NONCE>"'),
    (re.compile(r"'nonce-[^']*'"), "'nonce-<NONCE>'"),
    # QR codes (their data holds keys and tokens): segno SVG path data and size
    (re.compile(r'(<svg[^>]*class="segno"[^>]*>)(.*?)(</svg>)', re.DOTALL),
     lambda m: re.sub(r'<svg[^>]*>', '<svg class="segno">', m.group(1))
     + re.sub(r'<path[^>]*/>', '<path d="<QR>"/>', m.group(2)) + m.group(3)),
    (re.compile(r"data:image/svg\+xml[^\"')\s]*"), "data:image/svg+xml,<QR>"),
    # TOTP keys as shown (groups of four) and in otpauth URIs
    (re.compile(r"\b(?:[A-Z2-7]{4} ){7}[A-Z2-7]{4}\b"), "<TOTP-KEY>"),
    (re.compile(r"secret=[A-Z2-7]+"), "secret=<TOTP-KEY>"),
    # document verification tokens and short codes
    (re.compile(r"/verify/[A-Za-z0-9_-]{16,}"), "/verify/<TOKEN>"),
    (re.compile(r"\b[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}\b"), "<SHORT-CODE>"),
    # random identifiers and digests
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<UUID>"),
    (re.compile(r"\b[0-9a-fA-F]{32,}\b"), "<HEX>"),
]


def normalise(text: str) -> list[str]:
    """Lines to compare: tokens replaced, white space collapsed, HTML split one tag per line."""
    head, _sep, body = text.partition("\n--- body ---\n")
    for pattern, repl in TOKEN_RULES:
        body = pattern.sub(repl, body)
        head = pattern.sub(repl, head)
    head_lines = [" ".join(line.split()) for line in head.splitlines()]
    head_lines = [line for line in head_lines if line]
    if "content-type: text/html" in head or body.lstrip().startswith("<"):
        body = re.sub(r"\s+", " ", body)
        body = re.sub(r"\s*([<>])\s*", r"\1", body).strip()
        body_lines = body.replace("><", ">\n<").split("\n")
    else:
        body_lines = [" ".join(line.split()) for line in body.splitlines()]
        body_lines = [line for line in body_lines if line]
    return head_lines + ["--- body ---"] + body_lines


def compare(dir_a: Path, dir_b: Path, max_diff_lines: int = 40) -> int:
    files_a = {p.relative_to(dir_a) for p in dir_a.rglob("*.txt")}
    files_b = {p.relative_to(dir_b) for p in dir_b.rglob("*.txt")}
    if not files_a and not files_b:
        print("no captured pages found", file=sys.stderr)
        return 2
    identical = different = raw_identical = 0
    only_a, only_b = sorted(files_a - files_b), sorted(files_b - files_a)
    for rel in sorted(files_a & files_b):
        text_a = (dir_a / rel).read_text(encoding="utf-8")
        text_b = (dir_b / rel).read_text(encoding="utf-8")
        if text_a == text_b:
            identical += 1
            raw_identical += 1
            continue
        lines_a, lines_b = normalise(text_a), normalise(text_b)
        if lines_a == lines_b:
            identical += 1
            continue
        different += 1
        print(f"DIFFERENT {rel}")
        diff = list(difflib.unified_diff(lines_a, lines_b, f"{dir_a.name}/{rel}", f"{dir_b.name}/{rel}",
                                         n=2, lineterm=""))
        for line in diff[:max_diff_lines]:
            print("    " + line[:400])
        if len(diff) > max_diff_lines:
            print(f"    ... {len(diff) - max_diff_lines} more diff lines")
    for rel in only_a:
        print(f"ONLY IN {dir_a}: {rel}")
    for rel in only_b:
        print(f"ONLY IN {dir_b}: {rel}")
    total = len(files_a & files_b)
    print(f"compared {total} pages: {identical} identical after normalising white space and tokens "
          f"({raw_identical} byte-identical), {different} different; "
          f"{len(only_a)} only in {dir_a}, {len(only_b)} only in {dir_b}")
    return 1 if different or only_a or only_b else 0


# ------------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.page_capture", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    cap = sub.add_parser("capture", help="capture every page into OUTDIR (emptied first)")
    cap.add_argument("outdir", type=Path)
    cap.add_argument("--code", type=Path, help="import portal from this checkout instead")
    cap.add_argument("--volunteers", type=int, default=500)
    cap.add_argument("--personas", help="comma-separated subset of: " + ",".join(PERSONAS))
    cap.add_argument("--quick", action="store_true", help="zh full pages only (not for proofs)")
    cap.add_argument("--unseeded", action="store_true",
                     help="leave os.urandom random (CSRF tokens, keys, document tokens differ): checks the normaliser")
    cmp_ = sub.add_parser("compare", help="compare two captures; exit 1 on any difference")
    cmp_.add_argument("dir_a", type=Path)
    cmp_.add_argument("dir_b", type=Path)
    cmp_.add_argument("--max-diff-lines", type=int, default=40)
    args = parser.parse_args(argv)
    if args.command == "compare":
        return compare(args.dir_a, args.dir_b, args.max_diff_lines)
    if args.code:
        code = args.code.resolve()
        if "portal" in sys.modules:
            raise SystemExit("portal is already imported; --code must come before any import of it")
        sys.path.insert(0, str(code))
        import portal
        if not Path(portal.__file__).resolve().is_relative_to(code):
            raise SystemExit(f"--code {code}: portal was imported from {portal.__file__} instead")
    personas = args.personas.split(",") if args.personas else PERSONAS
    unknown = set(personas) - set(PERSONAS)
    if unknown:
        raise SystemExit(f"unknown personas: {sorted(unknown)}")
    Capture(args.outdir.resolve(), args.volunteers, personas, args.quick, seeded=not args.unseeded).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
