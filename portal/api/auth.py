"""Who is calling: the bearer token of a client (docs/rules/api.md#api2, #api3).

`require_scope("hours:write")` guards a view: it finds the token (401 problem when missing, unknown,
expired or revoked), checks the scope (403), and makes the client's owner account the request's user, so
scoped loaders (registry.scopes.get_person_or_404(id, current_client().user)) and audit rows work as for
that account; every audit row written during the call also names the client (platform.audit)."""
import hashlib
import hmac
from dataclasses import dataclass
from functools import wraps

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint
from sqlalchemy import select

from portal.auth.models import User
from portal.platform import access, audit
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from portal.registry import scopes as registry_scopes

from .models import ApiClient, ApiToken
from .problems import Problem
from .rules import OWNER_ROLES

CALLER_KEY = "api_caller"


def digest(secret: str) -> str:
    """SHA-256 hex of a client secret or token. Both are 256-bit random values: a slow hash (argon2) guards
    guessable passwords, but nobody can guess 2^256 values, so a fast hash is as safe here and keeps the token
    endpoint and every call cheap (docs/rules/api.md#api2)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def same_digest(secret: str, stored: str) -> bool:
    return hmac.compare_digest(digest(secret), stored or "")


@dataclass(frozen=True)
class Caller:
    """The authenticated client of this request."""
    client: ApiClient
    token: ApiToken
    user: User                       # the owner account: its area is the client's area
    scopes: frozenset

    @property
    def unit_condition(self):
        """SQL condition on registry Unit: the units in the client's area."""
        return registry_scopes.unit_scope(self.user)

    def visible_unit_ids(self):
        return registry_scopes.visible_unit_ids(self.user)

    def has(self, scope: str) -> bool:
        return scope in self.scopes


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    kind, _sep, value = header.partition(" ")
    value = value.strip()
    if kind.lower() != "bearer" or not value or len(value) > 200:
        return None
    return value


def _refuse(code: str, detail: str):
    return Problem(401, code, detail, headers={"WWW-Authenticate": f'Bearer error="invalid_token", '
                                                                   f'error_description="{code}"'})


def authenticate() -> Caller:
    """The caller of this request (cached for the request), or a 401 Problem."""
    cached = g.get(CALLER_KEY)
    if cached is not None:
        return cached
    value = bearer_token()
    if value is None:
        raise Problem(401, "unauthorized", _("Send the access token as 'Authorization: Bearer TOKEN'."),
                      headers={"WWW-Authenticate": 'Bearer realm="api"'})
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(value)))
    if token is None:
        raise _refuse("unauthorized", _("The access token is not known."))
    client = token.client
    if token.revoked_at is not None or client.revoked_at is not None:
        raise _refuse("token_revoked", _("The access token has been revoked."))
    # At the expiry instant the token is already refused (docs/rules/api.md#api2).
    if utcnow() >= token.expires_at:
        raise _refuse("token_expired", _("The access token has expired. Ask for a new one."))
    owner = client.owner
    if owner is None or not owner.active or owner.role not in OWNER_ROLES:
        raise _refuse("token_revoked", _("The account this client acts for is no longer active."))
    # A scope taken from the client after the token was issued is gone at once.
    scopes = frozenset(token.scope_list) & frozenset(client.scope_list)
    caller = Caller(client=client, token=token, user=owner, scopes=scopes)
    setattr(g, CALLER_KEY, caller)
    return caller


def act_as(caller: Caller) -> None:
    """From here on the owner account is this request's user and every audit row names the client. Only in
    the view (require_scope): the portal's session hooks, which run before, must see no signed-in user
    (no session is read or written under /api/v1)."""
    setattr(g, audit.VIA_KEY, {"api_client": caller.client.client_id})
    current_app.login_manager._update_request_context_with_user(caller.user)


def current_client() -> Caller:
    """The authenticated client of this request (only inside a view guarded by require_scope)."""
    caller = g.get(CALLER_KEY)
    if caller is None:
        raise Problem(401, "unauthorized")
    return caller


def caller_or_none() -> Caller | None:
    return g.get(CALLER_KEY)


def require_scope(*needed: str):
    """Guard a view: a valid token whose client holds every scope in `needed`."""
    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            caller = authenticate()
            act_as(caller)
            missing = [s for s in needed if not caller.has(s)]
            if missing:
                raise Problem(403, "insufficient_scope",
                              _("This needs the scope %(scope)s.", scope=", ".join(missing)),
                              headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", '
                                                           f'scope="{" ".join(needed)}"'})
            return view(*args, **kwargs)
        documented = Blueprint.doc(security=[{"oauth2": list(needed)}])(guarded)
        return access.allow(*access.EVERYONE)(documented)
    return decorate


def rate_limit_key() -> str:
    """Flask-Limiter key: the client (its own budget), or the address for calls without a valid token."""
    try:
        caller = authenticate()
    except Problem:
        return "api-anonymous:" + (get_remote_address() or "")
    return "api-client:" + caller.client.client_id


def rate_limit_value() -> str:
    rate_limit_key()      # the key may not have been asked for yet: find the client first
    caller = g.get(CALLER_KEY)
    if caller is not None and caller.client.rate_limit:
        return caller.client.rate_limit
    return current_app.config["API_RATE_LIMIT"]


def find_client(client_id: str) -> ApiClient | None:
    if not client_id or len(client_id) > 40:
        return None
    return db.session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
