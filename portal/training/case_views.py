"""Lost-certificate cases (T7, T8): the list and its CSV, filing a case (the record-book rule may decide
it at once), supporting files, and the authority's decision."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from portal.platform import access, audit
from portal.platform.database import expect_write
from portal.platform.exports import csv_response
from portal.platform.extensions import db
from portal.platform.forms import check_version
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import format_date, localized
from portal.platform.pagination import CURSOR_ARG, desc, keyset
from portal.platform.timeutil import today_taipei
from portal.registry.scopes import get_person_or_404

from . import bp
from .forms import CaseFilter, CaseForm, DecideForm, FilesForm, VersionForm
from .models import LostCertificateCase, TrainingRecord
from .operations import TrainingError, attach_case_files, decide, file_case
from .rules import DECIDERS
from .scopes import case_actions, case_scope, get_case_or_404, get_case_to_decide_or_404
from .views import (
    CASE_STATUS_LABELS,
    KIND_LABELS,
    basis_label,
    clear_invalid,
    field_in_my_unit,
    store_uploads,
    unit_choices,
)


def case_filter() -> CaseFilter:
    form = CaseFilter(request.args)
    unit_choices(form.unit, _("All my units"))
    clear_invalid(form, ("unit", "status"))
    return form


# Newest first over the index on (created_at, id); keyset pages, a count bounded at 1,000.
CASE_ORDER = (desc(LostCertificateCase.created_at), desc(LostCertificateCase.id))


def case_query(form: CaseFilter):
    """The cases of the filter, unordered (CASE_ORDER orders the page)."""
    query = (select(LostCertificateCase).join(LostCertificateCase.person).join(LostCertificateCase.unit)
             .options(contains_eager(LostCertificateCase.person), contains_eager(LostCertificateCase.unit))
             .where(case_scope(current_user)))
    if form.unit.data:
        query = query.where(LostCertificateCase.unit_id == int(form.unit.data))
    if form.status.data:
        query = query.where(LostCertificateCase.status == form.status.data)
    return query


@bp.get("/lost/")
@access.allow(*access.RECORD_READERS)
def cases():
    form = case_filter()
    page = keyset(case_query(form), CASE_ORDER, request.args.get(CURSOR_ARG), 25)
    return page_or_fragment("training/cases.html", "results", form=form, page=page,
                            is_staff=current_user.role in access.UNIT_STAFF)


@bp.get("/lost/export.csv")
@access.allow(*access.RECORD_READERS)
def cases_export():
    expect_write()
    form = case_filter()
    rows = db.session.scalars(case_query(form).order_by(LostCertificateCase.created_at.desc(),
                                                        LostCertificateCase.id.desc())).all()
    header = [_("Unit"), _("Name"), _("ID number"), _("Kind of training"), _("Field"), _("Filed on"), _("Status"),
              _("Basis"), _("Training counts from"), _("Reason for refusing")]
    body = [[localized(c.unit), c.person.name, c.person.masked_id, str(KIND_LABELS[c.kind]), localized(c.field),
             format_date(c.created_at), str(CASE_STATUS_LABELS.get(c.status, c.status)), basis_label(c.basis),
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
            if case.is_accepted:
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
    return render_template("training/case.html", case=case, record=record, decide_form=decide_form,
                           **case_actions(current_user, case), files_form=FilesForm(formdata=None),
                           verify_form=VersionForm(formdata=None))


@bp.post("/lost/<int:lost_case_id>/files")
@access.allow(*access.UNIT_STAFF)
def case_upload(lost_case_id):
    case = get_case_or_404(lost_case_id, current_user, for_write=True)
    form = FilesForm()
    if not case.is_filed:
        flash(_("This case has already been decided."), "error")
    elif not form.validate_on_submit() or not form.files.uploads:
        flash(_("Choose at least one file."), "error")
    else:
        stored, refused = store_uploads(form.files.uploads, case.person_id)
        if stored:
            attach_case_files(case, stored, current_user)
            db.session.commit()
            flash(ngettext("%(num)d file uploaded.", "%(num)d files uploaded.", len(stored)), "success")
    return redirect(url_for(".case", lost_case_id=case.id))


@bp.post("/lost/<int:lost_case_id>/decide")
@access.allow(*DECIDERS)
def decide_case(lost_case_id):
    case = get_case_to_decide_or_404(lost_case_id, current_user)
    form = DecideForm()
    if form.validate_on_submit():
        check_version(case, form)
        try:
            decide(case, current_user, form.decision.data == "accept", form.effective_on.data, form.reason.data,
                   form.note.data or "")
        except TrainingError as exc:
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Decision recorded."), "success")
            return redirect(url_for(".case", lost_case_id=case.id))
    return render_template("training/case.html", case=case, record=None, decide_form=form, can_decide=True,
                           can_upload=False, can_remove=False, files_form=FilesForm(formdata=None),
                           verify_form=VersionForm(formdata=None)), 422
