"""Verifiable credentials (issue 16; docs/rules/credentials.md): issued with every document in its transaction,
signed eddsa-rdfc-2022 by the portal's did:web key, revoked through the issuer's Bitstring Status List."""
import json

from portal.credentials import verify
from portal.credentials.models import Credential
from portal.documents.operations import issue_document, revoke_document
from portal.platform.extensions import db


def issue(world, key="A", person_key="a", kind="performance", half_hours=301):
    person, unit = world.people[person_key], world.units[key]
    doc = issue_document(kind, person, {"name": person.name, "name_latin": "WANG, HSIAO-MING",
                                        "total_half_hours": half_hours}, unit,
                         render=lambda p: b"%PDF-1.4 " + p.short_code.encode())
    db.session.commit()
    return doc


def test_smoke(app, world, client):
    doc = issue(world)
    cred = db.session.get(Credential, 1)
    print(json.dumps(cred.credential, ensure_ascii=False, indent=1))
    assert verify.check(cred.credential).verified
    r = client.get(f"/verify/{doc.token}/credential.json")
    assert r.status_code == 200
    page = client.get(f"/verify/{doc.token}").get_data(as_text=True)
    assert "credential.json" in page
    revoke_document(doc, "wrong", None)
    db.session.commit()
    assert verify.check(cred.credential).problems == ["revoked"]
    print(client.get("/.well-known/did.json").get_json())
    print(client.get("/credentials/status/unit-1").get_data(as_text=True)[:400])
