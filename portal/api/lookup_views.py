"""GET /volunteers/{national_id}/status, /documents/{token} and /changes (docs/rules/api.md#api4, #api6)."""
from flask import current_app

from portal.platform import access, audit
from portal.platform.extensions import limiter
from portal.platform.timeutil import today_taipei

from . import changes
from .auth import caller_or_none, current_client, rate_limit_key, require_scope
from .blueprint import AUTH_ERRORS, bp, errors
from .lookups import document_status, person_in_area, volunteer_status
from .models import CHANGES_READ, DOCUMENTS_VERIFY, VOLUNTEERS_STATUS
from .schemas import ChangePageSchema, DocumentStatusSchema, PageArgs, StatusArgs, VolunteerStatusSchema


@bp.route("/volunteers/<string(maxlength=20):national_id>/status", methods=["GET"])
@require_scope(VOLUNTEERS_STATUS)
@bp.arguments(StatusArgs, location="query")
@bp.response(200, VolunteerStatusSchema)
@errors(*AUTH_ERRORS, 404, 422)
def volunteer_status_view(args, national_id):
    """A volunteer's standing for a partner system: memberships in the client's area, training complete
    per field, record book, insured today, honor card valid. 404 outside the area."""
    caller = current_client()
    person = person_in_area(national_id, caller)
    audit.record("api.status_lookup", person, purpose=args["purpose"])
    return volunteer_status(person, caller, today_taipei())


def _anonymous_verify_limit():
    return current_app.config["API_VERIFY_RATE_LIMIT"]


@bp.route("/documents/<string(maxlength=64):token>", methods=["GET"])
@bp.doc(security=[{}, {"oauth2": [DOCUMENTS_VERIFY]}])
@access.allow(*access.EVERYONE)
@limiter.limit(_anonymous_verify_limit, key_func=rate_limit_key,
               exempt_when=lambda: caller_or_none() is not None and caller_or_none().has(DOCUMENTS_VERIFY))
@bp.response(200, DocumentStatusSchema)
@errors(400, 404, 429)
def document_view(token):
    """Machine verification of an issued document by the token in its QR code (public; a client with
    documents:verify counts against its own budget instead of the per-address one)."""
    return document_status(token, today_taipei())


@bp.route("/changes", methods=["GET"])
@require_scope(CHANGES_READ)
@bp.arguments(PageArgs, location="query")
@bp.response(200, ChangePageSchema)
@errors(*AUTH_ERRORS, 422)
def changes_view(args):
    """Changes of hour entries, memberships and documents in the client's area, oldest first."""
    return changes.page(current_client(), args.get("cursor"), args["limit"])

