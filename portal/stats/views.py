"""The dashboards of the authorities (county, local and central sector, ministry), each in its scope, and the
downloads of their tables (CSV and XLSX, audited).

/stats/                     the user's own scope (the ministry: the country; a county: its county; ...)
/stats/county/<code>        a county of a scope that spans counties (ministry, central sector authority)
/stats/unit/<id>            a unit of the scope; its volunteers are on records' completeness page
…/download?table=&format=   one table of that dashboard as CSV or XLSX, with the same numbers as the page
"""
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.platform import access, audit, downloads
from portal.platform.database import expect_write, reads_from_replica
from portal.platform.exports import csv_response, xlsx_bytes
from portal.platform.extensions import db
from portal.platform.htmx import is_fragment_request, page_or_fragment
from portal.platform.i18n import localized, year_label
from portal.platform.timeutil import today_taipei
from portal.registry.catalog import COUNTY_BY_CODE, FIELD_BY_CODE

from . import bp, dashboard, drill, figures, scopes, trend
from .scopes import COUNTY, NATION, UNIT, View
from .tables import PCT, TEXT, cell_text, export_value

FIRST_YEAR = 2001       # the earliest service dates the portal takes (docs/rules/hours.md#h6)
ORDER = ("summary", "months", "years", "volunteers", "awards")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def chosen_year(today) -> int:
    year = request.args.get("year", type=int) or today.year
    if not FIRST_YEAR <= year <= today.year:
        abort(404)
    return year


def scope_name(view: View) -> str:
    if view.level == UNIT:
        return localized(view.unit)
    field = localized(FIELD_BY_CODE.get(view.field_code)) if view.field_code else ""
    if view.level == NATION:
        return _("%(field)s, whole country", field=field) if field else _("Whole country")
    county = localized(COUNTY_BY_CODE.get(view.county_code))
    return f"{county} {field}".strip() if view.key.startswith("county_field:") else county


def crumbs(view: View, year: int) -> list[tuple[str, str | None]]:
    """The way back up: the user's own dashboard, the county, the unit (the last is the page itself)."""
    own = scopes.own(current_user)
    out = [(scope_name(own), url_for("stats.index", year=year))]
    if own.level == NATION and view.level in (COUNTY, UNIT):
        out.append((scope_name(scopes.county(current_user, view.county_code)),
                    url_for("stats.county_dashboard", code=view.county_code, year=year)))
    if view.level == UNIT:
        out.append((scope_name(view), None))
    return out


def keep_trend(view: View, today):
    """The scope's value of this month, written on its first view of the day (trend.py), in its own short
    write transaction."""
    if trend.written_on(view.key, today) == today:
        return
    db.session.commit()
    expect_write()
    trend.keep(view.key, figures.completeness_now(view, today), today)
    db.session.commit()


def export_url(view: View, year: int):
    """The download of one table of this dashboard (the same scope and year)."""
    def url(name: str, fmt: str) -> str:
        if view.level == UNIT:
            return url_for("stats.unit_export", unit_id=view.unit.id, table=name, format=fmt, year=year)
        if request.endpoint == "stats.county_dashboard":
            return url_for("stats.county_export", code=view.county_code, table=name, format=fmt, year=year)
        return url_for("stats.export", table=name, format=fmt, year=year)
    return url


def render(view: View):
    today = today_taipei()
    year = chosen_year(today)
    context = {"view": view, "year": year, "today": today, "COUNTY": COUNTY, "UNIT": UNIT, "cell_text": cell_text,
               "PCT": PCT, "TEXT": TEXT, "units": None, "page": None, "export_url": export_url(view, year)}
    if view.level == COUNTY:
        context["units"], context["page"] = drill.units_page(view, year, today, request.args.get("cursor"))
    if is_fragment_request() and context["units"] is not None:
        return page_or_fragment("stats/dashboard.html", "units", **context)
    if year == today.year:
        keep_trend(view, today)
    tables = [dashboard.BUILDERS[name](view, year, today) for name in ORDER]
    if view.level == NATION:
        tables.append(drill.counties(view, year, today))
    years = list(range(today.year, max(FIRST_YEAR, today.year - 9) - 1, -1))
    context.update(tables=tables, name=scope_name(view), crumbs=crumbs(view, year),
                   year_options=[(y, year_label(y)) for y in years], summary=tables[0])
    return render_template("stats/dashboard.html", **context)


@bp.get("/")
@access.allow(*access.AUTHORITIES)
@reads_from_replica
def index():
    return render(scopes.own(current_user))


@bp.get("/county/<code>")
@access.allow(*access.AUTHORITIES)
@reads_from_replica
def county_dashboard(code):
    return render(scopes.county(current_user, code))


@bp.get("/unit/<int:unit_id>")
@access.allow(*access.AUTHORITIES)
@reads_from_replica
def unit_dashboard(unit_id):
    return render(scopes.unit(current_user, unit_id))


# --- downloads -------------------------------------------------------------------------------------

def table_of(view: View, name: str, year: int, today):
    if name in dashboard.BUILDERS:
        return dashboard.BUILDERS[name](view, year, today)
    if name == "counties" and view.level == NATION:
        return drill.counties(view, year, today)
    if name == "units" and view.level == COUNTY:
        return drill.units_all(view, year, today)
    abort(404)


def download(view: View):
    """?table=<name>&format=csv|xlsx (the key figures as CSV when not given)."""
    name, fmt = request.args.get("table", "summary"), request.args.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        abort(404)
    expect_write()
    today = today_taipei()
    year = chosen_year(today)
    table = table_of(view, name, year, today)
    rows = [[export_value(v) for v in row] for row in table.rows]
    audit.record("stats.export", current_user._get_current_object(), table=name, scope=view.key, year=year,
                 format=fmt, rows=len(rows))
    db.session.commit()
    filename = f"stats-{name}-{view.key.replace(':', '-')}-{year}.{fmt}"
    if fmt == "csv":
        return csv_response(filename, table.header, rows)
    return downloads.send(xlsx_bytes([(name, table.header, rows)]), filename, XLSX)


@bp.get("/download")
@access.allow(*access.AUTHORITIES)
def export():
    return download(scopes.own(current_user))


@bp.get("/county/<code>/download")
@access.allow(*access.AUTHORITIES)
def county_export(code):
    return download(scopes.county(current_user, code))


@bp.get("/unit/<int:unit_id>/download")
@access.allow(*access.AUTHORITIES)
def unit_export(unit_id):
    return download(scopes.unit(current_user, unit_id))
