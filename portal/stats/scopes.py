"""Which dashboard a user may open: their own scope, a county inside it, or one of its units.

A dashboard is drawn for a *view*: the scope key of records.serving (what the summaries are kept per), the SQL
condition on Unit of registry.scopes, and the authority whose guided units carry the 100 % target
(docs/kpi.md). Drilling down narrows the user's own scope, never widens it:
- the ministry opens any county (key `county:X`) and any unit;
- a central sector authority opens its field in any county (`county_field:X:F`) and its units;
- a county or local sector authority has one county: its own dashboard is the county level;
- a county of another scope, an unknown code or a unit outside the scope answers 404 (as a missing one).
"""
from dataclasses import dataclass

from flask import abort
from sqlalchemy import and_, select

from portal.platform import access
from portal.platform.extensions import db
from portal.records.serving import user_key
from portal.registry.catalog import COUNTY_BY_CODE
from portal.registry.models import Authority, AuthorityKind, Unit
from portal.registry.scopes import get_unit_or_404, unit_scope

NATION, COUNTY, UNIT = "nation", "county", "unit"
# Roles whose own scope spans counties: their dashboard lists counties, a county's lists units.
SPANNING = (access.MINISTRY, access.SECTOR_CENTRAL)


@dataclass(frozen=True)
class View:
    key: str                    # the summaries' scope key
    level: str                  # NATION (lists counties), COUNTY (lists units) or UNIT
    condition: object           # SQL condition on Unit
    county_code: str | None = None
    field_code: str | None = None
    unit: Unit | None = None
    authority_id: int | None = None   # whose guided units (Unit.sector_authority_id) must reach 100 %


def own(user) -> View:
    """The user's own dashboard (authorities only; the route policy admits no one else)."""
    key = user_key(user)
    authority = user.authority
    if key is None or authority is None:
        abort(404)
    level = NATION if user.role in SPANNING else COUNTY
    return View(key, level, unit_scope(user), authority.county_code, authority.field_code,
                authority_id=authority.id)


def county_authority_id(code: str) -> int | None:
    return db.session.scalar(select(Authority.id).where(Authority.kind == AuthorityKind.COUNTY,
                                                        Authority.county_code == code))


def county(user, code: str) -> View:
    """One county of the user's scope; 404 for an unknown code or a county outside the scope."""
    base = own(user)
    code = (code or "").upper()
    if code not in COUNTY_BY_CODE:
        abort(404)
    if base.level == COUNTY:
        if code != base.county_code:
            abort(404)
        return base
    if user.role == access.MINISTRY:
        # The county's own dashboard as the county sees it: its guided units are the county authority's.
        return View(f"county:{code}", COUNTY, and_(base.condition, Unit.county_code == code), code,
                    authority_id=county_authority_id(code))
    return View(f"county_field:{code}:{base.field_code}", COUNTY, and_(base.condition, Unit.county_code == code),
                code, base.field_code, authority_id=base.authority_id)


def unit(user, unit_id: int) -> View:
    """One unit of the user's scope (404 outside it, as registry.scopes decides)."""
    found = get_unit_or_404(unit_id, user)
    return View(f"unit:{found.id}", UNIT, Unit.id == found.id, found.county_code, found.field_code, found)
