"""The sign-in rules (docs/rules/accounts.md), pure: facts in, decision out; no database, no request.

operations.py applies the lockout to an account with the configured numbers; views.py and the home
page's language switch only redirect to targets safe_next lets through.
"""
from datetime import datetime, timedelta
from urllib.parse import urlsplit

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


def safe_next(target: str | None) -> str | None:
    """Only same-site paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


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
