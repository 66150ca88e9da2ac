"""Data Integrity proofs with the cryptosuite eddsa-rdfc-2022 (docs/rules/credentials.md#vc3): the document and the
proof's options are each canonicalised with RDFC-1.0 (pyld's URDNA2015, the same algorithm), hashed with SHA-256,
and the two hashes, options first, are signed with Ed25519. The contexts come from the package (contexts.py)."""
import hashlib
import json
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld

from .contexts import UnknownContext, document_loader
from .multibase import decode_z, encode_z
from .shapes import canonical as canonical_by_shape

CRYPTOSUITE = "eddsa-rdfc-2022"
# Checking a proof is pure (the text and the key decide it) but its canonicalisation costs pyld 20-50 ms, and the
# public verification page checks the same stored credentials again and again: 72 % of its server time on the
# 200,000-volunteer set. The answers of the last VERIFIED_CACHE (text, key) pairs are kept, keyed by a SHA-256 of the
# text, so any change of the text, even one character, is a different key and is checked afresh.
VERIFIED_CACHE = 4096
_verified: OrderedDict[tuple[bytes, bytes], bool] = OrderedDict()
_verified_lock = threading.Lock()


class ProofError(ValueError):
    """The document cannot be canonicalised as signed (unknown context, undefined or relative terms)."""


def canonical(document: dict) -> str:
    """RDFC-1.0 N-Quads of a JSON-LD document. Like the Data Integrity 'safe mode', a property the contexts do
    not define, or a relative IRI, is an error: otherwise it would be left out of what is signed and could be
    changed without breaking the signature."""
    dropped = []
    try:
        quads = jsonld.JsonLdProcessor(on_property_dropped=dropped.append).normalize(
            document, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": document_loader})
    except UnknownContext as exc:
        raise ProofError(f"unknown context {exc}") from exc
    except (jsonld.JsonLdError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        # A malformed pasted text fails somewhere inside pyld; to the caller it is simply not canonicalisable.
        raise ProofError(str(exc)) from exc
    if dropped:
        raise ProofError(f"undefined terms: {', '.join(sorted({str(d) for d in dropped}))}")
    for line in quads.splitlines():
        for part in line.split("<")[1:]:
            iri = part.split(">", 1)[0]
            if ":" not in iri:
                raise ProofError(f"relative IRI {iri!r}")
    return quads


@lru_cache(maxsize=64)
def _config_hash(config_json: str) -> bytes:
    return hashlib.sha256(canonical(json.loads(config_json)).encode()).digest()


def _hash_data(document: dict, options: dict, own: bool = False) -> bytes:
    """SHA-256 of the canonical proof options, then of the canonical document; `own`: a document the portal is
    signing now (the fast way of shapes.py), never a text from outside."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in options.items() if k != "proofValue"}
    config["@context"] = unsigned["@context"]
    # The portal's proof options are the same for every credential of a key (no 'created': the credential's
    # validFrom says when), so their canonical hash is computed once per key.
    quads = canonical_by_shape(unsigned, canonical) if own else canonical(unsigned)
    return _config_hash(json.dumps(config, sort_keys=True)) + hashlib.sha256(quads.encode()).digest()


def now_xsd() -> str:
    return datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign(document: dict, private_key: Ed25519PrivateKey, verification_method: str, created: str | None = None) -> dict:
    """The document with an assertionMethod proof by this key ('created' is optional in Data Integrity)."""
    options = {"type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE,
               **({"created": created} if created else {}),
               "verificationMethod": verification_method, "proofPurpose": "assertionMethod"}
    signature = private_key.sign(_hash_data(document, options, own=True))
    return {**{k: v for k, v in document.items() if k != "proof"}, "proof": {**options, "proofValue": encode_z(signature)}}


def verify(document: dict, public_key: Ed25519PublicKey) -> bool:
    """True when the document's proof is this key's signature over the document as it is now."""
    try:
        text = json.dumps(document, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):     # not a JSON text: nothing to remember it by
        return _verify(document, public_key)
    key = (hashlib.sha256(text.encode()).digest(), public_key.public_bytes_raw())
    with _verified_lock:
        answer = _verified.get(key)
    if answer is None:
        answer = _verify(document, public_key)
        with _verified_lock:
            _verified[key] = answer
            while len(_verified) > VERIFIED_CACHE:
                _verified.popitem(last=False)
    return answer


def _verify(document: dict, public_key: Ed25519PublicKey) -> bool:
    proof = document.get("proof")
    if not isinstance(proof, dict) or proof.get("type") != "DataIntegrityProof" \
            or proof.get("cryptosuite") != CRYPTOSUITE or proof.get("proofPurpose") != "assertionMethod":
        return False
    try:
        signature = decode_z(proof.get("proofValue"))
        public_key.verify(signature, _hash_data(document, proof))
    except (ValueError, InvalidSignature, ProofError, TypeError, KeyError):
        return False
    return True
