"""The document register and one document (show, download, revoke, reissue), and what every certificate
page shares; the request workflow is in request_views, the unit's candidates and batch in unit_views,
the public verification in verify_views."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager, selectinload

from portal.documents.kinds import KINDS, kind_label
from portal.documents.models import Document
from portal.documents.operations import WorkflowError, document_file, reissue_document, revoke_document
from portal.documents.scopes import document_scope, follows_a_record, get_document_or_404, may_revoke
from portal.platform import access, audit, downloads, jobs
from portal.platform.database import expect_write
from portal.platform.extensions import db
from portal.platform.forms import check_version, options
from portal.platform.htmx import page_or_fragment
from portal.platform.i18n import hours_text
from portal.platform.pagination import CURSOR_ARG, desc, keyset
from portal.platform.timeutil import today_taipei
from portal.registry.models import Person

from . import bp
from .facts import OPEN_STEPS, prepared_requests
from .forms import REQUEST_STATUS_LABELS, STATUS_LABELS, ActionForm, RegisterFilter, RevokeForm, UnitEnglishNameForm
from .models import OPEN_REQUEST_STATUSES, CertificateRequest
from .scopes import may_reissue, may_sign, register_flags, request_scope


def format_hours(half_hours: int | None) -> str:
    """Hours as the certificate pages and documents print them: no thousands separator."""
    return hours_text(half_hours, grouped=False)


@bp.app_context_processor
def certificate_helpers():
    return {"kind_label": kind_label, "format_hours": format_hours,
            "document_status_label": lambda s: str(STATUS_LABELS.get(s, s)),
            "request_status_label": lambda s: str(REQUEST_STATUS_LABELS.get(s, s))}


def run_step(step, success):
    """Run one workflow step: commit and flash success(result), or roll back and list the problems."""
    try:
        result = step()
    except WorkflowError as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
        return None
    db.session.commit()
    flash(success(result), "success")
    return result


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
             .options(contains_eager(Document.person), selectinload(Document.unit), selectinload(Document.authority)))
    if form.q.data:
        text = form.q.data
        query = query.where(or_(Person.name.contains(text, autoescape=True),
                                Person.name_latin.contains(text, autoescape=True),
                                Document.short_code == text.strip().upper()))
    if form.kind.data:
        query = query.where(Document.kind == form.kind.data)
    if form.status.data:
        query = query.where(Document.status == form.status.data)
    return query


# Newest first; keyset pages (no OFFSET) over the indexes on (issued_at, id), (unit_id, issued_at, id) and
# (person_id, issued_at, id), with a count bounded at 1,000.
REGISTER_ORDER = (desc(Document.issued_at), desc(Document.id))
OPEN_REQUESTS_SHOWN = 100   # an authority's scope may hold thousands; the earliest due come first


@bp.get("/documents/")
@access.allow(access.VOLUNTEER, *access.RECORD_READERS)
def index():
    form = register_filter()
    page = keyset(register_query(form), REGISTER_ORDER, request.args.get(CURSOR_ARG), 25)
    step = request.args.get("open", "")   # ?open=prepare|countersign|english: the home page's work-list links
    open_requests = db.session.scalars(
        select(CertificateRequest).where(request_scope(current_user),
                                         OPEN_STEPS.get(step, CertificateRequest.status.in_(OPEN_REQUEST_STATUSES)))
        .options(selectinload(CertificateRequest.person), selectinload(CertificateRequest.unit))
        .order_by(CertificateRequest.due_on, CertificateRequest.id).limit(OPEN_REQUESTS_SHOWN + 1)).all()
    more_requests = len(open_requests) > OPEN_REQUESTS_SHOWN
    open_requests = open_requests[:OPEN_REQUESTS_SHOWN]
    role = current_user.role
    context = {"form": form, "page": page, "open_requests": open_requests, "more_requests": more_requests,
               "today": today_taipei(), "open_step": step if step in OPEN_STEPS else "",
               **register_flags(current_user, bool(open_requests))}
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


# --- One document ---------------------------------------------------------------------------

@bp.get("/documents/<int:document_id>")
@access.allow(access.VOLUNTEER, *access.RECORD_READERS)
def show(document_id):
    document = get_document_or_404(document_id, current_user)
    return render_template("certificates/show.html", document=document,
                           may_revoke=may_revoke(current_user, document),
                           may_reissue=may_reissue(current_user, document), action_form=ActionForm(formdata=None),
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
    return downloads.send(content, name, "application/pdf")


@bp.route("/documents/<int:document_id>/revoke", methods=["GET", "POST"])
@access.allow(*access.UNIT_STAFF, *access.AUTHORITIES)
def revoke(document_id):
    document = get_document_or_404(document_id, current_user, for_write=True)
    if follows_a_record(document):
        flash(_("This document states %(record)s: revoke %(record)s on its own page, and the document is revoked "
                "with it.", record=KINDS[document.kind].follows), "error")
        return redirect(url_for(".show", document_id=document.id))
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
    if not may_sign(current_user, document.kind):
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
