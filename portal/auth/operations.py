"""Sign-in with per-account lockout; account creation."""
import logging

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal.platform import access
from portal.platform.dates import ROC_OFFSET
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from portal.registry.identity import IdNumberError, classify
from portal.registry.models import Person, Unit
from portal.registry.operations import authority_for

from .models import User, new_session_token
from .passwords import (
    PASSWORD_HISTORY,
    hash_password,
    needs_rehash,
    policy_problems,
    reuses_recent_password,
    verify_password,
)
from .rules import SCOPE_NEEDS, after_failure, is_locked

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
    """The user when the password is right and the account is open; records failures (the view commits
    them, also when it refuses the sign-in)."""
    user = find_user(username)
    if user is None:
        verify_password(_dummy_hash(), password)
        log.info("login failed: unknown user")
        return None
    if is_locked(user.locked_until, utcnow()):
        verify_password(user.password_hash, password)
        log.info("login refused: user %s locked until %s", user.id, user.locked_until)
        return None
    if not user.active or not verify_password(user.password_hash, password):
        record_failure(user)
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def record_success(user: User):
    """Only a complete sign-in (password, and code where required) clears the failure count."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()


def record_failure(user: User):
    """A wrong password or second-step code; the fifth in a row locks the account (rules.after_failure)."""
    user.failed_logins, locked_until = after_failure(user.failed_logins, current_app.config["LOGIN_LOCK_FAILURES"],
                                                     current_app.config["LOGIN_LOCK_MINUTES"], utcnow())
    if locked_until is not None:
        user.locked_until = locked_until
        log.warning("user %s locked after repeated failures", user.id)


def set_password(user: User, password: str):
    if user.password_hash:
        kept = [user.password_hash, *user.previous_password_hashes][:PASSWORD_HISTORY - 1]
        user.password_history = "\n".join(kept)
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


def password_context(user: User) -> tuple[str, ...]:
    """The user's own words that must not make up their password."""
    words = [user.username, user.display_name]
    if user.unit is not None:
        words += [user.unit.name, user.unit.code]
    person = user.person
    if person is not None:
        words += [person.name, person.id_number, *person.name_latin.replace(",", " ").split()]
        if person.birth_date:
            b = person.birth_date
            words += [b.strftime("%Y%m%d"), f"{b.year - ROC_OFFSET:03d}{b:%m%d}", f"{b.year - ROC_OFFSET}{b:%m%d}"]
    return tuple(w for w in words if w)


def new_password_problems(user: User, password: str) -> list[str]:
    """The policy for an existing account: its own words refused, and staff may not reuse recent ones."""
    problems = policy_problems(password, user.role, user.username, password_context(user))
    if (user.role != access.VOLUNTEER
            and reuses_recent_password(user.password_hash, user.previous_password_hashes, password)):
        problems.append(_("Choose a password you have not used for this account recently (the last %(n)d "
                          "are refused).", n=PASSWORD_HISTORY))
    return problems


def account_scope(role: str, *, unit_code: str | None = None, person_id_number: str | None = None,
                  county_code: str | None = None, field_code: str | None = None) -> tuple[dict, list[str]]:
    """The scope anchor of an account with `role` ({"unit_id"} / {"person_id"} / {"authority_id"} / {}),
    and the parts that are missing or unknown ("unit", "person", "county", "field"), in that order.
    The account form and `flask users add` both ask here and word the problems their own way."""
    needs = SCOPE_NEEDS.get(role, ())
    missing = [part for part in ("county", "field") if part in needs and not (county_code if part == "county"
                                                                               else field_code)]
    if "unit" in needs:
        unit = db.session.scalar(select(Unit).where(Unit.code == (unit_code or "")))
        return ({"unit_id": unit.id}, []) if unit is not None else ({}, ["unit"])
    if "person" in needs:
        try:
            number = classify(person_id_number, allow_passport=True)[1]
        except IdNumberError:
            number = None
        person = db.session.scalar(select(Person).where(Person.id_number == number)) if number else None
        return ({"person_id": person.id}, []) if person is not None else ({}, ["person"])
    if missing:
        return {}, missing
    if role == access.ADMIN:
        return {}, []
    return {"authority_id": authority_for(role, county_code or None, field_code or None).id}, []
