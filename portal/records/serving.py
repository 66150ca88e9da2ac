"""How many volunteers serve in a scope (the staff home page's "volunteers serving"), kept with the
completeness pairs (summaries.py) instead of counting distinct people over every membership of the scope on
each page load.

A scope is what registry.scopes.unit_scope gives a role: a unit, a county, a county's field (local sector
authority), a field (central sector authority) or everyone (ministry). A volunteer serving in two units
of a county counts once for the county, so the counts are kept per scope, not summed from units. Each
scope's count is split over SHARDS rows by person id, so that two transactions adding people to the same
county rarely wait for each other; the page sums the shards.

Units do not change county or field in the portal; if one ever does, rebuild.
"""
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import SmallInteger, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.platform import access
from portal.platform.extensions import db
from portal.registry.models import Unit

SHARDS = 16


class ServingCount(db.Model):
    """People with a current membership in a unit of `scope` whose id falls in `shard`."""
    __tablename__ = "serving_counts"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    people: Mapped[int]


def unit_keys(unit_id: int, county_code: str, field_code: str) -> set[str]:
    """The scopes a unit belongs to (each matches one branch of registry.scopes.unit_scope)."""
    return {"all", f"unit:{unit_id}", f"county:{county_code}", f"county_field:{county_code}:{field_code}",
            f"field:{field_code}"}


def user_key(user) -> str | None:
    """The scope of a staff or authority account (None: no scope)."""
    role, authority = user.role, getattr(user, "authority", None)
    if role in access.UNIT_STAFF:
        return f"unit:{user.unit_id}"
    if role == access.MINISTRY:
        return "all"
    if authority is None:
        return None
    return {access.COUNTY: f"county:{authority.county_code}",
            access.SECTOR_LOCAL: f"county_field:{authority.county_code}:{authority.field_code}",
            access.SECTOR_CENTRAL: f"field:{authority.field_code}"}.get(role)


def serving(user) -> int:
    key = user_key(user)
    if key is None:
        return 0
    return db.session.scalar(select(func.coalesce(func.sum(ServingCount.people), 0))
                             .where(ServingCount.scope == key)) or 0


def _units(run, unit_ids: Iterable[int]) -> dict[int, set[str]]:
    ids = sorted(set(unit_ids))
    if not ids:
        return {}
    return {u: unit_keys(u, c, f) for u, c, f in run(
        select(Unit.id, Unit.county_code, Unit.field_code).where(Unit.id.in_(ids)))}


def changes(run, before: dict[int, set[int]], after: dict[int, set[int]]) -> dict[tuple[str, int], int]:
    """(scope, shard) -> change, for people whose units went from `before` to `after` (person -> unit ids)."""
    moved = {p for p in before.keys() | after.keys() if before.get(p, set()) != after.get(p, set())}
    keys = _units(run, {u for p in moved for u in before.get(p, set()) | after.get(p, set())})
    out: dict[tuple[str, int], int] = defaultdict(int)
    for person_id in moved:
        old = set().union(*(keys.get(u, set()) for u in before.get(person_id, set())))
        new = set().union(*(keys.get(u, set()) for u in after.get(person_id, set())))
        for key in old ^ new:
            out[(key, person_id % SHARDS)] += 1 if key in new else -1
    return {k: v for k, v in out.items() if v}


def counted(run, units_by_person: dict[int, set[int]]) -> dict[tuple[str, int], int]:
    """(scope, shard) -> people, for these people from nothing (a rebuild)."""
    return changes(run, {}, units_by_person)
