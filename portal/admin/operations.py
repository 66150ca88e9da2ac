"""Account changes by the system administrator, each with its audit line (docs/rules/accounts.md#ac7),
and resolving a role's scope anchor from the account form. Functions flush at most; the view commits."""
from flask_babel import gettext as _
from sqlalchemy import select

from portal.auth import mfa
from portal.auth.models import User
from portal.auth.operations import create_user, end_sessions, set_password
from portal.platform import access, audit
from portal.platform.extensions import db
from portal.registry.identity import IdNumberError, classify
from portal.registry.models import Person, Unit
from portal.registry.operations import authority_for

SCOPE_KEYS = ("unit_id", "authority_id", "person_id")


def scope_for(form) -> tuple[dict, dict]:
    """({unit_id/authority_id/person_id}, {field name: error}) for the role chosen in the form."""
    role = form.role.data
    scope = {key: None for key in SCOPE_KEYS}
    errors = {}
    if role in access.UNIT_STAFF:
        unit = db.session.scalar(select(Unit).where(Unit.code == (form.unit_code.data or "")))
        if unit is None:
            errors["unit_code"] = _("Enter the code of an existing unit.")
        else:
            scope["unit_id"] = unit.id
    elif role == access.VOLUNTEER:
        try:
            number = classify(form.person_id_number.data, allow_passport=True)[1]
        except IdNumberError:
            number = None
        person = db.session.scalar(select(Person).where(Person.id_number == number)) if number else None
        if person is None:
            errors["person_id_number"] = _("No registered volunteer has this ID number.")
        else:
            scope["person_id"] = person.id
    elif role in access.AUTHORITIES:
        county, field = form.county.data or None, form.field.data or None
        if role in (access.COUNTY, access.SECTOR_LOCAL) and not county:
            errors["county"] = _("Choose the county or city.")
        if role in (access.SECTOR_LOCAL, access.SECTOR_CENTRAL) and not field:
            errors["field"] = _("Choose the service field.")
        if not errors:
            scope["authority_id"] = authority_for(role, county, field).id
    return scope, errors


def record_account_change(user, action: str, **detail):
    audit.record(action, user, username=user.username, role=user.role, **detail)


def create_account(username: str, password: str, role: str, display_name: str, active: bool, scope: dict) -> User:
    """A new account whose initial password must be changed at the first sign-in."""
    user = create_user(username, password, role, display_name=display_name, active=active, **scope)
    user.must_change_password = True
    record_account_change(user, "user.create", **{k: v for k, v in scope.items() if v})
    return user


def update_account(user: User, username: str, display_name: str, role: str, active: bool, scope: dict):
    """Name, role, scope and whether the account may sign in; a new role or a disabled account ends every
    session of the account."""
    before = {"role": user.role, "active": user.active, "unit_id": user.unit_id,
              "authority_id": user.authority_id, "person_id": user.person_id}
    user.username, user.display_name, user.role, user.active = username, display_name, role, active
    for key, value in scope.items():
        setattr(user, key, value)
    if before["role"] != user.role or not user.active:
        end_sessions(user)
    after = {k: getattr(user, k) for k in before}
    record_account_change(user, "user.update", changes={k: [before[k], after[k]] for k in before
                                                        if before[k] != after[k]})


def reset_account_password(user: User, password: str):
    """A new initial password; every session ends and the user must change it at the next sign-in."""
    set_password(user, password)
    user.must_change_password = True
    record_account_change(user, "user.reset_password")


def reset_account_mfa(user: User):
    """Lost phone: two-step sign-in is set up again at the next sign-in; every session ends."""
    mfa.reset(user)
    end_sessions(user)
    record_account_change(user, "user.reset_mfa")


def unlock_account(user: User):
    user.locked_until = None
    user.failed_logins = 0
    record_account_change(user, "user.unlock")
