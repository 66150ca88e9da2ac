"""RFC 9457 problem details (application/problem+json) for every error under /api/v1 (docs/rules/api.md#api5).

A problem has `type` (a link into the reference page), `title` and `detail` in the request's language
(Accept-Language), `status`, a stable `code`, and for a refused batch `errors`: one entry per bad row
with the message in both languages, so a partner system can show its users either."""
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import jsonify
from flask_babel import force_locale
from flask_babel import gettext as _

PROBLEM_TYPE = "application/problem+json"
BASE_TYPE = "/api/v1/docs#problem-"

# The languages every row-level message is given in: keys as BCP 47 tags, values the catalog's locale.
ROW_LANGUAGES = {"zh-TW": "zh_TW", "en": "en"}

TITLES: dict[str, Callable[[], str]] = {
    "bad_request": lambda: _("The request could not be understood."),
    "malformed_json": lambda: _("The body is not well-formed JSON."),
    "duplicate_key": lambda: _("The body repeats a key in one JSON object."),
    "unsupported_media_type": lambda: _("The body must be JSON (Content-Type: application/json)."),
    "invalid_fields": lambda: _("Some values are missing, of the wrong type or not allowed."),
    "unauthorized": lambda: _("A valid access token is required."),
    "token_expired": lambda: _("The access token has expired."),
    "token_revoked": lambda: _("The access token has been revoked."),
    "insufficient_scope": lambda: _("The client is not allowed to do this."),
    "not_found": lambda: _("The record does not exist or is outside the client's area."),
    "method_not_allowed": lambda: _("This method is not allowed here."),
    "not_acceptable": lambda: _("The response can only be JSON."),
    "conflict": lambda: _("The request conflicts with the current state of the record."),
    "too_large": lambda: _("The body is too large."),
    "rows_refused": lambda: _("Nothing was written: some rows were refused."),
    "rate_limited": lambda: _("Too many requests. Please wait and try again."),
    "server_error": lambda: _("Something went wrong on our side. Please try again later."),
}

STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "insufficient_scope", 404: "not_found",
                405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
                415: "unsupported_media_type", 422: "invalid_fields", 429: "rate_limited", 500: "server_error"}


def both_languages(message_of: Callable[[], str]) -> dict[str, str]:
    """A translated message in every language of ROW_LANGUAGES ({"zh-TW": ..., "en": ...})."""
    texts = {}
    for tag, locale in ROW_LANGUAGES.items():
        with force_locale(locale):
            texts[tag] = str(message_of())
    return texts


@dataclass
class RowError:
    """One refused row (or field) of a request body. `row`: 1-based position in the batch's `rows`
    (None for the body as a whole); `field`: the JSON field; `message_of`: a callable returning the
    translated message (evaluated in both languages)."""
    row: int | None
    code: str
    message_of: Callable[[], str]
    field: str | None = None
    value: str | None = None          # already masked when it is an identity number

    def as_dict(self) -> dict:
        messages = both_languages(self.message_of)
        item = {"row": self.row, "field": self.field, "code": self.code, "detail": str(self.message_of()),
                "messages": messages}
        if self.value is not None:
            item["value"] = self.value
        return item


@dataclass
class Problem(Exception):
    """Raise anywhere under /api/v1; the blueprint's handler answers it as application/problem+json."""
    status: int
    code: str = ""
    detail: str | None = None
    errors: list[RowError] = field(default_factory=list)
    headers: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        super().__init__(self.code or self.status)
        self.code = self.code or STATUS_CODES.get(self.status, "bad_request")


def problem_response(status: int, code: str | None = None, detail: str | None = None,
                     errors: Iterable[RowError] = (), headers: dict | None = None, **extra):
    """The application/problem+json response of a problem."""
    code = code or STATUS_CODES.get(status, "bad_request")
    title = TITLES.get(code, TITLES[STATUS_CODES.get(status, "bad_request")])()
    body = {"type": BASE_TYPE + code, "title": title, "status": status, "code": code,
            "detail": detail or title}
    rows = [e.as_dict() for e in errors]
    if rows:
        body["errors"] = rows
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def render(problem: Problem):
    return problem_response(problem.status, problem.code, problem.detail, problem.errors, problem.headers,
                            **problem.extra)
