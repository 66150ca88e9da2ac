"""Who manages which accounts (docs/rules/accounts.md#am1, #am2), pure: roles and anchors in, a decision out;
no database, no request. scopes.py turns the same rule into the SQL condition of the account list and of
the account loader; tests check that the two agree account by account.

An account's *anchor* is where it sits: a unit (and that unit's county) for unit staff, an authority (and
its county) for the authorities. The actor's anchor is compared with the target's."""
from dataclasses import dataclass

from portal.platform import access


@dataclass(frozen=True)
class Anchor:
    """Where an account sits. `county_code` is the unit's county for unit staff, the authority's for
    county and local sector accounts."""
    unit_id: int | None = None
    authority_id: int | None = None
    county_code: str | None = None


# AM1: the roles each role may create and manage. Accounts are managed where the people are: the unit's
# supervisor for its clerks, the county for its units' supervisors and its own staff, the ministry for the
# authorities; the system administrator keeps everything else (admin and volunteer accounts, second-factor
# resets, unlocking).
CREATES = {
    access.ADMIN: access.ROLES,
    access.UNIT_SUPERVISOR: (access.UNIT_CLERK,),
    access.COUNTY: (access.UNIT_SUPERVISOR, access.COUNTY),
    access.MINISTRY: access.AUTHORITIES,
}
# Roles that reach the account screens at all (the route policy of portal/admin/views.py).
MANAGERS = tuple(CREATES)
DELEGATED = (access.UNIT_SUPERVISOR, access.COUNTY, access.MINISTRY)


def creatable_roles(actor_role: str) -> tuple[str, ...]:
    """AM1: the roles of the accounts `actor_role` may create (and, within its anchor, manage)."""
    return tuple(CREATES.get(actor_role, ()))


def manageable(actor_role: str, actor_scope: Anchor, target_role: str, target_scope: Anchor, *,
               same_account: bool = False) -> bool:
    """AM1: may an account of `actor_role` at `actor_scope` create, edit, disable or reset the password of an
    account of `target_role` at `target_scope`? Delegated managers never manage their own account here (their
    own password is changed on the password page; disabling oneself would be a dead end)."""
    if actor_role == access.ADMIN:
        return True
    if same_account or target_role not in creatable_roles(actor_role):
        return False
    if actor_role == access.UNIT_SUPERVISOR:
        return actor_scope.unit_id is not None and target_scope.unit_id == actor_scope.unit_id
    if actor_role == access.COUNTY:
        if target_role == access.UNIT_SUPERVISOR:
            return (actor_scope.county_code is not None and target_scope.unit_id is not None
                    and target_scope.county_code == actor_scope.county_code)
        return actor_scope.authority_id is not None and target_scope.authority_id == actor_scope.authority_id
    return actor_role == access.MINISTRY


def may_change_role_and_scope(actor_role: str) -> bool:
    """AM2: only the system administrator moves an account to another role or scope; a delegated manager
    creates a new account instead (and disables the old one), so nobody widens an account beyond their own."""
    return actor_role == access.ADMIN


def may_reset_second_factor(actor_role: str) -> bool:
    """AM2: resetting two-step sign-in and unlocking stay with the system administrator, who confirms who is
    asking (docs/rules/accounts.md#ac5)."""
    return actor_role == access.ADMIN


def scope_fields(actor_role: str) -> tuple[str, ...]:
    """AM2: the scope anchors the account form asks of `actor_role`: the admin every anchor; a county the
    unit of a new supervisor (one of its own units; its own staff join its authority); the ministry county
    and field; a supervisor nothing (the clerk joins the supervisor's unit)."""
    if actor_role == access.ADMIN:
        return ("unit_code", "county", "field", "person_id_number")
    if actor_role == access.COUNTY:
        return ("unit_code",)
    if actor_role == access.MINISTRY:
        return ("county", "field")
    return ()
