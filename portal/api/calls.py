"""After every call under /api/v1: one audit row naming the client (docs/rules/api.md#api3), and an ETag on
successful reads, answered 304 when the client already has that version (If-None-Match)."""
import logging

from flask import request
from sqlalchemy.exc import SQLAlchemyError

from portal.platform import audit
from portal.platform.extensions import db

from .auth import caller_or_none
from .blueprint import bp

log = logging.getLogger(__name__)


def audit_call(response):
    """The call itself is audited, whatever it answered (a refused batch writes nothing else). Path values
    are not copied: an identity number in the path is recorded by the view as the person's id instead."""
    caller = caller_or_none()
    if caller is None:
        return response
    try:
        if db.session.is_active is False:
            db.session.rollback()
        audit.record("api.call", caller.client, method=request.method, endpoint=request.endpoint or "",
                     status=response.status_code, token_id=caller.token.id)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("API call audit failed for %s", caller.client.client_id)
    return response


def conditional(response):
    if request.method == "GET" and response.status_code == 200 and response.mimetype == "application/json":
        response.add_etag()
        response.make_conditional(request)
    return response


bp.after_request(conditional)
bp.after_request(audit_call)
