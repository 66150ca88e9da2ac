"""Training screens: the list of training records, a person's training and the volunteer's own
page, and the parts the other training screens share (labels, unit filter, uploads).

The other workflows have their own modules: record_views (one record, its files, verification,
certificates by number), missing_views (volunteers missing training), case_views (lost certificates).
"""
from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager, selectinload

from portal.platform import access, audit, filecheck, uploads
from portal.platform.database import expect_write
from portal.platform.exports import csv_response
from portal.platform.extensions import db
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import format_date, localized
from portal.platform.pagination import CURSOR_ARG, desc, keyset
from portal.platform.timeutil import today_taipei
from portal.registry.catalog import FIELD_BY_CODE
from portal.registry.identity import normalise
from portal.registry.models import Person
from portal.registry.scopes import get_person_or_404, visible_memberships
from portal.registry.unit_filter import fill_unit_filter

from . import bp, rules
from .facts import room_for_files, training_status
from .forms import CASE_STATUS_CHOICES, KIND_CHOICES, STATUS_CHOICES, RecordFilter
from .models import Basis, LostCertificateCase, TrainingRecord
from .scopes import case_scope, may_add_training, record_scope

STATUS_LABELS = dict(STATUS_CHOICES)
KIND_LABELS = dict(KIND_CHOICES)
CASE_STATUS_LABELS = dict(CASE_STATUS_CHOICES)
PURPOSE = "training_certificate"


def case_note(case: LostCertificateCase) -> str:
    """The note on a decision: the authority's own words, or the portal's T7 note in the reader's language."""
    auto = rules.automatic_note(case.decision_note) if case.basis == Basis.RECORD_BOOK_RULE else None
    if auto is None:
        return case.decision_note
    evidence, number = auto
    if evidence == "paper":
        return _("Decided automatically: the volunteer serves in a health-and-welfare field and holds paper "
                 "record book %(number)s.", number=number)
    return _("Decided automatically: the volunteer serves in a health-and-welfare field and holds a record book "
             "issued in the portal.")


def basis_label(basis: str) -> str:
    return {Basis.CERTIFICATE: _("Uploaded certificate"),
            Basis.RECORD_BOOK_RULE: _("Rule for health-and-welfare record-book holders"),
            Basis.AUTHORITY_DECISION: _("Authority decision on a lost certificate")}.get(basis, basis)


@bp.context_processor
def labels():
    return {"training_status_label": lambda s: str(STATUS_LABELS.get(s, s)),
            "case_note": case_note,
            "kind_label": lambda k: str(KIND_LABELS.get(k, k)),
            "case_status_label": lambda s: str(CASE_STATUS_LABELS.get(s, s)),
            "basis_label": basis_label}


# --- shared by the training screens --------------------------------------------------------

def unit_choices(form_field, blank_label):
    fill_unit_filter(form_field, current_user, blank_label, request.args.get(form_field.name, ""))


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
                name=filecheck.shown_name(part.filename), n=rules.MAX_FILES_PER_PERSON), "error")
    return stored, refused + refused_over_quota


def field_in_my_unit(person) -> str:
    """The field the person currently serves in the user's unit: the default of the new-record forms."""
    return next((m.field_code for m in person.memberships if m.unit_id == current_user.unit_id and m.is_current), "")


# --- the list of records -------------------------------------------------------------------

def record_filter() -> RecordFilter:
    form = RecordFilter(request.args)
    unit_choices(form.unit, _("All my units"))
    clear_invalid(form, ("q", "unit", "status", "kind", "field"))
    return form


# Newest first over the index on (created_at, id); keyset pages, a count bounded at 1,000.
RECORD_ORDER = (desc(TrainingRecord.created_at), desc(TrainingRecord.id))


def record_query(form: RecordFilter):
    """The records of the filter, unordered (RECORD_ORDER orders the page, the CSV orders itself)."""
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
    return query


@bp.get("/")
@access.allow(*access.RECORD_READERS, access.VOLUNTEER)
def index():
    if current_user.role == access.VOLUNTEER:
        return my_training()
    form = record_filter()
    page = keyset(record_query(form), RECORD_ORDER, request.args.get(CURSOR_ARG), 25)
    return page_or_fragment("training/index.html", "results", form=form, page=page,
                            is_staff=current_user.role in access.UNIT_STAFF)


@bp.get("/export.csv")
@access.allow(*access.RECORD_READERS)
def export():
    expect_write()
    form = record_filter()
    rows = db.session.scalars(record_query(form).order_by(TrainingRecord.created_at.desc(),
                                                          TrainingRecord.id.desc())).all()
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


# --- one person ---------------------------------------------------------------------------

def field_status(person, memberships):
    """Per service field the person serves in (visible to the user): training present and counting start, with
    the basis where the record-book rule (T7) makes the special training complete."""
    basic_from, special_from, books = training_status([person.id])
    rows = []
    for code in dict.fromkeys(m.field_code for m in memberships if m.is_current):
        basic = basic_from.get(person.id)
        special = rules.special_status(code, special_from.get((person.id, code)), books.get(person.id))
        rows.append({"field": FIELD_BY_CODE.get(code), "code": code, "basic": basic, "special": special["start"],
                     "rule": special if special["by_book"] else None,
                     "from": rules.counting_start(basic, special["start"])})
    return rows


def person_page(person):
    memberships = visible_memberships(current_user, person)
    records = db.session.scalars(select(TrainingRecord).where(TrainingRecord.person_id == person.id)
                                 .options(selectinload(TrainingRecord.attachments))
                                 .order_by(TrainingRecord.kind, TrainingRecord.completed_on)).all()
    cases = db.session.scalars(select(LostCertificateCase).where(LostCertificateCase.person_id == person.id,
                                                                 case_scope(current_user))
                               .order_by(LostCertificateCase.created_at.desc())).all()
    return render_template("training/person.html", person=person, memberships=memberships, records=records,
                           cases=cases, fields=field_status(person, memberships),
                           may_write=may_add_training(current_user, memberships),
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
