"""The request workflow's pages: the volunteer's request, a request's page, and the unit's steps on it
(prepare, countersign or approve and issue, decline) and the volunteer's withdrawal."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.documents.kinds import kind_label
from portal.documents.operations import WorkflowError
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.forms import check_version, options
from portal.platform.i18n import format_date, localized
from portal.platform.timeutil import today_taipei
from portal.registry.models import Membership, Unit

from . import bp
from .documents import PURPOSE_LABELS
from .facts import request_problems, service_summary
from .forms import ActionForm, DeclineForm, RequestForm
from .models import PERFORMANCE, REQUEST_KINDS, RequestOrigin
from .operations import (
    create_request,
    decline_request,
    issue_for_request,
    prepare_request,
    save_latin_name,
    withdraw_request,
)
from .rules import performance_eligibility
from .scopes import get_request_or_404, may_sign, request_flags
from .views import run_step


@bp.route("/documents/request/<kind>", methods=["GET", "POST"])
@access.allow(access.VOLUNTEER)
def new_request(kind):
    if kind not in REQUEST_KINDS:
        abort(404)
    person = current_user.person
    if person is None:
        abort(404)
    units = db.session.scalars(select(Unit).join(Membership).where(Membership.person_id == person.id)
                               .distinct().order_by(Unit.code)).all()
    form = RequestForm()
    form.english = kind != PERFORMANCE
    form.unit.choices = options([(str(u.id), localized(u)) for u in units])
    if request.method == "GET":
        form.name_latin.data = person.name_latin
        form.unit.data = request.args.get("unit", "")
    chosen = next((u for u in units if str(u.id) == (form.unit.data or "")), units[0] if units else None)
    problems = []
    if form.validate_on_submit():
        if form.english and form.name_latin.data != person.name_latin:
            save_latin_name(person, form.name_latin.data)
        try:
            req = create_request(kind, person, chosen, origin=RequestOrigin.VOLUNTEER, user=current_user,
                                 purpose=form.purpose.data if form.english else "",
                                 purpose_note=form.purpose_note.data if form.english else "")
        except WorkflowError as exc:
            db.session.rollback()
            problems = exc.messages
        else:
            db.session.commit()
            flash(_("Your request was sent. The unit will answer by %(date)s.", date=format_date(req.due_on)),
                  "success")
            return redirect(url_for(".show_request", request_id=req.id))
    elif chosen is not None:
        problems = request_problems(kind, person, chosen)
        if form.english and form.name_latin.data:
            # the name typed into this form is saved with the request: no longer missing
            problems = [p for p in problems if p != _("The name in Latin script (as in the passport) is missing.")]
    status = 422 if (form.errors or (request.method == "POST" and problems)) else 200
    summary = service_summary(person.id, chosen.id) if (chosen and kind == PERFORMANCE) else None
    return render_template("certificates/request.html", form=form, kind=kind, problems=problems, units=units,
                           eligibility=performance_eligibility(summary) if summary else None, summary=summary), status


@bp.get("/documents/requests/<int:request_id>")
@access.allow(access.VOLUNTEER, *access.RECORD_READERS)
def show_request(request_id):
    req = get_request_or_404(request_id, current_user)
    flags = request_flags(current_user, req)
    problems = request_problems(req.kind, req.person, req.unit) if (flags["own_unit"] and req.is_open) else []
    summary = service_summary(req.person_id, req.unit_id) if req.is_performance else None
    return render_template("certificates/request_show.html", req=req, problems=problems,
                           summary=summary, eligibility=performance_eligibility(summary) if summary else None,
                           action_form=ActionForm(formdata=None), decline_form=DeclineForm(formdata=None),
                           purposes=PURPOSE_LABELS, today=today_taipei(), **flags)


@bp.post("/documents/requests/<int:request_id>/prepare")
@access.allow(*access.UNIT_STAFF)
def prepare(request_id):
    req = get_request_or_404(request_id, current_user, for_write=True)
    form = ActionForm()
    if form.validate_on_submit():
        check_version(req, form)
        run_step(lambda: prepare_request(req, current_user),
                 lambda _done: _("Prepared. A volunteer supervisor can now countersign it."))
    return redirect(url_for(".show_request", request_id=request_id))


@bp.post("/documents/requests/<int:request_id>/issue")
@access.allow(*access.UNIT_STAFF)
def issue(request_id):
    req = get_request_or_404(request_id, current_user, for_write=True)
    if not may_sign(current_user, req.kind):
        abort(403)
    form = ActionForm()
    if form.validate_on_submit():
        check_version(req, form)
        document = run_step(lambda: issue_for_request(req, current_user),
                            lambda doc: _("Issued %(kind)s with verification code %(code)s.",
                                          kind=kind_label(doc.kind), code=doc.short_code))
        if document is not None:
            return redirect(url_for(".show", document_id=document.id))
    return redirect(url_for(".show_request", request_id=request_id))


@bp.post("/documents/requests/<int:request_id>/decline")
@access.allow(*access.UNIT_STAFF)
def decline(request_id):
    req = get_request_or_404(request_id, current_user, for_write=True)
    form = DeclineForm()
    if form.validate_on_submit():
        check_version(req, form)
        run_step(lambda: decline_request(req, form.reason.data, current_user),
                 lambda _done: _("The request was declined; the volunteer sees the reason."))
    else:
        flash(_("Please give the reason for declining."), "error")
    return redirect(url_for(".show_request", request_id=request_id))


@bp.post("/documents/requests/<int:request_id>/withdraw")
@access.allow(access.VOLUNTEER)
def withdraw(request_id):
    req = get_request_or_404(request_id, current_user, for_write=True)
    form = ActionForm()
    if form.validate_on_submit():
        check_version(req, form)
        run_step(lambda: withdraw_request(req, current_user), lambda _done: _("Your request was withdrawn."))
    return redirect(url_for(".show_request", request_id=request_id))
