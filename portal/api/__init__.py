"""/api/v1: the documented machine interface for the systems around the portal (issue 15; docs/api.md).

Composition floor: reads features through their facts functions, like the record-book page. The blueprint
and the OpenAPI document live in blueprint.py; create_app calls init_app."""
from flask import Flask

from portal.platform import errors as platform_errors
from portal.platform.extensions import csrf, limiter

from . import batch_views, calls, cli, lookup_views, oauth, views  # noqa: F401  (routes, hooks, commands)
from .auth import rate_limit_key, rate_limit_value
from .blueprint import PREFIX, PortalApi, ProblemSchema, bp
from .errors import ApiSessionInterface, prefix_handler
from .models import SCOPES
from .pages import pages_bp

CONFIG = {
    "API_TITLE": "Volunteer-service records API",
    "API_VERSION": "1.0.0",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": None,          # the document is served by views.openapi_json, under the route policy
    "API_TOKEN_SECONDS": 900,            # 15 minutes (docs/rules/api.md#api2)
    "API_RATE_LIMIT": "600 per minute",  # per client, unless the client has its own
    "API_TOKEN_RATE_LIMIT": "30 per minute",
    "API_MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    "API_VERIFY_RATE_LIMIT": "30 per minute",   # GET /documents/{token} without a documents:verify token
}

# Every call is limited per client (the key), before its view runs; Redis keeps the count across web
# hosts when REDIS_URL is set (the portal's Flask-Limiter storage).
limiter.limit(rate_limit_value, key_func=rate_limit_key)(bp)


def init_app(app: Flask):
    for key, value in CONFIG.items():
        app.config.setdefault(key, value)
    api = PortalApi(app, spec_kwargs={"info": {"description": "Reference in both languages: /api/v1/docs"}})
    api.spec.components.schema("Problem", schema=ProblemSchema)
    api.spec.components.security_scheme("oauth2", {
        "type": "oauth2", "flows": {"clientCredentials": {
            "tokenUrl": PREFIX + "/oauth/token", "scopes": {s: s for s in SCOPES}}}})
    api.spec.components.security_scheme("clientBasic", {"type": "http", "scheme": "basic"})
    csrf.exempt(bp)
    api.register_blueprint(bp)
    app.register_blueprint(pages_bp)       # pages for people: client registration, the reference page
    oauth.init_app(app)
    app.session_interface = ApiSessionInterface()
    app.extensions.setdefault(platform_errors.PREFIX_HANDLERS, {})[PREFIX + "/"] = prefix_handler

