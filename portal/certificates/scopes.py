"""Which requests and jobs a user may see or act on (out of scope answers 404 like missing), and who may
sign, reissue or withdraw what (the documents themselves: portal.documents.scopes)."""
from flask import abort
from sqlalchemy import false, or_, select

from portal.documents.kinds import KINDS
from portal.documents.models import Document
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.jobs import Job
from portal.registry.scopes import visible_unit_ids, writable_unit_ids

from .models import PERFORMANCE, CertificateRequest


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


def may_sign(user, kind: str) -> bool:
    """Only a volunteer supervisor countersigns performance certificates (P2); unit staff approve English ones."""
    return kind != PERFORMANCE or user.role == access.UNIT_SUPERVISOR


def may_reissue(user, document: Document) -> bool:
    """The staff of the issuing unit, for a kind still offered, with the right to sign it."""
    return (user.role in access.UNIT_STAFF and document.unit_id == user.unit_id and document.kind in KINDS
            and may_sign(user, document.kind))


def register_flags(user, has_open_requests: bool) -> dict:
    """What the register page offers this user."""
    role = user.role
    return {"may_request": role == access.VOLUNTEER,
            "show_open_requests": has_open_requests or role == access.VOLUNTEER or role in access.UNIT_STAFF,
            "can_countersign": role == access.UNIT_SUPERVISOR,
            "show_volunteer_column": role != access.VOLUNTEER}


def request_flags(user, req: CertificateRequest) -> dict:
    """What a request's page offers this user: the unit's own staff decide, a supervisor countersigns,
    the volunteer withdraws."""
    return {"own_unit": user.role in access.UNIT_STAFF and req.unit_id == user.unit_id,
            "may_countersign": user.role == access.UNIT_SUPERVISOR,
            "may_withdraw": user.role == access.VOLUNTEER}
