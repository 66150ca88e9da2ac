"""Password hashing (argon2id) and the password policy."""
from flask import current_app
from flask_babel import gettext as _
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .. import access

MAX_LENGTH = 128
MIN_LENGTH_STAFF = 12
MIN_LENGTH_VOLUNTEER = 8

# A short list of the passwords most often tried against Taiwanese government portals;
# the length rule already rules out most of the well-known lists.
COMMON = {
    "123456789012", "1234567890123", "qwertyuiopas", "password1234", "passw0rd1234",
    "abcd12345678", "a12345678901", "iloveyou1234", "111111111111", "000000000000",
    "qwerty123456", "1qaz2wsx3edc", "1q2w3e4r5t6y", "zaq12wsxcde3", "password",
    "12345678", "123456789", "qwertyui", "11111111", "00000000", "88888888",
    "1qaz2wsx", "a1234567", "aa123456", "abc12345", "iloveyou", "password1",
    "taiwan123456", "taipei123456", "volunteer123", "volunteer1234",
}

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


def policy_problems(password: str, role: str, username: str = "") -> list[str]:
    """Translated reasons why the password is refused; empty when it is acceptable."""
    minimum = MIN_LENGTH_VOLUNTEER if role == access.VOLUNTEER else MIN_LENGTH_STAFF
    problems = []
    if len(password) < minimum:
        problems.append(_("Use at least %(n)d characters.", n=minimum))
    if len(password) > MAX_LENGTH:
        problems.append(_("Use at most %(n)d characters.", n=MAX_LENGTH))
    if password.lower() in COMMON:
        problems.append(_("This password is too common."))
    if username and username.lower() in password.lower():
        problems.append(_("The password must not contain the username."))
    return problems
