"""Data completeness pages (docs/rules/record-book.md#b9), read from the summaries (rates.py).

Three levels, each a bounded number of queries whatever the number of volunteers:
- authorities over several counties (ministry, central sector authorities): one row per county with
  its units, the units reaching the target and the counts; a county's row opens its units;
- a county's units (county and local sector authorities, or a county opened above): the units by code,
  one page at a time, under the totals of the whole list;
- one unit (its staff, or a unit an authority opened): the unit's counts and its volunteers by name, one
  page at a time, optionally only those with an incomplete record.
"""
from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, select

from portal.platform import access, audit
from portal.platform.database import expect_write, reads_from_replica
from portal.platform.exports import csv_response
from portal.platform.extensions import db
from portal.platform.forms import field_id, options
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import localized
from portal.platform.pagination import asc, keyset
from portal.platform.timeutil import today_taipei
from portal.registry.catalog import COUNTY_BY_CODE
from portal.registry.models import Unit
from portal.registry.scopes import get_unit_or_404, unit_scope

from . import bp
from .completeness import ITEM_LABELS, ITEMS, UnitRate, kpi_target, totals
from .forms import ListFilter
from .rates import (
    PEOPLE_ORDER,
    country_rates,
    county_rates,
    flags_on,
    people_query,
    person_rows,
    rates_of,
    unit_counts,
    unit_rates,
)

PER_PAGE = 50
# Scopes that span counties see one row per county first.
ROLLED_UP = (access.MINISTRY, access.SECTOR_CENTRAL)


def completeness_unit(form):
    """The unit whose people are listed: the clerk's own, or the one an authority picked."""
    if current_user.role in access.UNIT_STAFF:
        return current_user.unit
    unit_id = field_id(form.unit)
    return get_unit_or_404(unit_id, current_user) if unit_id else None


def chosen_county(form) -> str | None:
    """The county an authority over several counties opened (unknown codes: not found)."""
    code = (form.county.data or "").strip().upper()
    if not code:
        return None
    if code not in COUNTY_BY_CODE:
        abort(404)
    return code


@bp.get("/completeness")
@access.allow(*access.RECORD_READERS)
@reads_from_replica
def completeness():
    form = ListFilter(request.args)
    form.unit.choices = options([("", _("All units"))])
    today = today_taipei()
    target = kpi_target(today.year)
    unit = completeness_unit(form)
    # The labels in the request's language once, not once per cell (50 units x 8 items of lazy strings).
    context = {"unit": unit, "items": ITEMS, "labels": {k: str(v) for k, v in ITEM_LABELS.items()},
               "target": target, "form": form, "today": today,
               "choose_unit": current_user.role not in access.UNIT_STAFF,
               "counties": None, "county": None, "rates": None, "page": None}
    cursor = request.args.get("cursor")
    if unit:
        total = unit_counts([unit.id], today).get(unit.id) or UnitRate.of(None)
        shown = total.people - total.complete if form.incomplete.data else total.people
        context["page"] = keyset(people_query(unit.id, today, form.incomplete.data),
                                 PEOPLE_ORDER, cursor, PER_PAGE, total=shown,
                                 rows=lambda result: [(row, flags_on(row, today)) for row in result])
        context["total"] = total
        return page_or_fragment("records/completeness.html", "people", **context)
    county = chosen_county(form) if current_user.role in ROLLED_UP else None
    if current_user.role in ROLLED_UP and county is None:
        # The ministry's rows come from the county summary; a central sector authority's (one field) from
        # its units' rows.
        counties = country_rates(today) if current_user.role == access.MINISTRY else \
            county_rates(unit_scope(current_user), today, target)
        at_target = [c.units_at_target for c in counties if c.units_at_target is not None]
        context.update(counties=counties, total=totals(counties), units=sum(c.units for c in counties),
                       units_at_target=sum(at_target) if len(at_target) == len(counties) else None)
        return render_template("records/completeness.html", **context)
    condition = and_(unit_scope(current_user), Unit.county_code == county) if county else unit_scope(current_user)
    summary = county_rates(condition, today, target)
    context.update(county=county, total=totals(summary), units=sum(c.units for c in summary),
                   units_at_target=sum(c.units_at_target for c in summary))
    # Rows, not entities: the page needs the names only.
    page = keyset(select(Unit.id, Unit.code, Unit.name, Unit.name_en).where(condition), [asc(Unit.county_code), asc(Unit.code), asc(Unit.id)],
                  cursor, PER_PAGE, total=context["units"], rows=list)
    context.update(page=page, rates=rates_of(page.items, today))
    return page_or_fragment("records/completeness.html", "units", **context)


@bp.get("/completeness.csv")
@access.allow(*access.RECORD_READERS)
def completeness_export():
    expect_write()
    form = ListFilter(request.args)
    form.unit.choices = options([("", "")])
    today = today_taipei()
    unit = completeness_unit(form)
    if unit:
        header = [_("Name"), _("ID number")] + [str(ITEM_LABELS[i]) for i in ITEMS] + [_("Complete")]
        rows = [[p.name, p.masked_id] + [_("yes") if flags[i] else _("no") for i in ITEMS]
                + [_("yes") if all(flags.values()) else _("no")]
                for p, flags in person_rows(unit.id, today, only_incomplete=form.incomplete.data)]
        name = f"completeness-{unit.code}-{today.isoformat()}.csv"
    else:
        condition = unit_scope(current_user)
        county = chosen_county(form) if current_user.role in ROLLED_UP else None
        if county:
            condition = and_(condition, Unit.county_code == county)
        rates = unit_rates(condition, today)
        header = [_("Unit code"), _("Unit"), _("Volunteers")] + [str(ITEM_LABELS[i]) for i in ITEMS] + \
            [_("Complete records"), _("Items present (%)"), _("Complete records (%)")]
        rows = [[r.unit.code, localized(r.unit), r.people] + [r.items[i] for i in ITEMS] +
                [r.complete, f"{r.item_rate:.1f}", f"{r.complete_rate:.1f}"] for r in rates]
        name = f"completeness-{today.isoformat()}.csv"
    audit.record("completeness.export", current_user._get_current_object(), rows=len(rows),
                 unit_id=unit.id if unit else None)
    db.session.commit()
    return csv_response(name, header, rows)
