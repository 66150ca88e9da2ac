"""Volunteers missing training: current members in the user's scope without verified basic training or
their field's special training (T1, T6), as a page and as CSV."""
from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import not_, or_, select
from sqlalchemy.orm import contains_eager

from portal.platform import access, audit
from portal.platform.database import expect_write
from portal.platform.exports import csv_response
from portal.platform.extensions import db
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import localized
from portal.platform.pagination import CURSOR_ARG, asc, keyset
from portal.platform.timeutil import today_taipei
from portal.registry.catalog import FIELD_BY_CODE
from portal.registry.identity import normalise
from portal.registry.models import Membership, Person, Unit
from portal.registry.scopes import visible_unit_ids

from . import bp, rules
from .facts import lacks_training, pending_person_ids, training_status, verified_basic, verified_special
from .forms import MissingFilter
from .views import clear_invalid, unit_choices


def missing_filter() -> MissingFilter:
    form = MissingFilter(request.args)
    unit_choices(form.unit, _("All my units"))
    clear_invalid(form, ("q", "unit", "field", "missing"))
    if not form.missing.data:
        form.missing.data = "any"
    return form


# By unit code, then name: PostgreSQL walks the units by code (its unique index) and sorts each unit's few
# members (an incremental sort), so the first page does not sort every membership of the scope.
MISSING_ORDER = (asc(Unit.code), asc(Person.name), asc(Membership.id))


def missing_query(form: MissingFilter):
    """Current memberships in scope whose person lacks verified basic or the field's special training,
    unordered (MISSING_ORDER orders the page and the CSV)."""
    basic_ok = verified_basic(Membership.person_id)
    special_ok = verified_special(Membership.person_id, Membership.field_code)
    query = (select(Membership).join(Membership.person).join(Membership.unit)
             .options(contains_eager(Membership.person), contains_eager(Membership.unit))
             .where(Membership.unit_id.in_(visible_unit_ids(current_user)), Membership.is_current))
    if form.missing.data == "basic":
        query = query.where(not_(basic_ok))
    elif form.missing.data == "special":
        query = query.where(not_(special_ok))
    else:
        query = query.where(lacks_training(Membership.person_id, Membership.field_code))
    if form.q.data:
        query = query.where(or_(Person.name.contains(form.q.data, autoescape=True),
                                Person.id_number.startswith(normalise(form.q.data), autoescape=True)))
    if form.unit.data:
        query = query.where(Membership.unit_id == int(form.unit.data))
    if form.field.data:
        query = query.where(Membership.field_code == form.field.data)
    return query


def missing_rows(memberships) -> list[dict]:
    """Each membership with what is missing, and whether a certificate is waiting for verification."""
    person_ids = {m.person_id for m in memberships}
    basic_from, special_from, books = training_status(person_ids)
    pending = pending_person_ids(person_ids)
    return [{"m": m, "missing": missing_words(m.person_id in basic_from, (m.person_id, m.field_code) in special_from
                                              or rules.record_book_start(m.field_code, books.get(m.person_id, (None,))[0])
                                              is not None, m.field_code),
             "pending": m.person_id in pending} for m in memberships]


def missing_words(basic_ok, special_ok, field_code) -> str:
    parts = []
    if not basic_ok:
        parts.append(_("basic training"))
    if not special_ok:
        parts.append(_("special training for %(field)s", field=localized(FIELD_BY_CODE.get(field_code))))
    return _(" and ").join(parts)


@bp.get("/missing")
@access.allow(*access.RECORD_READERS)
def missing():
    form = missing_filter()
    page = keyset(missing_query(form), MISSING_ORDER, request.args.get(CURSOR_ARG), 25)
    is_staff = current_user.role in access.UNIT_STAFF
    may_add = {m.id for m in page.items if is_staff and m.unit_id == current_user.unit_id}
    return page_or_fragment("training/missing.html", "results", form=form, page=page, rows=missing_rows(page.items),
                            is_staff=is_staff, may_add=may_add)


@bp.get("/missing.csv")
@access.allow(*access.RECORD_READERS)
def missing_export():
    expect_write()
    form = missing_filter()
    rows = missing_rows(db.session.scalars(missing_query(form).order_by(*[k.column for k in MISSING_ORDER])).all())
    header = [_("Unit code"), _("Unit"), _("Name"), _("ID number"), _("Service field"), _("Missing"),
              _("Certificate awaiting verification")]
    body = [[r["m"].unit.code, localized(r["m"].unit), r["m"].person.name, r["m"].person.masked_id,
             localized(r["m"].field), r["missing"], _("yes") if r["pending"] else ""] for r in rows]
    audit.record("training.missing_export", current_user._get_current_object(), rows=len(body),
                 filters={k: v for k, v in request.args.items() if k != "page"})
    db.session.commit()
    return csv_response(f"training-missing-{today_taipei().isoformat()}.csv", header, body)
