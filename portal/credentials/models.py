"""The credentials issued beside documents and the status list of each issuer (docs/rules/credentials.md).

Rows are never deleted. A credential keeps the signed JSON exactly as issued; its state is the bit at
`status_index` of its issuer's list, which is set in the same transaction as the document's revocation or
supersession (hooks.py).
"""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow


class StatusList(db.Model):
    """One issuer's Bitstring Status List (statusPurpose revocation): a unit or an authority.

    `encoded` is the compressed bitstring and `credential` the signed list credential as served, so a request
    reads one row and sends it (no rebuild per request)."""
    __tablename__ = "credential_status_lists"
    __table_args__ = (UniqueConstraint("issuer_key", name="uq_credential_status_lists_issuer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_key: Mapped[str] = mapped_column(String(40))        # "unit-12", "authority-3"
    size: Mapped[int] = mapped_column(Integer)                  # bits
    next_index: Mapped[int] = mapped_column(Integer, default=0)
    encoded: Mapped[str] = mapped_column(Text)
    credential: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Credential(db.Model):
    """The Open Badges 3.0 credential issued with one document."""
    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    status_list_id: Mapped[int] = mapped_column(ForeignKey("credential_status_lists.id"))
    status_index: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(String(60))
    credential: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
