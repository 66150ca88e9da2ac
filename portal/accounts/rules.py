"""The rules of one-time codes and links (docs/rules/accounts.md#act1 to #rec4), pure: facts in, decision out;
no database, no request.

A code is six digits sent by e-mail or text message, or eight letters and digits a unit's clerk prints for
a volunteer with neither. It is kept only as a keyed hash, counts for 10 minutes (a printed one for 7 days),
takes 5 wrong tries, is used once, and only the newest code of a purpose counts: asking again makes the
older ones worthless.
"""
import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import datetime, timedelta
from enum import StrEnum

from portal.registry.identity import mask_email, mask_phone


class Purpose(StrEnum):
    ACTIVATE = "activate"
    RECOVER = "recover"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PRINT = "print"
    # The request matched nobody, or the person has no address on file: nothing is sent.
    NONE = "none"


CODE_MINUTES = 10
LINK_MINUTES = 30  # the recovery link, and the time to choose a password after proving a code
PRINTED_CODE_DAYS = 7  # handed over on paper: the volunteer activates at home, not within minutes
MAX_TRIES = 5
CODE_DIGITS = 6
PRINTED_CODE_LENGTH = 8
# No 0/O, 1/I/L or U: read off paper and typed by hand without mix-ups (Crockford's base 32 without U).
PRINTED_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LINK_TOKEN_BYTES = 32


class CodeState(StrEnum):
    OPEN = "open"
    EXPIRED = "expired"
    USED = "used"
    LOCKED = "locked"


def new_code(printed: bool = False) -> str:
    if printed:
        return "".join(secrets.choice(PRINTED_ALPHABET) for _ in range(PRINTED_CODE_LENGTH))
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def new_link_token() -> str:
    return secrets.token_urlsafe(LINK_TOKEN_BYTES)


def grouped(code: str) -> str:
    """A printed code as people copy it: ABCD-EFGH."""
    return f"{code[:4]}-{code[4:]}" if len(code) == PRINTED_CODE_LENGTH else code


def normalise_code(text: str | None) -> str | None:
    """Six digits or eight letters/digits as typed (full-width, spaces, dashes, lower case allowed), or None."""
    code = re.sub(r"[\s\-‐－]", "", unicodedata.normalize("NFKC", text or "")).upper()
    if len(code) == CODE_DIGITS and code.isascii() and code.isdigit():
        return code
    if len(code) == PRINTED_CODE_LENGTH and all(ch in PRINTED_ALPHABET for ch in code):
        return code
    return None


def keyed_hash(secret_key: str, *parts: str) -> str:
    """HMAC-SHA256 of the parts under the app's secret: what is stored instead of a code, a link token or
    an identifier used as a rate-limit key. Without the key, a leaked table gives nobody a code."""
    message = "\x1f".join(parts).encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def same_hash(stored: str | None, offered: str) -> bool:
    """Constant-time comparison: how long it takes says nothing about how many characters matched."""
    return hmac.compare_digest((stored or "").encode(), offered.encode())


def expiry(now: datetime, channel: str) -> datetime:
    """ACT2: a code counts for 10 minutes from when it was made; a printed one for 7 days."""
    return now + (timedelta(days=PRINTED_CODE_DAYS) if channel == Channel.PRINT else timedelta(minutes=CODE_MINUTES))


def link_expiry(now: datetime) -> datetime:
    """REC1: the recovery link counts for 30 minutes."""
    return now + timedelta(minutes=LINK_MINUTES)


def state(expires_at: datetime, used_at: datetime | None, tries: int, now: datetime) -> CodeState:
    """ACT2/ACT3: expired from the minute it expires (9:59 after it was made still open, 10:00 expired);
    locked after the 5th wrong try (the 4th still leaves one); used once."""
    if used_at is not None:
        return CodeState.USED
    if tries >= MAX_TRIES:
        return CodeState.LOCKED
    if now >= expires_at:
        return CodeState.EXPIRED
    return CodeState.OPEN


def is_open(expires_at: datetime, used_at: datetime | None, tries: int, now: datetime) -> bool:
    return state(expires_at, used_at, tries, now) == CodeState.OPEN


def tries_after_wrong(tries: int) -> int:
    return tries + 1


def choose_channel(preferred: str, email: str, phone: str) -> tuple[str, str]:
    """(channel, address): the one the person chose when it is on file, else the other one, else nothing."""
    options = {Channel.EMAIL: (email or "").strip(), Channel.SMS: (phone or "").strip()}
    order = [Channel.SMS, Channel.EMAIL] if preferred == Channel.SMS else [Channel.EMAIL, Channel.SMS]
    for channel in order:
        if options[channel]:
            return channel, options[channel]
    return Channel.NONE, ""


def masked(channel: str, address: str) -> str:
    return {Channel.EMAIL: mask_email, Channel.SMS: mask_phone}.get(channel, lambda _a: "")(address)
