"""Verifiable credentials (issue 16; docs/rules/credentials.md): issued with every document in its transaction,
signed eddsa-rdfc-2022 by the portal's did:web key, revoked through the issuer's Bitstring Status List, checked by
POST /verify/credential and shown on the verification page. The independent verifier is in
test_credentials_verifier.py."""
import json
from datetime import UTC, datetime

import pytest

from portal.credentials import bitstring, keys, proof, verify
from portal.credentials.build import identity_hash
from portal.credentials.models import Credential, StatusList
from portal.documents.operations import reissue_document, revoke_document
from portal.platform.extensions import db

from .conftest import login
from .credential_world import BASE_URL, credential_of, issue_every_kind, mutations
from .hostile_values import HOSTILE, MARKUP, query


@pytest.fixture
def vc_app(app, tmp_path):
    app.config.update(PUBLIC_BASE_URL=BASE_URL, CREDENTIAL_KEYS_FILE=str(tmp_path / "credential_keys.json"))
    return app


def bit_of(document) -> bool:
    row = db.session.query(Credential).filter_by(document_id=document.id).one()
    status_list = db.session.get(StatusList, row.status_list_id)
    return bitstring.is_set(bitstring.decode(status_list.encoded), row.status_index)


def test_every_document_gets_a_credential_that_never_holds_the_id_number(vc_app, world):
    person = world.people["shared"]
    documents = issue_every_kind(world)
    for kind, document in documents.items():
        credential = credential_of(document)
        text = json.dumps(credential, ensure_ascii=False)
        assert person.id_number not in text and person.id_number.lower() not in text, kind
        hashed = credential["credentialSubject"]["identifier"][0]
        assert hashed["identityHash"] == identity_hash(person.id_number, person.name, hashed["salt"])
        assert credential["issuer"]["id"] == "did:web:portal.example.tw"
        assert credential["id"] == f"{BASE_URL}/verify/{document.token}"
        assert verify.check(credential).verified, kind
    card = credential_of(documents["honor_card"])
    assert card["validUntil"] == "2099-12-31T23:59:59+08:00"
    assert credential_of(documents["performance"])["credentialSubject"]["result"][0]["value"] == "150.5"
    # The award's credential asserts the award itself, given by its awarding body (VC10).
    award = credential_of(documents["award"])
    achievement = award["credentialSubject"]["achievement"]
    assert award["name"] == achievement["name"] == "志願服務獎勵（一般）：銅牌獎 / Volunteer service award (general): " \
        "bronze medal"
    assert achievement["id"] == f"{BASE_URL}/credentials/achievements/award/general-bronze"
    assert achievement["achievementType"] == "Award" and achievement["creator"]["type"] == ["Profile"]
    assert award["credentialSubject"]["result"][0]["value"] == "3000.5"
    # Each issuer has its own list: two units and two authorities here, indexes from 0.
    assert {s.issuer_key for s in db.session.query(StatusList)} == {
        f"unit-{world.units['A'].id}", f"unit-{world.units['B'].id}", f"authority-{documents['honor_card'].authority_id}",
        f"authority-{documents['award'].authority_id}"}


def test_revocation_and_supersession_set_the_bit_in_the_same_transaction(vc_app, world):
    documents = issue_every_kind(world)
    performance, card = documents["performance"], documents["honor_card"]
    revoke_document(performance, "issued in error", world.users["clerk_a"])
    db.session.rollback()                    # undone with the revocation
    assert not bit_of(performance)
    revoke_document(performance, "issued in error", world.users["clerk_a"])
    db.session.commit()
    assert bit_of(performance) and verify.check(credential_of(performance)).problems == [verify.REVOKED]
    new = reissue_document(card, None, render=lambda p: b"%PDF-1.4")
    db.session.commit()
    assert bit_of(card) and not bit_of(new)
    result = verify.check(credential_of(card))
    assert result.problems == [verify.REVOKED] and result.document_state == "superseded"
    assert verify.check(credential_of(new)).verified
    assert verify.credential_status(card)["problems"] == [verify.REVOKED]
    assert verify.credential_status(new)["verified"] is True


def test_check_refuses_changes_unknown_keys_and_periods(vc_app, world):
    credential = credential_of(issue_every_kind(world)["honor_card"])
    assert verify.check(credential).verified
    refused = [path for path, changed in mutations(credential) if not verify.check(changed).verified]
    assert len(refused) == len(list(mutations(credential)))
    assert verify.check({"proof": {}}).problems == [verify.NOT_A_CREDENTIAL]
    assert verify.check("text").problems == [verify.NOT_A_CREDENTIAL]
    deep = {**credential, "extra": [[[[[[[[[[[[["x"]]]]]]]]]]]]]}
    wide = {**credential, "extra": [{"a": i} for i in range(verify.MAX_NODES)]}
    assert verify.check(deep).problems == verify.check(wide).problems == [verify.NOT_A_CREDENTIAL]
    strange = {**credential, "proof": {**credential["proof"], "verificationMethod": f"{keys.did()}#k-other"}}
    assert verify.check(strange).problems == [verify.UNKNOWN_KEY]
    # The honor card's last valid second and the next one (Taipei), and the day before its first.
    last = datetime(2099, 12, 31, 15, 59, 59, tzinfo=UTC)
    assert verify.check(credential, now=last).verified
    assert verify.check(credential, now=last.replace(second=59, minute=59, hour=16)).problems == [verify.EXPIRED]
    assert verify.check(credential, now=datetime(2025, 12, 31, 15, 59, 59, tzinfo=UTC)).problems == [
        verify.NOT_YET_VALID]
    assert verify.check(credential, now=datetime(2025, 12, 31, 16, 0, 0, tzinfo=UTC)).verified


def test_a_proof_is_canonicalised_once_per_text_and_key(vc_app, world, monkeypatch):
    """The verification page checks the same stored credential at every view: the answer is kept per (text, key),
    so the second check does not canonicalise again, while a text changed in one field is checked afresh and
    refused, also after the original was accepted. The kept answers are bounded."""
    credential = credential_of(issue_every_kind(world)["honor_card"])
    calls = []
    real = proof.canonical
    monkeypatch.setattr(proof, "canonical", lambda document: calls.append(1) or real(document))
    monkeypatch.setattr(proof, "VERIFIED_CACHE", 2)
    assert verify.check(credential).verified
    seen = len(calls)
    assert verify.check(json.loads(json.dumps(credential))).verified
    assert len(calls) == seen
    changed = json.loads(json.dumps(credential))
    changed["validFrom"] = "2020-01-01T00:00:00Z"
    assert verify.check(changed).problems == [verify.BAD_SIGNATURE]
    assert len(calls) > seen
    assert verify.check(credential).verified and verify.check(changed).problems == [verify.BAD_SIGNATURE]
    other = json.loads(json.dumps(credential))
    other["validUntil"] = "2101-01-01T00:00:00Z"
    verify.check(other)
    assert len(proof._verified) == 2


def test_rotation_keeps_retired_keys_in_the_did_document_and_the_jwks(vc_app, world, client):
    before = credential_of(issue_every_kind(world)["performance"])
    first = client.get("/.well-known/did.json").get_json()
    keys.rotate(keys.key_file())
    after = credential_of(issue_every_kind(world, person_key="a")["performance"])
    did_document = client.get("/.well-known/did.json").get_json()
    assert first["verificationMethod"][0] in did_document["verificationMethod"]
    assert len(did_document["assertionMethod"]) == 2 and did_document["id"] == "did:web:portal.example.tw"
    jwks = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert [("retired" in k) for k in jwks] == [True, False] and {k["crv"] for k in jwks} == {"Ed25519"}
    old, new = verify.check(before), verify.check(after)
    assert old.verified and old.key == "retired" and new.verified and new.key == "current"
    assert "private" not in json.loads(keys.key_file().read_text())["keys"][0]


def test_did_of_a_base_url_with_a_port_and_a_path(vc_app):
    vc_app.config["PUBLIC_BASE_URL"] = "https://example.tw:8443/portal/"
    assert keys.did() == "did:web:example.tw%3A8443:portal"


def test_no_key_set_outside_sqlite_and_tests_means_no_credentials(vc_app, world, tmp_path):
    vc_app.testing = False
    vc_app.config.update(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://x/y",
                         CREDENTIAL_KEYS_FILE=str(tmp_path / "absent.json"))
    try:
        assert keys.current_key() is None and keys.did_document()["verificationMethod"] == []
    finally:
        vc_app.testing = True
    assert not (tmp_path / "absent.json").exists()


def test_bitstring_edges():
    encoded = bitstring.empty()
    assert len(bitstring.decode(encoded)) * 8 == bitstring.MIN_BITS
    marked = bitstring.set_bits(encoded, [0, bitstring.MIN_BITS - 1], bitstring.MIN_BITS)
    raw = bitstring.decode(marked)
    assert raw[0] == 0x80 and raw[-1] == 0x01
    assert bitstring.is_set(raw, 0) and not bitstring.is_set(raw, 1) and bitstring.is_set(raw, bitstring.MIN_BITS - 1)
    grown = bitstring.decode(bitstring.grown(marked, 2 * bitstring.MIN_BITS))
    assert len(grown) * 8 == 2 * bitstring.MIN_BITS and bitstring.is_set(grown, bitstring.MIN_BITS - 1)


def test_a_full_list_doubles(vc_app, world):
    documents = issue_every_kind(world)
    revoke_document(documents["performance"], "issued in error", None)
    row = db.session.query(StatusList).filter_by(issuer_key=f"unit-{world.units['A'].id}").one()
    row.next_index = row.size          # the next credential finds the list full
    db.session.commit()
    again = issue_every_kind(world, person_key="a")["performance"]
    db.session.refresh(row)
    assert row.size == 2 * bitstring.MIN_BITS and credential_of(again)["credentialStatus"]["statusListIndex"] == str(
        bitstring.MIN_BITS)
    assert verify.check(credential_of(again)).verified     # the grown list, signed again
    assert verify.check(credential_of(documents["performance"])).problems == [verify.REVOKED]   # its bit kept


def test_public_pages_serve_check_and_hold(vc_app, world, client):
    documents = issue_every_kind(world)
    performance = documents["performance"]
    credential = credential_of(performance)
    # The holder's copy by the verification address, and the page that links it, in both languages.
    assert client.get(f"/verify/{performance.token}/credential.json").get_json() == credential
    assert client.get("/verify/" + "x" * 40 + "/credential.json").status_code == 404
    page = client.get(f"/verify/{performance.token}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Verifiable credential" in page and "credential.json" in page and "150.5" in page
    page = client.get(f"/verify/{performance.token}?lang=zh_TW").get_data(as_text=True)
    # Status list: stored JSON, cacheable for a minute, conditional.
    status_url = credential["credentialStatus"]["statusListCredential"].removeprefix(BASE_URL)
    served = client.get(status_url)
    assert served.status_code == 200 and served.headers["Cache-Control"] == "public, max-age=60"
    assert client.get(status_url, headers={"If-None-Match": served.headers["ETag"]}).status_code == 304
    assert client.get("/credentials/status/unit-999").status_code == 404
    # The check: JSON in, JSON out; the form page in both languages.
    answer = client.post("/verify/credential", json=credential).get_json()
    assert answer["verified"] is True and answer["status"] == "valid" and answer["key"] == "current"
    changed = json.loads(json.dumps(credential).replace("150.5", "950.5"))
    answer = client.post("/verify/credential", json=changed, headers={"Accept-Language": "en"}).get_json()
    assert answer["verified"] is False and answer["problems"] == [verify.BAD_SIGNATURE]
    assert "changed after it was signed" in answer["messages"][0]
    form = client.post("/verify/credential", data={"credential": json.dumps(credential)},
                       headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Valid" in form and "the current key" in form
    form = client.post("/verify/credential", data={"credential": "{not json"}, headers={"Accept-Language": "en"})
    assert form.status_code == 200 and "This is not a signed credential." in form.get_data(as_text=True)
    assert client.post("/verify/credential", data={"credential": ""}).status_code == 422
    assert client.get("/verify/credential").status_code == 200
    deep = "[" * 100_000 + "]" * 100_000
    answer = client.post("/verify/credential", data=deep, content_type="application/json")
    assert answer.status_code == 200 and answer.get_json()["problems"] == [verify.NOT_A_CREDENTIAL]
    assert client.post("/verify/credential", data=" " * 500_000, content_type="application/json").status_code == 413


def test_holder_downloads_in_scope_and_logged(vc_app, world, client):
    document = issue_every_kind(world, person_key="a")["performance"]
    login(client, world.users["volunteer"])
    response = client.get(f"/documents/{document.id}/credential.json")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment;")
    assert json.loads(response.data) == credential_of(document)
    assert client.get(f"/documents/{document.id}/credential-qr.png").data.startswith(b"\x89PNG")
    other = issue_every_kind(world, person_key="b")["performance"]
    assert client.get(f"/documents/{other.id}/credential.json").status_code == 404
    assert client.get(f"/documents/{other.id}/credential-qr.png").status_code == 404
    page = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert f"/documents/{document.id}/credential.json" in page and "credential-qr.png" in page


def test_the_check_answers_every_hostile_value_without_an_error(vc_app, client):
    for value in HOSTILE:
        response = client.post("/verify/credential", data=query({"credential": value}),
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code in (200, 422) and not any(m in response.get_data(as_text=True) for m in MARKUP)
        answer = client.post("/verify/credential", data=json.dumps(value), content_type="application/json")
        assert answer.get_json()["problems"] == [verify.NOT_A_CREDENTIAL]


def test_rotate_command_makes_the_first_key_then_retires_it(vc_app, tmp_path, monkeypatch):
    monkeypatch.delenv("CREDENTIAL_KEYS", raising=False)
    path = tmp_path / "new" / "keys.json"
    path.parent.mkdir()
    vc_app.config["CREDENTIAL_KEYS_FILE"] = str(path)
    runner = vc_app.test_cli_runner()
    assert runner.invoke(args=["credentials", "rotate"]).exit_code == 0
    assert runner.invoke(args=["credentials", "rotate"]).exit_code == 0
    entries = json.loads(path.read_text())["keys"]
    assert [bool(e.get("retired")) for e in entries] == [True, False] and oct(path.stat().st_mode)[-3:] == "600"
    vc_app.config["CREDENTIAL_KEYS"] = path.read_text()
    assert runner.invoke(args=["credentials", "rotate"]).exit_code != 0     # rotate it where it is kept
