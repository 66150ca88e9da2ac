"""Checking a credential the portal issued (docs/rules/credentials.md#vc6): its signature by one of the issuer's
keys (current or retired), its status in the issuer's list, its period, and what the register says of the document.
Answers in plain data; the pages and the API put it into words or JSON.

    result = check(credential)      # any parsed JSON
    result.verified, result.as_json()
"""
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from portal.documents.models import Document, DocumentStatus
from portal.documents.scopes import document_by_token
from portal.platform.extensions import db
from portal.platform.timeutil import taipei_date, today_taipei

from . import bitstring, keys, proof
from .models import Credential, StatusList

# The reasons a credential is not accepted, as codes (labels.py words them in both languages).
NOT_A_CREDENTIAL = "not_a_credential"
BAD_SIGNATURE = "bad_signature"
UNKNOWN_KEY = "unknown_key"
OTHER_ISSUER = "other_issuer"
REVOKED = "revoked"
UNKNOWN_STATUS = "unknown_status"
EXPIRED = "expired"
NOT_YET_VALID = "not_yet_valid"

# A pasted text larger or deeper than any credential of the portal (about 60 values, 6 levels) is not
# canonicalised at all: RDF canonicalisation of a crafted graph can take very long.
MAX_NODES, MAX_DEPTH = 400, 12


def _small(value, depth: int = 0, budget: list | None = None) -> bool:
    budget = [MAX_NODES] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        return False
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return all(_small(child, depth + 1, budget) for child in children)


@dataclass
class Result:
    signature: bool = False
    key: str = "unknown"            # current / retired / unknown
    key_id: str = ""
    status: str = "unknown"         # valid / revoked / unknown
    period: str = "unknown"         # valid / expired / not_yet_valid / unknown
    document_state: str | None = None   # the register's: valid / expired / revoked / superseded
    problems: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.problems

    def as_json(self) -> dict:
        return {"verified": self.verified, "signature": self.signature, "key": self.key, "key_id": self.key_id,
                "status": self.status, "period": self.period, "document_state": self.document_state,
                "problems": list(self.problems)}


def _moment(text) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _period(credential: dict, now: datetime) -> str:
    valid_from, valid_until = _moment(credential.get("validFrom")), _moment(credential.get("validUntil"))
    if credential.get("validFrom") is not None and valid_from is None:
        return "unknown"
    if valid_from is not None and now < valid_from:
        return NOT_YET_VALID
    if valid_until is not None and now > valid_until:
        return EXPIRED
    return "valid"


def _status(credential: dict) -> str:
    """valid / revoked from the portal's own list; unknown when the entry names a list the portal does not keep."""
    entry = credential.get("credentialStatus")
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry" \
            or entry.get("statusPurpose") != "revocation":
        return "unknown"
    url, index = entry.get("statusListCredential"), entry.get("statusListIndex")
    prefix = "/credentials/status/"
    if not isinstance(url, str) or prefix not in url or not isinstance(index, str) or not index.isdecimal():
        return "unknown"
    row = db.session.scalar(select(StatusList).where(StatusList.issuer_key == url.rsplit(prefix, 1)[1]))
    if row is None or json.loads(row.credential or "{}").get("id") != url or int(index) >= row.size:
        return "unknown"
    return REVOKED if bitstring.is_set(bitstring.decode(row.encoded), int(index)) else "valid"


def _document(credential: dict, known: Document | None = None) -> Document | None:
    """The document the credential names; `known` when it is that one (the verification page has read it)."""
    identifier = credential.get("id")
    if not isinstance(identifier, str) or "/verify/" not in identifier:
        return None
    token = identifier.rsplit("/verify/", 1)[1]
    return known if known is not None and known.token == token else document_by_token(token)


def check(credential, now: datetime | None = None, document: Document | None = None) -> Result:
    """Everything a verifier asks of one credential; `problems` empty means it is accepted."""
    result = Result()
    if not isinstance(credential, dict) or not isinstance(credential.get("proof"), dict) \
            or not isinstance(credential.get("type"), list) or "VerifiableCredential" not in credential["type"] \
            or not _small(credential):
        result.problems.append(NOT_A_CREDENTIAL)
        return result
    method = credential["proof"].get("verificationMethod")
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    key = keys.key_for_method(method)
    if not isinstance(method, str) or issuer_id != method.split("#", 1)[0]:
        result.problems.append(OTHER_ISSUER)    # the key must be the issuer's own
    if key is None:
        result.problems.append(UNKNOWN_KEY)
    else:
        result.key, result.key_id = ("retired" if key.retired else "current"), key.id
        result.signature = proof.verify(credential, key.public)
        if not result.signature:
            result.problems.append(BAD_SIGNATURE)
    if result.signature:    # what an unsigned or altered text says of itself is not looked at
        result.status = _status(credential)
        if result.status != "valid":
            result.problems.append(REVOKED if result.status == REVOKED else UNKNOWN_STATUS)
        result.period = _period(credential, now or datetime.now(UTC))
        if result.period in (EXPIRED, NOT_YET_VALID):
            result.problems.append(result.period)
        named = _document(credential, document)
        if named is not None:
            result.document_state = named.public_status(today_taipei())
    return result


# --- For the verification page of one document ----------------------------------------------------------------

def stored_credential(document: Document) -> dict | None:
    return db.session.scalar(select(Credential.credential).where(Credential.document_id == document.id))


def document_credential(document: Document) -> dict | None:
    """The verification page's facts of a document's credential: its check and what it asserts; None without one."""
    stored = stored_credential(document)
    if stored is None:
        return None
    result = check(stored, document=document)
    subject = stored.get("credentialSubject", {})
    results = subject.get("result") or []
    return {"result": result, "state": document.public_status(today_taipei()),
            "achievement": subject.get("achievement", {}).get("name", ""),
            "awarded_by": (subject.get("achievement", {}).get("creator") or {}).get("name", ""),
            "issuer": (stored.get("issuer") or {}).get("name", ""),
            "hours": results[0].get("value") if results else None,
            "valid_from": stored.get("validFrom"), "valid_until": stored.get("validUntil"),
            "issued_on": taipei_date(document.issued_at), "key_id": result.key_id}


# The credential's state in one word, for the API (docs/rules/credentials.md#vc7): valid, revoked or superseded
# (its status bit set, the register says which), expired or not yet valid (its period), invalid (anything else:
# a signature or key that no longer checks, a status list the portal does not keep).
CREDENTIAL_STATES = ("valid", "revoked", "superseded", "expired", NOT_YET_VALID, "invalid")


def state_of(result: Result, document: Document) -> str:
    if result.verified:
        return "valid"
    if result.signature and result.status == REVOKED:
        return "superseded" if document.status == DocumentStatus.SUPERSEDED else "revoked"
    if result.signature and result.status == "valid" and result.period in (EXPIRED, NOT_YET_VALID):
        return result.period
    return "invalid"


def credential_status(document: Document) -> dict | None:
    """For the API's document lookup: the state of the document's stored credential, its public address and the
    check as JSON; None without one (documents issued before the credentials existed)."""
    stored = stored_credential(document)
    if stored is None:
        return None
    result = check(stored)
    identifier = stored.get("id") if isinstance(stored.get("id"), str) else ""
    return {"state": state_of(result, document), "id": identifier, "url": f"{identifier}/credential.json",
            **result.as_json()}
