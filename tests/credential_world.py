"""Shared set-up of the credential tests: one document of every kind the portal issues, with its credential."""
import copy
import json
import subprocess
from pathlib import Path

from portal.credentials.models import Credential
from portal.documents.operations import issue_document
from portal.platform.extensions import db
from portal.registry.operations import authority_for

VERIFIER = Path(__file__).resolve().parent / "vc_verifier"
BASE_URL = "https://portal.example.tw"

# kind → (issuer: a unit key of the world or an authority, payload beyond the name)
KINDS = {
    "performance": ("A", {"total_half_hours": 301, "until": "2026-12-01"}),
    "english_certificate": ("A", {"name_latin": "WANG, HSIAO-MING", "total_half_hours": 600}),
    "english_transcript": ("B", {"name_latin": "WANG, HSIAO-MING", "total_half_hours": 77}),
    "record_book": (("county", "TPE", None), {"issued_on": "2020-03-02"}),
    "honor_card": (("county", "TPE", None), {"total_half_hours": 6000, "valid_from": "2026-01-01",
                                             "valid_to": "2099-12-31"}),
    # As portal.awards.documents.award_payload writes it for an approved application (docs/rules/credentials.md#vc10).
    "award": (("ministry", None, None), {
        "award_id": 1, "scheme": "general", "tier": "bronze", "award_key": "general-bronze",
        "award_name": "志願服務獎勵（一般）：銅牌獎", "award_name_en": "Volunteer service award (general): bronze medal",
        "award_description": "志願服務時數累計達3000小時以上，經主管機關審核，由衛生福利部頒給銅牌獎。",
        "award_description_en": "Given by the Ministry of Health and Welfare to a volunteer with at least 3,000 hours.",
        "awarding_body": "衛生福利部", "awarding_body_en": "Ministry of Health and Welfare", "year": 2026,
        "round": "115年度 志願服務獎勵（一般）", "round_en": "2026 Volunteer service award (general)",
        "awarded_on": "2026-12-01", "source": "application", "total_half_hours": 6001}),
}


def issue_every_kind(world, person_key="shared") -> dict:
    """{kind: document}, one of each, issued through the document engine (PDF replaced by a stand-in)."""
    person = world.people[person_key]
    documents = {}
    for kind, (issuer, extra) in KINDS.items():
        issuer = world.units[issuer] if isinstance(issuer, str) else authority_for(*issuer)
        documents[kind] = issue_document(kind, person, {"name": person.name, **extra}, issuer,
                                         render=lambda p: b"%PDF-1.4 " + p.short_code.encode())
    db.session.commit()
    return documents


def credential_of(document) -> dict:
    return copy.deepcopy(db.session.query(Credential).filter_by(document_id=document.id).one().credential)


def leaves(value, path=()):
    """Every (path, leaf) of a JSON value, @context entries and the proof included."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path, value


def changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    text = str(value)
    return text[:-1] + ("0" if text[-1:] != "0" else "1") if text else "x"


def mutations(credential: dict):
    """(path, the credential with that one leaf changed) for every leaf."""
    for path, value in leaves(credential):
        mutated = copy.deepcopy(credential)
        target = mutated
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = changed(value)
        yield path, mutated


def status_lists(client, credentials) -> dict:
    """The status lists the credentials point at, as the portal serves them."""
    urls = {c["credentialStatus"]["statusListCredential"] for c in credentials if "credentialStatus" in c}
    served = {url: client.get(url.removeprefix(BASE_URL)) for url in urls if url.startswith(BASE_URL)}
    return {url: response.get_json() for url, response in served.items() if response.status_code == 200}


def run_verifier(did_document: dict, lists: dict, credentials: list) -> list[dict]:
    """The Digital Bazaar verifier (tests/vc_verifier/verify.mjs) on these credentials, one answer each."""
    payload = json.dumps({"didDocument": did_document, "statusLists": lists, "credentials": credentials})
    done = subprocess.run(["node", str(VERIFIER / "verify.mjs")], input=payload, capture_output=True, text=True,
                          cwd=VERIFIER, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
