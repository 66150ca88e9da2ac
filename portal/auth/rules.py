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


# What anchors each role's scope (docs/rules/accounts.md): unit staff a unit, a volunteer their person
# record, a county its county, a local sector authority a county and a field, a central one a field.
SCOPE_NEEDS = {
    access.UNIT_CLERK: ("unit",), access.UNIT_SUPERVISOR: ("unit",), access.VOLUNTEER: ("person",),
    access.COUNTY: ("county",), access.SECTOR_LOCAL: ("county", "field"), access.SECTOR_CENTRAL: ("field",),
    access.MINISTRY: (), access.ADMIN: (),
}
