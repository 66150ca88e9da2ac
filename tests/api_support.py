"""Helpers of the /api/v1 tests: a registered client and a bearer token for it."""
from portal.api.operations import register_client
from portal.platform.extensions import db


def new_client(owner, scopes, name="Partner system", rate_limit=""):
    """Register a client acting for `owner` (an operator registers it) and commit; its Credentials."""
    credentials = register_client(name, owner, list(scopes), None, rate_limit=rate_limit)
    db.session.commit()
    return credentials


def get_token(http, credentials, scope=None) -> str:
    """A bearer token from POST /api/v1/oauth/token (HTTP Basic client authentication)."""
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    response = http.post("/api/v1/oauth/token", data=data,
                         auth=(credentials.client.client_id, credentials.client_secret))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def token_for(http, owner, scopes, **kw) -> str:
    return get_token(http, new_client(owner, scopes, **kw))
