"""Done-when of issue 16 (docs/rules/credentials.md#vc8): an independent verifier — Digital Bazaar's JavaScript
stack from npm (tests/vc_verifier, `npm ci` there first) with a local document loader — verifies a credential of
every kind the portal issues, reports a revoked one as revoked, rejects each credential with any single leaf
changed, and accepts a retired key's credential but not an unknown key's."""
import shutil

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from portal.credentials import keys, proof
from portal.documents.operations import revoke_document
from portal.platform.extensions import db

from .credential_world import (
    BASE_URL,
    KINDS,
    VERIFIER,
    credential_of,
    issue_every_kind,
    mutations,
    run_verifier,
    status_lists,
)

pytestmark = pytest.mark.skipif(shutil.which("node") is None or not (VERIFIER / "node_modules").is_dir(),
                                reason="node or tests/vc_verifier/node_modules missing (npm ci in tests/vc_verifier)")


@pytest.fixture
def vc_app(app, tmp_path):
    app.config.update(PUBLIC_BASE_URL=BASE_URL, CREDENTIAL_KEYS_FILE=str(tmp_path / "credential_keys.json"))
    return app


def test_every_kind_verifies_revoked_is_reported_and_every_changed_leaf_is_rejected(vc_app, world, client):
    documents = issue_every_kind(world)
    others = issue_every_kind(world, person_key="a")
    revoked, revoked_award = others["performance"], others["award"]
    revoke_document(revoked, "issued in error", world.users["clerk_a"])
    revoke_document(revoked_award, "award revoked", world.users["ministry"])
    db.session.commit()
    credentials = {kind: credential_of(doc) for kind, doc in documents.items()}
    assert set(credentials) == set(KINDS)
    mutated = [(kind, path, changed) for kind, credential in credentials.items()
               for path, changed in mutations(credential)]
    everything = [*credentials.values(), credential_of(revoked), credential_of(revoked_award),
                  *(c for _, _, c in mutated)]
    did_document = client.get("/.well-known/did.json").get_json()
    answers = run_verifier(did_document, status_lists(client, everything), everything)

    for kind, answer in zip(credentials, answers, strict=False):
        assert answer == {"verified": True, "revoked": False, "error": None}, kind
    assert answers[len(credentials)]["revoked"] is True
    assert answers[len(credentials) + 1]["revoked"] is True                  # the revoked award
    accepted = [(kind, path) for (kind, path, _), answer in zip(mutated, answers[len(credentials) + 2:], strict=True)
                if answer["verified"]]
    assert len(mutated) > 150 and accepted == []
    assert sum(kind == "award" for kind, _, _ in mutated) > 30         # every leaf of the award's credential too
    award = credentials["award"]["credentialSubject"]["achievement"]
    assert award["creator"]["name"] == "衛生福利部 / Ministry of Health and Welfare"


def test_a_retired_key_still_verifies_and_an_unknown_key_does_not(vc_app, world, client):
    before = issue_every_kind(world)["performance"]
    keys.rotate(keys.key_file())
    after = issue_every_kind(world, person_key="a")["performance"]
    old, new = credential_of(before), credential_of(after)
    assert old["proof"]["verificationMethod"] != new["proof"]["verificationMethod"]
    stranger = Ed25519PrivateKey.generate()
    unsigned = {k: v for k, v in new.items() if k != "proof"}
    unknown_key = proof.sign(unsigned, stranger, f"{keys.did()}#k-unknown")
    impostor = proof.sign(unsigned, stranger, new["proof"]["verificationMethod"])   # a known key's name
    did_document = client.get("/.well-known/did.json").get_json()
    assert len(did_document["assertionMethod"]) == 2
    batch = [old, new, unknown_key, impostor]
    answers = run_verifier(did_document, status_lists(client, batch), batch)
    assert [a["verified"] for a in answers] == [True, True, False, False]
