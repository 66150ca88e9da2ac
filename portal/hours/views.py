"""Service hours: the lists (own, unit's, authority's), their export, a volunteer's totals and a unit's months.

Entering hours (form, grid, corrections, voids) is in entry_views.py, claims in claim_views.py."""
import hashlib

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager

from portal.platform import access, audit
from portal.platform.database import expect_write
from portal.platform.exports import csv_bytes, xlsx_bytes
from portal.platform.extensions import db
from portal.platform.forms import options
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import localized
from portal.platform.pagination import paginate
from portal.platform.timeutil import today_taipei
from portal.registry.identity import normalise
from portal.registry.models import Person
from portal.registry.scopes import get_person_or_404, get_unit_or_404

from . import bp
from .forms import ExportForm, HoursFilter, field_options
from .labels import FILTERS, GLOBALS
from .models import EntryStatus, HourEntry
from .operations import person_totals, unit_monthly_totals
from .scopes import READERS, entry_scope, filter_units, may_export_full_ids, totals_row_units, writable_entry_scope
from .spreadsheets import headers, mohw_row, portal_row

for _name, _filter in FILTERS.items():
    bp.add_app_template_filter(_filter, _name)
for _name, _global in GLOBALS.items():
    bp.add_app_template_global(_global, _name)


def hours_filter(form_class=HoursFilter):
    form = form_class(request.args)
    if current_user.role == access.VOLUNTEER and "status" not in request.args:
        form.status.data = ""  # a volunteer sees claims and voided entries too
    form.field.choices = options([("", _("Any field"))]) + field_options()
    units = filter_units(current_user)
    form.unit.choices = options([("", _("All my units"))] + [(str(u.id), f"{u.code} {localized(u)}") for u in units])
    if not form.validate():
        for f in (form.q, form.start, form.end, form.field, form.status, form.unit):
            if f.errors:
                f.data = None if f in (form.start, form.end) else ""
    return form


def filtered(query, form):
    if form.q.data:
        query = query.where(or_(Person.name.contains(form.q.data, autoescape=True),
                                Person.id_number.startswith(normalise(form.q.data).rstrip("*"), autoescape=True)))
    if form.start.data:
        query = query.where(HourEntry.end_on >= form.start.data)
    if form.end.data:
        query = query.where(HourEntry.start_on <= form.end.data)
    if form.field.data:
        query = query.where(HourEntry.field_code == form.field.data)
    if form.status.data:
        query = query.where(HourEntry.status == form.status.data)
    if form.unit.data and form.unit.data.isdigit():
        query = query.where(HourEntry.unit_id == int(form.unit.data))
    return query


def entries_query(form, condition=None):
    query = (select(HourEntry).join(HourEntry.person).join(HourEntry.unit)
             .options(contains_eager(HourEntry.person), contains_eager(HourEntry.unit))
             .where(entry_scope(current_user)))
    if condition is not None:
        query = query.where(condition)
    return filtered(query, form).order_by(HourEntry.start_on.desc(), HourEntry.id.desc())


def filtered_totals(form, condition=None):
    query = (select(func.count(HourEntry.id), func.coalesce(func.sum(HourEntry.half_hours), 0))
             .join(HourEntry.person).where(entry_scope(current_user)))
    if condition is not None:
        query = query.where(condition)
    return db.session.execute(filtered(query, form)).one()


@bp.get("/")
@access.allow(*READERS)
def index():
    form = hours_filter()
    page = paginate(entries_query(form), form.page.data or 1, 25)
    count, half = filtered_totals(form)
    if current_user.role == access.VOLUNTEER:
        totals = person_totals(current_user.person_id, None) if current_user.person_id else None
        return page_or_fragment("hours/mine.html", "results", form=form, page=page, totals=totals,
                                count=count, half=half, link_to_person_pages=False)
    pending = 0
    if current_user.role in access.UNIT_STAFF:
        pending = db.session.scalar(select(func.count(HourEntry.id)).where(
            writable_entry_scope(current_user), HourEntry.status == EntryStatus.PENDING))
    return page_or_fragment("hours/index.html", "results", form=form, page=page, count=count, half=half,
                            pending=pending, staff=current_user.role in access.UNIT_STAFF, link_to_person_pages=True)


@bp.get("/export")
@access.allow(*access.UNIT_STAFF, *access.AUTHORITIES)
def export():
    expect_write()
    form = hours_filter(ExportForm)
    full_id = form.full_id.data == "1" and may_export_full_ids(current_user)
    entries = db.session.scalars(entries_query(form)).all()
    layout = form.layout.data if form.layout.data in ("mohw", "portal") else "portal"
    make_row = mohw_row if layout == "mohw" else portal_row
    header, rows = headers(layout), [make_row(e, full_id) for e in entries]
    stamp = today_taipei().isoformat()
    if form.format.data == "xlsx":
        body, mimetype, name = (xlsx_bytes([("Sheet1", header, rows)]),
                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                f"hours-{layout}-{stamp}.xlsx")
    else:
        body, mimetype, name = csv_bytes(header, rows), "text/csv", f"hours-{layout}-{stamp}.csv"
    audit.record("hours.export", current_user._get_current_object(), rows=len(rows), layout=layout,
                 full_id=full_id, sha256=hashlib.sha256(body).hexdigest(),
                 filters={k: v for k, v in request.args.items() if k != "page"})
    db.session.commit()
    return download(body, mimetype, name)


def download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# -- totals -------------------------------------------------------------------------------------

@bp.get("/people/<int:person_id>")
@access.allow(*READERS)
def person(person_id):
    person = get_person_or_404(person_id, current_user)
    totals = person_totals(person.id, totals_row_units(current_user))
    form = hours_filter()
    page = paginate(entries_query(form, HourEntry.person_id == person.id), form.page.data or 1, 25)
    return page_or_fragment("hours/person.html", "results", person=person, totals=totals, form=form, page=page,
                            link_to_person_pages=current_user.role != access.VOLUNTEER)


@bp.get("/units/<int:unit_id>")
@access.allow(*access.RECORD_READERS)
def unit(unit_id):
    unit = get_unit_or_404(unit_id, current_user)
    months = unit_monthly_totals(unit.id)
    return render_template("hours/unit.html", unit=unit, months=months,
                           total=sum(m.half_hours for m in months))
