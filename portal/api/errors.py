"""Everything that can go wrong under /api/v1 answers application/problem+json, never an HTML page
(docs/rules/api.md#api5): the blueprint's handlers, the body checks made before any view reads it, and
the handler the portal's error pages hand /api/v1 paths to (platform.errors.PREFIX_HANDLERS)."""
import json
import logging

from flask import current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, UnprocessableEntity

from portal.platform.extensions import db

from .blueprint import PREFIX, bp
from .problems import Problem, RowError, problem_response, render

log = logging.getLogger(__name__)

JSON_METHODS = ("POST", "PUT", "PATCH")
# Paths that take a form (OAuth 2.0) or are pages for people, not JSON bodies.
FORM_PATHS = (PREFIX + "/oauth/token",)
PAGE_PATHS = (PREFIX + "/docs",)

# marshmallow's messages, translated (it has no catalog of its own).
FIELD_MESSAGES = {
    "Unknown field.": lambda: _("Unknown field."),
    "Missing data for required field.": lambda: _("Missing data for required field."),
    "Field may not be null.": lambda: _("This field may not be empty (null)."),
    "Not a valid integer.": lambda: _("Not a valid integer."),
    "Not a valid number.": lambda: _("Not a valid number."),
    "Not a valid string.": lambda: _("Not a valid string."),
    "Not a valid boolean.": lambda: _("Not a valid boolean."),
    "Not a valid date.": lambda: _("Not a valid date (YYYY-MM-DD)."),
    "Not a valid datetime.": lambda: _("Not a valid date and time (ISO 8601)."),
    "Not a valid list.": lambda: _("Not a valid list."),
    "Not a valid mapping type.": lambda: _("Not a valid JSON object."),
    "Invalid input type.": lambda: _("Not a valid JSON object."),
    "Must be one of: ": lambda: _("Not one of the allowed values."),
    "Length must be": lambda: _("The length is not allowed."),
    "Shorter than minimum length": lambda: _("The length is not allowed."),
    "Must be greater than or equal to": lambda: _("The number is out of range."),
    "Must be less than or equal to": lambda: _("The number is out of range."),
    "Must be greater than": lambda: _("The number is out of range."),
    "String does not match expected pattern.": lambda: _("The value does not have the expected form."),
}


def field_message(text: str):
    for known, message_of in FIELD_MESSAGES.items():
        if text.startswith(known):
            return message_of
    return lambda: text


def field_errors(messages, path=()) -> list[RowError]:
    """webargs/marshmallow's nested messages ({"json": {"rows": {"2": {"hours": [...]}}}}) as row errors;
    `row` is 1-based within a `rows` list."""
    found = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            found += field_errors(value, path + (str(key),))
        return found
    texts = messages if isinstance(messages, list) else [messages]
    parts = [p for p in path if p not in ("json", "query", "headers", "_schema")]
    row = None
    if len(parts) >= 2 and parts[0] == "rows" and parts[1].isdigit():
        row, parts = int(parts[1]) + 1, parts[2:]
    for text in texts:
        if isinstance(text, dict):
            found += field_errors(text, path)
            continue
        found.append(RowError(row=row, code="invalid_field", field=".".join(parts) or None,
                              message_of=field_message(str(text))))
    return found


def handle_problem(problem: Problem):
    if problem.status >= 500:
        db.session.rollback()
    return render(problem)


def handle_http(error: HTTPException):
    code = error.code or 500
    if isinstance(error, UnprocessableEntity) and getattr(error, "data", None):
        return problem_response(422, "invalid_fields", errors=field_errors(error.data.get("messages", {})))
    headers = {}
    extra = {}
    if isinstance(error, RateLimitExceeded):
        retry = max(int(getattr(error, "retry_after", 0) or 0), 1)
        headers["Retry-After"] = str(retry)
        extra["retry_after"] = retry
    if code == 405:
        headers["Allow"] = ", ".join(sorted(getattr(error, "valid_methods", None) or []))
    if code >= 500:
        db.session.rollback()
    return problem_response(code, detail=None, headers=headers, **extra)


def handle_unexpected(error: Exception):
    db.session.rollback()
    log.exception("API error on %s %s", request.method, request.path)
    if current_app.config.get("API_RAISE_ERRORS"):
        raise error
    return problem_response(500)


def prefix_handler(error):
    """Errors raised before a view of the blueprint was found (unknown path, wrong method)."""
    if isinstance(error, Problem):
        return handle_problem(error)
    if isinstance(error, HTTPException):
        return handle_http(error)
    original = getattr(error, "original_exception", None)
    if original is not None:
        log.error("API error on %s %s: %r", request.method, request.path, original)
    return problem_response(500)


def _pairs(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise Problem(400, "duplicate_key", _("The key \"%(key)s\" appears twice in one object.",
                                                  key=key[:60]))
        seen[key] = value
    return seen


def _constant(name):
    raise ValueError(name)     # NaN and Infinity are not JSON


def check_body():
    """before_request of the blueprint: size, type and well-formedness of a JSON body, before any view
    reads it (a body that fails answers 413, 415 or 400)."""
    if request.method not in JSON_METHODS or request.path in FORM_PATHS + PAGE_PATHS:
        return None
    limit = current_app.config["API_MAX_CONTENT_LENGTH"]
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise Problem(415, "unsupported_media_type")
    raw = request.get_data(cache=True)       # raises 413 past the limit for a chunked body too
    try:
        json.loads(raw.decode("utf-8"), object_pairs_hook=_pairs, parse_constant=_constant)
    except Problem:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise Problem(400, "malformed_json", _("The body is not well-formed JSON (UTF-8).")) from error
    return None


class ApiSessionInterface(SecureCookieSessionInterface):
    """No session cookie is read or written under /api/v1 (docs/rules/api.md#api2): a call is
    authenticated by its bearer token alone, so a browser's cookie can neither authorise it nor be changed
    by it. The reference page (/api/v1/docs) is a page for people and keeps the session."""

    @staticmethod
    def is_api(request) -> bool:
        return request.path.startswith(PREFIX + "/") and not request.path.startswith(PAGE_PATHS)

    def open_session(self, app, request):
        if self.is_api(request):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if self.is_api(request):
            return None
        return super().save_session(app, session, response)


bp.register_error_handler(Problem, handle_problem)
bp.register_error_handler(HTTPException, handle_http)
bp.register_error_handler(Exception, handle_unexpected)
bp.before_request(check_body)
