"""The /api/v1 endpoints (docs/rules/api.md): status lookups inside and outside the client's area, document
verification, the changes feed, reference lists, ETag, and bad input answered as 4xx problems."""
import json
from datetime import date

import schemathesis
from schemathesis.specs.openapi.checks import response_schema_conformance

from portal.documents.operations import issue_document, revoke_document
from portal.platform.extensions import db
from portal.registry.operations import add_membership, end_membership
from tests.api_support import bearer, token_for

STATUS = "/api/v1/volunteers/{}/status?purpose=volunteer-check"


def test_status_inside_area_outside_404(world, client):
    token = token_for(client, world.users["county_tpe"], ["volunteers:status"])
    inside = world.people["shared"]
    response = client.get(STATUS.format(inside.id_number), headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["national_id_masked"].endswith("****") and inside.id_number not in json.dumps(body)
    assert sorted(m["unit_code"] for m in body["memberships"]) == ["TPE-A", "TPE-B"]
    assert {t["field_code"] for t in body["training"]} == {"social", "education"}
    assert body["insured_today"] is False and body["honor_card_valid"] is False
    assert body["record_book"] == {"holds": False, "issued_on": None}
    assert not {"phone", "email", "address", "hours", "half_hours"} & set(body)
    # the Kaohsiung volunteer is outside the Taipei county's area: the same 404 as a number nobody has
    outside = client.get(STATUS.format(world.people["canary"].id_number), headers=bearer(token))
    nobody = client.get(STATUS.format("A123456789"), headers=bearer(token))
    assert outside.status_code == nobody.status_code == 404
    assert outside.get_json() == nobody.get_json()
    # a unit's client sees only its own unit's memberships
    unit_token = token_for(client, world.users["supervisor_a"], ["volunteers:status"])
    unit_view = client.get(STATUS.format(inside.id_number), headers=bearer(unit_token)).get_json()
    assert [m["unit_code"] for m in unit_view["memberships"]] == ["TPE-A"]
    assert client.get(STATUS.format(world.people["b"].id_number), headers=bearer(unit_token)).status_code == 404


def test_status_needs_purpose(world, client):
    token = token_for(client, world.users["ministry"], ["volunteers:status"])
    number = world.people["a"].id_number
    response = client.get(f"/api/v1/volunteers/{number}/status", headers=bearer(token))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["field"] == "purpose"
    assert set(response.get_json()["errors"][0]["messages"]) == {"zh-TW", "en"}


def test_documents_public_verification(world, client):
    document = issue_document("performance", world.people["a"], {"name": world.people["a"].name,
                              "total_half_hours": 300}, world.units["A"], render=lambda prepared: b"%PDF-1.4 x")
    db.session.commit()
    response = client.get(f"/api/v1/documents/{document.token}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "valid" and body["kind"] == "performance"
    assert body["masked_name"] != world.people["a"].name
    # Its verifiable credential (docs/rules/credentials.md#vc7): valid, then revoked with the document.
    credential = body["credential_status"]
    assert (credential["state"], credential["verified"], credential["status"], credential["problems"]) == (
        "valid", True, "valid", [])
    assert credential["url"] == f"{credential['id']}/credential.json" and credential["id"].endswith(document.token)
    served = client.get("/" + credential["url"].split("://", 1)[1].split("/", 1)[1])     # the path of the URL
    assert served.status_code == 200 and served.get_json()["id"] == credential["id"]
    revoke_document(document, "issued in error", world.users["clerk_a"])
    db.session.commit()
    revoked = client.get(f"/api/v1/documents/{document.token}").get_json()
    assert revoked["state"] == "revoked" and revoked["credential_status"]["state"] == "revoked"
    assert revoked["credential_status"]["problems"] == ["revoked"] and revoked["credential_status"]["verified"] is False
    missing = client.get("/api/v1/documents/not-a-token")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_changes_feed_area_and_cursor(world, client):
    membership = add_membership(world.people["canary"], world.units["A"].id, "social", date(2024, 1, 1), "active")
    end_membership(membership, date(2024, 6, 30))
    add_membership(world.people["a"], world.units["C"].id, "social", date(2024, 1, 1), "active")   # Kaohsiung
    db.session.commit()
    token = token_for(client, world.users["county_tpe"], ["changes:read"])
    first = client.get("/api/v1/changes?limit=1", headers=bearer(token)).get_json()
    assert len(first["items"]) == 1 and first["has_more"]
    rest = client.get(f"/api/v1/changes?cursor={first['next_cursor']}", headers=bearer(token)).get_json()
    items = first["items"] + rest["items"]
    assert [i["kind"] for i in items] == ["membership", "membership"]
    assert {i["unit_code"] for i in items} == {"TPE-A"}                 # the Kaohsiung membership is not shown
    assert all(i["national_id_masked"].endswith("****") for i in items)
    assert items[0]["id"] < items[1]["id"]
    again = client.get(f"/api/v1/changes?cursor={rest['next_cursor']}", headers=bearer(token)).get_json()
    assert again["items"] == [] and not again["has_more"]
    forged = client.get("/api/v1/changes?cursor=abc", headers=bearer(token))
    assert forged.status_code == 400 and forged.mimetype == "application/problem+json"


def test_units_fields_and_etag(world, client):
    token = token_for(client, world.users["ministry"], ["volunteers:status"])
    first = client.get("/api/v1/units?limit=2", headers=bearer(token))
    assert [u["code"] for u in first.get_json()["items"]] == ["TPE-A", "TPE-B"]
    cursor = first.get_json()["next_cursor"]
    second = client.get(f"/api/v1/units?limit=2&cursor={cursor}", headers=bearer(token)).get_json()
    assert [u["code"] for u in second["items"]] == ["KHH-C"] and second["next_cursor"] is None
    fields = client.get("/api/v1/fields", headers=bearer(token))
    etag = fields.headers["ETag"]
    again = client.get("/api/v1/fields", headers=bearer(token) | {"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_bad_input_is_a_clear_4xx(world, client, app):
    token = token_for(client, world.users["county_tpe"], ["volunteers:status"])
    auth = bearer(token)
    # The body is checked before any view reads it (and before the scope): POST to the hours batch endpoint.
    cases = {
        "malformed": (b'{"rows": [', "application/json", 400, "malformed_json"),
        "duplicate": (b'{"a": 1, "a": 2}', "application/json", 400, "duplicate_key"),
        "not json": (b"a=1", "text/plain", 415, "unsupported_media_type"),
        "nan": (b'{"a": NaN}', "application/json", 400, "malformed_json"),
        "too large": (b"[" + b"0," * (6 * 1024 * 1024 // 2) + b"0]", "application/json", 413, "too_large"),
    }
    for name, (body, kind, status, code) in cases.items():
        response = client.post("/api/v1/hours/batches", data=body, headers=auth | {"Content-Type": kind})
        assert response.status_code == status, name
        assert response.mimetype == "application/problem+json", name
        assert response.get_json()["code"] == code, name
    assert client.post("/api/v1/units", json={}, headers=auth).status_code == 405
    unknown = client.get("/api/v1/units?colour=red", headers=auth)
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "colour"
    wrong_type = client.get("/api/v1/units?limit=many", headers=auth)
    assert wrong_type.status_code == 422
    assert client.get("/api/v1/units", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.get("/api/v1/units", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/api/v1/nowhere").get_json()["code"] == "not_found"


def test_no_session_cookie_and_portal_pages_keep_html(world, client):
    response = client.get("/api/v1/fields")
    assert "Set-Cookie" not in response.headers
    assert client.get("/no-such-page").mimetype == "text/html"


def test_documents_answer_with_a_credential_conforms_to_the_schema(world, app, client):
    """schemathesis' random tokens find no document; a real one, with its credential valid and then revoked, is
    checked against the published schema here (the credential_status object has no undocumented key)."""
    document = issue_document("performance", world.people["a"], {"name": world.people["a"].name,
                              "total_half_hours": 300}, world.units["A"], render=lambda prepared: b"%PDF-1.4 x")
    db.session.commit()
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)["/api/v1/documents/{token}"]["GET"]
    for state in ("valid", "revoked"):
        if state == "revoked":
            revoke_document(document, "issued in error", world.users["clerk_a"])
            db.session.commit()
        case = operation.Case(path_parameters={"token": document.token})
        response = case.call()
        assert response.status_code == 200 and response.json()["credential_status"]["state"] == state
        case.validate_response(response, checks=[response_schema_conformance])
