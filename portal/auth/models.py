"""Accounts: one per person using the portal, with exactly one role and its scope anchor."""
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    # Keyset orders of the lists that show this table (newest or first in order, then id).
    __table_args__ = (Index("ix_users_role_username", "role", "username", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str] = mapped_column(String(60), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), unique=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    # Where the portal reaches a staff account (recovery, notifications); a volunteer's account falls back
    # to the contact details of the person record (contact_email / contact_phone).
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(30), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    # Rotated at logout and password change: a copied session cookie stops working.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    password_changed_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # Hashes of the passwords before the current one, newest first (reuse check for staff).
    password_history: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Two-step sign-in (TOTP, RFC 6238); the last accepted time step blocks replaying a code.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    mfa_enrolled_at: Mapped[datetime | None]
    # SHA-256 hashes of the device cookies this account signed in from, newest first (at most
    # rules.KNOWN_DEVICES): a sign-in from any other device is reported as new (auth.devices).
    known_devices: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    unit: Mapped["Unit | None"] = relationship()  # noqa: F821
    authority: Mapped["Authority | None"] = relationship()  # noqa: F821
    person: Mapped["Person | None"] = relationship()  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def previous_password_hashes(self) -> list[str]:
        return [h for h in (self.password_history or "").split("\n") if h]

    @property
    def contact_email(self) -> str:
        return self.email or (self.person.email if self.person is not None else "") or ""

    @property
    def contact_phone(self) -> str:
        return self.phone or (self.person.phone if self.person is not None else "") or ""

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    def __repr__(self):
        return f"<User {self.username} {self.role}>"


class Passkey(db.Model):
    """A WebAuthn credential of an account (docs/rules/accounts.md#pk1): the public key the authenticator
    made for this portal, never a secret. Removing one disables it; the row stays for the record."""
    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # base64url, as the browser names it (at most 1,023 bytes by the specification).
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE_Key
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    transports: Mapped[str] = mapped_column(String(200), default="")  # comma-separated hints for the browser
    # The WebAuthn user handle given at registration (random, the same for every passkey of the account).
    user_handle: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class PasskeyChallenge(db.Model):
    """A challenge handed to a browser for one WebAuthn ceremony: valid for 5 minutes, used once (the
    conditional UPDATE of passkeys.take_challenge), so a replayed response or session cookie fails.
    Throw-away rows: those older than an hour are deleted when new ones are made."""
    __tablename__ = "passkey_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge: Mapped[str] = mapped_column(String(128), unique=True)  # base64url
    purpose: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    used_at: Mapped[datetime | None]
