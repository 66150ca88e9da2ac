"""Account changes by the system administrator, each with its audit line (docs/rules/accounts.md#ac7),
and resolving a role's scope anchor from the account form. Functions flush at most; the view commits."""
from flask_babel import gettext as _

from portal.auth import mfa
from portal.auth.models import User
from portal.auth.operations import account_scope, create_user, end_sessions, set_password
from portal.platform import audit

SCOPE_KEYS = ("unit_id", "authority_id", "person_id")


def scope_for(form) -> tuple[dict, dict]:
    """({unit_id/authority_id/person_id}, {field name: error}) for the role chosen in the form."""
    found, missing = account_scope(form.role.data, unit_code=form.unit_code.data,
                                   person_id_number=form.person_id_number.data,
                                   county_code=form.county.data, field_code=form.field.data)
    messages = {"unit": ("unit_code", _("Enter the code of an existing unit.")),
                "person": ("person_id_number", _("No registered volunteer has this ID number.")),
                "county": ("county", _("Choose the county or city.")),
                "field": ("field", _("Choose the service field."))}
    return {key: None for key in SCOPE_KEYS} | found, dict(messages[part] for part in missing)


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
