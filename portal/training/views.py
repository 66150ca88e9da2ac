"""Training screens: lists for units, a person's training, records with certificate files,
verification, lost-certificate cases and their decisions, and the volunteer's own page."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import not_, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from portal.platform import access, audit, uploads
from portal.platform.database import expect_write
from portal.platform.exports import csv_response
from portal.platform.extensions import db
from portal.platform.forms import options
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import format_date, localized
from portal.platform.timeutil import today_taipei
from portal.registry.catalog import FIELD_BY_CODE
from portal.registry.models import Unit
from portal.registry.scopes import visible_unit_ids, visible_units
from portal.registry.identity import normalise
from portal.registry.models import Membership, Person
from portal.registry.scopes import get_person_or_404, visible_memberships
from . import bp, importing
from .forms import (CASE_STATUS_CHOICES, KIND_CHOICES, STATUS_CHOICES, CaseFilter, CaseForm, DecideForm, FilesForm,
                    MissingFilter, OwnRecordForm, RecordFilter, RecordForm, RejectForm, VersionForm)
from .models import LostCertificateCase, TrainingRecord
from .operations import (MAX_FILES_PER_PERSON, TrainingError, attach_case_files, attach_files, create_record, decide,
                         file_case, may_decide, may_verify, reject, remove_file, room_for_files, update_record,
                         verified_basic, verified_special, verified_starts, verify)
from .scopes import (case_scope, get_case_or_404, get_case_to_decide_or_404, get_file_or_404, get_record_or_404,
                     record_scope)

STATUS_LABELS = dict(STATUS_CHOICES)
KIND_LABELS = dict(KIND_CHOICES)
CASE_STATUS_LABELS = dict(CASE_STATUS_CHOICES)
PURPOSE = "training_certificate"


@bp.context_processor
def labels():
    def basis_label(basis):
        return {"certificate": _("Uploaded certificate"),
                "record_book_rule": _("Rule for health-and-welfare record-book holders"),
                "authority_decision": _("Authority decision on a lost certificate")}.get(basis, basis)
    return {"training_status_label": lambda s: str(STATUS_LABELS.get(s, s)),
            "kind_label": lambda k: str(KIND_LABELS.get(k, k)),
            "case_status_label": lambda s: str(CASE_STATUS_LABELS.get(s, s)),
            "basis_label": basis_label}


def unit_choices(form_field, blank_label):
    units = db.session.scalars(visible_units(current_user)).all()
    form_field.choices = options([("", blank_label)] + [(str(u.id), f"{u.code} {localized(u)}") for u in units])


def clear_invalid(form, names):
    if not form.validate():
        for name in names:
            if form[name].errors:
                form[name].data = ""


def store_uploads(files, person_id: int):
    """Check and store the chosen files; refusals become flash messages (nothing refused is stored)."""
    parts = [f for f in (files or []) if getattr(f, "filename", None)]
    room = room_for_files(person_id)
    refused_over_quota = parts[room:]
    stored, refused = uploads.accept_many(parts[:room], PURPOSE, current_user.id)
    for exc in refused:
        flash(exc.message, "error")
    for part in refused_over_quota:
        flash(_("%(name)s was not accepted: a volunteer can have at most %(n)d certificate files.",
                name=uploads.shown_name(part.filename), n=MAX_FILES_PER_PERSON), "error")
    return stored, refused + refused_over_quota


# --- lists --------------------------------------------------------------------------------

def record_filter() -> RecordFilter:
    form = RecordFilter(request.args)
    unit_choices(form.unit, _("All my units"))
    clear_invalid(form, ("q", "unit", "status", "kind", "field"))
    return form


def record_query(form: RecordFilter):
    query = (select(TrainingRecord).join(TrainingRecord.person).outerjoin(TrainingRecord.unit)
             .options(contains_eager(TrainingRecord.person), contains_eager(TrainingRecord.unit),
                      selectinload(TrainingRecord.attachments))
             .where(record_scope(current_user)))
    if form.q.data:
        query = query.where(or_(Person.name.contains(form.q.data, autoescape=True),
                                Person.id_number.startswith(normalise(form.q.data), autoescape=True),
                                TrainingRecord.certificate_no.contains(form.q.data, autoescape=True)))
    if form.unit.data:
        query = query.where(TrainingRecord.unit_id == int(form.unit.data))
    if form.status.data:
        query = query.where(TrainingRecord.status == form.status.data)
    if form.kind.data:
        query = query.where(TrainingRecord.kind == form.kind.data)
    if form.field.data:
        query = query.where(TrainingRecord.field_code == form.field.data)
    return query.order_by(TrainingRecord.created_at.desc(), TrainingRecord.id.desc())


@bp.get("/")
@access.allow(*access.RECORD_READERS, access.VOLUNTEER)
def index():
    if current_user.role == access.VOLUNTEER:
        return my_training()
    form = record_filter()
    page = db.paginate(record_query(form), page=form.page.data or 1, per_page=25, error_out=False)
    return page_or_fragment("training/index.html", "results", form=form, page=page,
                            is_staff=current_user.role in access.UNIT_STAFF)


@bp.get("/export.csv")
@access.allow(*access.RECORD_READERS)
def export():
    expect_write()
    form = record_filter()
    rows = db.session.scalars(record_query(form)).all()
    header = [_("Unit"), _("Name"), _("ID number"), _("Kind of training"), _("Field"), _("Course name"), _("Hours"),
              _("Training provider"), _("Completion date"), _("Effective date"), _("Certificate number"),
              _("Status"), _("Reason for rejecting"), _("Files")]
    body = [[localized(r.unit), r.person.name, r.person.masked_id, str(KIND_LABELS[r.kind]), localized(r.field),
             r.course_name, float(r.hours) if r.hours is not None else "", r.provider, format_date(r.completed_on),
             format_date(r.effective_on), r.certificate_no, str(STATUS_LABELS.get(r.status, r.status)),
             r.reject_reason, len(r.attachments)] for r in rows]
    audit.record("training.export", current_user._get_current_object(), rows=len(body),
                 filters={k: v for k, v in request.args.items() if k != "page"})
    db.session.commit()
    return csv_response(f"training-{today_taipei().isoformat()}.csv", header, body)


def missing_filter() -> MissingFilter:
    form = MissingFilter(request.args)
    unit_choices(form.unit, _("All my units"))
    clear_invalid(form, ("q", "unit", "field", "missing"))
    if not form.missing.data:
        form.missing.data = "any"
    return form


def missing_query(form: MissingFilter):
    """Current memberships in scope whose person lacks verified basic or the field's special training."""
    basic_ok = verified_basic(Membership.person_id)
    special_ok = verified_special(Membership.person_id, Membership.field_code)
    query = (select(Membership).join(Membership.person).join(Membership.unit)
             .options(contains_eager(Membership.person), contains_eager(Membership.unit))
             .where(Membership.unit_id.in_(visible_unit_ids(current_user)), Membership.status != "left"))
    if form.missing.data == "basic":
        query = query.where(not_(basic_ok))
    elif form.missing.data == "special":
        query = query.where(not_(special_ok))
    else:
        query = query.where(or_(not_(basic_ok), not_(special_ok)))
    if form.q.data:
        query = query.where(or_(Person.name.contains(form.q.data, autoescape=True),
                                Person.id_number.startswith(normalise(form.q.data), autoescape=True)))
    if form.unit.data:
        query = query.where(Membership.unit_id == int(form.unit.data))
    if form.field.data:
        query = query.where(Membership.field_code == form.field.data)
    return query.order_by(Unit.code, Person.name, Membership.id)


def missing_rows(memberships) -> list[dict]:
    """Each membership with what is missing, and whether a certificate is waiting for verification."""
    person_ids = {m.person_id for m in memberships}
    basic_from, special_from = verified_starts(person_ids)
    pending = set(db.session.scalars(select(TrainingRecord.person_id).where(
        TrainingRecord.person_id.in_(person_ids), TrainingRecord.status == "pending"))) if person_ids else set()
    return [{"m": m, "missing": missing_words(m.person_id in basic_from, (m.person_id, m.field_code) in special_from,
                                              m.field_code),
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
    page = db.paginate(missing_query(form), page=form.page.data or 1, per_page=25, error_out=False)
    is_staff = current_user.role in access.UNIT_STAFF
    may_add = {m.id for m in page.items if is_staff and m.unit_id == current_user.unit_id}
    return page_or_fragment("training/missing.html", "results", form=form, page=page, rows=missing_rows(page.items),
                            is_staff=is_staff, may_add=may_add)


@bp.get("/missing.csv")
@access.allow(*access.RECORD_READERS)
def missing_export():
    expect_write()
    form = missing_filter()
    rows = missing_rows(db.session.scalars(missing_query(form)).all())
    header = [_("Unit code"), _("Unit"), _("Name"), _("ID number"), _("Service field"), _("Missing"),
              _("Certificate awaiting verification")]
    body = [[r["m"].unit.code, localized(r["m"].unit), r["m"].person.name, r["m"].person.masked_id,
             localized(r["m"].field), r["missing"], _("yes") if r["pending"] else ""] for r in rows]
    audit.record("training.missing_export", current_user._get_current_object(), rows=len(body),
                 filters={k: v for k, v in request.args.items() if k != "page"})
    db.session.commit()
    return csv_response(f"training-missing-{today_taipei().isoformat()}.csv", header, body)


# --- one person ---------------------------------------------------------------------------

def field_status(person, memberships):
    """Per service field the person serves in (visible to the user): training present and counting start."""
    basic_from, special_from = verified_starts([person.id])
    rows = []
    for code in dict.fromkeys(m.field_code for m in memberships if m.is_current):
        basic, special = basic_from.get(person.id), special_from.get((person.id, code))
        rows.append({"field": FIELD_BY_CODE.get(code), "code": code, "basic": basic, "special": special,
                     "from": max(basic, special) if basic and special else None})
    return rows


def person_page(person):
    memberships = visible_memberships(current_user, person)
    records = db.session.scalars(select(TrainingRecord).where(TrainingRecord.person_id == person.id)
                                 .options(selectinload(TrainingRecord.attachments))
                                 .order_by(TrainingRecord.kind, TrainingRecord.completed_on)).all()
    cases = db.session.scalars(select(LostCertificateCase).where(LostCertificateCase.person_id == person.id,
                                                                 case_scope(current_user))
                               .order_by(LostCertificateCase.created_at.desc())).all()
    own_unit = current_user.unit_id if current_user.role in access.UNIT_STAFF else None
    may_write = bool(own_unit) and any(m.unit_id == own_unit for m in memberships)
    return render_template("training/person.html", person=person, memberships=memberships, records=records,
                           cases=cases, fields=field_status(person, memberships), may_write=may_write,
                           is_volunteer=current_user.role == access.VOLUNTEER)


def my_training():
    person = current_user.person
    if person is None:
        return render_template("training/person.html", person=None)
    return person_page(person)


@bp.get("/people/<int:person_id>")
@access.allow(*access.RECORD_READERS, access.VOLUNTEER)
def person(person_id):
    return person_page(get_person_or_404(person_id, current_user))


def field_in_my_unit(person) -> str:
    """The field the person currently serves in the user's unit: the default of the new-record forms."""
    return next((m.field_code for m in person.memberships if m.unit_id == current_user.unit_id and m.is_current), "")


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
                flash(_("%(n)d certificate files uploaded.", n=len(stored)), "success")
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
                                       source="volunteer")
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


# --- one record ---------------------------------------------------------------------------

@bp.get("/records/<int:training_id>")
@access.allow(*access.RECORD_READERS, access.VOLUNTEER)
def show(training_id):
    record = get_record_or_404(training_id, current_user)
    own_unit = current_user.role in access.UNIT_STAFF and record.unit_id == current_user.unit_id
    own_record = current_user.role == access.VOLUNTEER and record.person_id == current_user.person_id
    can_upload = (own_unit or own_record) and record.status != "verified" and record.source != "lost_case"
    return render_template("training/show.html", record=record, can_edit=own_unit and record.status != "verified"
                           and record.source != "lost_case", can_upload=can_upload,
                           can_remove=own_unit and record.status != "verified",
                           can_verify=may_verify(current_user, record) and record.status == "pending",
                           files_form=FilesForm(formdata=None), reject_form=RejectForm(formdata=None),
                           verify_form=VersionForm(formdata=None))


@bp.route("/records/<int:training_id>/edit", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def edit(training_id):
    record = get_record_or_404(training_id, current_user, for_write=True)
    if record.status == "verified" or record.source == "lost_case":
        flash(_("A verified record cannot be changed."), "error")
        return redirect(url_for(".show", training_id=record.id))
    form = RecordForm(obj=record)
    if form.validate_on_submit():
        if str(record.version) != form.version.data:
            abort(409)
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
    if record.status == "verified" or record.source == "lost_case":
        flash(_("A verified record cannot be changed."), "error")
    elif not form.validate_on_submit() or not form.files.uploads:
        flash(_("Choose at least one file."), "error")
    else:
        stored, refused = store_uploads(form.files.uploads, record.person_id)
        if stored:
            attach_files(record, stored, current_user)
            db.session.commit()
            flash(_("%(n)d certificate files uploaded.", n=len(stored)), "success")
    return redirect(url_for(".show", training_id=record.id))


@bp.post("/records/<int:training_id>/verify")
@access.allow(*access.UNIT_STAFF)
def verify_record(training_id):
    record = get_record_or_404(training_id, current_user, for_write=True)
    form = VersionForm()
    if form.validate_on_submit():
        if str(record.version) != form.version.data:
            abort(409)
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
        if str(record.version) != form.version.data:
            abort(409)
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


# --- files --------------------------------------------------------------------------------

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


@bp.route("/certificates/match", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def match():
    """Certificate files uploaded after an import, matched to records by certificate number."""
    form = FilesForm()
    results = None
    if form.validate_on_submit() and form.files.uploads:
        results = importing.match_certificate_files(form.files.uploads, current_user.unit_id, current_user)
        db.session.commit()
    elif request.method == "POST":
        form.files.errors = [_("Choose at least one file.")]
    return render_template("training/match.html", form=form, results=results), 422 if form.files.errors else 200


@bp.get("/import-template.csv")
@access.allow(*access.UNIT_STAFF)
def import_template():
    return csv_response("training-template.csv", importing.TEMPLATE_HEADER, [importing.TEMPLATE_EXAMPLE])


# --- lost certificates --------------------------------------------------------------------

def case_filter() -> CaseFilter:
    form = CaseFilter(request.args)
    unit_choices(form.unit, _("All my units"))
    clear_invalid(form, ("unit", "status"))
    return form


def case_query(form: CaseFilter):
    query = (select(LostCertificateCase).join(LostCertificateCase.person).join(LostCertificateCase.unit)
             .options(contains_eager(LostCertificateCase.person), contains_eager(LostCertificateCase.unit))
             .where(case_scope(current_user)))
    if form.unit.data:
        query = query.where(LostCertificateCase.unit_id == int(form.unit.data))
    if form.status.data:
        query = query.where(LostCertificateCase.status == form.status.data)
    return query.order_by(LostCertificateCase.created_at.desc(), LostCertificateCase.id.desc())


@bp.get("/lost/")
@access.allow(*access.RECORD_READERS)
def cases():
    form = case_filter()
    page = db.paginate(case_query(form), page=form.page.data or 1, per_page=25, error_out=False)
    return page_or_fragment("training/cases.html", "results", form=form, page=page,
                            is_staff=current_user.role in access.UNIT_STAFF)


@bp.get("/lost/export.csv")
@access.allow(*access.RECORD_READERS)
def cases_export():
    expect_write()
    form = case_filter()
    rows = db.session.scalars(case_query(form)).all()
    header = [_("Unit"), _("Name"), _("ID number"), _("Kind of training"), _("Field"), _("Filed on"), _("Status"),
              _("Basis"), _("Training counts from"), _("Reason for refusing")]
    body = [[localized(c.unit), c.person.name, c.person.masked_id, str(KIND_LABELS[c.kind]), localized(c.field),
             format_date(c.created_at), str(CASE_STATUS_LABELS.get(c.status, c.status)), c.basis,
             format_date(c.effective_on), c.refusal_reason] for c in rows]
    audit.record("training.cases_export", current_user._get_current_object(), rows=len(body))
    db.session.commit()
    return csv_response(f"lost-certificates-{today_taipei().isoformat()}.csv", header, body)


@bp.route("/people/<int:person_id>/lost/new", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF)
def new_case(person_id):
    person = get_person_or_404(person_id, current_user, for_write=True)
    form = CaseForm()
    if request.method == "GET":
        form.field_code.data = field_in_my_unit(person)
    if form.validate_on_submit():
        try:
            case = file_case(person, current_user.unit_id, form.values(), current_user)
        except TrainingError as exc:
            form.form_errors.append(str(exc))
        else:
            stored, refused = store_uploads(form.files.uploads, person.id)
            if stored:
                attach_case_files(case, stored, current_user)
            db.session.commit()
            if case.status == "accepted":
                flash(_("The rule for health-and-welfare record-book holders applies: the special training counts "
                        "from %(date)s.", date=format_date(case.effective_on)), "success")
            else:
                flash(_("Case filed; the authority will decide it."), "success")
            return redirect(url_for(".case", lost_case_id=case.id))
    return render_template("training/case_form.html", form=form, person=person), \
        422 if form.errors or form.form_errors else 200


@bp.get("/lost/<int:lost_case_id>")
@access.allow(*access.RECORD_READERS, access.VOLUNTEER)
def case(lost_case_id):
    case = get_case_or_404(lost_case_id, current_user)
    decide_form = DecideForm(formdata=None)
    if case.approx_completed_on:
        decide_form.effective_on.raw_data = [format_date(case.approx_completed_on)]
    record = db.session.scalar(select(TrainingRecord).where(TrainingRecord.lost_case_id == case.id))
    own_unit = current_user.role in access.UNIT_STAFF and case.unit_id == current_user.unit_id
    return render_template("training/case.html", case=case, record=record, decide_form=decide_form,
                           can_decide=may_decide(current_user, case), can_upload=own_unit and case.status == "filed",
                           can_remove=own_unit and case.status == "filed", files_form=FilesForm(formdata=None),
                           verify_form=VersionForm(formdata=None))


@bp.post("/lost/<int:lost_case_id>/files")
@access.allow(*access.UNIT_STAFF)
def case_upload(lost_case_id):
    case = get_case_or_404(lost_case_id, current_user, for_write=True)
    form = FilesForm()
    if case.status != "filed":
        flash(_("This case has already been decided."), "error")
    elif not form.validate_on_submit() or not form.files.uploads:
        flash(_("Choose at least one file."), "error")
    else:
        stored, refused = store_uploads(form.files.uploads, case.person_id)
        if stored:
            attach_case_files(case, stored, current_user)
            db.session.commit()
            flash(_("%(n)d files uploaded.", n=len(stored)), "success")
    return redirect(url_for(".case", lost_case_id=case.id))


@bp.post("/lost/<int:lost_case_id>/decide")
@access.allow(access.COUNTY, access.SECTOR_LOCAL)
def decide_case(lost_case_id):
    case = get_case_to_decide_or_404(lost_case_id, current_user)
    form = DecideForm()
    if form.validate_on_submit():
        if str(case.version) != form.version.data:
            abort(409)
        try:
            decide(case, current_user, form.decision.data == "accept", form.effective_on.data, form.reason.data,
                   form.note.data or "")
        except TrainingError as exc:
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Decision recorded."), "success")
            return redirect(url_for(".case", lost_case_id=case.id))
    record = None
    return render_template("training/case.html", case=case, record=record, decide_form=form, can_decide=True,
                           can_upload=False, can_remove=False, files_form=FilesForm(formdata=None),
                           verify_form=VersionForm(formdata=None)), 422

