"""API clients and tokens (docs/rules/api.md#api1, #api2): registration, the token endpoint, expiry,
revocation, rotation, scopes, rate limits, the audit of every call."""
import json
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from portal.api.models import ApiClient, ApiToken
from portal.api.operations import revoke_client, rotate_secret
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from tests.api_support import bearer, get_token, new_client


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
