"""The sign-in rules (docs/rules/accounts.md), pure: facts in, decision out; no database, no request.

operations.py applies the lockout to an account with the configured numbers; views.py and the home
page's language switch only redirect to targets safe_next lets through.
"""
import re
import unicodedata
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

from portal.platform import access


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    """AC4: during the lock even the right password (or code) is refused."""
    return bool(locked_until and locked_until > now)


def after_failure(failed_logins: int, max_failures: int, lock_minutes: int,
                  now: datetime) -> tuple[int, datetime | None]:
    """AC4: a wrong password or second-step code counts one more failure in a row; the `max_failures`-th
    locks the account for `lock_minutes` and starts the count again. (failures now, locked until or None)."""
    failed = failed_logins + 1
    if failed >= max_failures:
        return 0, now + timedelta(minutes=lock_minutes)
    return failed, None


# AC9: the longest redirect target followed, and how many layers of percent-encoding are peeled off
# before a target that still decodes further is refused (%252f is "/" encoded twice).
MAX_NEXT_LENGTH = 2000
MAX_DECODINGS = 3
# Characters a path (before "?" or "#") may hold as typed: RFC 3986 unreserved, sub-delims, ":", "@",
# "/" and "%" of an encoding. The portal's own paths are ASCII (url_for encodes the rest), so a full-width
# solidus, an ideographic full stop or any other look-alike in the path is refused, not interpreted.
_PATH_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*")


def _control_or_backslash(text: str) -> bool:
    """C0 controls, DEL, C1 controls, line and paragraph separators, zero-width and bidi marks, and the
    backslash: browsers drop or reinterpret all of them inside URLs (a tab or a "\\" becomes nothing or "/")."""
    return any(ch == "\\" or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text)


def _decodings(target: str) -> list[str] | None:
    """The target and each percent-decoding of it until nothing changes; None if it still changes after
    MAX_DECODINGS rounds (nobody encodes a real link four times)."""
    layers = [target]
    for _round in range(MAX_DECODINGS + 1):
        decoded = unquote(layers[-1])
        if decoded == layers[-1]:
            return layers
        layers.append(decoded)
    return None


def _leaves_the_site(path: str) -> bool:
    """A path a browser, or a server that tidies paths, could read as another host or a scheme: one not
    starting with "/", one with an empty segment ("//host", "/https://host") or a dot segment ("/.//host"
    resolves to "//host"). The portal's own paths have neither."""
    segments = path.split("/")[1:]
    return not path.startswith("/") or "" in segments[:-1] or "." in segments or ".." in segments


def safe_next(target: str | None) -> str | None:
    """AC9: `target` if it is a path on this site, else None (the caller then uses its default page).

    Refused: anything not starting with exactly one "/"; a scheme or a host in any form; control
    characters, tabs, line breaks, invisible format characters and backslashes anywhere, typed or
    percent-encoded; dot segments; spaces and non-ASCII look-alikes in the path (a full-width "／", "。");
    more than MAX_DECODINGS layers of encoding; more than MAX_NEXT_LENGTH characters. The query and the
    fragment may hold any other printable text (Chinese search words), which the redirect encodes."""
    if not isinstance(target, str) or not target or len(target) > MAX_NEXT_LENGTH:
        return None
    if not _PATH_CHARACTERS.fullmatch(_path_of(target)):
        return None
    layers = _decodings(target)
    if layers is None:
        return None
    for text in layers:
        parts = urlsplit(text)
        if _control_or_backslash(text) or _leaves_the_site(_path_of(text)) or parts.scheme or parts.netloc:
            return None
    return target


def _path_of(target: str) -> str:
    return re.split(r"[?#]", target, maxsplit=1)[0]


# PK1: a WebAuthn challenge is good for this long after it was handed out, and once.
CHALLENGE_SECONDS = 300
# PK2: how many devices an account remembers (the oldest is forgotten first).
KNOWN_DEVICES = 10


def challenge_is_fresh(created_at: datetime, now: datetime) -> bool:
    """PK1: 4:59 after it was made a challenge is still good, 5:00 after it is not."""
    return now - created_at < timedelta(seconds=CHALLENGE_SECONDS)


def is_new_device(known: list[str], device: str) -> bool:
    """PK2: a sign-in from a device the account has not used before, once it has used some device
    (an account's very first sign-in, or its first since devices were recorded, is not news)."""
    return bool(known) and device not in known


def remember_device(known: list[str], device: str, limit: int = KNOWN_DEVICES) -> list[str]:
    """PK2: the device first, then the others it already knew, newest first, at most `limit`."""
    return [device, *[d for d in known if d != device]][:limit]


# What anchors each role's scope (docs/rules/accounts.md): unit staff a unit, a volunteer their person
# record, a county its county, a local sector authority a county and a field, a central one a field.
SCOPE_NEEDS = {
    access.UNIT_CLERK: ("unit",), access.UNIT_SUPERVISOR: ("unit",), access.VOLUNTEER: ("person",),
    access.COUNTY: ("county",), access.SECTOR_LOCAL: ("county", "field"), access.SECTOR_CENTRAL: ("field",),
    access.MINISTRY: (), access.ADMIN: (),
}
