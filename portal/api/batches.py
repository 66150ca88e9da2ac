"""Batches of hour entries and of other awards sent by API clients (docs/rules/api.md#api7).

The rows go through the import pipeline exactly as a file's rows do: the JSON rows become a table of the
hours import's portal format (or the other-award format), and `imports.pipeline.run_table` validates every
row with the same rules (0.5-hour steps, 24 hours a day, overlaps, the training gate, the person and the unit,
the award's year and issuer), writes all of them or none, skips entries already recorded (the business key)
and keeps the provenance (an import batch named after the client). This module adds what a machine channel
needs on top: the client's area, the Idempotency-Key, and the answer kept for later reads and retries.

One request is one transaction: the entries, the import batch, the API batch and the audit rows commit
together, so a process killed half-way leaves nothing behind.
"""
import hashlib
import json

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.awards.importing import AWARDS as AWARD_FORMAT
from portal.awards.importing import KIND as AWARDS_KIND
from portal.hours.importing import HOURS as HOURS_KIND
from portal.hours.importing import PORTAL as HOURS_FORMAT
from portal.imports.pipeline import Context, Outcome, OutcomeStatus, run_table
from portal.imports.reading import Format, Table
from portal.platform import access, audit
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.registry.models import Unit
from portal.registry.scopes import writable_unit_ids

from .auth import Caller
from .batch_models import ApiBatch, ApiBatchKind, ApiBatchStatus
from .problems import ROW_LANGUAGES, Problem

# A batch holds at most this many rows (a larger one is refused whole: split it); 5,000 rows validate and
# commit in about a second. The body's size is bounded for every call (API_MAX_CONTENT_LENGTH, 5 MB).
MAX_ROWS = 5_000
MAX_KEY_LENGTH = 255

HOUR_FIELDS = ("id_number", "name", "start_on", "end_on", "hours", "field", "content", "persons_served", "remarks")
AWARD_FIELDS = ("id_number", "name", "title", "tier", "issuer", "year", "awarded_on")
# Which pipeline kind, table format and JSON fields each batch kind uses.
KINDS = {ApiBatchKind.HOURS: (HOURS_KIND, HOURS_FORMAT, HOUR_FIELDS),
         ApiBatchKind.AWARDS: (AWARDS_KIND, AWARD_FORMAT, AWARD_FIELDS)}
# The pipeline's code when a parallel request wrote the same rows first.
LOST_RACE = "conflict"


def json_table(fmt: Format, fields: tuple, rows: list[dict]) -> Table:
    """The JSON rows as the pipeline's table: the column names are the JSON fields, so every problem names
    the field; row n is the n-th object of `rows` (1-based)."""
    return Table(sheet=None, encoding="json", header_row=0, header=list(fields),
                 columns={key: index for index, key in enumerate(fields)},
                 rows=((number, [row.get(key) for key in fields]) for number, row in enumerate(rows, start=1)),
                 fmt=fmt)


def request_digest(kind: str, unit_code: str | None, rows: list[dict]) -> str:
    """SHA-256 of what was asked (kind, unit, rows; key order and spacing do not matter)."""
    text = json.dumps({"kind": kind, "unit": unit_code, "rows": rows}, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def check_size(rows: list) -> None:
    if len(rows) > MAX_ROWS:
        limit, given = format(MAX_ROWS, ","), format(len(rows), ",")
        raise Problem(413, "too_many_rows", _("A batch holds at most %(max)s rows; this one has %(n)s. Split it "
                                              "into several batches.", max=limit, n=given),
                      extra={"max_rows": MAX_ROWS})


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise Problem(400, "bad_idempotency_key", _("The Idempotency-Key header must be 1 to %(n)s printable "
                                                    "ASCII characters.", n=MAX_KEY_LENGTH))
    return key


def hours_unit(caller: Caller, code: str | None) -> Unit:
    """The unit the hours go to: a unit whose records the client's account may change (its own unit: hours
    are the unit's record, docs/rules/hours.md#h1); any other code reads as not found."""
    query = select(Unit).where(Unit.id.in_(writable_unit_ids(caller.user)))
    if code is not None:
        query = query.where(Unit.code == code)
    unit = db.session.scalars(query.order_by(Unit.id).limit(1)).first()
    if unit is None:
        raise Problem(404, "not_found", _("No unit with this code within the client's area.") if code else
                      _("This client writes no unit's hours: hours are the unit's record, so a client registered "
                        "for an account of the unit sends them."))
    return unit


def awards_authority(caller: Caller):
    """Other awards are imported by authorities only, for themselves (docs/rules/awards.md#a7)."""
    user = caller.user
    if user.role not in access.AUTHORITIES or user.authority is None:
        raise Problem(403, "authority_only", _("Only an authority's client (sector authority, county or ministry) "
                                               "may send award data."))
    return user.authority


def committed_with_key(caller: Caller, key: str | None) -> ApiBatch | None:
    if key is None:
        return None
    return db.session.scalar(select(ApiBatch).where(
        ApiBatch.client_id == caller.client.id, ApiBatch.idempotency_key == key,
        ApiBatch.status == ApiBatchStatus.COMMITTED))


def replay(stored: ApiBatch, kind: str, digest: str) -> ApiBatch:
    """The stored batch of a key sent again: the same request gets the same answer, another one is refused."""
    if stored.kind != kind or stored.request_sha256 != digest:
        raise Problem(422, "idempotency_key_reused", _("This Idempotency-Key was used for another request (batch "
                                                       "%(id)s). Use a new key for new rows.", id=stored.id),
                      extra={"batch_id": stored.id})
    return stored


def submit(caller: Caller, kind: str, rows: list[dict], key: str | None, unit_code: str | None = None,
           ) -> tuple[ApiBatch, bool]:
    """Validate and write a batch in one transaction and commit it: (the batch, whether it is a replay of a
    committed one). A refused batch is kept too (status rejected, every bad row), and nothing of it is written.
    Commits here, not in the view: losing a race to an identical request needs a rollback and a second look."""
    check_size(rows)
    key = check_key(key)
    pipeline_kind, fmt, fields = KINDS[kind]
    if kind == ApiBatchKind.HOURS:
        unit, authority = hours_unit(caller, unit_code), None
    else:
        unit, authority = None, awards_authority(caller)
    digest = request_digest(kind, unit.code if unit is not None else None, rows)
    for attempt in (1, 2):
        stored = committed_with_key(caller, key)
        if stored is not None:
            return replay(stored, kind, digest), True
        ctx = Context(unit=unit, authority=authority, user=caller.user, today=today_taipei(), max_rows=MAX_ROWS,
                      notify=False)
        outcome = run_table(pipeline_kind, json_table(fmt, fields, rows), ctx, digest, commit=True,
                            filename=f"API: {caller.client.name}")
        if outcome.status == OutcomeStatus.REJECTED and any(e["code"] == LOST_RACE for e in outcome.errors):
            # A parallel request wrote the same rows first: look again, they now count as duplicates.
            db.session.rollback()
            if attempt == 1:
                continue
            raise Problem(409, "conflict", _("Another request is writing the same rows at this moment. Nothing "
                                             "was written; send the batch again."))
        batch = _keep(caller, kind, key, digest, unit, authority, outcome)
        try:
            db.session.commit()
        except IntegrityError:
            # An identical request with the same key committed first: answer with its result.
            db.session.rollback()
            stored = committed_with_key(caller, key)
            if stored is None or attempt == 2:
                raise
            return replay(stored, kind, digest), True
        return batch, False
    raise AssertionError("unreachable")


def _keep(caller: Caller, kind: str, key: str | None, digest: str, unit, authority, outcome: Outcome) -> ApiBatch:
    written = outcome.status == OutcomeStatus.COMMITTED
    if not written:
        db.session.rollback()     # nothing of a refused batch stays (the pipeline wrote nothing; locks go)
    status = ApiBatchStatus.COMMITTED if outcome.ok else ApiBatchStatus.REJECTED
    batch = ApiBatch(client_id=caller.client.id, kind=kind, idempotency_key=key, request_sha256=digest,
                     status=status, unit_id=getattr(unit, "id", None), authority_id=getattr(authority, "id", None),
                     import_batch_id=(outcome.batch or outcome.previous).id if outcome.ok else None,
                     rows=outcome.rows, written=outcome.committed if written else 0, duplicates=outcome.duplicates,
                     half_hours=outcome.half_hours if written else 0, http_status=201 if outcome.ok else 422)
    db.session.add(batch)
    db.session.flush()
    batch.result = json.dumps(describe(batch, unit, outcome), ensure_ascii=False)
    audit.record(f"api.{kind}_batch", batch, client=caller.client.client_id, status=status, rows=batch.rows,
                 written=batch.written, duplicates=batch.duplicates, hours=batch.half_hours / 2,
                 idempotency_key=key, import_batch=batch.import_batch_id, errors=len(outcome.errors))
    db.session.flush()
    return batch


def row_error(error: dict) -> dict:
    """A pipeline problem (messages in both languages) as the API's row error."""
    return {"row": error["row"], "field": error["column"] or None, "code": error["code"], "value": error["value"],
            "messages": {tag: error["message"][locale] for tag, locale in ROW_LANGUAGES.items()}}


def describe(batch: ApiBatch, unit, outcome: Outcome) -> dict:
    """The batch as answered and kept (row messages in both languages; `detail` is added per request)."""
    body = {"id": batch.id, "kind": batch.kind, "status": batch.status, "idempotency_key": batch.idempotency_key,
            "unit": unit.code if unit is not None else None, "rows": batch.rows, "written": batch.written,
            "duplicates": batch.duplicates, "created_at": batch.created_at.isoformat() + "Z",
            "errors": [row_error(e) for e in outcome.errors]}
    if batch.kind == ApiBatchKind.HOURS:
        body["hours"] = batch.half_hours / 2
    return body


def get_batch_or_404(caller: Caller, kind: str, batch_id: int) -> ApiBatch:
    """A batch of this client and kind; any other reads as not found."""
    batch = db.session.scalar(select(ApiBatch).where(ApiBatch.id == batch_id, ApiBatch.kind == kind,
                                                     ApiBatch.client_id == caller.client.id))
    if batch is None:
        raise Problem(404, "not_found")
    return batch
