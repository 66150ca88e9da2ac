"""Fixtures: the app on SQLite (always) and PostgreSQL (when TEST_DATABASE_URL is set),
factory fixtures, and the personas every access test uses."""
import gc
import os
import random
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from portal import create_app
from portal.auth.operations import create_user
from portal.demo.cli import national_id
from portal.platform.extensions import db
from portal.platform.jobs import wait as wait_for_jobs
from portal.registry.models import Membership, Person
from portal.registry.operations import authority_for, create_unit, seed_reference_data

# The path guard (no test reads beside the repository) and PORTAL_TEST_CLOCK (a frozen clock).
pytest_plugins = ["tests.path_guard", "tests.frozen_clock"]


def _builders_once():
    """Every test builds its own app, and Werkzeug compiles two URL builders (ast + compile()) and parses the
    converter arguments of each of the app's ~1,350 rules: about 60 % of create_app's time, some 100 ms a test.
    A builder depends only on its rule's text, parts and defaults, and a converter's arguments only on their
    text, so the suite keeps one of each per distinct value. Only the test run is faster; the app is the same."""
    from werkzeug.routing import rules

    compile_builder, parse_args = rules.Rule._compile_builder, rules.parse_converter_args
    builders, arguments = {}, {}

    def cached_builder(self, append_unknown=True):
        defaults = self.defaults or {}
        constants = tuple((data, self._converters[data].to_url(defaults[data]))
                          for dynamic, data in self._trace if dynamic and data in defaults)
        key = (append_unknown, self.rule, tuple(self._trace), tuple(sorted(map(str, defaults))), constants)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    def cached_arguments(text):
        if text not in arguments:
            arguments[text] = parse_args(text)
        args, kwargs = arguments[text]
        return args, dict(kwargs)

    rules.Rule._compile_builder = cached_builder
    rules.parse_converter_args = cached_arguments


_builders_once()

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
PASSWORD = "correct-horse-battery"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_or_skip():
    """A connection to the test Redis; the test is skipped without one, and fails when CI promised one."""
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("TEST_REDIS_URL"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    return connection


def run_id() -> str:
    """Unique per pytest run and worker, so that runs started at the same time never share a database."""
    run = (os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"p{os.getpid()}")[:8].lower()
    return f"{run}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def pg_base_url():
    return make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
                    if PG_URL.startswith("postgresql://") else PG_URL)


_created_databases = set()


def pg_database(suffix: str) -> str:
    """A private PostgreSQL database for this run and worker, created on first use, dropped at the end."""
    base = pg_base_url()
    name = f"portal_{suffix}_{run_id()}"
    if name not in _created_databases:
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}"'))
            conn.execute(text(f'create database "{name}"'))
            # A test database need not survive a crash of the server: commits without waiting for the WAL
            # flush make the many small commits of the suite cheaper, the results are the same.
            conn.execute(text(f'alter database "{name}" set synchronous_commit = off'))
        admin.dispose()
        _created_databases.add(name)
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases():
    yield
    if not _created_databases:
        return
    admin = create_engine(pg_base_url().set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in _created_databases:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
    admin.dispose()


def base_config(tmp_path, uri):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production-use-0123456789",
        "SQLALCHEMY_DATABASE_URI": uri,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Each test builds its own data: figures kept from another test's data would be wrong here
        # (tests/test_stats_dashboards.py turns the memo on where it tests it).
        "STATS_PAST_SECONDS": 0,
        # Queued e-mail and SMS stay in the outbox unless a test sends them (deliver_due) or uses the
        # smtp_server fixture, which turns on sending right after each request ("inline").
        "NOTIFY_SEND_AFTER_COMMIT": "off",
    }


_pg_schema_ready = set()
_sqlite_template: list[sqlite3.Connection] = []


def _sqlite_from_template(engine) -> bool:
    """An in-memory SQLite database gets the schema and reference data by the online backup API from a copy made
    by the first test of the worker: 1-2 ms instead of ~100 ms of CREATE statements and inserts every test."""
    if engine.url.database not in (None, "", ":memory:"):
        return False                      # a file (live servers, threads): built the ordinary way
    raw = engine.raw_connection()
    try:
        if _sqlite_template:
            _sqlite_template[0].backup(raw.driver_connection)
            return True
        db.create_all()
        seed_reference_data()
        db.session.commit()
        template = sqlite3.connect(":memory:", check_same_thread=False)
        raw.driver_connection.backup(template)
        _sqlite_template.append(template)
        return True
    finally:
        raw.close()


def reset_database():
    """SQLite databases are new for every test (in memory: copied from a template); PostgreSQL ones get the
    schema once, then DELETE."""
    engine = db.engine
    key = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "sqlite":
        if _sqlite_from_template(engine):
            return
        db.create_all()
    elif key not in _pg_schema_ready:
        db.drop_all()
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP FUNCTION IF EXISTS audit_log_append_only CASCADE")
        db.create_all()
        _pg_schema_ready.add(key)
    else:
        # DELETE, not TRUNCATE: TRUNCATE gives each of the ~50 tables and their indexes new files, 0.5–1.5 s per
        # test; deleting the few rows a test wrote takes milliseconds. Triggers (the append-only audit log, the
        # summaries, whose tables are emptied too) and foreign-key checks are off for this transaction only.
        statements = ["SET LOCAL session_replication_role = replica"]
        statements += [f"DELETE FROM {t.name}" for t in reversed(db.metadata.sorted_tables)]
        with engine.begin() as conn:
            sequences = conn.exec_driver_sql(
                "SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = current_schema()").scalars().all()
            if sequences:       # RESTART IDENTITY: the next id of every table is 1 again
                statements.append("SELECT " + ", ".join(f"setval('{s}', 1, false)" for s in sequences))
            conn.exec_driver_sql("; ".join(statements))
    seed_reference_data()
    db.session.commit()


@contextmanager
def count_queries():
    """The statements sent to the database inside the block, transaction control left out."""
    seen = []

    def listener(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


class FreshRequestClient(FlaskClient):
    """The test's app context stays pushed (for db access between requests), so Flask would reuse
    its `g` for every request; production gives each request a new one. Clear it, and expire the
    session's objects, before each request so that cached users, locales and rows never leak."""

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
            db.session.expire_all()
        return super().open(*args, **kwargs)


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def app(backend, tmp_path):
    uri = "sqlite://" if backend == "sqlite" else pg_database("test")
    app = create_app(base_config(tmp_path, uri))
    app.test_client_class = FreshRequestClient
    with app.app_context():
        reset_database()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def login(client, user):
    """Sign `user` in on `client` without going through the form (fast)."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["mfa"] = True  # the code step of two-step sign-in is tested in test_mfa.py
    return client


@pytest.fixture
def make_unit():
    counter = {"n": 0}

    def make(county="TPE", field_code="social", sector="private", code=None, **kw):
        counter["n"] += 1
        unit = create_unit(code or f"U{counter['n']:03d}", kw.pop("name", f"測試單位{counter['n']}"),
                           county, field_code, sector, name_en=kw.pop("name_en", f"Test Unit {counter['n']}"))
        db.session.commit()
        return unit
    return make


@pytest.fixture
def make_person():
    rng = random.Random(7)

    def make(units=(), name="王小明", id_number=None, field_code=None, joined=date(2020, 1, 1), commit=True, **kw):
        """commit=False leaves the person in the session for one commit of several (`people`): each commit runs
        the hooks that keep the completeness summaries and cover flags of the pairs it wrote, ~40 ms a person."""
        person = Person(name=name, id_kind="national", id_number=id_number or national_id(rng, 'F'),
                        birth_date=kw.pop("birth_date", date(1960, 5, 17)), **kw)
        for unit in units:
            person.memberships.append(Membership(unit=unit, field_code=field_code or unit.field_code,
                                                 joined_on=joined, status="active"))
        db.session.add(person)
        if commit:
            db.session.commit()
        return person

    def people(specs):
        """Several people (make's arguments as dicts) in one commit: the same rows, ids in the order given, and
        the same kept summaries and flags (computed for every pair the commit wrote) as one commit each."""
        with db.session.no_autoflush:     # (reading a unit expired by an earlier commit would flush each one)
            made = [make(**spec, commit=False) for spec in specs]
        db.session.commit()
        return made
    make.many = people
    return make


@pytest.fixture
def make_user():
    def make(username, role, **scope):
        user = create_user(username, PASSWORD, role, display_name=username, **scope)
        db.session.commit()
        return user
    return make


@dataclass
class World:
    """Two counties, three units, people in and out of each scope, one account per role."""
    units: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)


@pytest.fixture
def world(app, make_unit, make_person, make_user):
    w = World()
    w.units["A"] = make_unit("TPE", "social", "private", code="TPE-A", name="臺北甲協會")
    w.units["B"] = make_unit("TPE", "education", "public", code="TPE-B", name="臺北乙國小")
    w.units["C"] = make_unit("KHH", "social", "public", code="KHH-C", name="高雄丙據點")
    people = make_person.many([{"units": [w.units["A"]], "name": "甲志工"}, {"units": [w.units["B"]], "name": "乙志工"},
                               {"units": [w.units["C"]], "name": "金絲雀"},
                               {"units": [w.units["A"], w.units["B"]], "name": "共同志工"}])
    w.people.update(zip(("a", "b", "canary", "shared"), people, strict=True))
    u = w.users
    u["clerk_a"] = make_user("clerk.a", "unit_clerk", unit_id=w.units["A"].id)
    u["supervisor_a"] = make_user("supervisor.a", "unit_supervisor", unit_id=w.units["A"].id)
    u["clerk_b"] = make_user("clerk.b", "unit_clerk", unit_id=w.units["B"].id)
    u["county_tpe"] = make_user("county.tpe", "county", authority_id=authority_for("county", "TPE", None).id)
    u["county_khh"] = make_user("county.khh", "county", authority_id=authority_for("county", "KHH", None).id)
    u["sector_local"] = make_user("sector.tpe.social", "sector_local",
                                  authority_id=authority_for("sector_local", "TPE", "social").id)
    u["sector_central"] = make_user("sector.education", "sector_central",
                                    authority_id=authority_for("sector_central", None, "education").id)
    u["ministry"] = make_user("ministry", "ministry", authority_id=authority_for("ministry", None, None).id)
    u["admin"] = make_user("admin", "admin")
    u["volunteer"] = make_user("volunteer.a", "volunteer", person_id=w.people["a"].id)
    db.session.commit()
    return w


@pytest.fixture
def live_server(backend, tmp_path):
    """The app served on a free port in a thread, on a file database it shares with the test."""
    from werkzeug.serving import make_server
    uri = f"sqlite:///{tmp_path / 'live.db'}" if backend == "sqlite" else pg_database("live")
    config = base_config(tmp_path, uri)
    config["WTF_CSRF_ENABLED"] = True
    # Request threads may still hold a connection when the test ends; with NullPool each one is
    # closed as its request finishes instead of lingering in a disposed pool until GC warns.
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"poolclass": NullPool}
    app = create_app(config)
    with app.app_context():
        reset_database()
    app.wsgi_app = _files_read_whole(app.wsgi_app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.app = app
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(5)
    server.server_close()
    _wait_for_request_threads()
    with app.app_context():
        db.engine.dispose()
    gc.collect()  # a leaked connection then fails this fixture, not whichever test the GC runs in next


def _files_read_whole(app):
    """Werkzeug's development server skips closing a response when the browser drops the
    connection mid-transfer (a page navigated away while a script was still loading), and the
    open static file then warns in whichever test the GC runs next. Serving files as one bytes
    chunk read and closed at once keeps that race out of the suite; only the test server does it."""
    def read_whole(file, block_size=8192):
        with file:
            return [file.read()]

    def wsgi(environ, start_response):
        environ["wsgi.file_wrapper"] = read_whole
        return app(environ, start_response)
    return wsgi


def _wait_for_request_threads(timeout=5.0):
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and "process_request_thread" in thread.name:
            thread.join(max(0.0, deadline - time.monotonic()))


_totp_secrets: dict = {}
_totp_last_steps: dict = {}


SIGN_IN_TEXT = {"zh": ("帳號", "密碼", "登入"), "en": ("Username", "Password", "Sign in")}


def sign_in_page(page, base_url: str, username: str, lang: str, on_setup_page=None):
    """Sign in through the page in `lang` as a person would, after leaving the page (a request still in
    flight from it could answer after the cookies are cleared and set the previous session again), then
    the second step where the account has one."""
    user_label, password_label, button = SIGN_IN_TEXT[lang]
    page.goto("about:blank")
    page.context.clear_cookies()
    page.goto(base_url + "/login")
    if lang == "en":
        page.get_by_role("button", name="English").click()
    page.get_by_label(user_label).fill(username)
    page.get_by_label(password_label).fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state("networkidle")
    complete_second_step(page, base_url, username, on_setup_page=on_setup_page)


def complete_second_step(page, base_url: str, username: str, on_setup_page=None):
    """After the password of an authority or admin account: set up the authenticator on the first
    sign-in (reading the key off the page like a person would), or enter the current code later.
    `on_setup_page(page)` runs while the set-up page is shown (accessibility checks, screenshots)."""
    import pyotp

    from portal.auth.mfa import current_step
    page.wait_for_load_state("networkidle")
    key = (base_url, username)
    if "/login/setup" in page.url:
        if on_setup_page:
            on_setup_page(page)
        _totp_secrets[key] = page.locator(".mfa-key").inner_text().replace(" ", "")
    elif "/login/code" not in page.url:
        return
    # A code is good once: take the next unused time step, waiting if it is not yet current.
    step = max(current_step(), _totp_last_steps.get(key, -1) + 1)
    while step > current_step() + 1:
        time.sleep(0.5)
    _totp_last_steps[key] = step
    page.fill("#code", pyotp.TOTP(_totp_secrets[key]).generate_otp(step))
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


def pytest_configure(config):
    if os.environ.get("REQUIRE_POSTGRES") and not PG_URL:
        raise pytest.UsageError("REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not")


def pytest_collection_finish(session):
    # Everything imported and collected lives until the end: frozen, the collector's full passes (one every few
    # tests, each app leaving thousands of objects) skip it. Measured: create_app + reset 0.23 → 0.14 s a test.
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session", autouse=True)
def _require_browser():
    if os.environ.get("REQUIRE_BROWSER") and not os.path.exists("/usr/bin/chromium"):
        pytest.fail("REQUIRE_BROWSER is set but /usr/bin/chromium is missing")


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Browsers in Taiwan ask for zh-TW; pages start in Traditional Chinese as users see them."""
    return {**browser_context_args, "locale": "zh-TW"}


# --- background jobs ---------------------------------------------------------------------------

class ClosingClient(FlaskClient):
    """Ends the request's transaction afterwards, as the app-context teardown does in production.

    The test's app context stays pushed, so without this a request that touched an expired row
    would keep SQLite's write lock and the job thread would wait for it."""

    def open(self, *args, **kwargs):
        try:
            return super().open(*args, **kwargs)
        finally:
            db.session.rollback()


@pytest.fixture
def threaded_app(app, backend, tmp_path):
    """An app whose database a job thread can share: PostgreSQL as is; SQLite in a file instead of
    the in-memory database (one connection for every thread there)."""
    if backend != "sqlite":
        app.test_client_class = type("ClosingFreshClient", (ClosingClient, app.test_client_class), {})
        yield app
        wait_for_jobs(timeout=60)
        return
    file_app = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'jobs.db'}"))
    file_app.test_client_class = type("ClosingFreshClient", (ClosingClient, app.test_client_class), {})
    with file_app.app_context():
        reset_database()
        yield file_app
        wait_for_jobs(timeout=60)
        db.session.remove()
        db.engine.dispose()


# --- e-mail --------------------------------------------------------------------------------------

class SmtpServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, keeping what arrives in `messages`
    (email.message.EmailMessage, headers decoded). stop() and start() again on the same port simulate an
    outage; wait_for(n) waits until n messages arrived and returns them; addresses in `refuse` are refused
    for good (550)."""

    def __init__(self):
        import socket
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.messages: list = []
        self.envelopes: list = []   # (mail from, [rcpt to]) of each message, in order
        self.refuse: set = set()    # recipients answered "550 no such mailbox" (a permanent refusal)
        self._lock = threading.Lock()
        self._controller = None
        self.start()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import email
        from email import policy
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def start(self):
        from aiosmtpd.controller import Controller
        if self._controller is None:
            self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
            self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def wait_for(self, n: int, timeout: float = 10) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.messages)} e-mails arrived, {n} expected")
            time.sleep(0.02)
        return list(self.messages)

    def configure(self, app):
        """Send this app's e-mail here, right after each request that queued some (tests read it at once)."""
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=self.port, MAIL_USE_TLS=False, MAIL_USE_SSL=False,
                          MAIL_USERNAME="", MAIL_PASSWORD="", NOTIFY_SEND_AFTER_COMMIT="inline")


@pytest.fixture
def smtp_server(request):
    """The SMTP server; the test's app (app, threaded_app and/or live_server, whichever the test uses) sends to it."""
    server = SmtpServer()
    for name in ("app", "threaded_app", "live_server"):
        if name in request.fixturenames:
            target = request.getfixturevalue(name)
            server.configure(target.app if name == "live_server" else target)
    yield server
    server.stop()
    # A commit outside a request asked for a send at the end of the app context, which the app fixture ends
    # after disposing of its engine: the test sent what it wanted already (deliver_due).
    if has_app_context():
        g.pop("notifications_kick", None)
