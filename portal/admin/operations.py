"""Account changes, each with its audit line (docs/rules/accounts.md#ac7, #am1), and resolving the scope anchor
of a new account from what the actor may name (#am2). Functions flush at most; the view commits."""
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.auth import mfa, signals
from portal.auth.models import User
from portal.auth.operations import account_scope, create_user, end_sessions, set_password
from portal.notifications.operations import notify
from portal.platform import access, audit

from .rules import manageable
from .scopes import anchor_of, county_unit

SCOPE_KEYS = ("unit_id", "authority_id", "person_id")
SCOPE_MESSAGES = {"unit": ("unit_code", _l("Enter the code of an existing unit.")),
                  "person": ("person_id_number", _l("No registered volunteer has this ID number.")),
                  "county": ("county", _l("Choose the county or city.")),
                  "field": ("field", _l("Choose the service field."))}


def _value(form, name: str) -> str | None:
    return form[name].data if name in form else None


def scope_for(form, actor, role: str) -> tuple[dict, dict]:
    """({unit_id/authority_id/person_id}, {field name: error}) of a new account of `role`, from the anchors
    `actor` may name: a supervisor's clerk joins the supervisor's unit, a county's staff the county's authority
    and a county's supervisor one of the county's own units (another county's unit reads as unknown)."""
    found, problems = {}, {}
    if actor.role == access.UNIT_SUPERVISOR:
        found = {"unit_id": actor.unit_id}
    elif actor.role == access.COUNTY and role == access.COUNTY:
        found = {"authority_id": actor.authority_id}
    elif actor.role == access.COUNTY:
        unit = county_unit(_value(form, "unit_code"), actor)
        if unit is None:
            problems["unit_code"] = _("Enter the code of one of your county's units.")
        else:
            found = {"unit_id": unit.id}
    else:
        found, missing = account_scope(role, unit_code=_value(form, "unit_code"),
                                       person_id_number=_value(form, "person_id_number"),
                                       county_code=_value(form, "county"), field_code=_value(form, "field"))
        problems = {SCOPE_MESSAGES[part][0]: str(SCOPE_MESSAGES[part][1]) for part in missing}
    return {key: None for key in SCOPE_KEYS} | found, problems


def may_manage(actor, user: User) -> bool:
    """AM1 for two accounts (a new one is checked once its anchor is set)."""
    return manageable(actor.role, anchor_of(actor), user.role, anchor_of(user), same_account=actor.id == user.id)


def record_account_change(user, action: str, **detail):
    audit.record(action, user, username=user.username, role=user.role, **detail)


def create_account(username: str, password: str, role: str, display_name: str, active: bool, scope: dict, *,
                   email: str = "", phone: str = "") -> User:
    """A new account whose initial password must be changed at the first sign-in. The account holder is told
    that the account exists, never the password: the person who created it hands that over."""
    user = create_user(username, password, role, display_name=display_name, active=active, email=email or "",
                       phone=phone or "", **scope)
    user.must_change_password = True
    record_account_change(user, "user.create", **{k: v for k, v in scope.items() if v})
    notify([user], "accounts.created", link=url_for("auth.change_password"), username=user.username, role=role)
    return user


def update_account(user: User, *, username: str, display_name: str, email: str, phone: str, role: str,
                   active: bool, scope: dict | None):
    """Name, contact, role, scope (None: unchanged) and whether the account may sign in; a new role or scope or
    a disabled account ends every session of the account."""
    keys = ("role", "active", "email", "phone", *SCOPE_KEYS)
    before = {k: getattr(user, k) for k in keys}
    user.username, user.display_name, user.role, user.active = username, display_name, role, active
    user.email, user.phone = email or "", phone or ""
    for key, value in (scope or {}).items():
        setattr(user, key, value)
    after = {k: getattr(user, k) for k in keys}
    if any(before[k] != after[k] for k in ("role", *SCOPE_KEYS)) or not user.active:
        end_sessions(user)
    record_account_change(user, "user.update", changes={k: [before[k], after[k]] for k in keys
                                                        if before[k] != after[k]})


def reset_account_password(user: User, password: str):
    """A new initial password; every session ends and the user must change it at the next sign-in."""
    set_password(user, password)
    user.must_change_password = True
    record_account_change(user, "user.reset_password")
    signals.password_changed.send(user, how="reset")


def reset_account_mfa(user: User):
    """Lost phone: two-step sign-in is set up again at the next sign-in; every session ends."""
    mfa.reset(user)
    end_sessions(user)
    record_account_change(user, "user.reset_mfa")


def unlock_account(user: User):
    user.locked_until = None
    user.failed_logins = 0
    record_account_change(user, "user.unlock")
