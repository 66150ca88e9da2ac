"""Registering, rotating and revoking API clients; issuing tokens (docs/rules/api.md#api1, #api2).
Each operation writes its audit row and flushes; the caller commits."""
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from portal.auth.models import User
from portal.platform import audit
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow

from .auth import digest
from .models import SCOPES, ApiClient, ApiToken
from .rules import may_register_for


class ClientRefused(ValueError):
    """The registration is not allowed; `.code` names why (unknown_scope, owner_role, owner_outside)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Credentials:
    client: ApiClient
    client_secret: str          # shown once; only its digest is stored

    def as_dict(self) -> dict:
        return {"client_id": self.client.client_id, "client_secret": self.client_secret}


def new_secret() -> str:
    return secrets.token_urlsafe(32)     # 256 bits


def register_client(name: str, owner: User, scopes: list[str], registered_by: User | None,
                    rate_limit: str = "") -> Credentials:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ClientRefused("unknown_scope")
    refusal = may_register_for(registered_by, owner)
    if refusal:
        raise ClientRefused(refusal)
    secret = new_secret()
    client = ApiClient(client_id="vp_" + secrets.token_hex(12), name=name.strip()[:100], owner=owner,
                       registered_by=registered_by, scopes=" ".join(dict.fromkeys(scopes)),
                       rate_limit=rate_limit, secret_hash=digest(secret))
    db.session.add(client)
    db.session.flush()
    audit.record("api_client.register", client, name=client.name, owner=owner.username, scopes=client.scopes)
    return Credentials(client, secret)


def revoke_tokens(client: ApiClient, now: datetime) -> None:
    db.session.execute(update(ApiToken).where(ApiToken.client_id == client.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=now))


def rotate_secret(client: ApiClient) -> Credentials:
    """A new secret; the old one and every token issued with it stop working at once."""
    secret = new_secret()
    now = utcnow()
    client.secret_hash = digest(secret)
    client.secret_set_at = now
    revoke_tokens(client, now)
    db.session.flush()
    audit.record("api_client.rotate", client)
    return Credentials(client, secret)


def revoke_client(client: ApiClient) -> None:
    now = utcnow()
    if client.revoked_at is None:
        client.revoked_at = now
    revoke_tokens(client, now)
    db.session.flush()
    audit.record("api_client.revoke", client)


def change_scopes(client: ApiClient, scopes: list[str], rate_limit: str | None = None) -> None:
    if not scopes or any(s not in SCOPES for s in scopes):
        raise ClientRefused("unknown_scope")
    client.scopes = " ".join(dict.fromkeys(scopes))
    if rate_limit is not None:
        client.rate_limit = rate_limit
    db.session.flush()
    audit.record("api_client.change", client, scopes=client.scopes, rate_limit=client.rate_limit)


def issue_token(client: ApiClient, value: str, scopes: list[str]) -> ApiToken:
    """Store a token the authorisation server generated (its digest only)."""
    now = utcnow()
    token = ApiToken(client=client, token_hash=digest(value), scopes=" ".join(scopes), issued_at=now,
                     expires_at=now + timedelta(seconds=current_app.config["API_TOKEN_SECONDS"]))
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.issue", client, token_id=token.id, scopes=token.scopes)
    return token


def clients_of(owner_ids) -> list[ApiClient]:
    return list(db.session.scalars(select(ApiClient).where(ApiClient.owner_id.in_(owner_ids))
                                   .order_by(ApiClient.created_at.desc(), ApiClient.id.desc())))
