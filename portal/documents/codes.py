"""Verification tokens and short codes (docs/rules/certificates.md#v1): the QR carries a random token of 192 bits,
the paper a short code people can type, which typing mistakes (case, O/0, I/L/1, full-width) do not break."""
import secrets
import unicodedata

from sqlalchemy import select

from portal.platform.extensions import db

from .models import Document

TOKEN_BYTES = 24              # 192 bits; the issue asks for at least 128
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 13              # 65 bits, typed as XXXXX-XXXX-XXXX; guessing is rate-limited (V1)
LEGACY_CODE_LENGTH = 10       # 50 bits (XXXXX-XXXXX): printed on documents issued before 2026-12; still read


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_short_code() -> str:
    return format_code("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))


def format_code(raw: str) -> str:
    """The printed form: groups of five and four (XXXXX-XXXX-XXXX; a legacy code XXXXX-XXXXX)."""
    if len(raw) == LEGACY_CODE_LENGTH:
        return f"{raw[:5]}-{raw[5:]}"
    return f"{raw[:5]}-{raw[5:9]}-{raw[9:]}"


def normalise_code(text: str | None) -> str:
    """What a person typed (any case, spaces, full-width, O for 0, I or L for 1) as a stored short code."""
    raw = unicodedata.normalize("NFKC", text or "").upper()
    raw = "".join(ch for ch in raw if ch.isalnum()).translate(str.maketrans("OIL", "011"))
    if len(raw) not in (CODE_LENGTH, LEGACY_CODE_LENGTH) or any(ch not in CODE_ALPHABET for ch in raw):
        return ""
    return format_code(raw)


def unused_short_code(reserved: set[str] | None = None) -> str:
    """A short code no stored document has, nor any in `reserved` (a batch's codes not yet stored)."""
    reserved = reserved if reserved is not None else set()
    while True:
        code = new_short_code()
        if code not in reserved and not db.session.scalar(select(Document.id).where(Document.short_code == code)):
            reserved.add(code)
            return code
