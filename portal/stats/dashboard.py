"""One dashboard (a scope and a year) as its tables: key figures, completeness by month, the years, the
volunteers by field and sector, the award rounds. The drill-down lists (counties, units) are in drill.py.

Each builder reads its figures (figures.py, the headcounts of kpi.py, the frozen trend of trend.py) and
returns a tables.Table; the page and the downloads call the same builder.
"""
from datetime import date

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _

from portal.awards.labels import round_label
from portal.awards.models import APPLICATION_STATUS_LABELS
from portal.platform.access import may_call
from portal.platform.charts import bar_chart, line_chart, stacked_bar_chart
from portal.platform.i18n import format_date, localized, year_label
from portal.records.completeness import Rate
from portal.registry.catalog import FIELD_BY_CODE
from portal.registry.labels import sector_label

from . import figures, trend
from .kpi import headcounts, headcounts_by, targets
from .scopes import UNIT, View
from .tables import (
    NUMBER,
    PCT,
    TEXT,
    Table,
    complete_pct,
    decimal,
    hours,
    insured_pct,
    pct,
    period_label,
    short_month,
)


def completeness_of_year(view: View, year: int, today: date) -> tuple[Rate | None, date | None]:
    """The completeness shown for `year`: today's for this year, the frozen December value for a past one."""
    if year >= today.year:
        return figures.completeness_now(view, today), today
    row = trend.year_ends(view.key, [year]).get(year)
    return (row.rate, row.as_of) if row else (None, None)


def _reached(value, target) -> str:
    if value is None or target is None:
        return ""
    return _("reached") if value >= target else _("not reached")


def summary(view: View, year: int, today: date) -> Table:
    goals = targets(year)
    rate, as_of = completeness_of_year(view, year, today)
    count = headcounts(view.key, year)
    online = figures.online(view, year, today)
    lines = [
        ("completeness", _("Complete records (%)"), complete_pct(rate), decimal(goals.completeness_pct)),
        ("volunteers", _("Active volunteers on 31 December"), count.volunteers, None),
        ("growth", _("Growth of active volunteers (%)"), decimal(count.growth_pct), decimal(goals.growth_pct)),
        ("volunteers_65", _("Active volunteers aged 65 or over"), count.volunteers_65, None),
        ("growth_65", _("Growth of volunteers aged 65 or over (%)"), decimal(count.growth_65_pct),
         decimal(goals.growth_65_pct)),
        ("insured", _("Insured (%)"), insured_pct(rate), None),
        ("online", _("Units with hours entered for %(month)s (%%)", month=period_label(online.year, online.month)),
         online.pct, None),
    ]
    guided = figures.guided(view, today) if year >= today.year and view.level != UNIT else None
    if guided and guided.units:
        lines[1:1] = [("guided", _("Complete records in the units the authority guides (%)"),
                       complete_pct(guided.rate), decimal(goals.completeness_guided_pct)),
                      ("guided_units", _("Guided units with every record complete"), guided.complete, guided.units)]
    # No target: an empty cell (not "n/a", which says a value cannot be computed).
    rows = [[label, value, "" if target is None else target, _reached(value, target)]
            for _key, label, value, target in lines]
    percent = {i for i, line in enumerate(lines) if line[0] not in ("volunteers", "volunteers_65", "guided_units")}
    note = _("Completeness and insurance on %(day)s.", day=format_date(as_of)) if as_of else \
        _("No completeness was recorded at the end of this year.")
    if count.provisional:
        note += " " + _("The year is not over: the headcount is the one of today and may still change.")
    return Table("summary", _("Key figures"), [_("Indicator"), _("Figure"), _("Target"), _("Status")],
                 [TEXT, NUMBER, NUMBER, TEXT], rows, note=note, keys=[line[0] for line in lines],
                 row_kinds={i: [TEXT, PCT, PCT, TEXT] for i in percent})


def months(view: View, year: int, today: date) -> Table:
    """Completeness and insured share at each month's end (this month: today)."""
    goals = targets(year)
    recorded = trend.months(view.key, year)
    last = today.month if year == today.year else 12
    rows, points, insured = [], [], []
    for month in range(1, last + 1):
        if year == today.year and month == today.month:
            rate, as_of = figures.completeness_now(view, today), today
        elif month in recorded:
            rate, as_of = recorded[month].rate, recorded[month].as_of
        else:
            rate, as_of = None, None
        rows.append([period_label(year, month), rate.people if rate else None, rate.complete if rate else None,
                     complete_pct(rate), rate.items.get("insurance") if rate else None, insured_pct(rate),
                     format_date(as_of) if as_of else _("not recorded")])
        # The chart's axis has room for short labels only (the year is in its title).
        points.append((short_month(month), complete_pct(rate)))
        insured.append((short_month(month), insured_pct(rate)))
    title = _("Completeness by month")
    charts = [line_chart(points, title=_("Complete records (%%) by month, %(year)s", year=year_label(year)), unit="%",
                         target=decimal(goals.completeness_pct)),
              line_chart(insured, title=_("Insured (%%) by month, %(year)s", year=year_label(year)), unit="%")]
    return Table("months", title,
                 [_("Month"), _("Volunteers"), _("Complete records"), _("Complete records (%)"), _("Insured"),
                  _("Insured (%)"), _("Recorded on")],
                 [TEXT, NUMBER, NUMBER, PCT, NUMBER, PCT, TEXT], rows, charts=charts, keys=list(range(1, last + 1)),
                 note=_("Each month shows the value last recorded in it (its end when the daily record ran on "
                        "the last day); a month without a value was not recorded."))


def years(view: View, year: int, today: date) -> Table:
    """The year and the four before: completeness at year end, hours, record books and honor cards issued."""
    shown = list(range(year - figures.YEARS_SHOWN + 1, year + 1))
    ends = trend.year_ends(view.key, shown)
    now = figures.completeness_now(view, today) if year >= today.year else None
    half_hours = figures.hours_by_year(view, shown)
    books, cards = figures.books_by_year(view, shown), figures.cards_by_year(view, shown)
    rows = []
    for y in shown:
        rate = now if (y == today.year and now is not None) else (ends[y].rate if y in ends else None)
        rows.append([period_label(y), complete_pct(rate), hours(half_hours[y]), books[y], cards[y]])
    labels = [r[0] for r in rows]
    charts = [bar_chart(list(zip(labels, [r[2] for r in rows], strict=True)), title=_("Service hours per year")),
              bar_chart(list(zip(labels, [r[3] for r in rows], strict=True)), title=_("Record books issued per year")),
              bar_chart(list(zip(labels, [r[4] for r in rows], strict=True)), title=_("Honor cards issued per year"))]
    return Table("years", _("Year by year"),
                 [_("Year"), _("Complete records at year end (%)"), _("Service hours"), _("Record books issued"),
                  _("Honor cards issued")],
                 [TEXT, PCT, NUMBER, NUMBER, NUMBER], rows, charts=charts, keys=shown,
                 note=_years_note())


def _headcount_row(label: str, group: str, count) -> list:
    return [label, group, count.volunteers_prev, count.volunteers, decimal(count.growth_pct),
            count.volunteers_65_prev, count.volunteers_65, decimal(count.growth_65_pct)]


def volunteers(view: View, year: int, today: date) -> Table:
    """Active volunteers on 31 December and aged 65+, this year against last, by field and by sector."""
    goals = targets(year)
    rows = [_headcount_row(_("All"), _("All"), headcounts(view.key, year))]
    keys = ["all"]
    by_field = headcounts_by(view.key, year, "field") if view.level != UNIT else {}
    by_sector = headcounts_by(view.key, year, "sector") if view.level != UNIT else {}
    # Groups without volunteers in either year are left out (16 fields, most empty in a county's field).
    for kind, label, found, name in (("field", _("Field"), by_field, lambda c: localized(FIELD_BY_CODE.get(c)) or c),
                                     ("sector", _("Sector"), by_sector, sector_label)):
        for code, count in found.items():
            if count.volunteers or count.volunteers_prev:
                rows.append(_headcount_row(label, name(code), count))
                keys.append(f"{kind}:{code}")
    fields = [(r[1], r[4]) for r, k in zip(rows, keys, strict=True) if k.startswith("field:")]
    fields_65 = [(r[1], r[7]) for r, k in zip(rows, keys, strict=True) if k.startswith("field:")]
    charts = [bar_chart(fields, title=_("Growth of active volunteers by field (%)"), unit="%",
                        target=decimal(goals.growth_pct)),
              bar_chart(fields_65, title=_("Growth of volunteers aged 65 or over by field (%)"), unit="%",
                        target=decimal(goals.growth_65_pct))] if fields else []
    return Table("volunteers", _("Active volunteers"),
                 [_("Breakdown"), _("Group"), period_label(year - 1), period_label(year), _("Growth (%)"),
                  _("Aged 65+ in %(year)s", year=period_label(year - 1)),
                  _("Aged 65+ in %(year)s", year=period_label(year)), _("Growth of 65+ (%)")],
                 [TEXT, TEXT, NUMBER, NUMBER, PCT, NUMBER, NUMBER, PCT], rows, charts=charts, keys=keys,
                 note=_("Active: serving on 31 December in a unit of the scope; targets: growth %(growth)s%%, "
                        "aged 65+ %(growth_65)s%%.", growth=goals.growth_pct, growth_65=goals.growth_65_pct))


def awards(view: View, year: int, today: date) -> Table:
    """Award applications of the year's rounds, by status and channel."""
    rounds = figures.awards_by_round(view, year)
    rows, links = [], []
    # The per-body channel page of a round (awards), for the roles that may open it.
    channels = has_request_context() and may_call("awards.channels")
    for r in rounds:
        rows.append([round_label(r.round), *[r.by_status[s] for s in figures.STATUSES], r.online, r.paper, r.total,
                     pct(r.online, r.total)])
        links.append(url_for("awards.channels", channel_round_id=r.round.id) if channels else None)
    chart = stacked_bar_chart([(row[0], [row[6], row[7]]) for row in rows], [_("Online"), _("Paper")],
                              title=_("Award applications per round: online and paper"))
    return Table("awards", _("Award applications per round"),
                 [_("Round"), *[str(APPLICATION_STATUS_LABELS.get(s, s)) for s in figures.STATUSES],
                  _("Online"), _("Paper"), _("Total"), _("Online (%)")],
                 [TEXT] + [NUMBER] * 8 + [PCT], rows, links, [chart] if rows else [],
                 note="" if rows else _("No award round in this year."), keys=[r.round.id for r in rounds])


BUILDERS = {"summary": summary, "months": months, "years": years, "volunteers": volunteers, "awards": awards}


def _years_note() -> str:
    note = _("This year's completeness is today's; hours count in the year an entry starts.")
    kept = current_app.config.get("STATS_PAST_SECONDS", 600)
    if kept > 0:    # memo.py
        note += " " + _("Past years' hours, record books and honor cards may be up to %(minutes)d minutes old.",
                        minutes=max(1, kept // 60))
    return note
