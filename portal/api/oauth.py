"""OAuth 2.0 client-credentials token endpoint (RFC 6749 §4.4) with Authlib (docs/rules/api.md#api2).

A client sends its id and secret (HTTP Basic, or client_id/client_secret in the form) and receives a
short-lived bearer token (API_TOKEN_SECONDS). The token endpoint answers OAuth errors in RFC 6749's own
JSON shape ({"error": ..., "error_description": ...}), which OAuth client libraries expect."""
import secrets

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, InsecureTransportError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from flask import current_app
from marshmallow import Schema, fields

from portal.platform import access
from portal.platform.extensions import db, limiter

from .auth import find_client, same_digest
from .blueprint import bp
from .models import SCOPES, ApiClient
from .operations import issue_token
from .problems import Problem


class OAuthClient(ClientMixin):
    """Authlib's view of an ApiClient."""

    def __init__(self, client: ApiClient):
        self.client = client

    def get_client_id(self):
        return self.client.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        allowed = self.client.scope_list
        if not scope:
            return " ".join(allowed)
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return same_digest(client_secret or "", self.client.secret_hash)

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials"


class Grant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def query_client(client_id):
    client = find_client(client_id)
    if client is None or client.revoked_at is not None or not client.owner.active:
        return None
    return OAuthClient(client)


def save_token(token, request):
    issue_token(request.client.client, token["access_token"], (token.get("scope") or "").split())


def token_value(**kwargs) -> str:
    return secrets.token_urlsafe(32)     # 256 bits; stored as its SHA-256 only


def expires_in(client, grant_type) -> int:
    return current_app.config["API_TOKEN_SECONDS"]


server = AuthorizationServer(query_client=query_client, save_token=save_token)


def init_app(app):
    server.init_app(app)
    server.register_token_generator("default", BearerTokenGenerator(token_value, expires_generator=expires_in))
    server.scopes_supported = list(SCOPES)
    server.register_grant(Grant)


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True)
    scope = fields.String()


class OAuthErrorSchema(Schema):
    error = fields.String(required=True)
    error_description = fields.String()
    error_uri = fields.String()


class TokenRequestSchema(Schema):
    grant_type = fields.String(required=True, metadata={"enum": ["client_credentials"]})
    scope = fields.String(metadata={"description": "Space-separated; omitted: all the client's scopes"})
    client_id = fields.String(metadata={"description": "With client_secret, instead of HTTP Basic"})
    client_secret = fields.String()


token_limit = limiter.limit(lambda: current_app.config["API_TOKEN_RATE_LIMIT"])


@bp.route("/oauth/token", methods=["POST"])
@bp.doc(
    summary="Get an access token (client credentials)",
    security=[{"clientBasic": []}, {}],
    requestBody={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": TokenRequestSchema}}},
    responses={"200": {"description": "A bearer token", "content": {"application/json": {"schema": TokenSchema}}},
               "400": {"description": "OAuth error", "content": {"application/json": {"schema": OAuthErrorSchema}}},
               "401": {"description": "Unknown client or wrong secret",
                       "content": {"application/json": {"schema": OAuthErrorSchema}}},
               "413": "REQUEST_ENTITY_TOO_LARGE", "429": "TOO_MANY_REQUESTS"})
@access.allow(*access.EVERYONE)
@token_limit
def token():
    try:
        response = server.create_token_response()
    except InsecureTransportError as error:
        raise Problem(400, "bad_request", "HTTPS is required.") from error
    if response.status_code == 200:
        db.session.commit()
    else:
        db.session.rollback()
    return response
