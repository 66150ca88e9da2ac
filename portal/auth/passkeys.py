"""Passkeys (WebAuthn): registering a credential and signing in with it (docs/rules/accounts.md#pk1).

Authority and admin accounts may use a passkey as their second step instead of the six-digit code;
volunteers and every account that needs no second step may sign in with a passkey alone (it is already
two factors: the device, and the fingerprint, face or PIN that unlocks it — user verification is required).

Each ceremony gets a challenge that is kept in the database and in the signed session: the session says
which challenge this browser was given, the database row makes it good once and for 5 minutes only.
The relying party is the portal's host name (WEBAUTHN_RP_ID) and the origin its address
(WEBAUTHN_ORIGIN, comma-separated if several); both default to the request's, which is right behind a
proxy only with PROXY_COUNT set (docs/deployment.md).
"""
import json
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import webauthn
from flask import current_app, request, session
from sqlalchemy import delete, select, update
from sqlalchemy.orm.attributes import set_committed_value
from webauthn.helpers import bytes_to_base64url, options_to_json_dict
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from portal.platform import audit
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow

from .models import Passkey, PasskeyChallenge, User
from .rules import CHALLENGE_SECONDS, challenge_is_fresh, is_locked

RP_NAME = "志願服務紀錄入口"
# Purposes of a challenge: adding a passkey (signed in, or at the first sign-in of an authority), the
# second step of an authority's sign-in, and signing in with a passkey alone.
REGISTER, SECOND_STEP, SIGN_IN = "register", "second_step", "sign_in"
SESSION_KEY = "passkey_challenge"
TIMEOUT_MS = CHALLENGE_SECONDS * 1000
MAX_RESPONSE_CHARS = 20_000


class PasskeyError(Exception):
    """A ceremony that failed. `user` is the account whose passkey was presented, when one was found;
    `counts` says whether it is a failed attempt for the lockout (a malformed or missing response is not)."""

    def __init__(self, reason: str, user: User | None = None, counts: bool = True):
        super().__init__(reason)
        self.reason, self.user, self.counts = reason, user, counts


def rp_id() -> str:
    return current_app.config.get("WEBAUTHN_RP_ID") or urlsplit(request.host_url).hostname


def expected_origins() -> list[str]:
    configured = current_app.config.get("WEBAUTHN_ORIGIN") or ""
    origins = [o.strip().rstrip("/") for o in configured.split(",") if o.strip()]
    return origins or [request.host_url.rstrip("/")]


def active_passkeys(user: User) -> list[Passkey]:
    return list(db.session.scalars(select(Passkey).where(Passkey.user_id == user.id, Passkey.disabled_at.is_(None))
                                   .order_by(Passkey.created_at, Passkey.id)))


def has_passkey(user: User) -> bool:
    return db.session.scalar(select(Passkey.id).where(Passkey.user_id == user.id, Passkey.disabled_at.is_(None))
                             .limit(1)) is not None


def new_challenge(purpose: str, user: User | None = None) -> bytes:
    """A fresh challenge for this browser (the session remembers it) and the database (used once)."""
    now = utcnow()
    db.session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.created_at < now - timedelta(hours=1)))
    value = secrets.token_bytes(32)
    db.session.add(PasskeyChallenge(challenge=bytes_to_base64url(value), purpose=purpose,
                                    user_id=user.id if user else None, created_at=now))
    db.session.flush()
    session[SESSION_KEY] = {"purpose": purpose, "value": bytes_to_base64url(value), "user": user.id if user else None}
    return value


def take_challenge(purpose: str, user: User | None = None) -> bytes | None:
    """The challenge this browser was given for `purpose` (and account), used up now; None when there is
    none, it is older than 5 minutes, or it was used before (a replay)."""
    given = session.pop(SESSION_KEY, None) or {}
    user_id = user.id if user else None
    if given.get("purpose") != purpose or given.get("user") != user_id or not given.get("value"):
        return None
    row = db.session.scalar(select(PasskeyChallenge).where(PasskeyChallenge.challenge == given["value"]))
    now = utcnow()
    if row is None or row.purpose != purpose or row.user_id != user_id or not challenge_is_fresh(row.created_at, now):
        return None
    used = db.session.execute(update(PasskeyChallenge).where(PasskeyChallenge.id == row.id,
                                                             PasskeyChallenge.used_at.is_(None))
                              .values(used_at=now).execution_options(synchronize_session=False))
    return webauthn.base64url_to_bytes(given["value"]) if used.rowcount == 1 else None


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = []
    for name in filter(None, passkey.transports.split(",")):
        try:
            transports.append(AuthenticatorTransport(name))
        except ValueError:
            continue
    return PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(passkey.credential_id),
                                         transports=transports or None)


def user_handle(user: User) -> bytes:
    """The account's WebAuthn user handle: random (no name or id inside), the same for all its passkeys, so
    an authenticator replaces rather than duplicates this account's passkey."""
    existing = db.session.scalar(select(Passkey.user_handle).where(Passkey.user_id == user.id).limit(1))
    return webauthn.base64url_to_bytes(existing) if existing else secrets.token_bytes(32)


def registration_options(user: User) -> dict:
    handle = user_handle(user)
    options = webauthn.generate_registration_options(
        rp_id=rp_id(), rp_name=RP_NAME, user_name=user.username, user_id=handle,
        user_display_name=user.display_name or user.username, challenge=new_challenge(REGISTER, user),
        timeout=TIMEOUT_MS, exclude_credentials=[_descriptor(p) for p in active_passkeys(user)],
        # Discoverable (the browser can offer it without a username) and unlocked by the person.
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED))
    session[SESSION_KEY]["handle"] = bytes_to_base64url(handle)
    return options_to_json_dict(options)


def authentication_options(purpose: str, user: User | None = None) -> dict:
    """For the second step the account's own passkeys are offered; for a sign-in without a username the
    browser offers whichever passkey it holds for this portal."""
    options = webauthn.generate_authentication_options(
        rp_id=rp_id(), challenge=new_challenge(purpose, user), timeout=TIMEOUT_MS,
        allow_credentials=[_descriptor(p) for p in active_passkeys(user)] if user else [],
        user_verification=UserVerificationRequirement.REQUIRED)
    return options_to_json_dict(options)


def parse_response(text: str | None) -> dict:
    """The browser's JSON of a credential, or PasskeyError (not a failed attempt: nothing was presented)."""
    if not text or len(text) > MAX_RESPONSE_CHARS:
        raise PasskeyError("missing", counts=False)
    try:
        data = json.loads(text)
    except ValueError:
        raise PasskeyError("malformed", counts=False) from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("response"), dict):
        raise PasskeyError("malformed", counts=False)
    return data


def register(user: User, credential: dict, name: str) -> Passkey:
    """Verifies a new credential against the challenge this browser was given and keeps its public key."""
    handle = (session.get(SESSION_KEY) or {}).get("handle")
    challenge = take_challenge(REGISTER, user)
    if challenge is None or not handle:
        raise PasskeyError("challenge", user, counts=False)
    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id(),
            expected_origin=expected_origins(), require_user_verification=True)
    except Exception as exc:  # hostile input can make the parsers raise anything
        current_app.logger.info("passkey registration refused for user %s: %s", user.id, exc)
        raise PasskeyError("invalid", user, counts=False) from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)) is not None:
        raise PasskeyError("duplicate", user, counts=False)
    transports = credential.get("response", {}).get("transports") or []
    passkey = Passkey(user_id=user.id, credential_id=credential_id, public_key=verified.credential_public_key,
                      sign_count=verified.sign_count, user_handle=handle, name=name,
                      transports=",".join(t for t in transports if isinstance(t, str) and t.isalnum())[:200])
    db.session.add(passkey)
    db.session.flush()
    audit.record("passkey.added", passkey, user_id=user.id, username=user.username, name=name)
    return passkey


def authenticate(purpose: str, credential: dict, user: User | None = None) -> Passkey:
    """The passkey that signed this browser's challenge: one of `user`'s for the second step, any
    account's for a sign-in without a username. Raises PasskeyError naming the account when it knows it."""
    passkey = db.session.scalar(select(Passkey).where(Passkey.credential_id == credential["id"][:1400]))
    owner = passkey.user if passkey is not None else None
    challenge = take_challenge(purpose, user)
    if passkey is None or (user is not None and passkey.user_id != user.id):
        raise PasskeyError("unknown", user)
    if passkey.disabled_at is not None:
        raise PasskeyError("disabled", owner)
    if not owner.active or is_locked(owner.locked_until, utcnow()):
        raise PasskeyError("locked", owner, counts=False)
    if challenge is None:
        raise PasskeyError("challenge", owner)
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id(),
            expected_origin=expected_origins(), credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count, require_user_verification=True)
    except Exception as exc:  # as in register()
        current_app.logger.info("passkey %s refused: %s", passkey.id, exc)
        raise PasskeyError("invalid", owner) from None
    handle = credential["response"].get("userHandle")
    if handle and handle != passkey.user_handle:
        raise PasskeyError("invalid", owner)
    _count_use(passkey, verified.new_sign_count, owner)
    return passkey


def _count_use(passkey: Passkey, new_count: int, owner: User):
    """A counter that did not grow means a cloned authenticator or a replay (library check); the
    conditional UPDATE also refuses the second of two responses racing with the same count."""
    now = utcnow()
    query = update(Passkey).where(Passkey.id == passkey.id)
    if new_count:
        query = query.where(Passkey.sign_count < new_count)
    done = db.session.execute(query.values(sign_count=new_count, last_used_at=now)
                              .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise PasskeyError("counter", owner)
    set_committed_value(passkey, "sign_count", new_count)
    set_committed_value(passkey, "last_used_at", now)


def disable(passkey: Passkey, reason: str = "removed"):
    """Removing a passkey disables it (kept for the record); it cannot sign in again."""
    passkey.disabled_at = utcnow()
    audit.record("passkey.disabled", passkey, user_id=passkey.user_id, name=passkey.name, reason=reason)


def disable_all(user: User, reason: str):
    for passkey in active_passkeys(user):
        disable(passkey, reason)
