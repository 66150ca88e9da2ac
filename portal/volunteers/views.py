"""Roster list (with the unit column), volunteer detail, add/edit, memberships, CSV export."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.validators import ValidationError

from portal.platform import access, audit, downloads, uploads
from portal.platform.confirm import ask, confirmed
from portal.platform.database import expect_write, reads_from_replica
from portal.platform.exports import spool_csv
from portal.platform.extensions import db
from portal.platform.forms import VersionForm, check_version, options
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import format_date, hours_text, localized
from portal.platform.pagination import CURSOR_ARG
from portal.platform.timeutil import today_taipei, utcnow
from portal.platform.undo import undo_note, undo_open
from portal.registry.catalog import FIELD_BY_CODE
from portal.registry.identity import mask_id
from portal.registry.models import Person
from portal.registry.operations import (
    PERSON_FIELDS,
    add_membership,
    end_membership,
    find_person_by_id_number,
    has_current_membership,
    last_end,
    log_id_reveal,
    register_person,
    serves_there_again,
    undo_end_membership,
    update_person,
)
from portal.registry.photos import photo_file, placeholder_photo, review_photo, save_photo
from portal.registry.scopes import get_membership_or_404, get_person_or_404, visible_memberships
from portal.registry.unit_filter import fill_unit_filter

from . import bp, roster, sections
from .ending import end_consequences, undoable_ends
from .forms import (
    STATUS_CHOICES,
    ContactForm,
    EndMembershipForm,
    MembershipForm,
    NewVolunteerForm,
    PersonForm,
    PhotoForm,
    PhotoReviewForm,
    RosterFilter,
    check_id_number,
    field_choices,
)
from .section_names import SECTIONS


def roster_filter() -> RosterFilter:
    form = RosterFilter(request.args)
    fill_unit_filter(form.unit, current_user, _("All my units"), request.args.get("unit", ""))
    form.field.choices = options([("", _("Any field"))]) + field_choices(localized)
    if not form.validate():
        for f in (form.unit, form.field, form.status, form.q, form.training, form.book, form.insured, form.photo):
            if f.errors:
                f.data = ""
    return form


@bp.get("/")
@access.allow(*access.RECORD_READERS)
@reads_from_replica
def index():
    form = roster_filter()
    today = today_taipei()
    page = roster.roster_page(form, current_user, today, request.args.get(CURSOR_ARG), 25)
    return page_or_fragment("volunteers/index.html", "results", form=form, page=page, today=today,
                            can_register=access.may_call("volunteers.new"))


@bp.get("/export.csv")
@access.allow(*access.RECORD_READERS)
def export():
    """The filtered roster as CSV, spooled (platform.exports): its audit row, with the exact row count, is
    committed before the file is sent."""
    expect_write()
    form = roster_filter()
    today = today_taipei()
    statuses = dict(STATUS_CHOICES)
    yes_no = {True: _("yes"), False: _("no")}
    header = [_("Unit code"), _("Unit"), _("Name"), _("ID number"), _("Service field"), _("Status"),
              _("Joined on"), _("Left on"), _("Age"), _("Training complete?"), _("Record book?"),
              _("Insured today?"), _("Hours this year")]
    rows = roster.export_rows(db.session.connection(), form, current_user, today)
    body = ([r.unit_code, localized(r, "unit_name"), r.name, mask_id(r.id_number),
             localized(FIELD_BY_CODE.get(r.field_code)), str(statuses.get(r.status, r.status)),
             format_date(r.joined_on), format_date(r.left_on), Person.age_on(r, today) if r.birth_date else "",
             yes_no[r.training], yes_no[r.book], yes_no[r.insured], hours_text(r.half_hours)] for r in rows)
    spool = spool_csv(header, body)
    audit.record("roster.export", current_user._get_current_object(), rows=spool.rows,
                 filters={k: v for k, v in request.args.items() if k not in ("page", CURSOR_ARG)})
    db.session.commit()
    return spool.response(f"roster-{today.isoformat()}.csv", "text/csv")


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


def unified_context(person):
    memberships = visible_memberships(current_user, person)
    membership_form = MembershipForm(formdata=None)
    membership_form.field_code.choices = field_choices(localized)
    if current_user.unit:
        membership_form.field_code.data = current_user.unit.field_code
    membership_form.joined_on.data = today_taipei()
    own = [m for m in memberships if m.unit_id == current_user.unit_id] if current_user.unit_id else []
    return dict(person=person, memberships=memberships, membership_form=membership_form, may_edit=bool(own),
                add_membership=bool(own), end_actions={m.id for m in own if m.is_current},
                undo_ends=undoable_ends(m for m in own if not m.is_current), today=today_taipei(),
                sections=SECTIONS)


@bp.get("/<int:person_id>")
@access.allow(*access.RECORD_READERS)
def show(person_id):
    person = get_person_or_404(person_id, current_user)
    return render_template("volunteers/show.html", **unified_context(person))


def section_view(name: str):
    """The view of one section: the fragment for htmx, or the whole page with that section open."""
    def view(person_id):
        person = get_person_or_404(person_id, current_user)
        context = unified_context(person)
        context.update(sections.BUILDERS[name](person), open_section=name)
        return page_or_fragment("volunteers/show.html", "section", **context)
    view.__name__ = f"section_{name}"
    view.__doc__ = f"The {name} section of the unified volunteer view."
    return access.allow(*access.RECORD_READERS)(view)


for _name in SECTIONS:
    bp.add_url_rule(f"/<int:person_id>/sections/{_name.replace('_', '-')}", endpoint=f"section_{_name}",
                    view_func=section_view(_name))


# --- the ID photo ----------------------------------------------------------------------------

@bp.get("/<int:person_id>/photo")
@access.allow(*access.RECORD_READERS, access.VOLUNTEER)
def photo(person_id):
    person = get_person_or_404(person_id, current_user)
    stored = photo_file(person)
    data = uploads.file_path(stored).read_bytes() if stored is not None else placeholder_photo()
    mimetype = stored.content_type if stored is not None else "image/jpeg"  # the verified type, as stored
    # inline: the pages show it in an <img>
    return downloads.send(data, f"photo-{person.id}", mimetype, inline=True)


def store_photo(person, accepted: bool) -> str | None:
    """Save the uploaded photo; the refusal message when the file is not accepted."""
    form = PhotoForm()
    if not form.validate_on_submit() or not form.photo.data or not form.photo.data.filename:
        return _("Choose a photo file (JPEG or PNG).")
    try:
        save_photo(person, form.photo.data, current_user, accepted)
    except uploads.UploadRefused as exc:
        db.session.rollback()
        return exc.message
    db.session.commit()
    return None


@bp.post("/<int:person_id>/photo")
@access.allow(*access.UNIT_STAFF)
def upload_photo(person_id):
    person = get_person_or_404(person_id, current_user, for_write=True)
    problem = store_photo(person, accepted=True)
    flash(problem or _("Photo saved and accepted."), "error" if problem else "success")
    return redirect(url_for(".section_photo", person_id=person.id))


@bp.post("/<int:person_id>/photo/review")
@access.allow(*access.UNIT_STAFF)
def review_photo_view(person_id):
    person = get_person_or_404(person_id, current_user, for_write=True)
    form = PhotoReviewForm()
    accept = request.form.get("decision") == "accept"
    if form.validate_on_submit():
        check_version(person, form)
        if not accept and not form.note.data:
            flash(_("Say why the photo is refused, so that the volunteer can send a better one."), "error")
        else:
            try:
                review_photo(person, accept, form.note.data or "", current_user)
                db.session.commit()
                flash(_("Photo accepted.") if accept else _("Photo refused; the volunteer sees your note."), "success")
            except ValueError as exc:
                flash(str(exc), "error")
    else:
        flash(_("Please correct the marked fields."), "error")
    return redirect(url_for(".section_photo", person_id=person.id))


# --- the volunteer's own details ------------------------------------------------------------

def own_person():
    person = current_user.person
    if person is None:
        abort(404)
    return person


@bp.route("/me/contact", methods=["GET", "POST"])
@access.allow(access.VOLUNTEER)
def my_contact():
    person = own_person()
    form = ContactForm(obj=person)
    if form.validate_on_submit():
        check_version(person, form)
        update_person(person, {k: getattr(form, k).data or "" for k in ("name_latin", "phone", "email", "address")})
        db.session.commit()
        flash(_("Your contact details were saved."), "success")
        return redirect(url_for("main.home"))
    return render_template("volunteers/contact.html", form=form, person=person), 422 if form.errors else 200


@bp.post("/me/photo")
@access.allow(access.VOLUNTEER)
def my_photo():
    person = own_person()
    problem = store_photo(person, accepted=False)
    flash(problem or _("Thank you. Your unit will check the photo and accept it."),
          "error" if problem else "success")
    return redirect(url_for("main.home") + "#photo-heading")


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
        check_version(person, form)
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
        check_version(membership, form)
        back = url_for(".show", person_id=membership.person_id)
        if form.left_on.data < membership.joined_on:
            flash(_("The leaving date cannot be before the joining date."), "error")
        elif not confirmed():
            return ask(_("End the membership"), end_consequences(membership, form.left_on.data),
                       _("Yes, end the membership"), back, undo_note=undo_note(utcnow()),
                       lead=_("%(name)s in %(unit)s, serving since %(date)s.", name=membership.person.name,
                              unit=localized(membership.unit), date=format_date(membership.joined_on)))
        else:
            end_membership(membership, form.left_on.data)
            db.session.commit()
            flash(_("Membership ended.") + " " + undo_note(utcnow()), "success")
    else:
        flash(_("Please correct the marked fields."), "error")
    return redirect(url_for(".show", person_id=membership.person_id))


@bp.post("/memberships/<int:membership_id>/undo-end")
@access.allow(*access.UNIT_STAFF)
def undo_end(membership_id):
    """Take back the end of a membership within 7 days (docs/rules/platform.md#pl9); audited as its own action."""
    membership = get_membership_or_404(membership_id, current_user, for_write=True)
    check_version(membership, VersionForm())
    ended = last_end(membership)
    if ended is None or not undo_open(ended.at, utcnow()):
        flash(_("This end can no longer be undone: undo is possible for 7 days after it."), "error")
    elif serves_there_again(membership):
        flash(_("The volunteer already serves in your unit in that field again; this end stays."), "error")
    else:
        undo_end_membership(membership, ended)
        db.session.commit()
        flash(_("The end of the membership was undone; the volunteer serves in your unit again."), "success")
    return redirect(url_for(".show", person_id=membership.person_id))
