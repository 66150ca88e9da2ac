"""Self-service accounts: a volunteer activates the account a unit's registration entitles them to, and anyone
recovers a forgotten password (docs/rules/accounts.md#act1 to #rec4). Functions flush at most; the view commits.

No enumeration (ACT1): asking for a code does the same work whether or not the details match anyone — one
lookup, one code made and hashed, one message text rendered, one code row and one audit row written — and
the view answers with the same redirect. Only the message itself is queued for a match; it is delivered in
the background (portal.notifications), which is started after either answer, so sending takes no time in the
request either.
"""
from datetime import date

from flask import current_app, url_for
from flask_babel import get_locale
from sqlalchemy import exists, false, or_, select, update
from sqlalchemy.orm import contains_eager

from portal.auth import signals
from portal.auth.models import User
from portal.auth.operations import create_user, new_password_problems, set_password
from portal.notifications.operations import PENDING, notify, queue_message
from portal.platform import access, audit
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from portal.registry.identity import IdNumberError, classify, normalise
from portal.registry.models import Membership, Person

from . import messages
from .models import OneTimeCode
from .rules import (
    MAX_TRIES,
    Channel,
    Purpose,
    choose_channel,
    expiry,
    is_open,
    keyed_hash,
    link_expiry,
    masked,
    new_code,
    new_link_token,
    normalise_code,
    same_hash,
)


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def code_digest(purpose: str, owner: str, code: str) -> str:
    return keyed_hash(_secret(), "code", purpose, owner, code)


def link_digest(token: str) -> str:
    return keyed_hash(_secret(), "link", token)


def limit_key(kind: str, text: str) -> str:
    """The rate-limit key of a typed ID number or username: the same for the same person however typed, and
    never the number itself (the limiter's storage is Redis, outside the audited database)."""
    return keyed_hash(_secret(), "limit", kind, normalise(text).lower())[:32]


def _owner(person_id: int | None = None, user_id: int | None = None) -> str:
    return f"person:{person_id}" if person_id else f"user:{user_id}" if user_id else "none"


def _locale() -> str:
    return str(get_locale() or "zh_Hant_TW")


def _deliver_either_way():
    """ACT1: committing queued messages starts their delivery after the request (portal.notifications.dispatch);
    a request that matched nobody starts it too, so the time that takes does not tell a known ID from an
    unknown one. (With NOTIFY_SEND_AFTER_COMMIT="inline" the sending itself happens in the request and
    would: production uses "job".)"""
    db.session.info[PENDING] = True


def _code_row(purpose: str, code: str, channel: str, address: str, *, person_id=None, user_id=None,
              token: str | None = None, issued_by_id=None) -> OneTimeCode:
    now = utcnow()
    row = OneTimeCode(purpose=purpose, person_id=person_id, user_id=user_id, channel=channel,
                      sent_to=masked(channel, address), created_at=now, expires_at=expiry(now, channel),
                      code_hash=code_digest(purpose, _owner(person_id, user_id), code), issued_by_id=issued_by_id)
    if token is not None:
        row.link_hash, row.link_expires_at = link_digest(token), link_expiry(now)
    db.session.add(row)
    return row


def _send_code(row: OneTimeCode, address: str, subject: str, body: str) -> OneTimeCode:
    """The code row, and its message when there is an address (ACT1). When nobody matched, the message is
    written all the same — to nobody, in a savepoint that is then rolled back: the same statements run
    either way, and nothing is kept or sent."""
    nested = db.session.begin_nested()  # flushes the code row first
    queue_message(row.channel if address else Channel.EMAIL, address or "-", subject, body, user_id=row.user_id,
                  purpose="code")
    if address:
        nested.commit()
    else:
        nested.rollback()
    _deliver_either_way()
    return row


# --- activation ---------------------------------------------------------------------------------------------

def registered_person(id_number: str) -> Person | None:
    """A person some unit has registered (a membership in any unit, current or ended): ACT1."""
    return db.session.scalar(select(Person).where(
        Person.id_number == id_number, exists().where(Membership.person_id == Person.id)))


def request_activation(id_number: str, birth_date: date, preferred: str) -> OneTimeCode:
    """ACT1: a code to the phone or e-mail on file of the registered volunteer with this ID number and birth
    date; the same work, and no message, when nobody matches."""
    person = registered_person(id_number)
    matched = person is not None and person.birth_date is not None and person.birth_date == birth_date
    channel, address = choose_channel(preferred, person.email, person.phone) if matched else (Channel.NONE, "")
    code = new_code()
    row = _code_row(Purpose.ACTIVATE, code, channel, address, person_id=person.id if matched else None)
    _send_code(row, address, *messages.activation_message(code, channel, _locale()))
    audit.record("accounts.activation_requested", row, matched=matched, channel=channel, sent_to=row.sent_to)
    return row


def newest_code(purpose: str, *, person_id: int | None = None, user_id: int | None = None) -> OneTimeCode | None:
    """ACT4: only the newest code of a purpose counts; asking again makes the older ones worthless."""
    # Nobody: the same query, finding nothing, so an unknown ID costs what a known one does.
    owner = (OneTimeCode.person_id == person_id if person_id is not None
             else OneTimeCode.user_id == user_id if user_id is not None else false())
    return db.session.scalar(select(OneTimeCode).where(owner, OneTimeCode.purpose == purpose)
                             .order_by(OneTimeCode.created_at.desc(), OneTimeCode.id.desc()).limit(1))


def check_code(row: OneTimeCode | None, purpose: str, typed: str) -> bool:
    """ACT2/ACT3: right, open (not expired, used or locked) and the newest. A wrong code counts one try
    (an UPDATE of the row, so two wrong tries at once both count); the view commits it."""
    code = normalise_code(typed) or ""
    owner = _owner(row.person_id, row.user_id) if row is not None else "none"
    right = same_hash(row.code_hash if row is not None else None, code_digest(purpose, owner, code))
    if row is None or not is_open(row.expires_at, row.used_at, row.tries, utcnow()):
        return False
    if not right:
        count_wrong_try(row)
    return right


def count_wrong_try(row: OneTimeCode):
    db.session.execute(update(OneTimeCode).where(OneTimeCode.id == row.id)
                       .values(tries=OneTimeCode.tries + 1).execution_options(synchronize_session=False))
    db.session.refresh(row)


def use_code(row: OneTimeCode) -> bool:
    """Marks the code used, once: of two requests with the same code at the same moment only one wins."""
    result = db.session.execute(update(OneTimeCode).where(
        OneTimeCode.id == row.id, OneTimeCode.used_at.is_(None), OneTimeCode.tries < MAX_TRIES)
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    db.session.refresh(row)
    return result.rowcount == 1


def account_of(person: Person) -> User | None:
    return db.session.scalar(select(User).where(User.person_id == person.id))


def username_for(person: Person) -> str:
    """ACT5: the account's username is the person's ID number (in lower case, as every username is stored);
    signing in accepts it in either case."""
    return person.id_number.lower()


def username_taken(person: Person) -> bool:
    """Another account (made by hand before self-service existed) already has the ID number as its username."""
    return db.session.scalar(select(User.id).where(User.username == username_for(person))) is not None


def volunteer_password_problems(person: Person, password: str) -> list[str]:
    """The volunteer password policy (AC3) with the person's own words, before the account exists."""
    draft = User(username=username_for(person), role=access.VOLUNTEER, display_name=person.name)
    draft.person = person
    return new_password_problems(draft, password)


def activate(person: Person, row: OneTimeCode, password: str) -> User | None:
    """ACT5: the volunteer's one account (a person serving in several units gets one), signed in with the ID
    number and the chosen password. None when the code was used meanwhile."""
    if not use_code(row):
        return None
    user = create_user(username_for(person), password, access.VOLUNTEER, person_id=person.id,
                       display_name=person.name, locale=_locale())
    audit.record("user.activated", user, username=user.username, role=user.role, code_channel=row.channel)
    notify([user], "accounts.created", link=url_for("auth.login"), username=user.username, role=user.role)
    return user


def print_activation_code(person: Person, clerk: User) -> tuple[OneTimeCode, str]:
    """ACT6: an 8-character code the unit prints for a volunteer with neither phone nor e-mail."""
    code = new_code(printed=True)
    row = _code_row(Purpose.ACTIVATE, code, Channel.PRINT, "", person_id=person.id, issued_by_id=clerk.id)
    db.session.flush()
    audit.record("accounts.activation_code_printed", row, person_id=person.id, unit_id=clerk.unit_id)
    return row, code


# --- recovery -----------------------------------------------------------------------------------------------

def find_account(identifier: str) -> User | None:
    """The account with this username, or the volunteer account of the person with this ID number."""
    username = (identifier or "").strip().lower()
    try:
        number = classify(identifier, allow_passport=True)[1]
    except IdNumberError:
        number = None
    users = db.session.scalars(
        select(User).outerjoin(Person, User.person_id == Person.id).options(contains_eager(User.person))
        .where(or_(User.username == username, Person.id_number == number if number else false()))).unique().all()
    return min(users, key=lambda u: u.username != username, default=None)


def request_recovery(identifier: str, preferred: str) -> OneTimeCode:
    """REC1: a code and a link to the e-mail or phone on file of an open account; the same work, and no
    message, for an unknown or disabled one."""
    user = find_account(identifier)
    matched = user is not None and user.active
    channel, address = (choose_channel(preferred, user.contact_email, user.contact_phone) if matched
                        else (Channel.NONE, ""))
    code, token = new_code(), new_link_token()
    row = _code_row(Purpose.RECOVER, code, channel, address, user_id=user.id if matched else None, token=token)
    locale = (user.locale if matched else None) or _locale()
    link = messages.external_url("accounts.recover_link", token=token)
    _send_code(row, address, *messages.recovery_message(code, link, channel, locale))
    audit.record("accounts.recovery_requested", row, matched=matched, channel=channel, sent_to=row.sent_to)
    return row


def row_for_link(token: str) -> OneTimeCode | None:
    """REC1: the recovery that this link belongs to, while it is open and the account's newest."""
    row = db.session.scalar(select(OneTimeCode).where(OneTimeCode.link_hash == link_digest(token or ""),
                                                      OneTimeCode.purpose == Purpose.RECOVER))
    if row is None or row.user_id is None or not link_open(row):
        return None
    return row if newest_code(Purpose.RECOVER, user_id=row.user_id) is row else None


def link_open(row: OneTimeCode) -> bool:
    """REC1: after the code or the link was accepted, the new password may be chosen until the link expires."""
    return row.link_expires_at is not None and is_open(row.link_expires_at, row.used_at, row.tries, utcnow())


def recovery_problems(user: User, password: str) -> list[str]:
    return new_password_problems(user, password)


def recover(user: User, row: OneTimeCode, password: str) -> bool:
    """REC2-REC4: the new password; every session of the account ends, a lockout is lifted, the account is
    told by e-mail. False when the code was used meanwhile."""
    if not use_code(row):
        return False
    set_password(user, password)  # ends every session (AC6)
    user.must_change_password = False
    user.failed_logins, user.locked_until = 0, None
    audit.record("user.password_recovered", user, username=user.username, role=user.role, channel=row.channel)
    signals.password_changed.send(user, how="recovery")
    return True
