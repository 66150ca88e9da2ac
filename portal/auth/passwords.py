"""Password hashing (argon2id) and the password policy."""
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

from portal.platform import access

MAX_LENGTH = 128
MIN_LENGTH_STAFF = 12
MIN_LENGTH_VOLUNTEER = 8

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt")
# Words an attacker tries first against this portal, whoever the user is.
PORTAL_WORDS = ("mohw", "衛福部")
PASSWORD_HISTORY = 3  # staff may not reuse any of their last 3 passwords (附表十)


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


_hasher = None


def hasher() -> PasswordHasher:
    if current_app.config.get("TESTING"):
        # Fast parameters for the test suite only; production uses argon2-cffi's defaults.
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    global _hasher
    if _hasher is None:
        _hasher = PasswordHasher()
    return _hasher


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return hasher().check_needs_rehash(stored_hash)


def policy_problems(password: str, role: str, username: str = "", context: tuple[str, ...] = ()) -> list[str]:
    """Translated reasons why the password is refused; empty when it is acceptable.

    `context` holds the user's own words (name, birth date, ID number, unit name...): a password
    built from them is the first thing someone who knows the user would try."""
    minimum = MIN_LENGTH_VOLUNTEER if role == access.VOLUNTEER else MIN_LENGTH_STAFF
    problems = []
    if len(password) < minimum:
        problems.append(_("Use at least %(n)d characters.", n=minimum))
    if len(password) > MAX_LENGTH:
        problems.append(_("Use at most %(n)d characters.", n=MAX_LENGTH))
    lowered = password.lower()
    if lowered in common_passwords():
        problems.append(_("This password is too common."))
    if username and username.lower() in lowered:
        problems.append(_("The password must not contain the username."))
    elif any(word in lowered for word in _usable_words(context + PORTAL_WORDS)):
        problems.append(_("The password must not contain your name, birth date, ID number, unit name "
                          "or the name of the ministry or the portal."))
    return problems


def _usable_words(words) -> set[str]:
    """Context words long enough to matter: 2+ characters of Chinese, 3+ otherwise."""
    usable = set()
    for word in words:
        word = (word or "").strip().lower()
        if len(word) >= 3 or (len(word) == 2 and not word.isascii()):
            usable.add(word)
    return usable


def reuses_recent_password(current_hash: str, previous_hashes: list[str], password: str) -> bool:
    recent = [current_hash, *previous_hashes][:PASSWORD_HISTORY]
    return any(verify_password(stored, password) for stored in recent if stored)
