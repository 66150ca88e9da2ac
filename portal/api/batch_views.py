"""POST and GET of hour and award batches (docs/rules/api.md#api7): scope → size → schema → operation
(batches.submit commits) → the batch as JSON, or a problem naming every refused row."""
import functools

from flask import request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, fields, validate

from .auth import current_client, require_scope
from .batch_models import ApiBatch, ApiBatchKind, ApiBatchStatus
from .batches import MAX_KEY_LENGTH, MAX_ROWS, check_size, get_batch_or_404, submit
from .blueprint import AUTH_ERRORS, RowErrorSchema, bp, errors
from .models import AWARDS_WRITE, HOURS_WRITE
from .problems import Problem, RowError

DATE = {"format": "date", "description": "ISO 8601 (2024-09-10); ROC dates (113/09/10, 1130910) are accepted too"}


class IdempotencySchema(Schema):
    class Meta:
        unknown = EXCLUDE      # every other header

    key = fields.String(data_key="Idempotency-Key", validate=validate.Length(min=1, max=MAX_KEY_LENGTH), metadata={
        "description": "Any unique string (a UUID). The same key and rows sent again answer the stored batch and "
                       "write nothing; the same key with other rows is refused (422)."})


class HourRowSchema(Schema):
    id_number = fields.String(required=True, metadata={"description": "National ID or resident certificate number"})
    name = fields.String(required=True, metadata={"description": "As registered with the ID number"})
    start_on = fields.String(required=True, metadata=DATE)
    end_on = fields.String(allow_none=True, metadata={**DATE, "description": "Empty: a single day"})
    hours = fields.Float(required=True, metadata={"description": "In steps of 0.5, more than 0, at most 24 a day"})
    field = fields.String(allow_none=True, metadata={"description": "Service field (code or name); empty: the "
                                                                    "unit's main field"})
    content = fields.String(allow_none=True)
    persons_served = fields.Integer(allow_none=True, strict=True)
    remarks = fields.String(allow_none=True)


class HoursBatchSchema(Schema):
    unit = fields.String(allow_none=True, metadata={"description": "Unit code; may be left out when the client's "
                                                                   "account serves one unit"})
    rows = fields.List(fields.Nested(HourRowSchema), required=True, validate=validate.Length(min=1, max=MAX_ROWS))


class AwardRowSchema(Schema):
    id_number = fields.String(required=True)
    name = fields.String(required=True)
    title = fields.String(required=True, metadata={"description": "The award's name"})
    tier = fields.String(allow_none=True)
    issuer = fields.String(allow_none=True, metadata={"description": "Empty: the client's authority"})
    year = fields.Integer(allow_none=True, strict=True, metadata={"description": "ROC (113) or western (2024); "
                                                                              "empty: the year of awarded_on"})
    awarded_on = fields.String(allow_none=True, metadata=DATE)


class AwardsBatchSchema(Schema):
    rows = fields.List(fields.Nested(AwardRowSchema), required=True, validate=validate.Length(min=1, max=MAX_ROWS))


class BatchSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(ApiBatchKind)))
    status = fields.String(required=True, validate=validate.OneOf(list(ApiBatchStatus)),
                           metadata={"description": "committed: written (or already recorded); rejected: nothing "
                                                    "written, see errors"})
    idempotency_key = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    rows = fields.Integer(required=True)
    written = fields.Integer(required=True)
    duplicates = fields.Integer(required=True, metadata={"description": "Rows already recorded: not written again"})
    hours = fields.Float(metadata={"description": "Hours written (hour batches)"})
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    errors = fields.List(fields.Nested(RowErrorSchema))


def rows_within_limit(view):
    """Count the rows before the schema reads them: 10,000 rows are refused at once (413), not validated."""
    @functools.wraps(view)
    def checked(*args, **kwargs):
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("rows"), list):
            check_size(body["rows"])
        return view(*args, **kwargs)
    return checked


def _language_tag() -> str:
    return "en" if str(get_locale() or "").startswith("en") else "zh-TW"


def _stored_error(error: dict) -> RowError:
    messages = error["messages"]
    return RowError(row=error["row"], code=error["code"], field=error["field"], value=error["value"],
                    message_of=lambda: messages[_language_tag()])


def answer(batch: ApiBatch, replayed: bool = False):
    """The batch (201 when sent, 200 when read), or its problem (422 naming every refused row)."""
    body = batch.body
    if batch.status == ApiBatchStatus.REJECTED and request.method == "POST":
        raise Problem(422, "rows_refused", _("Nothing was written: %(n)s of %(rows)s rows were refused.",
                                             n=len(body["errors"]), rows=body["rows"]),
                      errors=[_stored_error(e) for e in body["errors"]], extra={"batch_id": batch.id})
    for error in body["errors"]:
        error["detail"] = error["messages"][_language_tag()]
    endpoint = "api.get_hours_batch" if batch.kind == ApiBatchKind.HOURS else "api.get_awards_batch"
    headers = {"Location": url_for(endpoint, batch_id=batch.id)}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return body, (batch.http_status if request.method == "POST" else 200), headers


@bp.route("/hours/batches", methods=["POST"])
@require_scope(HOURS_WRITE)
@rows_within_limit
@bp.arguments(IdempotencySchema, location="headers")
@bp.arguments(HoursBatchSchema)
@bp.response(201, BatchSchema)
@errors(*AUTH_ERRORS, 404, 409, 413, 415, 422)
def create_hours_batch(headers, body):
    """Send hour entries: every row checked as a file import's, all written or none."""
    batch, replayed = submit(current_client(), ApiBatchKind.HOURS, body["rows"], headers.get("key"),
                             body.get("unit"))
    return answer(batch, replayed)


@bp.route("/hours/batches/<int:batch_id>", methods=["GET"])
@require_scope(HOURS_WRITE)
@bp.response(200, BatchSchema)
@errors(*AUTH_ERRORS, 404)
def get_hours_batch(batch_id):
    """An hour batch this client sent: its result, or every refused row."""
    return answer(get_batch_or_404(current_client(), ApiBatchKind.HOURS, batch_id))


@bp.route("/awards/batches", methods=["POST"])
@require_scope(AWARDS_WRITE)
@rows_within_limit
@bp.arguments(IdempotencySchema, location="headers")
@bp.arguments(AwardsBatchSchema)
@bp.response(201, BatchSchema)
@errors(*AUTH_ERRORS, 404, 409, 413, 415, 422)
def create_awards_batch(headers, body):
    """Send other awards (authority clients): the same rules and provenance as the award file import."""
    batch, replayed = submit(current_client(), ApiBatchKind.AWARDS, body["rows"], headers.get("key"))
    return answer(batch, replayed)


@bp.route("/awards/batches/<int:batch_id>", methods=["GET"])
@require_scope(AWARDS_WRITE)
@bp.response(200, BatchSchema)
@errors(*AUTH_ERRORS, 404)
def get_awards_batch(batch_id):
    """An award batch this client sent: its result, or every refused row."""
    return answer(get_batch_or_404(current_client(), ApiBatchKind.AWARDS, batch_id))
