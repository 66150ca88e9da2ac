"""The document register, requests and decisions, the unit's batch, downloads, and public verification."""
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal.platform import access, audit, jobs
from portal.platform.database import expect_write
from portal.platform.extensions import db, limiter
from portal.platform.forms import check_version, options
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import format_date, is_chinese, localized
from portal.platform.timeutil import today_taipei
from portal.registry.models import Unit
from portal.registry.models import Membership, Person
from portal.registry.scopes import get_person_or_404
from . import batch, bp  # noqa: F401  (batch registers its job)
from .forms import (REQUEST_STATUS_LABELS, STATUS_LABELS, ActionForm, DeclineForm, RegisterFilter, RequestForm,
                    RevokeForm, UnitEnglishNameForm, VerifyForm)
from .models import OPEN_REQUEST_STATUSES, PERFORMANCE, REQUEST_KINDS, CertificateRequest, Document
from .operations import (KINDS, PURPOSE_LABELS, WorkflowError, create_request, decline_request, document_file,
                         format_hours, issue_for_request, kind_label, masked_latin_name, masked_name,
                         normalise_code, performance_eligibility, prepare_all_eligible, prepare_request,
                         prepared_requests, public_base_url, reissue_document, request_problems, revoke_document,
                         save_latin_name, save_unit_english_name, service_summary, taipei_date, unit_candidates,
                         withdraw_request)
from .scopes import document_scope, get_document_or_404, get_job_or_404, get_request_or_404, request_scope

VERIFY_LIMIT = "30 per minute"
CANDIDATES_PER_PAGE = 50


@bp.app_context_processor
def certificate_helpers():
    return {"kind_label": kind_label, "format_hours": format_hours,
            "document_status_label": lambda s: str(STATUS_LABELS.get(s, s)),
            "request_status_label": lambda s: str(REQUEST_STATUS_LABELS.get(s, s))}


def _flash_problems(exc: WorkflowError):
    for message in exc.messages:
        flash(message, "error")


# --- The register ---------------------------------------------------------------------------

def register_filter() -> RegisterFilter:
    form = RegisterFilter(request.args)
    form.kind.choices = options([("", _("Any document"))] + [(code, str(k.label)) for code, k in KINDS.items()])
    if not form.validate():
        for f in (form.q, form.kind, form.status):
            if f.errors:
                f.data = ""
    return form


def register_query(form: RegisterFilter):
    query = (select(Document).join(Document.person).where(document_scope(current_user))
             .options(selectinload(Document.unit), selectinload(Document.authority)))
    if form.q.data:
        text = form.q.data
        query = query.where(or_(Person.name.contains(text, autoescape=True),
                                Person.name_latin.contains(text, autoescape=True),
                                Document.short_code == text.strip().upper()))
    if form.kind.data:
        query = query.where(Document.kind == form.kind.data)
    if form.status.data:
        query = query.where(Document.status == form.status.data)
    return query.order_by(Document.issued_at.desc(), Document.id.desc())


@bp.get("/documents/")
@access.allow(access.VOLUNTEER, *access.RECORD_READERS)
def index():
    form = register_filter()
    page = db.paginate(register_query(form), page=form.page.data or 1, per_page=25, error_out=False)
    open_requests = db.session.scalars(
        select(CertificateRequest).where(request_scope(current_user),
                                         CertificateRequest.status.in_(OPEN_REQUEST_STATUSES))
        .options(selectinload(CertificateRequest.person), selectinload(CertificateRequest.unit))
        .order_by(CertificateRequest.due_on, CertificateRequest.id)).all()
    role = current_user.role
    context = {"form": form, "page": page, "open_requests": open_requests, "today": today_taipei(),
               "may_request": role == access.VOLUNTEER,
               "show_open_requests": bool(open_requests) or role == access.VOLUNTEER or role in access.UNIT_STAFF,
               "can_countersign": role == access.UNIT_SUPERVISOR,
               "show_volunteer_column": role != access.VOLUNTEER}
    if role == access.VOLUNTEER:
        context["past_requests"] = db.session.scalars(
            select(CertificateRequest).where(request_scope(current_user),
                                             CertificateRequest.status.not_in(OPEN_REQUEST_STATUSES))
            .order_by(CertificateRequest.requested_at.desc()).limit(20)).all()
    if role in access.UNIT_STAFF:
        unit = current_user.unit
        context["unit"] = unit
        context["prepared_count"] = len(prepared_requests(unit.id))
        context["english_name_form"] = UnitEnglishNameForm(formdata=None)
        context["action_form"] = ActionForm(formdata=None)
        context["recent_jobs"] = db.session.scalars(
            select(jobs.Job).where(jobs.Job.unit_id == unit.id).order_by(jobs.Job.id.desc()).limit(3)).all()
    return page_or_fragment("certificates/index.html", "documents", **context)


# --- The volunteer's request ----------------------------------------------------------------

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
            req = create_request(kind, person, chosen, origin="volunteer", user=current_user,
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
            problems = [p for p in problems if p != _("The name in Latin script (as in the passport) is missing.")]
    status = 422 if (form.errors or (request.method == "POST" and problems)) else 200
    summary = service_summary(person.id, chosen.id) if (chosen and kind == PERFORMANCE) else None
    return render_template("certificates/request.html", form=form, kind=kind, problems=problems, units=units,
                           eligibility=performance_eligibility(summary) if summary else None, summary=summary), status


# --- Requests: both sides -------------------------------------------------------------------

@bp.get("/documents/requests/<int:request_id>")
@access.allow(access.VOLUNTEER, *access.RECORD_READERS)
def show_request(request_id):
    req = get_request_or_404(request_id, current_user)
    own_unit = current_user.role in access.UNIT_STAFF and req.unit_id == current_user.unit_id
    problems = request_problems(req.kind, req.person, req.unit) if (own_unit and req.is_open) else []
    summary = service_summary(req.person_id, req.unit_id) if req.kind == PERFORMANCE else None
    return render_template("certificates/request_show.html", req=req, own_unit=own_unit, problems=problems,
                           summary=summary, eligibility=performance_eligibility(summary) if summary else None,
                           action_form=ActionForm(formdata=None), decline_form=DeclineForm(formdata=None),
                           purposes=PURPOSE_LABELS, today=today_taipei(),
                           may_countersign=current_user.role == access.UNIT_SUPERVISOR,
                           may_withdraw=current_user.role == access.VOLUNTEER)


def run_step(step, success):
    """Run one workflow step: commit and flash success(result), or roll back and list the problems."""
    try:
        result = step()
    except WorkflowError as exc:
        db.session.rollback()
        _flash_problems(exc)
        return None
    db.session.commit()
    flash(success(result), "success")
    return result


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
    if req.kind == PERFORMANCE and current_user.role != access.UNIT_SUPERVISOR:
        abort(403)  # only a volunteer supervisor countersigns performance certificates
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


# --- The unit: candidates, starting one, the batch -------------------------------------------

@bp.get("/documents/candidates")
@access.allow(*access.UNIT_STAFF)
def candidates():
    unit = current_user.unit
    show_all = request.args.get("all") == "1"
    rows = unit_candidates(unit)
    shown = rows if show_all else [c for c in rows if c.eligibility.eligible]
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    pages = max((len(shown) + CANDIDATES_PER_PAGE - 1) // CANDIDATES_PER_PAGE, 1)
    page = min(page, pages)
    ready = sum(1 for c in rows if c.eligibility.eligible and not c.open_request and not c.up_to_date)
    return page_or_fragment("certificates/candidates.html", "candidates", unit=unit, rows=shown,
                            items=shown[(page - 1) * CANDIDATES_PER_PAGE: page * CANDIDATES_PER_PAGE],
                            page=page, pages=pages, show_all=show_all, ready=ready, total=len(rows),
                            eligible=sum(1 for c in rows if c.eligibility.eligible),
                            action_form=ActionForm(formdata=None))


@bp.post("/documents/people/<int:person_id>/start")
@access.allow(*access.UNIT_STAFF)
def start(person_id):
    person = get_person_or_404(person_id, current_user, for_write=True)
    form = ActionForm()
    if form.validate_on_submit():
        req = run_step(lambda: create_request(PERFORMANCE, person, current_user.unit, origin="unit",
                                              user=current_user),
                       lambda made: _("Performance certificate for %(name)s prepared; due by %(date)s.",
                                      name=person.name, date=format_date(made.due_on)))
        if req is not None:
            return redirect(url_for(".show_request", request_id=req.id))
    return redirect(url_for(".candidates"))


@bp.post("/documents/batches/prepare")
@access.allow(*access.UNIT_STAFF)
def prepare_batch():
    form = ActionForm()
    if form.validate_on_submit():
        created = prepare_all_eligible(current_user.unit, current_user)
        db.session.commit()
        flash(_("%(n)d performance certificates prepared for countersigning.", n=len(created)), "success")
    return redirect(url_for(".candidates"))


@bp.post("/documents/batches/issue")
@access.allow(access.UNIT_SUPERVISOR)
def issue_batch():
    form = ActionForm()
    if not form.validate_on_submit():
        return redirect(url_for(".index"))
    ids = [r.id for r in prepared_requests(current_user.unit_id)]
    if not ids:
        flash(_("There are no prepared certificates to countersign."), "info")
        return redirect(url_for(".index"))
    job = jobs.create(batch.JOB_KIND, params={"request_ids": ids, "base_url": public_base_url()},
                      unit_id=current_user.unit_id, user=current_user)
    audit.record("certificate_batch.start", job, count=len(ids), unit_id=current_user.unit_id)
    db.session.commit()
    job_id = job.id
    jobs.start(job)
    return redirect(url_for(".job_progress", job_id=job_id))


@bp.get("/documents/jobs/<int:job_id>")
@access.allow(*access.UNIT_STAFF)
def job_progress(job_id):
    job = get_job_or_404(job_id, current_user)
    return page_or_fragment("certificates/job.html", "progress", job=job)


@bp.post("/documents/unit/english-name")
@access.allow(*access.UNIT_STAFF)
def unit_english_name():
    form = UnitEnglishNameForm()
    if form.validate_on_submit():
        save_unit_english_name(current_user.unit, form.name_en.data)
        db.session.commit()
        flash(_("The English name of the unit was saved."), "success")
    else:
        flash(_("Please enter the English name of the unit."), "error")
    return redirect(url_for(".index"))


# --- One document ---------------------------------------------------------------------------

@bp.get("/documents/<int:document_id>")
@access.allow(access.VOLUNTEER, *access.RECORD_READERS)
def show(document_id):
    document = get_document_or_404(document_id, current_user)
    role = current_user.role
    may_revoke = role in access.AUTHORITIES or (role in access.UNIT_STAFF and document.unit_id == current_user.unit_id)
    may_reissue = (role in access.UNIT_STAFF and document.unit_id == current_user.unit_id and document.kind in KINDS
                   and (document.kind != PERFORMANCE or role == access.UNIT_SUPERVISOR))
    return render_template("certificates/show.html", document=document, may_revoke=may_revoke,
                           may_reissue=may_reissue, action_form=ActionForm(formdata=None),
                           verify_url=url_for(".verify", token=document.token, _external=True))


@bp.get("/documents/<int:document_id>/download")
@access.allow(access.VOLUNTEER, *access.RECORD_READERS)
def download(document_id):
    expect_write()
    document = get_document_or_404(document_id, current_user)
    content = document_file(document)
    if not content:
        abort(404)
    audit.record("document.download", document, code=document.short_code)
    db.session.commit()
    kind = KINDS.get(document.kind)
    name = f"{kind.filename if kind else document.kind}-{document.short_code}.pdf"
    response = make_response(content)
    response.headers.update({
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "X-Content-Type-Options": "nosniff",
    })
    return response


@bp.route("/documents/<int:document_id>/revoke", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF, *access.AUTHORITIES)
def revoke(document_id):
    document = get_document_or_404(document_id, current_user, for_write=True)
    form = RevokeForm()
    if form.validate_on_submit():
        check_version(document, form)
        run_step(lambda: revoke_document(document, form.reason.data, current_user),
                 lambda _done: _("The document was revoked. Its verification page says so from now on."))
        return redirect(url_for(".show", document_id=document.id))
    return render_template("certificates/revoke.html", document=document, form=form), 422 if form.errors else 200


@bp.post("/documents/<int:document_id>/reissue")
@access.allow(*access.UNIT_STAFF)
def reissue(document_id):
    document = get_document_or_404(document_id, current_user, for_write=True)
    if document.kind == PERFORMANCE and current_user.role != access.UNIT_SUPERVISOR:
        abort(403)
    form = ActionForm()
    if form.validate_on_submit():
        check_version(document, form)
        # A name the font cannot print is a WorkflowError: the old document then stays valid.
        new = run_step(lambda: reissue_document(document, current_user),
                       lambda doc: _("Reissued with the new verification code %(code)s; the old document is "
                                     "marked superseded.", code=doc.short_code))
        if new is not None:
            return redirect(url_for(".show", document_id=new.id))
    return redirect(url_for(".show", document_id=document_id))


# --- Public verification --------------------------------------------------------------------

def _public(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.vary.add("Accept-Language")
    return response


def _verification(document: Document | None, form: VerifyForm, status: int = 200):
    context = {"document": document, "form": form}
    if document is not None:
        valid_from, valid_to = document.validity()
        context.update(state=document.public_status(today_taipei()), valid_from=valid_from, valid_to=valid_to)
        context.update(masked_name=masked_name(document), masked_latin=masked_latin_name(document),
                       issuer=(document.issuer_name_en or document.issuer_name) if not is_chinese()
                       else document.issuer_name,
                       revoked_on=taipei_date(document.revoked_at), superseded_on=taipei_date(document.superseded_at))
    return _public(make_response(render_template("certificates/verify.html", **context), status))


verify_limit = limiter.shared_limit(VERIFY_LIMIT, scope="verify")


@bp.get("/verify")
@access.allow(*access.EVERYONE)
@verify_limit
def verify_form():
    form = VerifyForm(request.args)
    if "code" not in request.args:
        return _verification(None, VerifyForm(formdata=None))
    code = normalise_code(form.code.data) if form.validate() else ""
    document = db.session.scalar(select(Document).where(Document.short_code == code)) if code else None
    if document is None:
        if not form.code.errors:
            form.code.errors = [_("No document has this verification code. Please check the code and try again.")]
        return _verification(None, form, 404)
    return _verification(document, form)


@bp.get("/verify/<token>")
@access.allow(*access.EVERYONE)
@verify_limit
def verify(token):
    document = db.session.scalar(select(Document).where(Document.token == token)) if len(token) <= 64 else None
    if document is None:
        form = VerifyForm(formdata=None)
        form.code.errors = [_("No document matches this address. Please check it, or type the verification code.")]
        return _verification(None, form, 404)
    return _verification(document, VerifyForm(formdata=None))

