"""API clients and tokens (docs/rules/api.md#api1, #api2): registration, the token endpoint, expiry,
revocation, rotation, scopes, rate limits, the audit of every call."""
import json
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import func, select

from portal import create_app
from portal.api.models import ApiClient, ApiToken
from portal.api.operations import revoke_client, rotate_secret
from portal.api.rules import may_register_for
from portal.auth.operations import create_user
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from portal.registry.operations import authority_for
from tests.api_support import bearer, get_token, new_client
from tests.conftest import PASSWORD, FreshRequestClient, base_config, login, pg_database, reset_database


def test_token_and_units(world, client):
    credentials = new_client(world.users["county_tpe"], ["volunteers:status"])
    stored = db.session.get(ApiClient, credentials.client.id)
    assert credentials.client_secret not in stored.secret_hash
    token = get_token(client, credentials)
    assert db.session.scalar(select(ApiToken.token_hash)) != token
    response = client.get("/api/v1/units", headers=bearer(token))
    assert response.status_code == 200
    assert [u["code"] for u in response.get_json()["items"]] == ["TPE-A", "TPE-B"]
    assert "Set-Cookie" not in response.headers


def test_revoked_token_refused_at_once(world, client):
    credentials = new_client(world.users["county_tpe"], ["volunteers:status"])
    token = get_token(client, credentials)
    assert client.get("/api/v1/units", headers=bearer(token)).status_code == 200
    revoke_client(db.session.get(ApiClient, credentials.client.id))
    db.session.commit()
    response = client.get("/api/v1/units", headers=bearer(token))
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "token_revoked"
    # and no new token for a revoked client
    again = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"},
                        auth=(credentials.client.client_id, credentials.client_secret))
    assert again.status_code == 401


def test_rotation_ends_old_secret_and_tokens(world, client):
    credentials = new_client(world.users["county_tpe"], ["volunteers:status"])
    token = get_token(client, credentials)
    fresh = rotate_secret(db.session.get(ApiClient, credentials.client.id))
    db.session.commit()
    assert client.get("/api/v1/units", headers=bearer(token)).status_code == 401
    old = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"},
                      auth=(credentials.client.client_id, credentials.client_secret))
    assert old.status_code == 401 and old.get_json()["error"] == "invalid_client"
    assert client.get("/api/v1/units", headers=bearer(get_token(client, fresh))).status_code == 200


def test_expiry_edge(world, client, app):
    credentials = new_client(world.users["county_tpe"], ["volunteers:status"])
    start = utcnow().replace(microsecond=0)
    with freeze_time(start):
        token = get_token(client, credentials)
    seconds = app.config["API_TOKEN_SECONDS"]
    with freeze_time(start + timedelta(seconds=seconds - 1)):
        assert client.get("/api/v1/units", headers=bearer(token)).status_code == 200
    with freeze_time(start + timedelta(seconds=seconds)):
        response = client.get("/api/v1/units", headers=bearer(token))
        assert response.status_code == 401 and response.get_json()["code"] == "token_expired"


def test_wrong_scope_403_and_scope_taken_away(world, client):
    credentials = new_client(world.users["county_tpe"], ["documents:verify", "volunteers:status"])
    token = get_token(client, credentials, scope="documents:verify")
    response = client.get("/api/v1/changes", headers=bearer(token))
    assert response.status_code == 403 and response.get_json()["code"] == "insufficient_scope"
    person = world.people["a"]
    path = f"/api/v1/volunteers/{person.id_number}/status?purpose=check"
    assert client.get(path, headers=bearer(token)).status_code == 403     # not asked for in this token
    token = get_token(client, credentials)
    assert client.get(path, headers=bearer(token)).status_code == 200
    stored = db.session.get(ApiClient, credentials.client.id)
    stored.scopes = "documents:verify"
    db.session.commit()
    assert client.get(path, headers=bearer(token)).status_code == 403


def test_unknown_scope_asked_for(world, client):
    credentials = new_client(world.users["county_tpe"], ["volunteers:status"])
    response = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials", "scope": "admin"},
                           auth=(credentials.client.client_id, credentials.client_secret))
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_scope"


def test_rate_limit_edge(tmp_path, backend):
    """N calls within the client's limit pass, call N+1 is a 429 problem; another client has its own budget."""
    uri = "sqlite://" if backend == "sqlite" else pg_database("test")
    app = create_app(base_config(tmp_path, uri) | {"RATELIMIT_ENABLED": True})
    app.test_client_class = FreshRequestClient
    with app.app_context():
        reset_database()
        owner = create_user("county.tpe", PASSWORD, "county", authority_id=authority_for("county", "TPE", None).id)
        db.session.commit()
        http = app.test_client()
        token = get_token(http, new_client(owner, ["volunteers:status"], rate_limit="3 per minute"))
        other = get_token(http, new_client(owner, ["volunteers:status"], rate_limit="3 per minute"))
        codes = [http.get("/api/v1/fields", headers=bearer(token)).status_code for _ in range(4)]
        refused = http.get("/api/v1/fields", headers=bearer(token))
        other_code = http.get("/api/v1/fields", headers=bearer(other)).status_code
        db.session.remove()
        db.engine.dispose()
    assert codes == [200, 200, 200, 429]
    assert refused.mimetype == "application/problem+json" and refused.get_json()["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert other_code == 200


def test_every_call_audited_with_the_client(world, client):
    credentials = new_client(world.users["county_tpe"], ["volunteers:status"])
    token = get_token(client, credentials)
    before = db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "api.call"))
    client.get("/api/v1/units", headers=bearer(token))
    client.get("/api/v1/volunteers/A000000000/status?purpose=x", headers=bearer(token))      # 422: too short
    client.get("/api/v1/volunteers/A123456789/status?purpose=check", headers=bearer(token))  # 404
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "api.call")
                              .order_by(AuditLog.id)).all()[before:]
    assert [json.loads(r.detail)["status"] for r in rows] == [200, 422, 404]
    for row in rows:
        detail = json.loads(row.detail)
        assert detail["api_client"] == credentials.client.client_id
        assert row.actor_id == world.users["county_tpe"].id


def test_registration_rules(world):
    u = world.users
    assert may_register_for(u["ministry"], u["county_khh"]) is None
    assert may_register_for(u["county_tpe"], u["clerk_a"]) is None
    assert may_register_for(u["county_tpe"], u["sector_local"]) is None
    assert may_register_for(u["county_tpe"], u["county_khh"]) == "owner_outside"
    assert may_register_for(u["county_tpe"], u["ministry"]) == "owner_outside"
    assert may_register_for(u["clerk_a"], u["clerk_a"]) == "registrar_role"
    assert may_register_for(None, u["volunteer"]) == "owner_role"
    assert may_register_for(None, u["admin"]) == "owner_role"


def test_cli_add_prints_json(world, runner):
    result = runner.invoke(args=["api-clients", "add", "據點系統", "--owner", "clerk.a",
                                 "--scopes", "hours:write,volunteers:status", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert set(printed) == {"client_id", "client_secret"}
    stored = db.session.scalar(select(ApiClient).where(ApiClient.client_id == printed["client_id"]))
    assert stored.scopes == "hours:write volunteers:status"
    assert printed["client_secret"] not in stored.secret_hash
    bad = runner.invoke(args=["api-clients", "add", "x", "--owner", "clerk.a", "--scopes", "root"])
    assert bad.exit_code != 0 and "unknown or no scope" in bad.output


def test_registration_page(world, client, app):
    login(client, world.users["county_tpe"])
    page = client.get("/api-clients/")
    assert page.status_code == 200 and "hours:write" in page.get_data(as_text=True)
    created = client.post("/api-clients/", data={"name": "據點系統", "owner": "clerk.a",
                                                 "scopes": ["hours:write", "volunteers:status"]})
    assert created.status_code == 200
    stored = db.session.scalar(select(ApiClient).where(ApiClient.name == "據點系統"))
    text = created.get_data(as_text=True)
    assert stored.client_id in text and stored.registered_by_id == world.users["county_tpe"].id
    secret = text.split('class="secret">', 1)[1].split("<", 1)[0]
    assert secret and secret not in stored.secret_hash and len(secret) >= 40
    assert secret not in client.get("/api-clients/").get_data(as_text=True)          # shown once
    outside = client.post("/api-clients/", data={"name": "x", "owner": "county.khh", "scopes": ["volunteers:status"]})
    assert outside.status_code == 422 and "此帳號不在您的管轄範圍內" in outside.get_data(as_text=True)
    # rotate and revoke ask first
    asked = client.post(f"/api-clients/{stored.id}/revoke", data={"version": stored.version})
    assert asked.status_code == 200 and db.session.get(ApiClient, stored.id).revoked_at is None
    done = client.post(f"/api-clients/{stored.id}/revoke", data={"version": stored.version, "confirm": "1"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiClient, stored.id).revoked_at is not None
    # the Kaohsiung county neither sees nor manages the Taipei client
    khh = login(app.test_client(), world.users["county_khh"])
    assert "據點系統" not in khh.get("/api-clients/").get_data(as_text=True)
    assert khh.post(f"/api-clients/{stored.id}/rotate", data={"version": 1}).status_code == 404
    assert login(app.test_client(), world.users["clerk_a"]).get("/api-clients/").status_code == 403


def test_reference_page_both_languages(world, client):
    zh = client.get("/api/v1/docs", headers={"Accept-Language": "zh-TW"})
    en = client.get("/api/v1/docs", headers={"Accept-Language": "en"})
    assert zh.status_code == en.status_code == 200 and zh.mimetype == "text/html"
    assert "GET /api/v1/volunteers/{national_id}/status" in en.get_data(as_text=True)
    assert "API reference" in en.get_data(as_text=True)
    assert "problem-rows_refused" in en.get_data(as_text=True)
