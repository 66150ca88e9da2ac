"""Cover over time: hours served on days without the unit's cover (unit and county lists), and one
volunteer's cover periods with their gaps and overlaps (docs/rules/insurance.md#i5, #i6)."""
from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.hours.models import HourEntry
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.forms import options
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import year_label
from portal.platform.pagination import CURSOR_ARG, desc, keyset
from portal.platform.params import id_or_none
from portal.platform.timeutil import today_taipei
from portal.registry.scopes import get_person_or_404
from portal.registry.unit_filter import fill_unit_filter

from . import bp
from .cover import person_cover, uninsured_flags
from .flags import FLAGGED_FROM
from .forms import UninsuredFilter
from .models import HourCoverFlag

READERS = (*access.UNIT_STAFF, access.COUNTY)
PER_PAGE = 50
YEARS_BACK = 10
ORDER = (desc(HourCoverFlag.start_on), desc(HourCoverFlag.hour_entry_id))   # the kept flags' index


def uninsured_filter(today) -> UninsuredFilter:
    form = UninsuredFilter(request.args)
    first = max(today.year - YEARS_BACK + 1, FLAGGED_FROM.year)      # no flags before the records went online (I6)
    form.year.choices = options((str(y), year_label(y)) for y in range(today.year, first - 1, -1))
    fill_unit_filter(form.unit, current_user, _("All my units"), request.args.get("unit", ""))
    if not form.validate():
        for field in (form.year, form.unit):
            if field.errors:
                field.data = None
    if not form.year.data:
        form.year.data = str(today.year)
    return form


def _entries(rows) -> list[HourEntry]:
    """The page's entries, in the page's order, with their people and units."""
    ids = [row[0] for row in rows]
    found = {e.id: e for e in db.session.scalars(select(HourEntry).where(HourEntry.id.in_(ids)).options(
        selectinload(HourEntry.person), selectinload(HourEntry.unit)))}
    return [found[i] for i in ids]


@bp.get("/uninsured")
@access.allow(*READERS)
def uninsured():
    """I6: the entries of one year on days the volunteer had no cover by the unit's insurance, newest first,
    paged by keyset over the kept flags' index (flags.py; the count stops at 1,000)."""
    today = today_taipei()
    form = uninsured_filter(today)
    query = uninsured_flags(current_user, int(form.year.data), id_or_none(form.unit.data or ""))
    page = keyset(query, ORDER, request.args.get(CURSOR_ARG), PER_PAGE, rows=_entries)
    return page_or_fragment("insurance/uninsured.html", "results", form=form, page=page,
                            show_unit=current_user.role not in access.UNIT_STAFF)


@bp.get("/people/<int:person_id>")
@access.allow(*access.RECORD_READERS)
def person(person_id):
    """I5: a volunteer's cover for each unit's service: enrolments, merged periods, gaps and overlaps."""
    found = get_person_or_404(person_id, current_user)
    return render_template("insurance/person.html", person=found, cover=person_cover(found.id, current_user),
                           today=today_taipei())
