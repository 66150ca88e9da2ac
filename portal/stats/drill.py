"""The drill-down lists of a dashboard: the counties of a scope that spans counties (ministry, central sector
authority), the units of a county (one page at a time; the download has them all). Each row links to the
next level down: county → its units → the unit's dashboard → the unit's volunteers (records' completeness
page, which lists them by name, one keyset page at a time)."""
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal.platform.charts import bar_chart
from portal.platform.i18n import localized
from portal.platform.pagination import KeysetPage, asc, keyset
from portal.records.completeness import Rate, UnitRate
from portal.records.rates import country_rates, county_rates, rates_of, unit_rates
from portal.registry.catalog import COUNTY_BY_CODE
from portal.registry.models import Unit

from . import figures, trend
from .kpi import headcounts_by, targets
from .scopes import View
from .tables import NUMBER, PCT, TEXT, Table, complete_pct, decimal, hours, insured_pct, pct, period_label

PER_PAGE = 50
UNIT_ORDER = (asc(Unit.county_code), asc(Unit.code), asc(Unit.id))


def _county_key(view: View, code: str) -> str:
    return f"county:{code}" if view.key == "all" else f"county_field:{code}:{view.field_code}"


def counties(view: View, year: int, today: date) -> Table:
    """One row per county of the scope: volunteers and growth, completeness, insured, hours, data online."""
    goals = targets(year)
    target = decimal(goals.completeness_pct)
    online = figures.online_by_county(view, year, today)
    if year >= today.year:
        found = country_rates(today) if view.key == "all" else county_rates(view.condition, today, int(target or 0))
        rates: dict[str, Rate | None] = {c.county_code: c for c in found}
    else:
        keys = {code: _county_key(view, code) for code in online}
        ends = trend.year_end_rows(list(keys.values()), year)
        rates = {code: ends[key].rate if key in ends else None for code, key in keys.items()}
    counts = headcounts_by(view.key, year, "county")
    half_hours = figures.hours_by_county(view, year)
    y, m = figures.online_month(year, today)
    rows, links = [], []
    codes = sorted(online, key=lambda c: list(COUNTY_BY_CODE).index(c) if c in COUNTY_BY_CODE else 99)
    for code in codes:
        with_hours, units = online[code]
        count, rate = counts.get(code), rates.get(code)
        rows.append([localized(COUNTY_BY_CODE.get(code)) or code, units,
                     count.volunteers if count else 0, decimal(count.growth_pct) if count else None,
                     decimal(count.growth_65_pct) if count else None, complete_pct(rate), insured_pct(rate),
                     hours(half_hours.get(code, 0)), with_hours, pct(with_hours, units)])
        links.append(url_for("stats.county_dashboard", code=code, year=year))
    chart = bar_chart([(r[0], r[5]) for r in rows], title=_("Complete records (%) by county"), unit="%",
                      target=target)
    return Table("counties", _("Counties"),
                 [_("County"), _("Number of units"), _("Active volunteers"), _("Growth (%)"), _("Growth of 65+ (%)"),
                  _("Complete records (%)"), _("Insured (%)"), _("Service hours"),
                  _("Units with hours for %(month)s", month=period_label(y, m)), _("Units online (%)")],
                 [TEXT, NUMBER, NUMBER, PCT, PCT, PCT, PCT, NUMBER, NUMBER, PCT], rows, links, [chart], keys=codes,
                 note=_("Open a county for its units."))


def _unit_table(view: View, year: int, today: date, units: list, rates: dict) -> Table:
    y, m = figures.online_month(year, today)
    more = figures.unit_figures([u.id for u in units], year, today)
    rows, links = [], []
    for u in units:
        rate = rates.get(u.id)
        rows.append([localized(u), u.code, rate.people if rate else None, complete_pct(rate), insured_pct(rate),
                     hours(more[u.id]["half_hours"]), more[u.id]["online"]])
        links.append(None)
    return Table("units", _("Units"),
                 [_("Unit"), _("Unit code"), _("Volunteers"), _("Complete records (%)"), _("Insured (%)"),
                  _("Service hours"), _("Hours entered for %(month)s", month=period_label(y, m))],
                 [TEXT, TEXT, NUMBER, PCT, PCT, NUMBER, TEXT], rows, links, keys=[u.id for u in units],
                 note=_("Volunteers and completeness today (for a past year: at its end, as recorded)."))


def _rates(units: list, year: int, today: date) -> dict[int, Rate | None]:
    if year >= today.year:
        return {r.unit.id: r for r in rates_of(units, today)}
    ends = trend.year_end_rows([f"unit:{u.id}" for u in units], year)
    return {u.id: ends[f"unit:{u.id}"].rate if f"unit:{u.id}" in ends else None for u in units}


def units_page(view: View, year: int, today: date, cursor: str | None) -> tuple[Table, KeysetPage]:
    """One page of the scope's units by county and code, under the number of all of them."""
    total = figures.unit_count(view)
    page = keyset(select(Unit.id, Unit.code, Unit.name, Unit.name_en).where(view.condition), UNIT_ORDER,
                  cursor, PER_PAGE, total=total, rows=list)
    table = _unit_table(view, year, today, page.items, _rates(page.items, year, today))
    table.links = [url_for("stats.unit_dashboard", unit_id=u.id, year=year) for u in page.items]
    return table, page


def units_all(view: View, year: int, today: date) -> Table:
    """Every unit of the scope (the download)."""
    if year >= today.year:
        found: list[UnitRate] = unit_rates(view.condition, today)
        return _unit_table(view, year, today, [r.unit for r in found], {r.unit.id: r for r in found})
    units = figures.scope_units(view)
    return _unit_table(view, year, today, units, _rates(units, year, today))
