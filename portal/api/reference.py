"""The reference page's content: the OpenAPI document's operations in the reader's language (the document
itself is English; the summaries and scope descriptions people read are translated here)."""
from flask_babel import lazy_gettext as _l

from .models import AWARDS_WRITE, CHANGES_READ, DOCUMENTS_VERIFY, HOURS_WRITE, VOLUNTEERS_STATUS
from .problems import STATUS_CODES, TITLES

SCOPE_HELP = {
    HOURS_WRITE: _l("Send batches of hour entries for the units in the client's area."),
    VOLUNTEERS_STATUS: _l("Look up a volunteer's standing: memberships, training, record book, insurance, honor card."),
    AWARDS_WRITE: _l("Send other awards (authorities only)."),
    DOCUMENTS_VERIFY: _l("Verify issued documents without the per-address limit."),
    CHANGES_READ: _l("Follow the changes of hour entries, memberships and documents in the client's area."),
}

SUMMARIES = {
    ("post", "/api/v1/oauth/token"): _l("Get an access token (client credentials)"),
    ("get", "/api/v1/units"): _l("Units in the client's area"),
    ("get", "/api/v1/fields"): _l("Service fields"),
    ("get", "/api/v1/volunteers/{national_id}/status"): _l("A volunteer's standing"),
    ("get", "/api/v1/documents/{token}"): _l("Verify an issued document"),
    ("get", "/api/v1/changes"): _l("Changes in the client's area"),
    ("post", "/api/v1/hours/batches"): _l("Send a batch of hour entries"),
    ("get", "/api/v1/hours/batches/{batch_id}"): _l("The result of an hour batch"),
    ("post", "/api/v1/awards/batches"): _l("Send a batch of other awards"),
    ("get", "/api/v1/awards/batches/{batch_id}"): _l("The result of an award batch"),
    ("get", "/api/v1/openapi.json"): _l("This OpenAPI document"),
}

METHODS = ("get", "post", "put", "patch", "delete")
SUCCESS = {"200": _l("Success"), "201": _l("Created"), "304": _l("Not modified: the copy you have is current")}


def meaning(status: str, description: str) -> str:
    """What a status means, in the reader's language (the document's own descriptions are English)."""
    if status in SUCCESS:
        return str(SUCCESS[status])
    code = STATUS_CODES.get(int(status)) if status.isdigit() else None
    return str(TITLES[code]()) if code else description


def _schema_name(content: dict | None) -> str:
    for media in (content or {}).values():
        ref = (media.get("schema") or {}).get("$ref", "")
        return ref.rsplit("/", 1)[-1]
    return ""


def operations_of(spec: dict) -> list[dict]:
    """One entry per operation, in the document's order: method, path, summary (translated), scopes, parameters,
    the request body's schema name and the responses (status, description, schema name)."""
    found = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            scopes = sorted({s for requirement in operation.get("security", []) for s in requirement.get("oauth2", [])})
            public = any(not requirement for requirement in operation.get("security", [])) \
                or not operation.get("security")
            responses = []
            for status, response in operation.get("responses", {}).items():
                if "$ref" in response:
                    name = response["$ref"].rsplit("/", 1)[-1]
                    response = spec.get("components", {}).get("responses", {}).get(name, {})
                responses.append({"status": status, "description": meaning(str(status), response.get("description", "")),
                                  "schema": _schema_name(response.get("content"))})
            body = operation.get("requestBody") or {}
            found.append({"method": method.upper(), "path": path,
                          "summary": SUMMARIES.get((method, path)) or operation.get("summary", ""),
                          "description": operation.get("description", ""), "scopes": scopes, "public": public,
                          "parameters": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                                          "type": (p.get("schema") or {}).get("type", ""),
                                          "description": p.get("description", "")}
                                         for p in operation.get("parameters", []) + item.get("parameters", [])],
                          "body": _schema_name(body.get("content")), "body_types": list((body.get("content") or {})),
                          "responses": sorted(responses, key=lambda r: r["status"])})
    return found
