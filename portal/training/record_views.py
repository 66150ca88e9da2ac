"""One training record: entering it (unit or the volunteer's own certificate), editing, certificate
files, verification or rejection (T4), and certificate files matched by number after an import."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.platform import access, audit, uploads
from portal.platform.database import expect_write
from portal.platform.exports import csv_response
from portal.platform.extensions import db
from portal.platform.forms import check_version, options
from portal.platform.i18n import format_date, localized
from portal.registry.scopes import get_person_or_404, visible_memberships

from . import bp, importing, rules
from .forms import FilesForm, OwnRecordForm, RecordForm, RejectForm, VersionForm
from .models import Source
from .operations import (
    TrainingError,
    attach_files,
    create_record,
    match_certificate_files,
    reject,
    remove_file,
    update_record,
    verify,
)
from .scopes import get_file_or_404, get_record_or_404, record_actions
from .views import field_in_my_unit, store_uploads


@bp.route("/people/<int:person_id>/records/new", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def new_record(person_id):
    person = get_person_or_404(person_id, current_user, for_write=True)
    form = RecordForm()
    if request.method == "GET":
        form.field_code.data = field_in_my_unit(person)
    if form.validate_on_submit():
        try:
            record = create_record(person, current_user.unit_id, form.values(), current_user)
        except TrainingError as exc:
            form.form_errors.append(str(exc))
        else:
            stored, refused = store_uploads(form.files.uploads, person.id)
            if stored:
                attach_files(record, stored, current_user)
            db.session.commit()
            flash(_("Training record saved."), "success")
            if stored:
                flash(ngettext("%(num)d certificate file uploaded.",
                               "%(num)d certificate files uploaded.", len(stored)), "success")
            return redirect(url_for(".show", training_id=record.id))
    return render_template("training/record_form.html", form=form, person=person, record=None), \
        422 if form.errors or form.form_errors else 200


@bp.route("/mine/new", methods=["GET", "POST"])
@access.allow(access.VOLUNTEER)
def submit_own():
    person = current_user.person
    if person is None:
        abort(404)
    form = OwnRecordForm()
    memberships = [m for m in visible_memberships(current_user, person) if m.is_current]
    units = {m.unit_id: m.unit for m in memberships}
    form.unit_id.choices = options((str(uid), localized(u)) for uid, u in units.items())
    if request.method == "GET" and memberships:
        form.field_code.data = memberships[0].field_code
    if form.validate_on_submit():
        if not form.files.uploads:
            form.files.errors = [_("Choose the certificate file to send.")]
        else:
            try:
                record = create_record(person, int(form.unit_id.data), form.values(), current_user,
                                       source=Source.VOLUNTEER)
            except TrainingError as exc:
                form.form_errors.append(str(exc))
            else:
                stored, refused = store_uploads(form.files.uploads, person.id)
                if stored:
                    attach_files(record, stored, current_user)
                    db.session.commit()
                    flash(_("Your certificate was sent to the unit for verification."), "success")
                    return redirect(url_for(".show", training_id=record.id))
                db.session.rollback()
                form.files.errors = [_("No file was accepted, so nothing was sent.")]
    return render_template("training/record_form.html", form=form, person=person, record=None, own=True), \
        422 if form.errors or form.form_errors else 200


@bp.get("/records/<int:training_id>")
@access.allow(*access.RECORD_READERS, access.VOLUNTEER)
def show(training_id):
    record = get_record_or_404(training_id, current_user)
    return render_template("training/show.html", record=record, **record_actions(current_user, record),
                           files_form=FilesForm(formdata=None), reject_form=RejectForm(formdata=None),
                           verify_form=VersionForm(formdata=None))


@bp.route("/records/<int:training_id>/edit", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def edit(training_id):
    record = get_record_or_404(training_id, current_user, for_write=True)
    if not rules.record_changeable(record):
        flash(_("A verified record cannot be changed."), "error")
        return redirect(url_for(".show", training_id=record.id))
    form = RecordForm(obj=record)
    if form.validate_on_submit():
        check_version(record, form)
        try:
            update_record(record, form.values())
        except TrainingError as exc:
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for(".show", training_id=record.id))
    return render_template("training/record_form.html", form=form, person=record.person, record=record), \
        422 if form.errors or form.form_errors else 200


@bp.post("/records/<int:training_id>/files")
@access.allow(*access.UNIT_STAFF, access.VOLUNTEER)
def upload(training_id):
    record = get_record_or_404(training_id, current_user, for_write=True, volunteer_may_add=True)
    form = FilesForm()
    if not rules.record_changeable(record):
        flash(_("A verified record cannot be changed."), "error")
    elif not form.validate_on_submit() or not form.files.uploads:
        flash(_("Choose at least one file."), "error")
    else:
        stored, refused = store_uploads(form.files.uploads, record.person_id)
        if stored:
            attach_files(record, stored, current_user)
            db.session.commit()
            flash(ngettext("%(num)d certificate file uploaded.",
                           "%(num)d certificate files uploaded.", len(stored)), "success")
    return redirect(url_for(".show", training_id=record.id))


@bp.post("/records/<int:training_id>/verify")
@access.allow(*access.UNIT_STAFF)
def verify_record(training_id):
    record = get_record_or_404(training_id, current_user, for_write=True)
    form = VersionForm()
    if form.validate_on_submit():
        check_version(record, form)
        try:
            verify(record, current_user)
        except TrainingError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Training verified. Hours in this field count from %(date)s.",
                    date=format_date(record.effective_on)), "success")
    return redirect(url_for(".show", training_id=record.id))


@bp.post("/records/<int:training_id>/reject")
@access.allow(*access.UNIT_STAFF)
def reject_record(training_id):
    record = get_record_or_404(training_id, current_user, for_write=True)
    form = RejectForm()
    if form.validate_on_submit():
        check_version(record, form)
        try:
            reject(record, current_user, form.reason.data)
        except TrainingError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Training record rejected; the unit and the volunteer see the reason."), "success")
    else:
        flash(_("Give the reason for rejecting."), "error")
    return redirect(url_for(".show", training_id=record.id))


# --- files of records and cases ------------------------------------------------------------

@bp.get("/files/<int:training_file_id>")
@access.allow(*access.RECORD_READERS, access.VOLUNTEER)
def download(training_file_id):
    expect_write()
    link = get_file_or_404(training_file_id, current_user)
    audit.record("training.file_download", link.file, record=link.record_id, case=link.case_id)
    db.session.commit()
    return uploads.send_stored(link.file)


@bp.get("/files/<int:training_file_id>/preview")
@access.allow(*access.RECORD_READERS, access.VOLUNTEER)
def preview(training_file_id):
    link = get_file_or_404(training_file_id, current_user)
    if not link.file.has_preview:
        abort(404)
    return uploads.send_stored(link.file, preview=True)


@bp.post("/files/<int:training_file_id>/remove")
@access.allow(*access.UNIT_STAFF)
def remove(training_file_id):
    link = get_file_or_404(training_file_id, current_user, for_write=True)
    form = VersionForm()
    if form.validate_on_submit():
        try:
            remove_file(link, current_user)
        except TrainingError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("File removed from the record (it stays in the history)."), "success")
    if link.case_id:
        return redirect(url_for(".case", lost_case_id=link.case_id))
    return redirect(url_for(".show", training_id=link.record_id))


# --- certificates by number, after an import -----------------------------------------------

@bp.route("/certificates/match", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def match():
    """Certificate files uploaded after an import, matched to records by certificate number."""
    form = FilesForm()
    results = None
    if form.validate_on_submit() and form.files.uploads:
        results = match_certificate_files(form.files.uploads, current_user.unit_id, current_user)
        db.session.commit()
    elif request.method == "POST":
        form.files.errors = [_("Choose at least one file.")]
    return render_template("training/match.html", form=form, results=results), 422 if form.files.errors else 200


@bp.get("/import-template.csv")
@access.allow(*access.UNIT_STAFF)
def import_template():
    return csv_response("training-template.csv", importing.TEMPLATE_HEADER, [importing.TEMPLATE_EXAMPLE])
