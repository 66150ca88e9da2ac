"""Award-channel statistics of a round: online and paper applications per applying body (docs/rules/awards.md#a10).

An *applying body* (申請單位 in the ministry's statistics) is the sector authority that checks a unit's
applications and forwards them to the ministry: the unit's local sector authority (Unit.sector_authority_id,
a county's social or health bureau...), or, for a unit without one, the central sector authority of the
unit's field (scopes.reviewed_units). Online applications are the units' own; paper ones were entered by
that body from the unit's paper form, so both count for the same body.

An application *counts* (符合獎勵規定者, "meets the award rules") unless it was withdrawn by the unit or
returned by a reviewer: every application, online or paper, was made through the eligibility engine,
and a return is the reviewer's finding that it does not meet the rules (or is incomplete). A volunteer
counts once per round, through their latest counting application, so national totals are the sum of the
bodies. A body counts when at least one of its applications counts; its class is *fully online* with no
paper application, *paper only* with no online one, *partly online* with both.

Everything comes from one grouped statement over the round's applications (at most a few tens of
thousands of rows, read through the round index), never from hour data.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from flask import abort
from sqlalchemy import and_, case, false, func, select, true
from sqlalchemy.orm import aliased

from portal.platform import access
from portal.platform.extensions import db
from portal.registry.catalog import COUNTIES
from portal.registry.models import Authority, AuthorityKind, Unit
from portal.registry.scopes import unit_scope

from .models import ApplicationStatus, AwardApplication, AwardRound, Channel
from .rules import SECTOR_ROLES
from .scopes import reviewed_units

# Withdrawn (the unit pulled it) and returned (a reviewer found it short) applications do not count.
COUNTED = (ApplicationStatus.SUBMITTED, ApplicationStatus.FORWARDED, ApplicationStatus.APPROVED)
READERS = access.AUTHORITIES
SUMMARY_KEYS = ("round", "bodies", "eligible", "online", "paper", "online_pct", "paper_pct",
                "fully_online", "partly_online", "paper_only")
_COUNTY_ORDER = {c.code: n for n, c in enumerate(COUNTIES)}
_KIND_ORDER = {AuthorityKind.SECTOR_LOCAL: 0, AuthorityKind.SECTOR_CENTRAL: 1}


class BodyClass(StrEnum):
    """The values are the summary's keys."""
    FULLY_ONLINE = "fully_online"
    PARTLY_ONLINE = "partly_online"
    PAPER_ONLY = "paper_only"


def body_class(online: int, paper: int) -> BodyClass | None:
    """Fully online with no paper application, paper only with no online one, partly with both; None for a
    body none of whose applications count (it is not an applying body of the round)."""
    if online == 0 and paper == 0:
        return None
    if paper == 0:
        return BodyClass.FULLY_ONLINE
    if online == 0:
        return BodyClass.PAPER_ONLY
    return BodyClass.PARTLY_ONLINE


def share(part: int, whole: int) -> float | None:
    """part / whole as a percentage to one decimal, halves rounded up (1,935 of 5,360 -> 36.1); None for 0."""
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass
class BodyRow:
    body_id: int | None          # None: units without any sector authority (none in the registry's reference)
    name: str
    name_en: str
    county_code: str | None
    online: int
    paper: int

    @property
    def eligible(self) -> int:
        return self.online + self.paper

    @property
    def online_pct(self) -> float | None:
        return share(self.online, self.eligible)

    @property
    def paper_pct(self) -> float | None:
        return share(self.paper, self.eligible)

    @property
    def body_class(self) -> BodyClass | None:
        return body_class(self.online, self.paper)


def channel_unit_scope(user):
    """Units whose applications the user may count: all for the ministry, the county's for a county, the
    units it reviews (its own body) for a sector authority; nothing for anyone else."""
    role = getattr(user, "role", access.ANONYMOUS)
    if role == access.MINISTRY:
        return true()
    if role in SECTOR_ROLES:
        return reviewed_units(user)
    if role == access.COUNTY:
        return unit_scope(user)
    return false()


def get_round_or_404(round_id: int, user) -> AwardRound:
    """Any round, for the authorities that read its statistics (the rounds themselves are the ministry's)."""
    award_round = db.session.get(AwardRound, round_id) if getattr(user, "role", None) in READERS else None
    if award_round is None:
        abort(404)
    return award_round


def body_rows(round_id: int, unit_condition=None) -> list[BodyRow]:
    """Per applying body of the round (within `unit_condition`, a condition on Unit): its counting online
    and paper applications; bodies in the catalogue's county order, local before central, then by name."""
    latest = (select(func.max(AwardApplication.id).label("id"))
              .where(AwardApplication.round_id == round_id, AwardApplication.status.in_(COUNTED))
              .group_by(AwardApplication.person_id).subquery())
    local, central = aliased(Authority), aliased(Authority)
    body_id = func.coalesce(local.id, central.id)
    columns = (body_id, func.coalesce(local.name, central.name), func.coalesce(local.name_en, central.name_en),
               func.coalesce(local.county_code, central.county_code), func.coalesce(local.kind, central.kind))
    online = func.sum(case((AwardApplication.channel == Channel.ONLINE, 1), else_=0))
    paper = func.sum(case((AwardApplication.channel == Channel.PAPER, 1), else_=0))
    query = (select(*columns, online, paper)
             .select_from(AwardApplication)
             .join(latest, latest.c.id == AwardApplication.id)
             .join(Unit, Unit.id == AwardApplication.unit_id)
             .outerjoin(local, local.id == Unit.sector_authority_id)
             .outerjoin(central, and_(Unit.sector_authority_id.is_(None), central.kind == AuthorityKind.SECTOR_CENTRAL,
                                      central.field_code == Unit.field_code))
             .group_by(*columns))
    if unit_condition is not None:
        query = query.where(unit_condition)
    rows = [(BodyRow(bid, name or "", name_en or "", county, int(on or 0), int(pa or 0)), kind)
            for bid, name, name_en, county, kind, on, pa in db.session.execute(query)]
    rows.sort(key=lambda r: (_COUNTY_ORDER.get(r[0].county_code, len(_COUNTY_ORDER)),
                             _KIND_ORDER.get(r[1], 2), r[0].name, r[0].body_id or 0))
    return [row for row, _kind in rows if row.eligible]


def summarise(round_id: int, rows: list[BodyRow]) -> dict:
    """The national (or the scope's) totals of body rows, with exactly SUMMARY_KEYS."""
    online, paper = sum(r.online for r in rows), sum(r.paper for r in rows)
    classes = [r.body_class for r in rows]
    return {"round": round_id, "bodies": len(rows), "eligible": online + paper, "online": online, "paper": paper,
            "online_pct": share(online, online + paper), "paper_pct": share(paper, online + paper),
            "fully_online": classes.count(BodyClass.FULLY_ONLINE),
            "partly_online": classes.count(BodyClass.PARTLY_ONLINE),
            "paper_only": classes.count(BodyClass.PAPER_ONLY)}


def round_summary(round_id: int, unit_condition=None) -> dict:
    """The round's totals: applying bodies, counting applications online and on paper, their shares (one
    decimal, halves up; None when nothing counts) and the bodies per class. `unit_condition` (a condition on
    Unit, e.g. channel_unit_scope(user)) limits it to a user's scope; None is the whole nation."""
    return summarise(round_id, body_rows(round_id, unit_condition))
