"""Roles and the route policy registry.

Every view declares the roles that may call it with @allow(...). A before-request hook
refuses any endpoint without a declaration (deny by default), and tests walk the URL map
to make sure no route is added without one. Which *rows* a role may touch is decided by
the scoped queries of each feature (units/scopes.py, volunteers/scopes.py), not here.
"""
from flask import abort, current_app, request
from flask_login import current_user

from .extensions import login_manager

ANONYMOUS = "anonymous"
VOLUNTEER = "volunteer"
UNIT_CLERK = "unit_clerk"
UNIT_SUPERVISOR = "unit_supervisor"
SECTOR_LOCAL = "sector_local"
COUNTY = "county"
SECTOR_CENTRAL = "sector_central"
MINISTRY = "ministry"
ADMIN = "admin"

ROLES = (VOLUNTEER, UNIT_CLERK, UNIT_SUPERVISOR, SECTOR_LOCAL, COUNTY, SECTOR_CENTRAL, MINISTRY, ADMIN)
UNIT_STAFF = (UNIT_CLERK, UNIT_SUPERVISOR)
AUTHORITIES = (SECTOR_LOCAL, COUNTY, SECTOR_CENTRAL, MINISTRY)
RECORD_READERS = UNIT_STAFF + AUTHORITIES
SIGNED_IN = ROLES
EVERYONE = ROLES + (ANONYMOUS,)

POLICY_ATTR = "allowed_roles"
EXEMPT_ENDPOINTS = {"static"}


def allow(*roles: str):
    """Register the roles allowed to call a view (the route policy registry)."""
    unknown = set(roles) - set(EVERYONE)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorate(view):
        setattr(view, POLICY_ATTR, frozenset(roles))
        return view
    return decorate


def allowed_roles(endpoint: str) -> frozenset | None:
    view = current_app.view_functions.get(endpoint)
    return getattr(view, POLICY_ATTR, None)


def current_role() -> str:
    return current_user.role if current_user.is_authenticated else ANONYMOUS


def may_call(endpoint: str, role: str | None = None) -> bool:
    roles = allowed_roles(endpoint)
    return roles is not None and (role or current_role()) in roles


def enforce_route_policy():
    """before_request: deny unless the endpoint is registered for the caller's role."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in EXEMPT_ENDPOINTS:
        return None
    roles = allowed_roles(endpoint)
    if roles is None:
        current_app.logger.error("route %s has no access policy; refused", endpoint)
        abort(403)
    role = current_role()
    if role in roles:
        return None
    if role == ANONYMOUS:
        return login_manager.unauthorized()
    abort(403)
