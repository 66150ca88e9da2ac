"""Service hours: the lists (own, unit's, authority's), their export, a volunteer's totals and a unit's months.

Entering hours (form, grid, corrections, voids) is in entry_views.py, claims in claim_views.py."""
from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.platform import access, audit
from portal.platform.database import expect_write, reads_from_replica
from portal.platform.exports import spool_csv, spool_xlsx
from portal.platform.extensions import db
from portal.platform.forms import options
from portal.platform.htmx import page_or_fragment
from portal.platform.pagination import CURSOR_ARG
from portal.platform.params import arg, to_int
from portal.platform.timeutil import today_taipei
from portal.registry.scopes import get_person_or_404, get_unit_or_404
from portal.registry.unit_filter import fill_unit_filter

from . import bp
from .forms import ExportForm, HoursFilter, field_options
from .labels import FILTERS, GLOBALS
from .listing import entries_page, export_rows, filter_totals, pending_claims
from .operations import person_totals, unit_monthly_totals, unit_yearly_totals
from .scopes import READERS, may_export_full_ids, totals_row_units
from .spreadsheets import headers

for _name, _filter in FILTERS.items():
    bp.add_app_template_filter(_filter, _name)
for _name, _global in GLOBALS.items():
    bp.add_app_template_global(_global, _name)


def hours_filter(form_class=HoursFilter):
    form = form_class(request.args)
    if current_user.role == access.VOLUNTEER and "status" not in request.args:
        form.status.data = ""  # a volunteer sees claims and voided entries too
    form.field.choices = options([("", _("Any field"))]) + field_options()
    if current_user.role == access.VOLUNTEER:    # own entries from every unit: no unit to narrow to
        form.unit.choices = options([("", _("All my units"))])
    else:
        fill_unit_filter(form.unit, current_user, _("All my units"), request.args.get("unit", ""))
    if not form.validate():
        for f in (form.q, form.start, form.end, form.field, form.status, form.unit):
            if f.errors:
                f.data = None if f in (form.start, form.end) else ""
    return form


@bp.get("/")
@access.allow(*READERS)
@reads_from_replica
def index():
    form = hours_filter()
    page = entries_page(form, current_user, request.args.get(CURSOR_ARG))
    totals = filter_totals(form, current_user)
    if current_user.role == access.VOLUNTEER:  # the summary follows the filter's dates (by unit, field, year)
        period = (form.start.data, form.end.data) if form.start.data or form.end.data else None
        mine = person_totals(current_user.person_id, None, *(period or ())) if current_user.person_id else None
        return page_or_fragment("hours/mine.html", "results", form=form, page=page, totals=mine, period=period,
                                filter_totals=totals, link_to_person_pages=False)
    return page_or_fragment("hours/index.html", "results", form=form, page=page, filter_totals=totals,
                            pending=pending_claims(current_user), staff=current_user.role in access.UNIT_STAFF,
                            link_to_person_pages=True)


@bp.get("/export")
@access.allow(*access.UNIT_STAFF, *access.AUTHORITIES, access.VOLUNTEER)
def export():
    """The filtered entries as CSV or XLSX, spooled (platform.exports): rows read through a server-side
    cursor, memory flat; the audit row, with the exact row count and the file's hash, is committed before
    the file is sent. A volunteer exports their own entries (the entry scope: docs/rules/my-data.md#md3)."""
    expect_write()
    form = hours_filter(ExportForm)
    full_id = form.full_id.data == "1" and may_export_full_ids(current_user)
    layout = form.layout.data if form.layout.data in ("mohw", "portal") else "portal"
    rows = export_rows(db.session.connection(), form, current_user, layout, full_id)
    stamp = today_taipei().isoformat()
    if form.format.data == "xlsx":
        spool = spool_xlsx("Sheet1", headers(layout), rows)
        mimetype, name = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          f"hours-{layout}-{stamp}.xlsx")
    else:
        spool, mimetype, name = spool_csv(headers(layout), rows), "text/csv", f"hours-{layout}-{stamp}.csv"
    audit.record("hours.export", current_user._get_current_object(), rows=spool.rows, layout=layout,
                 full_id=full_id, sha256=spool.sha256,
                 filters={k: v for k, v in request.args.items() if k not in ("page", CURSOR_ARG)})
    db.session.commit()
    return spool.response(name, mimetype)


# -- totals -------------------------------------------------------------------------------------

@bp.get("/people/<int:person_id>")
@access.allow(*READERS)
@reads_from_replica
def person(person_id):
    person = get_person_or_404(person_id, current_user)
    form = hours_filter()
    # The totals follow the dates the entries are filtered by (labelled with them), as on the volunteer's page.
    period = (form.start.data, form.end.data) if form.start.data or form.end.data else None
    totals = person_totals(person.id, totals_row_units(current_user), *(period or ()))
    page = entries_page(form, current_user, request.args.get(CURSOR_ARG), person_id=person.id)
    return page_or_fragment("hours/person.html", "results", person=person, totals=totals, form=form, page=page,
                            period=period, link_to_person_pages=current_user.role != access.VOLUNTEER)


@bp.get("/units/<int:unit_id>")
@access.allow(*access.RECORD_READERS)
@reads_from_replica
def unit(unit_id):
    unit = get_unit_or_404(unit_id, current_user)
    # One year at a time: volunteers are counted distinct per month from the person-month summaries, and a
    # big unit's whole history is ~300,000 of those rows (50-66 ms on the 200,000-volunteer set for ~95 months).
    years = unit_yearly_totals(unit.id)
    wanted = arg("year", to_int, 1900, 2999)
    year = wanted if wanted in {y.year for y in years} else (years[0].year if years else None)
    months = unit_monthly_totals(unit.id, year) if year else []
    return render_template("hours/unit.html", unit=unit, years=years, year=year, months=months,
                           total=sum(m.half_hours for m in months))
