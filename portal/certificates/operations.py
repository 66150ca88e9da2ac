"""The request workflow: a volunteer's request or the unit's start, preparation by the clerk,
countersignature or approval (the document is issued), decline and withdrawal, and the unit's batch
preparation. Each step checks the rules, flushes and writes its audit line; the view commits."""
from datetime import date, timedelta

from flask_babel import gettext as _

from portal.documents.models import Document
from portal.documents.operations import WorkflowError, actor_id, issue_document
from portal.notifications.events import path_for
from portal.notifications.operations import notify
from portal.notifications.recipients import unit_staff, volunteer_accounts
from portal.platform import audit, pdf
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei, utcnow
from portal.registry.models import Person, Unit

from . import rules
from .documents import request_payload
from .facts import HoursSource, open_request_for, request_problems, unit_candidates
from .models import OPEN_REQUEST_STATUSES, PERFORMANCE, CertificateRequest, RequestOrigin, RequestStatus


def create_request(kind: str, person: Person, unit: Unit, *, origin: str, user=None, purpose: str = "",
                   purpose_note: str = "", hours_source: HoursSource | None = None,
                   on: date | None = None) -> CertificateRequest:
    """A request from the volunteer, or a certificate the unit starts (then already prepared)."""
    served_in_unit = any(m.unit_id == unit.id for m in person.memberships)
    already_open = open_request_for(kind, person.id, unit.id) is not None
    refusal = rules.request_refusal(kind, origin, served_in_unit, already_open)
    if refusal:
        raise WorkflowError(refusal)
    problems = request_problems(kind, person, unit, hours_source=hours_source, on=on)
    if problems:
        raise WorkflowError(*problems)
    requested_on = on or today_taipei()
    prepared = origin == RequestOrigin.UNIT
    req = CertificateRequest(
        kind=kind, person_id=person.id, unit_id=unit.id, origin=origin, purpose=purpose, purpose_note=purpose_note,
        status=RequestStatus.PREPARED if prepared else RequestStatus.REQUESTED, requested_on=requested_on,
        due_on=requested_on + timedelta(days=rules.DUE_DAYS), requested_by_id=actor_id(user))
    if prepared:
        req.prepared_by_id, req.prepared_at = actor_id(user), utcnow()
    db.session.add(req)
    db.session.flush()
    audit.record("certificate_request.create", req, kind=kind, person_id=person.id, unit_id=unit.id, origin=origin,
                 purpose=purpose, due_on=req.due_on, status=req.status)
    if origin == RequestOrigin.VOLUNTEER:   # a request the unit starts itself needs no telling
        notify(unit_staff([unit.id]), "certificates.requested",
               link=path_for("certificates.show_request", request_id=req.id), person=person.name, kind=kind)
    return req


def _expect(req: CertificateRequest, *statuses: str):
    if req.status not in statuses:
        raise WorkflowError(_("This request has already been handled."))


def prepare_request(req: CertificateRequest, user=None, *, hours_source: HoursSource | None = None):
    """The clerk checks the record and prepares the performance certificate for countersigning."""
    _expect(req, RequestStatus.REQUESTED)
    if req.kind != PERFORMANCE:
        raise WorkflowError(_("English documents are approved directly; there is nothing to prepare."))
    problems = request_problems(req.kind, req.person, req.unit, hours_source=hours_source)
    if problems:
        raise WorkflowError(*problems)
    req.status, req.prepared_by_id, req.prepared_at = RequestStatus.PREPARED, actor_id(user), utcnow()
    db.session.flush()
    audit.record("certificate_request.prepare", req, person_id=req.person_id, unit_id=req.unit_id)


def check_issuable(req: CertificateRequest, *, hours_source: HoursSource | None = None):
    _expect(req, rules.issuable_from(req.kind))
    problems = request_problems(req.kind, req.person, req.unit, hours_source=hours_source)
    if problems:
        raise WorkflowError(*problems)


def mark_issued(req: CertificateRequest, document: Document, user=None):
    req.status, req.document_id = RequestStatus.ISSUED, document.id
    req.decided_by_id, req.decided_at = actor_id(user), utcnow()
    db.session.flush()
    audit.record("certificate_request.issue", req, document_id=document.id, code=document.short_code,
                 by_user=actor_id(user))
    notify(volunteer_accounts([req.person_id]), "certificates.issued",
           link=path_for("certificates.show", document_id=document.id), kind=req.kind)


def issue_for_request(req: CertificateRequest, user=None, *, hours_source: HoursSource | None = None,
                      render=None, base_url: str | None = None) -> Document:
    """Countersign (performance certificate) or approve (English documents) and issue the PDF."""
    check_issuable(req, hours_source=hours_source)
    payload = request_payload(req, user, hours_source=hours_source)
    try:
        document = issue_document(req.kind, req.person, payload, req.unit, issued_by=user, render=render,
                                  base_url=base_url)
    except pdf.MissingGlyphError as exc:
        raise WorkflowError(*exc.messages()) from exc
    mark_issued(req, document, user)
    return document


def decline_request(req: CertificateRequest, reason: str, user=None):
    _expect(req, *OPEN_REQUEST_STATUSES)
    if not (reason or "").strip():
        raise WorkflowError(_("Please give the reason for declining."))
    req.status, req.decline_reason = RequestStatus.DECLINED, reason.strip()
    req.decided_by_id, req.decided_at = actor_id(user), utcnow()
    db.session.flush()
    audit.record("certificate_request.decline", req, reason=req.decline_reason)


def withdraw_request(req: CertificateRequest, user=None):
    _expect(req, *OPEN_REQUEST_STATUSES)
    req.status, req.decided_by_id, req.decided_at = RequestStatus.WITHDRAWN, actor_id(user), utcnow()
    db.session.flush()
    audit.record("certificate_request.withdraw", req)


def save_latin_name(person: Person, name_latin: str):
    """The volunteer gives the passport spelling while requesting an English document."""
    if person.name_latin != name_latin:
        old = person.name_latin
        person.name_latin = name_latin
        db.session.flush()
        audit.record("person.update", person, name_latin=[old, name_latin], via="certificate request")


def save_unit_english_name(unit: Unit, name_en: str):
    """The unit adds the English name its English documents print (P3)."""
    if unit.name_en != name_en:
        old = unit.name_en
        unit.name_en = name_en
        db.session.flush()
        audit.record("unit.update", unit, name_en=[old, name_en], via="documents")


def prepare_all_eligible(unit: Unit, user=None, *, hours_source: HoursSource | None = None,
                         on: date | None = None) -> list[CertificateRequest]:
    """The unit starts a performance certificate for everyone eligible without an open request
    or an up-to-date valid certificate (the clerk's half of the batch)."""
    created = []
    requested_on = on or today_taipei()
    for c in unit_candidates(unit, hours_source=hours_source, on=on):
        if not c.ready:
            continue
        if rules.glyph_problems_for(c.person, [unit], english=False):
            continue  # listed on the candidates page with the message; prepared one by one once fixed
        req = CertificateRequest(kind=PERFORMANCE, person_id=c.person.id, unit_id=unit.id, origin=RequestOrigin.UNIT,
                                 status=RequestStatus.PREPARED, requested_on=requested_on,
                                 due_on=requested_on + timedelta(days=rules.DUE_DAYS), requested_by_id=actor_id(user),
                                 prepared_by_id=actor_id(user), prepared_at=utcnow())
        db.session.add(req)
        created.append(req)
    db.session.flush()
    for req in created:
        audit.record("certificate_request.create", req, kind=PERFORMANCE, person_id=req.person_id, unit_id=unit.id,
                     origin=RequestOrigin.UNIT, due_on=req.due_on, status=RequestStatus.PREPARED, batch=True)
    return created
