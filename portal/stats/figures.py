"""The dashboards' figures other than headcounts (kpi.py), each read from a summary or an index range.

What each reads at the ministry's scope (19,500 units, 1.2 M volunteers, 97 M hour entries):
- completeness now: the county rows of the completeness summary (a few hundred rows); a narrower scope
  sums its units' rows (completeness_days, a few rows per unit);
- completeness by month: the trend rows (trend.py), twelve per scope and year;
- hours per year: hour_unit_years (about 25,000 rows a year, index (year, unit_id) with the totals included);
- data kept online: the distinct units of one month in hour_unit_months (index (year, month, unit_id)),
  against the number of units of the scope;
- insured share: the `insurance` count of the completeness summary (covered for the unit's service today);
- record books and honor cards issued per year: index ranges over issue days (ix_record_books_issued,
  honor_cards by approved_on), counted per year;
- hours, books and cards of past years: kept by each worker for a while (memo.py), this year's read live;
- award applications per round: the applications of the year's rounds (a few thousand each), by status
  and channel.
No figure reads hour entries, memberships or people.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from flask import g
from sqlalchemy import and_, distinct, extract, func, select

from portal.awards.models import ApplicationStatus, AwardApplication, AwardRound, Channel
from portal.honor_cards.models import HonorCard, HonorCardApplication
from portal.hours.summaries import HourUnitMonth, HourUnitYear
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.records.completeness import COUNTS, Rate, totals
from portal.records.models import CompletenessCountyDay, RecordBook
from portal.records.rates import scope_total, unit_counts
from portal.registry.models import Unit

from . import memo
from .scopes import View

YEARS_SHOWN = 5     # this year and the four before


def units_of(view: View):
    return select(Unit.id).where(view.condition)


def _in_scope(view: View, unit_column):
    """The condition on a unit id column; none for the whole country (no join to read)."""
    return None if view.key == "all" else unit_column.in_(units_of(view))


def _where(query, *conditions):
    return query.where(*[c for c in conditions if c is not None])


# --- completeness --------------------------------------------------------------------------------

def completeness_now(view: View, today: date) -> Rate:
    """The scope's counts today; read once per request (the key figures, the month and the year tables all
    show it)."""
    memo = g.setdefault("stats_completeness", {})
    if (view.key, today) not in memo:
        memo[(view.key, today)] = _completeness_now(view, today)
    return memo[(view.key, today)]


def _completeness_now(view: View, today: date) -> Rate:
    if view.key == "all":
        row = db.session.execute(select(*[func.coalesce(func.sum(getattr(CompletenessCountyDay, c)), 0).label(c)
                                          for c in COUNTS]).where(CompletenessCountyDay.day <= today)).one()
        return Rate.of(row)
    return scope_total(view.condition, today)


@dataclass
class Guided:
    units: int              # units of the scope the authority guides
    complete: int           # of them, with volunteers and every record complete
    rate: Rate              # their counts together


def guided(view: View, today: date) -> Guided | None:
    """The units of the scope whose sector authority is the dashboard's authority (target 100 %)."""
    if view.authority_id is None:
        return None
    ids = list(db.session.scalars(select(Unit.id).where(view.condition, Unit.sector_authority_id == view.authority_id)))
    if not ids:
        return Guided(0, 0, Rate.of(None))
    rates = list(unit_counts(ids, today).values())
    full = sum(1 for r in rates if r.people and r.complete == r.people)
    return Guided(len(ids), full, totals(rates))


# --- hours ---------------------------------------------------------------------------------------

def hours_by_year(view: View, years: list[int]) -> dict[int, int]:
    """Half-hours entered per year (the year an entry starts), 0 for a year without any; past years from the
    worker's memo (memo.py)."""
    return memo.per_year(("hours", view.key), years, today_taipei().year, lambda ys: _hours_by_year(view, ys))


def _hours_by_year(view: View, years: list[int]) -> dict[int, int]:
    query = _where(select(HourUnitYear.year, func.sum(HourUnitYear.half_hours))
                   .where(HourUnitYear.year.in_(years)).group_by(HourUnitYear.year),
                   _in_scope(view, HourUnitYear.unit_id))
    found = {int(y): int(n or 0) for y, n in db.session.execute(query)}
    return {y: found.get(y, 0) for y in years}


def online_month(year: int, today: date) -> tuple[int, int]:
    """The month whose hours show that a unit keeps its data online: last month for this year, December for
    a past one (docs/kpi.md)."""
    if year >= today.year:
        last = today.replace(day=1) - timedelta(days=1)
        return last.year, last.month
    return year, 12


@dataclass
class Online:
    year: int
    month: int
    with_hours: int     # units of the scope with hours entered for the month
    units: int          # units of the scope

    @property
    def pct(self) -> float | None:
        return round(100 * self.with_hours / self.units, 1) if self.units else None


def online(view: View, year: int, today: date) -> Online:
    y, m = online_month(year, today)
    with_hours = db.session.scalar(_where(
        select(func.count(distinct(HourUnitMonth.unit_id))).where(HourUnitMonth.year == y, HourUnitMonth.month == m),
        _in_scope(view, HourUnitMonth.unit_id))) or 0
    return Online(y, m, with_hours, unit_count(view))


# --- record books and honor cards ------------------------------------------------------------------

def _per_year(column, years: list[int], *conditions) -> dict[int, int]:
    if len(years) == 1:     # this year alone (past years come from the memo): a plain count of the index range,
        only = years[0]     # a third of the cost of computing and grouping by each row's year
        n = db.session.scalar(_where(select(func.count()).where(column >= date(only, 1, 1),
                                                                column <= date(only, 12, 31)), *conditions))
        return {only: int(n or 0)}
    year = extract("year", column)
    query = _where(select(year, func.count()).where(column >= date(min(years), 1, 1), column <= date(max(years), 12, 31))
                   .group_by(year), *conditions)
    found = {int(y): int(n) for y, n in db.session.execute(query)}
    return {y: found.get(y, 0) for y in years}


def books_by_year(view: View, years: list[int]) -> dict[int, int]:
    """Record books issued per year (a cancelled book was still issued), counted for the unit that asked;
    past years from the worker's memo (memo.py)."""
    return memo.per_year(("books", view.key), years, today_taipei().year,
                         lambda ys: _per_year(RecordBook.issued_on, ys, _in_scope(view, RecordBook.unit_id)))


def cards_by_year(view: View, years: list[int]) -> dict[int, int]:
    """Honor cards approved per year: for the county that issued them, and for a narrower scope (a field, a
    unit) the cards applied for through its units; past years from the worker's memo (memo.py)."""
    return memo.per_year(("cards", view.key), years, today_taipei().year, lambda ys: _cards_by_year(view, ys))


def _cards_by_year(view: View, years: list[int]) -> dict[int, int]:
    if view.key == "all":
        condition = None
    elif view.key.startswith("county:"):
        condition = HonorCard.county_code == view.county_code
    else:
        condition = HonorCard.application_id.in_(select(HonorCardApplication.id).where(
            HonorCardApplication.unit_id.in_(units_of(view))))
    return _per_year(HonorCard.approved_on, years, condition)


# --- award applications ---------------------------------------------------------------------------

STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.FORWARDED, ApplicationStatus.APPROVED,
            ApplicationStatus.RETURNED, ApplicationStatus.WITHDRAWN)


@dataclass
class RoundCounts:
    round: AwardRound
    by_status: dict
    online: int
    paper: int

    @property
    def total(self) -> int:
        return self.online + self.paper


def awards_by_round(view: View, year: int) -> list[RoundCounts]:
    rounds = list(db.session.scalars(select(AwardRound).where(AwardRound.year == year)
                                     .order_by(AwardRound.scheme, AwardRound.id)))
    if not rounds:
        return []
    counts = defaultdict(int)
    query = _where(select(AwardApplication.round_id, AwardApplication.status, AwardApplication.channel, func.count())
                   .where(AwardApplication.round_id.in_([r.id for r in rounds]))
                   .group_by(AwardApplication.round_id, AwardApplication.status, AwardApplication.channel),
                   _in_scope(view, AwardApplication.unit_id))
    for round_id, status, channel, n in db.session.execute(query):
        counts[(round_id, status, channel)] += n
    out = []
    for r in rounds:
        by_status = {s: sum(counts[(r.id, s, c)] for c in Channel) for s in STATUSES}
        out.append(RoundCounts(r, by_status, sum(counts[(r.id, s, Channel.ONLINE)] for s in STATUSES),
                               sum(counts[(r.id, s, Channel.PAPER)] for s in STATUSES)))
    return out


# --- per county and per unit (the drill-down rows) ---------------------------------------------------

def hours_by_county(view: View, year: int) -> dict[str, int]:
    query = (select(Unit.county_code, func.sum(HourUnitYear.half_hours)).join(Unit, Unit.id == HourUnitYear.unit_id)
             .where(HourUnitYear.year == year, view.condition).group_by(Unit.county_code))
    return {c: int(n or 0) for c, n in db.session.execute(query)}


def online_by_county(view: View, year: int, today: date) -> dict[str, tuple[int, int]]:
    """county -> (units with hours for the online month, units)."""
    y, m = online_month(year, today)
    units = dict(db.session.execute(select(Unit.county_code, func.count()).where(view.condition)
                                    .group_by(Unit.county_code)).all())
    with_hours = dict(db.session.execute(
        select(Unit.county_code, func.count(distinct(HourUnitMonth.unit_id))).join(Unit, Unit.id == HourUnitMonth.unit_id)
        .where(HourUnitMonth.year == y, HourUnitMonth.month == m, view.condition).group_by(Unit.county_code)).all())
    return {c: (int(with_hours.get(c, 0)), int(n)) for c, n in units.items()}


def unit_count(view: View) -> int:
    return db.session.scalar(select(func.count()).select_from(Unit).where(view.condition)) or 0


def scope_units(view: View) -> list:
    """(id, code, name, name_en) of every unit of the scope by county and code (a download)."""
    return list(db.session.execute(select(Unit.id, Unit.code, Unit.name, Unit.name_en).where(view.condition)
                                   .order_by(Unit.county_code, Unit.code, Unit.id)))


def unit_figures(unit_ids: list[int], year: int, today: date) -> dict[int, dict]:
    """Per unit: hours of the year, whether hours were entered for the online month."""
    if not unit_ids:
        return {}
    y, m = online_month(year, today)
    hours = dict(db.session.execute(select(HourUnitYear.unit_id, func.sum(HourUnitYear.half_hours))
                                    .where(HourUnitYear.unit_id.in_(unit_ids), HourUnitYear.year == year)
                                    .group_by(HourUnitYear.unit_id)).all())
    entered = set(db.session.scalars(select(HourUnitMonth.unit_id).where(
        HourUnitMonth.unit_id.in_(unit_ids), and_(HourUnitMonth.year == y, HourUnitMonth.month == m))))
    return {u: {"half_hours": int(hours.get(u, 0) or 0), "online": u in entered} for u in unit_ids}
