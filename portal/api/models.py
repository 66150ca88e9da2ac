"""API clients (partner systems) and the access tokens issued to them (docs/rules/api.md#api1).

A client acts with the area of its owner account: an authority account (ministry, county, sector) reads
within that authority's scope; a unit account (a community-care point's own system) within its unit.
Secrets and tokens are stored only as SHA-256 digests (docs/rules/api.md#api2)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow

# The scopes a client may hold (docs/rules/api.md#api3).
HOURS_WRITE = "hours:write"
VOLUNTEERS_STATUS = "volunteers:status"
AWARDS_WRITE = "awards:write"
DOCUMENTS_VERIFY = "documents:verify"
CHANGES_READ = "changes:read"
SCOPES = (HOURS_WRITE, VOLUNTEERS_STATUS, AWARDS_WRITE, DOCUMENTS_VERIFY, CHANGES_READ)


class ApiClient(db.Model):
    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Public identifier sent with the secret at the token endpoint (random, not a secret).
    client_id: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # The account whose area and authority the client acts with; the audit rows of its writes name it.
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scopes: Mapped[str] = mapped_column(String(200), default="")        # space-separated, as in OAuth 2.0
    # Flask-Limiter notation, e.g. "600 per minute"; empty: the portal's API_RATE_LIMIT.
    rate_limit: Mapped[str] = mapped_column(String(40), default="", server_default="")
    secret_hash: Mapped[str] = mapped_column(String(64))                 # SHA-256 hex of the secret
    secret_set_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    owner: Mapped["User"] = relationship(foreign_keys=[owner_id])  # noqa: F821
    registered_by: Mapped["User | None"] = relationship(foreign_keys=[registered_by_id])  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def scope_list(self) -> list[str]:
        return [s for s in (self.scopes or "").split() if s]

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def __repr__(self):
        return f"<ApiClient {self.client_id} {self.name}>"


class ApiToken(db.Model):
    """A short-lived bearer token (client credentials grant). Revoking the client or rotating its secret
    revokes its tokens; every call looks the token up, so a revoked one is refused at once."""
    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_client_id", "client_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)     # SHA-256 hex of the bearer token
    scopes: Mapped[str] = mapped_column(String(200), default="")
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    client: Mapped[ApiClient] = relationship()

    @property
    def scope_list(self) -> list[str]:
        return [s for s in (self.scopes or "").split() if s]
