"""The /api/v1 blueprint and its OpenAPI document (flask-smorest: the schema comes from the code's marshmallow
schemas, and requests are validated against them).

The portal's own HTML error pages stay app-wide; under /api/v1 every error is application/problem+json
(blueprint error handlers in errors.py), so flask-smorest's app-wide error handler is not installed."""
import http

from flask_smorest import Api, Blueprint
from marshmallow import INCLUDE, RAISE, Schema, fields
from webargs.flaskparser import FlaskParser

from .problems import PROBLEM_TYPE

PREFIX = "/api/v1"

class StrictParser(FlaskParser):
    """An unknown query parameter is refused (422) like an unknown body field: a misspelt filter must not be
    silently ignored."""
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE, "querystring": RAISE}


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = StrictParser()


bp = ApiBlueprint("api", __name__, url_prefix=PREFIX, cli_group="api-clients",
                  description="Volunteer-service records API, version 1")


class RowErrorSchema(Schema):
    row = fields.Integer(allow_none=True, metadata={"description": "1-based row of the batch; null: the body"})
    field = fields.String(allow_none=True)
    code = fields.String(required=True)
    detail = fields.String(required=True, metadata={"description": "In the request's language"})
    messages = fields.Dict(keys=fields.String(), values=fields.String(),
                           metadata={"description": 'The message in both languages: {"zh-TW": ..., "en": ...}'})
    value = fields.String(metadata={"description": "The refused value (an identity number masked)"})


class ProblemSchema(Schema):
    """RFC 9457 problem details; extension members (e.g. a batch's id) are allowed, as RFC 9457 §3.2 says."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    code = fields.String(required=True, metadata={"description": "Stable machine-readable problem code"})
    errors = fields.List(fields.Nested(RowErrorSchema))
    retry_after = fields.Integer(metadata={"description": "Seconds (429 only)"})


class PortalApi(Api):
    # Every operation lists its own error statuses; a catch-all "default" would hide undocumented ones.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        """Not app-wide: the portal's pages keep their HTML errors (see errors.init_app)."""

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_TYPE: {"schema": "Problem"}}
            self.spec.components.response(status.name, response, lazy=True)


def spec_of(app) -> dict:
    """The OpenAPI document of `app` (one PortalApi per app, made by init_app)."""
    return app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()

# Statuses every authenticated operation may answer besides its own.
AUTH_ERRORS = (400, 401, 403, 429)


def errors(*statuses: int):
    """Document the error statuses an operation may answer (each an application/problem+json Problem)."""
    return Blueprint.doc(responses={str(s): http.HTTPStatus(s).name for s in statuses})
