"""Cover over time as SQL (docs/rules/insurance.md#i5, #i6): which hour entries fall on a day without cover
by the unit's insurance, for a list or a count, set-based.

The pages read the kept flags (flags.py: `flagged_in_year`, `flagged_count`); `recomputed_in_year` is the
same rule computed from the raw rows, what the kept flags must equal. The gaps in the year's cover are found first, per member and unit, from the enrolments and memberships of the
units in scope (a window over each person's cover; measured: a probe per hour entry cost 10 s for a county of
20,000 volunteers and 220,000 entries in a year, almost all insured). The entries in a gap are then read by the
hour index on person and day, so the work grows with the members and their gaps, not with the hours served.
"""
from datetime import date

from sqlalchemy import Date, and_, case, exists, func, literal, or_, select, union_all

from portal.hours.models import HourEntry
from portal.platform.extensions import db
from portal.registry.models import Membership, Unit
from portal.registry.scopes import visible_unit_ids

from .days import next_day, prev_day
from .flag_hooks import settle
from .flags import FLAGGED_FROM, FLAGGED_STATUSES
from .models import (
    EnrolmentStatus,
    HourCoverCount,
    HourCoverFlag,
    InsuranceEnrolment,
    InsurancePolicy,
    PolicyStatus,
)
from .rules import cover_gaps, cover_overlaps, cover_periods


def unit_ids(user, unit_id: int | None = None):
    """The user's units (unit staff: their unit; an authority: its units), or one of them."""
    units = visible_unit_ids(user)
    return units.where(Unit.id == unit_id) if unit_id is not None else units


def gaps_in_year(units, year: int):
    """Subquery (person_id, unit_id, gap_start, gap_end): the days of `year` on which a member of one of `units`
    has no active cover for that unit's service (I5, I6). Built from the enrolments and memberships of the units
    with set operations (a window over each person's cover, hash joins), never a probe per hour entry: a person
    fully covered adds no row, one never covered adds the whole year."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    e, p = InsuranceEnrolment, InsurancePolicy
    cover = (select(e.person_id, e.unit_id,
                    case((e.starts_on < first, literal(first, Date)), else_=e.starts_on).label("s"),
                    case((e.ends_on > last, literal(last, Date)), else_=e.ends_on).label("t"))
             .join(p, p.id == e.policy_id)
             .where(e.unit_id.in_(units), e.status == EnrolmentStatus.ACTIVE, p.status == PolicyStatus.ACTIVE,
                    e.starts_on <= last, e.ends_on >= first).cte("cover"))
    before = func.max(cover.c.t).over(partition_by=(cover.c.person_id, cover.c.unit_id),
                                      order_by=(cover.c.s, cover.c.t), rows=(None, -1))
    ordered = select(cover.c.person_id, cover.c.unit_id, cover.c.s, before.label("before")).subquery()
    inside = select(ordered.c.person_id, ordered.c.unit_id,
                    case((ordered.c.before.is_(None), literal(first, Date)),
                         else_=next_day(ordered.c.before)).label("gap_start"),
                    prev_day(ordered.c.s).label("gap_end")).where(or_(
                        and_(ordered.c.before.is_(None), ordered.c.s > first),
                        ordered.c.s > next_day(ordered.c.before)))
    after = (select(cover.c.person_id, cover.c.unit_id, next_day(func.max(cover.c.t)).label("gap_start"),
                    literal(last, Date).label("gap_end"))
             .group_by(cover.c.person_id, cover.c.unit_id).having(func.max(cover.c.t) < last))
    never = (select(Membership.person_id, Membership.unit_id, literal(first, Date).label("gap_start"),
                    literal(last, Date).label("gap_end"))
             .where(Membership.unit_id.in_(units), ~exists().where(cover.c.person_id == Membership.person_id,
                                                                    cover.c.unit_id == Membership.unit_id))
             .distinct())
    return union_all(inside, after, never).subquery("gaps")


def recomputed_in_year(user, year: int, unit_id: int | None = None):
    """SQL condition on HourEntry, computed from the raw rows: counted or waiting, starting in `year`, in the
    user's units (or one of them), on at least one day of a gap in the unit's cover (I6). What the kept flags
    (flags.py) must always equal; the pages read those. One year at a time: cover recorded in the portal
    starts with its first policies, so earlier years would flag every entry, and a year bounds the work."""
    units = unit_ids(user, unit_id)
    gaps = gaps_in_year(units, year)
    in_gap = (select(HourEntry.id)
              .join(gaps, and_(gaps.c.person_id == HourEntry.person_id, gaps.c.unit_id == HourEntry.unit_id,
                               HourEntry.start_on <= gaps.c.gap_end, HourEntry.end_on >= gaps.c.gap_start))
              .where(HourEntry.start_on >= date(year, 1, 1), HourEntry.start_on <= date(year, 12, 31)))
    return and_(HourEntry.unit_id.in_(units), HourEntry.status.in_(FLAGGED_STATUSES),
                HourEntry.start_on >= max(date(year, 1, 1), FLAGGED_FROM), HourEntry.start_on <= date(year, 12, 31),
                HourEntry.id.in_(in_gap))


def flagged_in_year(user, year: int, unit_id: int | None = None):
    """SQL condition on HourCoverFlag: the kept flags (flags.py) of entries starting in `year` in the user's
    units (or one of them), read by the index (unit_id, start_on, hour_entry_id)."""
    return and_(HourCoverFlag.unit_id.in_(unit_ids(user, unit_id)),
                HourCoverFlag.start_on >= date(year, 1, 1), HourCoverFlag.start_on <= date(year, 12, 31))


def uninsured_entries(user, year: int, unit_id: int | None = None):
    """select(HourEntry) of the flagged entries (no order: the list pages it by keyset on HourCoverFlag's
    start_on and hour_entry_id). The session's own marks are settled first (flag_hooks.settle)."""
    settle(db.session)
    return (select(HourEntry).join(HourCoverFlag, HourCoverFlag.hour_entry_id == HourEntry.id)
            .where(flagged_in_year(user, year, unit_id)))


def uninsured_flags(user, year: int, unit_id: int | None = None):
    """select(hour_entry_id) of the kept flags only (no order): the list pages these by keyset over the flags'
    index and loads the page's entries after. Joining the entries before the page is cut would read every
    flagged entry of a county's year (measured: 15,259 entries of one county read for a page of 50, 0.5 s)."""
    settle(db.session)
    return select(HourCoverFlag.hour_entry_id).where(flagged_in_year(user, year, unit_id))


def flagged_count(user, year: int):
    """select(n, since_on): how many entries of `year` are flagged in the user's units, from the kept counts
    (a few hundred rows for a county), and the first day of the oldest, one index probe per unit with flags."""
    settle(db.session)
    c, f = HourCoverCount, HourCoverFlag
    first = (select(func.min(f.start_on)).where(f.unit_id == c.unit_id, f.start_on >= date(year, 1, 1),
                                                f.start_on <= date(year, 12, 31)).scalar_subquery())
    return select(func.coalesce(func.sum(c.entries), 0).label("n"), func.min(first).label("since_on")).where(
        c.unit_id.in_(unit_ids(user)), c.year == year, c.entries > 0)


def person_cover(person_id: int, user) -> dict[int, dict]:
    """{unit id: {"enrolments", "periods", "gaps", "overlaps"}} of one person for the user's units, every
    enrolment (void too); another unit's cover is that unit's business."""
    enrolments = db.session.scalars(
        select(InsuranceEnrolment).join(InsuranceEnrolment.policy)
        .where(InsuranceEnrolment.person_id == person_id, InsurancePolicy.status == PolicyStatus.ACTIVE,
               InsuranceEnrolment.unit_id.in_(visible_unit_ids(user)))
        .order_by(InsuranceEnrolment.unit_id, InsuranceEnrolment.starts_on, InsuranceEnrolment.id)).all()
    by_unit: dict[int, list] = {}
    for enrolment in enrolments:
        by_unit.setdefault(enrolment.unit_id, []).append(enrolment)
    out = {}
    for unit_id, rows in by_unit.items():
        periods = cover_periods(rows)
        out[unit_id] = {"unit": rows[0].unit, "enrolments": rows, "periods": periods, "gaps": cover_gaps(periods),
                        "overlaps": cover_overlaps(rows)}
    return out
