"""Roster list (with the unit column), volunteer detail, add/edit, memberships, CSV export."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager
from wtforms.validators import ValidationError

from .. import access, audit
from ..database import expect_write
from ..exports import csv_response
from ..extensions import db
from ..forms import options
from ..htmx import page_or_fragment
from ..i18n import format_date, localized
from ..timeutil import today_taipei
from ..units.catalog import FIELD_BY_CODE
from ..units.models import Unit
from ..units.scopes import visible_units
from . import bp
from .forms import (STATUS_CHOICES, EndMembershipForm, MembershipForm, NewVolunteerForm, PersonForm, RosterFilter,
                    check_id_number, field_choices)
from .identity import normalise
from .models import Membership, Person
from .operations import (PERSON_FIELDS, add_membership, end_membership, find_person_by_id_number,
                         has_current_membership, log_id_reveal, register_person, update_person)
from .scopes import get_membership_or_404, get_person_or_404, membership_scope, visible_memberships


def roster_filter() -> RosterFilter:
    form = RosterFilter(request.args)
    units = db.session.scalars(visible_units(current_user)).all()
    form.unit.choices = options([("", _("All my units"))] + [(str(u.id), f"{u.code} {localized(u)}") for u in units])
    form.field.choices = options([("", _("Any field"))]) + field_choices(localized)
    if not form.validate():
        for f in (form.unit, form.field, form.status, form.q):
            if f.errors:
                f.data = ""
    return form


def roster_query(form: RosterFilter):
    query = (select(Membership).join(Membership.person).join(Membership.unit)
             .options(contains_eager(Membership.person), contains_eager(Membership.unit))
             .where(membership_scope(current_user)))
    if form.q.data:
        text = form.q.data
        query = query.where(or_(Person.name.contains(text, autoescape=True),
                                Person.id_number.startswith(normalise(text), autoescape=True)))
    if form.unit.data:
        query = query.where(Membership.unit_id == int(form.unit.data))
    if form.field.data:
        query = query.where(Membership.field_code == form.field.data)
    if form.status.data:
        query = query.where(Membership.status == form.status.data)
    return query.order_by(Unit.code, Person.name, Membership.id)


@bp.get("/")
@access.allow(*access.RECORD_READERS)
def index():
    form = roster_filter()
    page = db.paginate(roster_query(form), page=form.page.data or 1, per_page=25, error_out=False)
    return page_or_fragment("volunteers/index.html", "results", form=form, page=page, today=today_taipei(),
                            can_register=access.may_call("volunteers.new"))


@bp.get("/export.csv")
@access.allow(*access.RECORD_READERS)
def export():
    expect_write()
    form = roster_filter()
    rows = db.session.scalars(roster_query(form)).all()
    statuses = dict(STATUS_CHOICES)
    today = today_taipei()
    header = [_("Unit code"), _("Unit"), _("Name"), _("ID number"), _("Service field"), _("Status"),
              _("Joined on"), _("Left on"), _("Age")]
    body = [[u.code, localized(u), p.name, p.masked_id, localized(FIELD_BY_CODE.get(m.field_code)),
             str(statuses.get(m.status, m.status)), format_date(m.joined_on), format_date(m.left_on),
             p.age_on(today) if p.birth_date else ""] for m, p, u in ((m, m.person, m.unit) for m in rows)]
    audit.record("roster.export", current_user._get_current_object(), rows=len(body),
                 filters={k: v for k, v in request.args.items() if k != "page"})
    db.session.commit()
    return csv_response(f"roster-{today.isoformat()}.csv", header, body)


@bp.route("/new", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def new():
    form = NewVolunteerForm()
    form.field_code.choices = field_choices(localized)
    if request.method == "GET":
        form.field_code.data = current_user.unit.field_code
        form.joined_on.data = today_taipei()
    if form.validate_on_submit():
        person = find_person_by_id_number(form.id_number.data)
        if person and has_current_membership(person, current_user.unit_id):
            form.id_number.errors.append(_("This person is already on your unit's roster."))
        else:
            if person is None:
                person = register_person({k: getattr(form, k).data for k in PERSON_FIELDS})
                flash(_("Volunteer %(name)s registered.", name=person.name), "success")
            else:
                flash(_("This person was already registered by another unit. They have been added to "
                        "your roster; the details on file were kept."), "info")
            add_membership(person, current_user.unit_id, form.field_code.data, form.joined_on.data,
                           form.status.data)
            db.session.commit()
            return redirect(url_for(".show", person_id=person.id))
    return render_template("volunteers/form.html", form=form, person=None), 422 if form.errors else 200


@bp.post("/check-id")
@access.allow(*access.UNIT_STAFF)
def check_id():
    """Live validation of the ID number as the user types (htmx); nothing is stored."""
    text = request.form.get("id_number", "")
    try:
        check_id_number(request.form.get("id_kind", "taiwan"), text)
        error = None
    except ValidationError as exc:
        error = str(exc)
    return render_template("volunteers/_id_status.html", id_error=error if text.strip() else None,
                           id_ok=not error)


@bp.get("/<int:person_id>")
@access.allow(*access.RECORD_READERS)
def show(person_id):
    person = get_person_or_404(person_id, current_user)
    memberships = visible_memberships(current_user, person)
    membership_form = MembershipForm(formdata=None)
    membership_form.field_code.choices = field_choices(localized)
    if current_user.unit:
        membership_form.field_code.data = current_user.unit.field_code
    membership_form.joined_on.data = today_taipei()
    own = [m for m in memberships if m.unit_id == current_user.unit_id] if current_user.unit_id else []
    return render_template("volunteers/show.html", person=person, memberships=memberships,
                           membership_form=membership_form, may_edit=bool(own), add_membership=bool(own),
                           end_actions={m.id for m in own if m.is_current}, today=today_taipei())


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def edit(person_id):
    expect_write()
    person = get_person_or_404(person_id, current_user, for_write=True)
    form = PersonForm(obj=person)
    if request.method == "GET":
        form.id_kind.data = "passport" if person.id_kind == "passport" else "taiwan"
        log_id_reveal(person, "edit form")
        db.session.commit()
    if form.validate_on_submit():
        if str(person.version) != form.version.data:
            abort(409)
        other = find_person_by_id_number(form.id_number.data)
        if other is not None and other.id != person.id:
            form.id_number.errors.append(_("Another person is already registered with this ID number."))
        else:
            values = {k: getattr(form, k).data for k in PERSON_FIELDS if k != "id_kind"}
            values["id_kind"] = ("passport" if form.id_kind.data == "passport"
                                 else ("national" if values["id_number"][1] in "12" else "resident"))
            update_person(person, values)
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for(".show", person_id=person.id))
    return render_template("volunteers/form.html", form=form, person=person), 422 if form.errors else 200


@bp.post("/<int:person_id>/memberships")
@access.allow(*access.UNIT_STAFF)
def add_to_unit(person_id):
    person = get_person_or_404(person_id, current_user)
    form = MembershipForm()
    form.field_code.choices = field_choices(localized)
    if form.validate_on_submit():
        if any(m.unit_id == current_user.unit_id and m.field_code == form.field_code.data and m.is_current
               for m in person.memberships):
            flash(_("This person already serves in your unit in that field."), "error")
        else:
            add_membership(person, current_user.unit_id, form.field_code.data, form.joined_on.data,
                           form.status.data)
            db.session.commit()
            flash(_("Membership added."), "success")
    else:
        flash(_("Please correct the marked fields."), "error")
    return redirect(url_for(".show", person_id=person.id))


@bp.post("/memberships/<int:membership_id>/end")
@access.allow(*access.UNIT_STAFF)
def end(membership_id):
    membership = get_membership_or_404(membership_id, current_user, for_write=True)
    form = EndMembershipForm()
    if form.validate_on_submit():
        if str(membership.version) != form.version.data:
            abort(409)
        if form.left_on.data < membership.joined_on:
            flash(_("The leaving date cannot be before the joining date."), "error")
        else:
            end_membership(membership, form.left_on.data)
            db.session.commit()
            flash(_("Membership ended."), "success")
    else:
        flash(_("Please correct the marked fields."), "error")
    return redirect(url_for(".show", person_id=membership.person_id))
