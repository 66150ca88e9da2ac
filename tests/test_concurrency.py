"""Sixteen requests at once against a real threaded server on a file database (docs/rules/platform.md#pl2):
exports, an import from upload to confirmation, PDF issuance, pages that write the access log and edits.
None may fail, on SQLite (one writer at a time: the write lock is taken before the first read, or a read
transaction restarts as a writer at its first write) and on PostgreSQL."""
import http.client
import random
import re
import threading
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.pool import NullPool
from werkzeug.serving import make_server

from portal import create_app
from portal.auth.operations import create_user
from portal.demo.cli import national_id
from portal.documents.models import Document, DocumentFile
from portal.imports.models import ImportBatch
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.records.models import RecordBook
from portal.registry.models import Membership, Person
from portal.registry.operations import authority_for, create_unit
from tests import security_report
from tests.conftest import PASSWORD, _wait_for_request_threads, base_config, pg_database, reset_database

pytestmark = pytest.mark.concurrency

ROSTER = (Path(__file__).resolve().parent / "fixtures" / "imports" / "roster.csv").read_bytes().splitlines(True)
# Each unit imports half of the fixture's 40 people (the same people at once is a documented conflict on
# PostgreSQL: the second confirmation writes nothing and says so, tests/test_imports.py).
HALVES = (b"".join(ROSTER[:21]), b"".join(ROSTER[:1] + ROSTER[21:]))
@pytest.fixture
def server(backend, tmp_path):
    """The app served by werkzeug's threaded server on a file database (SQLite) or its own PostgreSQL one."""
    uri = f"sqlite:///{tmp_path / 'concurrency.db'}" if backend == "sqlite" else pg_database("concurrency")
    config = base_config(tmp_path, uri)
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"poolclass": NullPool}   # a connection per request, none lingering
    app = create_app(config)
    with app.app_context():
        reset_database()
    served = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    served.app = app
    yield served
    served.shutdown()
    thread.join(5)
    served.server_close()
    _wait_for_request_threads()
    with app.app_context():
        db.engine.dispose()


def build_world(app) -> dict:
    """Two units of one county, people to edit, a volunteer with a record book; cookies for each account."""
    with app.app_context():
        unit_a = create_unit("TPE-A", "臺北甲協會", "TPE", "social", "private", name_en="Taipei A")
        unit_b = create_unit("TPE-B", "臺北乙協會", "TPE", "social", "private", name_en="Taipei B")
        county = authority_for("county", "TPE", None)
        people, rng = [], random.Random(18)
        for n in range(8):
            person = Person(name=f"志工{n}", id_kind="national", id_number=national_id(rng, "F"),
                            birth_date=date(1970, 1, 1 + n))
            person.memberships.append(Membership(unit=unit_a, field_code="social", joined_on=date(2020, 1, 1),
                                                 status="active"))
            people.append(person)
        db.session.add_all(people)
        db.session.flush()
        book = RecordBook(person_id=people[0].id, number="TPE-114-000001", kind="first", unit_id=unit_a.id,
                          requested_on=date(2025, 3, 1), issued_on=date(2025, 3, 5), authority_id=county.id)
        db.session.add(book)
        users = {
            "clerk_a": create_user("clerk.a", PASSWORD, "unit_clerk", display_name="clerk a", unit_id=unit_a.id),
            "clerk_b": create_user("clerk.b", PASSWORD, "unit_clerk", display_name="clerk b", unit_id=unit_b.id),
            "county": create_user("county.tpe", PASSWORD, "county", display_name="county", authority_id=county.id),
            "volunteer": create_user("volunteer", PASSWORD, "volunteer", display_name="v", person_id=people[0].id),
        }
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        cookies = {key: f"{app.config['SESSION_COOKIE_NAME']}=" + serializer.dumps(
            {"_user_id": user.get_id(), "_fresh": True, "mfa": True}) for key, user in users.items()}
        return {"cookies": cookies, "people": [(p.id, p.id_number, p.version) for p in people], "book": book.id}


class Browser:
    """One user's requests over http.client (no redirects followed)."""

    def __init__(self, port: int, cookie: str):
        self.port, self.cookie = port, cookie

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": self.cookie}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheader("Location") or "", response.read()
        finally:
            conn.close()

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, fields: dict, files: dict | None = None):
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, data) in (files or {}).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                         f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}")


def import_roster(browser: Browser, data: bytes):
    """Upload (a preview batch and its stored file), then confirm from the preview page's version."""
    status, location, _ = browser.post("/imports/", {"kind": "volunteers"}, {"file": ("roster.csv", data)})
    assert status == 302, status
    path = location.replace("http://127.0.0.1", "").split(":", 1)[-1]
    path = path[path.index("/"):]
    status, _, page = browser.get(path)
    assert status == 200, status
    version = re.search(rb'name="version"[^>]*value="(\d+)"', page).group(1).decode()
    return browser.post(f"{path}/confirm", {"version": version})


def test_sixteen_requests_at_once_all_succeed(server):
    world = build_world(server.app)
    port, cookies = server.server_port, world["cookies"]
    clerk, county, volunteer = (Browser(port, cookies[k]) for k in ("clerk_a", "county", "volunteer"))
    people = world["people"]

    def edit(n):
        person_id, id_number, version = people[n]
        return clerk.post(f"/volunteers/{person_id}/edit", {
            "name": f"改名{n}", "id_kind": "taiwan", "id_number": id_number, "sex": "", "birth_date": "",
            "name_latin": "", "phone": "", "email": "", "address": "", "version": version})

    work = {
        "county roster export": lambda: county.get("/volunteers/export.csv"),
        "clerk roster export": lambda: clerk.get("/volunteers/export.csv"),
        "county hours export": lambda: county.get("/hours/export?format=csv"),
        "clerk hours export (xlsx)": lambda: clerk.get("/hours/export?format=xlsx"),
        "training export": lambda: county.get("/training/export.csv"),
        "import in unit A": lambda: import_roster(clerk, HALVES[0]),
        "import in unit B": lambda: import_roster(Browser(port, cookies["clerk_b"]), HALVES[1]),
        "record-book PDF": lambda: volunteer.get(f"/records/books/{world['book']}/pdf"),
        "record-book PDF again": lambda: volunteer.get(f"/records/books/{world['book']}/pdf"),
        **{f"edit form {n} (reveals the ID number)": (lambda n=n: clerk.get(f"/volunteers/{people[n][0]}/edit"))
           for n in range(4, 8)},
        **{f"edit {n}": (lambda n=n: edit(n)) for n in range(3)},
    }
    assert len(work) == 16
    start = threading.Barrier(len(work))
    results: dict[str, object] = {}

    def run(name, call):
        start.wait()
        try:
            results[name] = call()[0]
        except Exception as exc:  # noqa: BLE001 - every failure is counted, whatever it is
            results[name] = repr(exc)

    threads = [threading.Thread(target=run, args=item) for item in work.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    failed = {name: outcome for name, outcome in results.items() if outcome not in (200, 302)}
    assert failed == {} and len(results) == 16
    security_report.record("concurrent requests, 0 errors", len(results))

    with server.app.app_context():
        audit = dict(db.session.execute(select(AuditLog.action, func.count()).group_by(AuditLog.action)).all())
        assert audit["roster.export"] == 2 and audit["person.reveal_id"] == 4
        assert audit["hours.export"] == 2 and audit["training.export"] == 1
        names = set(db.session.scalars(select(Person.name)))
        assert {"改名0", "改名1", "改名2"} <= names
        batches = db.session.scalars(select(ImportBatch.status).where(ImportBatch.kind == "volunteers")).all()
        assert sorted(batches) == ["committed", "committed"]
        assert db.session.scalar(select(func.count()).select_from(Person)) == 8 + 40
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 8 + 40
        # Each printout a document with its PDF. (Two printouts at the same moment on PostgreSQL may both
        # stay valid: neither sees the other's uncommitted row to supersede it. SQLite serialises them.)
        documents = db.session.execute(select(Document.status, DocumentFile.sha256)
                                       .outerjoin(DocumentFile, DocumentFile.document_id == Document.id)).all()
        assert documents and all(sha for _status, sha in documents) and "valid" in {s for s, _sha in documents}


# --- the SQLite mechanics, without a server ------------------------------------------------------------------

@pytest.fixture
def file_app(tmp_path):
    app = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'mechanics.db'}"))
    with app.app_context():
        db.session.execute(text("create table t (n integer)"))
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def in_thread(app, statements, hold: float = 0.0):
    """Run statements in their own transaction on another thread (outside a request: BEGIN IMMEDIATE),
    keeping the lock `hold` seconds before the commit; returns the thread, started once it holds the lock."""
    locked = threading.Event()

    def work():
        with app.app_context():
            for statement in statements:
                db.session.execute(text(statement))
            locked.set()
            time.sleep(hold)
            db.session.commit()
            db.session.remove()
    thread = threading.Thread(target=work)
    thread.start()
    assert locked.wait(10)
    return thread


def test_a_read_request_writes_after_another_commit_and_while_another_holds_the_lock(file_app):
    """Without the restart, both writes below fail at once: the first with SQLITE_BUSY_SNAPSHOT (a commit
    since the read began), the second with SQLITE_BUSY (the upgrade of a read transaction never waits)."""
    with file_app.test_request_context("/", method="GET"):
        assert db.session.execute(text("select count(*) from t")).scalar() == 0   # the read transaction
        in_thread(file_app, ["insert into t values (1)"]).join()
        db.session.execute(text("insert into t values (2)"))                     # restarts as a writer
        assert db.session.execute(text("select count(*) from t")).scalar() == 2  # ...and sees the present
        db.session.commit()
    with file_app.test_request_context("/", method="GET"):
        db.session.execute(text("select count(*) from t"))
        other = in_thread(file_app, ["insert into t values (3)"], hold=0.3)
        started = time.monotonic()
        db.session.execute(text("insert into t values (4)"))                     # waits for the other writer
        assert time.monotonic() - started >= 0.2
        db.session.commit()
        other.join()
    assert sorted(db.session.execute(text("select n from t")).scalars()) == [1, 2, 3, 4]


def test_a_savepoint_in_a_read_request_takes_the_lock_first_and_a_rollback_still_undoes_everything(file_app):
    with file_app.test_request_context("/", method="GET"):
        db.session.execute(text("select count(*) from t"))
        in_thread(file_app, ["insert into t values (1)"]).join()
        with db.session.begin_nested():
            db.session.execute(text("insert into t values (2)"))
        db.session.execute(text("insert into t values (3)"))
        db.session.rollback()
    with file_app.test_request_context("/", method="GET"):
        db.session.execute(text("insert into t values (4)"))
        db.session.execute(text("update t set n = n + 10"))   # written already: no second restart
        db.session.commit()
    assert sorted(db.session.execute(text("select n from t")).scalars()) == [11, 14]

