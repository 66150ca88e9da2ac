"""Configuration, database settings, migrations, audit trail, response headers."""
import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import text

from portal import create_app
from portal.platform import access, config
from portal.platform.audit import AuditLog, record
from portal.platform.extensions import db
from portal.platform.htmx import is_fragment_request, is_htmx_request
from tests.conftest import ROOT, base_config, login, pg_database


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config.secret_key(str(tmp_path))
    assert len(first) >= 50 and config.secret_key(str(tmp_path)) == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert config.secret_key(str(tmp_path)) == "from-the-environment"


def test_environment_configuration(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("UPLOAD_DIR", raising=False)
    settings = config.from_environment(str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'portal.db'}"
    assert settings["UPLOAD_DIR"] == str(tmp_path / "uploads")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("UPLOAD_DIR", "/srv/files")
    settings = config.from_environment(str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert settings["UPLOAD_DIR"] == "/srv/files"


def test_sqlite_runs_in_wal_with_a_busy_timeout(tmp_path):
    app = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'wal.db'}"))
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()


def test_write_requests_take_the_sqlite_write_lock_at_begin(tmp_path):
    app = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'lock.db'}"))
    statements = []
    with app.app_context():
        from sqlalchemy import event
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, stmt, *a: statements.append(stmt))
        db.create_all()
        with app.test_request_context("/", method="POST"):
            db.session.execute(text("select 1"))
            db.session.rollback()
        with app.test_request_context("/", method="GET"):
            db.session.execute(text("select 1"))
            db.session.rollback()
        db.engine.dispose()
    begins = [s for s in statements if s.startswith("BEGIN")]
    assert begins[-2:] == ["BEGIN IMMEDIATE", "BEGIN"]


def test_concurrent_sqlite_writers_do_not_fail(tmp_path):
    """8 writers × 40 read-modify-write cycles: no 'database is locked', no lost update."""
    app = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'stress.db'}"))
    with app.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql("create table counter (n integer)")
            conn.exec_driver_sql("insert into counter values (0)")
    errors = []

    def writer():
        with app.app_context():
            for _ in range(40):
                try:
                    with app.test_request_context("/", method="POST"):
                        n = db.session.execute(text("select n from counter")).scalar()
                        db.session.execute(text("update counter set n = :n"), {"n": n + 1})
                        db.session.commit()
                except Exception as exc:  # noqa: BLE001 - the test counts every failure
                    errors.append(exc)
                    db.session.rollback()
            db.session.remove()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        assert db.session.execute(text("select n from counter")).scalar() == 320
        db.session.remove()
        db.engine.dispose()
    assert errors == []


def test_the_audit_log_is_append_only(app):
    with app.test_request_context("/"):
        row = record("test.event", AuditLog(id=1), note="x")
        db.session.commit()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("update audit_log set action = 'changed' where id = :i"), {"i": row.id})
        db.session.flush()
    db.session.rollback()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("delete from audit_log where id = :i"), {"i": row.id})
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditLog, row.id).action == "test.event"


def test_an_audit_row_disappears_with_a_rolled_back_change(app):
    with app.test_request_context("/"):
        record("test.rolled_back", AuditLog(id=2))
        db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditLog)) == 0


def test_security_headers(world, client):
    login(client, world.users["clerk_a"])
    response = client.get("/volunteers/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Cookie" in response.headers["Vary"]
    cookie = client.get_cookie("session")
    assert cookie is None or cookie.http_only


def test_session_cookie_flags(client):
    response = client.get("/login")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in header and "SameSite=Lax" in header


def test_csrf_is_enforced_and_htmx_gets_a_refresh(tmp_path, backend):
    uri = "sqlite://" if backend == "sqlite" else pg_database("test")
    app = create_app(base_config(tmp_path, uri) | {"WTF_CSRF_ENABLED": True})
    client = app.test_client()
    assert client.post("/login", data={"username": "x", "password": "y"}).status_code == 400
    response = client.post("/language", data={"lang": "en"}, headers={"HX-Request": "true"})
    assert response.status_code == 400 and response.headers["HX-Refresh"] == "true"
    with app.app_context():
        db.engine.dispose()


def test_errors_answer_full_pages_and_htmx_fragments(world, client):
    login(client, world.users["clerk_a"])
    page = client.get("/volunteers/987654")
    assert page.status_code == 404 and "<html" in page.get_data(as_text=True)
    fragment = client.get("/volunteers/987654", headers={"HX-Request": "true"})
    assert fragment.status_code == 404 and "<html" not in fragment.get_data(as_text=True)
    assert 'role="alert"' in fragment.get_data(as_text=True)


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_migrations_build_the_models_schema(tmp_path, target):
    """`flask db upgrade` on an empty database, then `flask db check` finds no drift."""
    if target == "postgresql":
        if not os.environ.get("TEST_DATABASE_URL"):
            pytest.skip("TEST_DATABASE_URL not set")
        url = pg_database("migrations")
        from sqlalchemy import create_engine
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "migration-test", "INSTANCE_PATH": str(tmp_path)}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "db"]
    upgrade = subprocess.run(flask + ["upgrade"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert upgrade.returncode == 0, upgrade.stderr
    check = subprocess.run(flask + ["check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_forged_host_header_is_refused_when_hosts_are_configured(tmp_path):
    app = create_app(base_config(tmp_path, "sqlite://") | {"TRUSTED_HOSTS": ["portal.example.org"]})
    client = app.test_client()
    assert client.get("/login", headers={"Host": "portal.example.org"}).status_code == 200
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400


@pytest.mark.parametrize("proxies,expected", [(0, "10.0.0.9"), (1, "5.6.7.8")])
def test_only_the_configured_proxies_are_believed_for_the_client_address(tmp_path, proxies, expected):
    """A client-supplied X-Forwarded-For chain must not choose the address rate limits and the audit log use."""
    app = create_app(base_config(tmp_path, "sqlite://") | {"PROXY_COUNT": proxies})
    seen = {}

    @app.get("/_address")
    @access.allow(*access.EVERYONE)
    def address():
        from flask import request
        seen["addr"] = request.remote_addr
        return "ok"

    app.test_client().get("/_address", headers={"X-Forwarded-For": "1.2.3.4, 5.6.7.8"},
                          environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert seen["addr"] == expected


@pytest.mark.parametrize("headers, fragment", [
    ({}, False),
    ({"HX-Request": "true"}, True),
    ({"HX-Request": "true", "HX-Boosted": "true"}, False),   # boosted navigation wants the whole page
    ({"HX-Request": "false"}, False),
])
def test_fragment_requests_are_read_from_the_htmx_headers(app, headers, fragment):
    with app.test_request_context("/", headers=headers):
        assert is_fragment_request() is fragment
        assert is_htmx_request() is (headers.get("HX-Request") == "true")


def test_postgresql_connections_run_without_jit(app):
    """A misestimated query must not be compiled for seconds (and become uncancellable)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL setting")
    assert db.session.execute(text("SHOW jit")).scalar_one() == "off"
