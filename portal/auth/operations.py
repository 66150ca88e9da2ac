"""Sign-in with per-account lockout; account creation."""
import logging
from datetime import timedelta

from flask import current_app

from ..extensions import db
from ..timeutil import utcnow
from .models import User, new_session_token
from .passwords import hash_password, needs_rehash, verify_password

log = logging.getLogger(__name__)

# Verified against when the username is unknown, so both cases take the same time.
_DUMMY = {}


def _dummy_hash():
    key = current_app.config.get("TESTING", False)
    if key not in _DUMMY:
        _DUMMY[key] = hash_password("not-a-real-password-0000")
    return _DUMMY[key]


def find_user(username: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.username == (username or "").strip().lower()))


def authenticate(username: str, password: str) -> User | None:
    """The user when the password is right and the account is open; records failures."""
    user = find_user(username)
    if user is None:
        verify_password(_dummy_hash(), password)
        log.info("login failed: unknown user")
        return None
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        verify_password(user.password_hash, password)
        log.info("login refused: user %s locked until %s", user.id, user.locked_until)
        return None
    if not user.active or not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_LOCK_FAILURES"]:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
            log.warning("user %s locked after repeated failures", user.id)
        db.session.commit()
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def set_password(user: User, password: str):
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    end_sessions(user)


def end_sessions(user: User):
    """Every session cookie issued so far stops working."""
    user.session_token = new_session_token()


def create_user(username: str, password: str, role: str, **scope) -> User:
    user = User(username=username.strip().lower(), role=role, password_hash=hash_password(password),
                password_changed_at=utcnow(), **scope)
    db.session.add(user)
    db.session.flush()
    return user
