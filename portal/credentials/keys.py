"""The issuer's signing keys and its identity, did:web of PUBLIC_BASE_URL's host (docs/rules/credentials.md#vc4).

The key set is secret and lives outside the web root, like SECRET_KEY (portal/platform/config.py): the JSON text in
CREDENTIAL_KEYS, else the file CREDENTIAL_KEYS_FILE, else instance/credential_keys.json. Only a SQLite or test set-up
generates that file on first use; several web hosts must share one key set, so elsewhere a missing key set means no
credentials are issued (a warning in the log) rather than each host signing with a key of its own.

    {"keys": [{"id": "k-20250101", "public": "z6Mk…", "retired": "2026-12-06"},
              {"id": "k-20261206", "private": "<base64url seed>", "created": "2026-12-06"}]}

The current key is the last one with a private part and no "retired" date. Rotation (`flask credentials rotate`)
retires it, keeps its public part, and adds a new one: credentials signed before stay verifiable.
"""
import base64
import json
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

from portal.documents.operations import public_base_url

from .multibase import public_multikey, raw_public_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Key:
    id: str
    public: Ed25519PublicKey
    private: Ed25519PrivateKey | None
    retired: str | None

    @property
    def multikey(self) -> str:
        return public_multikey(self.public.public_bytes_raw())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_entry(today: date | None = None) -> dict:
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    day = (today or date.today()).isoformat()
    return {"id": f"k-{day.replace('-', '')}-{secrets.token_hex(2)}", "private": _b64(seed), "created": day}


def parse(key_set: dict) -> list[Key]:
    keys = []
    for entry in key_set.get("keys", []):
        private = Ed25519PrivateKey.from_private_bytes(_unb64(entry["private"])) if entry.get("private") else None
        public = private.public_key() if private else Ed25519PublicKey.from_public_bytes(raw_public_key(entry["public"]))
        keys.append(Key(entry["id"], public, private, entry.get("retired")))
    return keys


def key_file(app=None) -> Path:
    app = app or current_app
    configured = app.config.get("CREDENTIAL_KEYS_FILE") or os.environ.get("CREDENTIAL_KEYS_FILE")
    return Path(configured) if configured else Path(app.instance_path) / "credential_keys.json"


def _may_generate(app) -> bool:
    return app.testing or app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def _generate(path: Path) -> None:
    """A new key set at `path`, whole or not at all: written aside, then linked in (a worker that links second
    keeps the first one's file, so every worker signs with the same key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"keys": [new_entry()]}, fh)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


_cache: dict = {}


def key_set_text(app=None) -> str | None:
    app = app or current_app
    configured = app.config.get("CREDENTIAL_KEYS") or os.environ.get("CREDENTIAL_KEYS")
    if configured:
        return configured
    path = key_file(app)
    if not path.exists():
        if not _may_generate(app):
            return None
        _generate(path)
    return path.read_text() or None


def all_keys(app=None) -> list[Key]:
    """Every key of the set, current and retired (parsed once per distinct key-set text)."""
    text = key_set_text(app)
    if text is None:
        if not _cache.get("warned"):
            log.warning("no credential key set (CREDENTIAL_KEYS or CREDENTIAL_KEYS_FILE): credentials are not issued")
            _cache["warned"] = True
        return []
    if _cache.get("text") != text:
        _cache.update(text=text, keys=parse(json.loads(text)))
    return _cache["keys"]


def current_key(app=None) -> Key | None:
    usable = [k for k in all_keys(app) if k.private is not None and not k.retired]
    return usable[-1] if usable else None


def rotate(path: Path, today: date | None = None) -> dict:
    """Retire the current key of the key file (its private part is dropped) and add a new current key."""
    key_set = json.loads(path.read_text()) if path.exists() else {"keys": []}
    day = (today or date.today()).isoformat()
    for entry in key_set["keys"]:
        if not entry.get("retired"):
            if entry.get("private"):
                entry["public"] = parse({"keys": [entry]})[0].multikey
                entry.pop("private")
            entry["retired"] = day
    key_set["keys"].append(new_entry(today))
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(key_set, fh, indent=1)
    temporary.replace(path)
    return key_set


# --- Identity -----------------------------------------------------------------------------------------------

def did() -> str:
    """did:web of the public address: the host (its port encoded) and any path, ':'-separated."""
    parts = urlsplit(public_base_url())
    path = [quote(p, safe="") for p in parts.path.split("/") if p]
    return ":".join(["did:web", quote(parts.netloc, safe=""), *path])


def method_id(key: Key) -> str:
    return f"{did()}#{key.id}"


def key_for_method(verification_method: str) -> Key | None:
    """The portal's key a proof names, current or retired; None for any other. Matched by the key's id after '#'
    under any did:web: a credential issued while the portal answered under another address (no PUBLIC_BASE_URL
    set, a renamed host) was still signed by this key, which the signature then proves."""
    if not isinstance(verification_method, str) or not verification_method.startswith("did:web:") \
            or "#" not in verification_method:
        return None
    wanted = verification_method.rsplit("#", 1)[1]
    return next((k for k in all_keys() if k.id == wanted), None)


def did_document() -> dict:
    """The DID document at /.well-known/did.json: every key, current and retired, may assert credentials."""
    identity = did()
    methods = [{"id": method_id(k), "type": "Multikey", "controller": identity, "publicKeyMultibase": k.multikey}
               for k in all_keys()]
    return {"@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": identity, "verificationMethod": methods,
            "assertionMethod": [m["id"] for m in methods]}


def jwks() -> dict:
    """The same keys as a JSON Web Key Set (RFC 8037 OKP keys), the retired ones marked."""
    return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": _b64(k.public.public_bytes_raw()), "kid": method_id(k),
                      "use": "sig", "alg": "EdDSA", **({"retired": k.retired} if k.retired else {})}
                     for k in all_keys()]}
