"""Which documents and requests a user may see or act on; out of scope answers 404 like missing."""
from flask import abort
from sqlalchemy import false, or_, select

from portal.platform import access
from portal.platform.extensions import db
from portal.platform.jobs import Job
from portal.registry.scopes import visible_unit_ids, writable_unit_ids
from .models import CertificateRequest, Document


def document_scope(user):
    """The volunteer's own documents; documents of units in scope; an authority's own documents."""
    if user.role == access.VOLUNTEER:
        return Document.person_id == user.person_id if user.person_id else false()
    condition = Document.unit_id.in_(visible_unit_ids(user))
    if getattr(user, "authority_id", None):
        condition = or_(condition, Document.authority_id == user.authority_id)
    return condition


def revocable_document_scope(user):
    """Unit staff: their own unit's documents. Authorities: every document they can see."""
    if user.role in access.UNIT_STAFF:
        return Document.unit_id.in_(writable_unit_ids(user))
    if user.role in access.AUTHORITIES:
        return document_scope(user)
    return false()


def get_document_or_404(document_id: int, user, for_write: bool = False) -> Document:
    condition = revocable_document_scope(user) if for_write else document_scope(user)
    document = db.session.scalar(select(Document).where(Document.id == document_id, condition))
    if document is None:
        abort(404)
    return document


def request_scope(user):
    if user.role == access.VOLUNTEER:
        return CertificateRequest.person_id == user.person_id if user.person_id else false()
    return CertificateRequest.unit_id.in_(visible_unit_ids(user))


def get_request_or_404(request_id: int, user, for_write: bool = False) -> CertificateRequest:
    """for_write: the unit's own staff, or the volunteer for their own request."""
    if for_write and user.role != access.VOLUNTEER:
        condition = CertificateRequest.unit_id.in_(writable_unit_ids(user))
    else:
        condition = request_scope(user)
    req = db.session.scalar(select(CertificateRequest).where(CertificateRequest.id == request_id, condition))
    if req is None:
        abort(404)
    return req


def get_job_or_404(job_id: int, user) -> Job:
    """A job of a unit within the user's scope, or one the user started; else 404 like a missing one."""
    row = db.session.scalar(select(Job).where(
        Job.id == job_id, or_(Job.unit_id.in_(visible_unit_ids(user)), Job.created_by_id == user.id)))
    if row is None:
        abort(404)
    return row
