"""The feed of changes in a client's area (docs/rules/api.md#api6): hour entries, memberships and documents,
read from the audit trail, which every change writes in the same transaction (platform.audit, PL8).

Keyset by audit_log.id, the primary key: indexed, strictly increasing, and a row once written never
changes (the trail is append-only), so a cursor never skips or repeats a change. One request reads at
most SCAN rows of the trail, whatever the area: a county's client far from its next change gets an
empty page with a cursor further on, instead of a scan of the whole trail."""
from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import and_, func, literal, or_, select

from portal.documents.models import Document
from portal.hours.models import HourEntry
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.registry.identity import mask_id
from portal.registry.models import Membership, Person, Unit

from .auth import Caller
from .problems import Problem

SCAN = 5000
KINDS = {"HourEntry": ("hour_entry", HourEntry), "Membership": ("membership", Membership),
         "Document": ("document", Document)}


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="api-changes")


def encode(last_id: int) -> str:
    return _serializer().dumps(last_id)


def decode(cursor: str | None) -> int:
    """The audit id a cursor stands after; 0 without one; a forged or foreign one is a 400 (a feed that
    silently started again would send every change twice)."""
    if not cursor:
        return 0
    try:
        value = _serializer().loads(cursor)
    except BadData as error:
        raise Problem(400, "bad_request", "The cursor is not valid for this feed.") from error
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Problem(400, "bad_request", "The cursor is not valid for this feed.")
    return value


def page(caller: Caller, cursor: str | None, limit: int) -> dict:
    after = decode(cursor)
    top = db.session.scalar(select(func.max(AuditLog.id))) or 0
    upto = min(after + SCAN, top)
    units = caller.visible_unit_ids()
    unit_id = func.coalesce(HourEntry.unit_id, Membership.unit_id, Document.unit_id)
    person_id = func.coalesce(HourEntry.person_id, Membership.person_id, Document.person_id)
    rows = db.session.execute(
        select(AuditLog.id, AuditLog.at, AuditLog.action, AuditLog.object_type, AuditLog.object_id,
               Unit.code, Person.id_number)
        .outerjoin(HourEntry, and_(AuditLog.object_type == literal("HourEntry"), HourEntry.id == AuditLog.object_id))
        .outerjoin(Membership, and_(AuditLog.object_type == literal("Membership"),
                                    Membership.id == AuditLog.object_id))
        .outerjoin(Document, and_(AuditLog.object_type == literal("Document"), Document.id == AuditLog.object_id))
        .join(Unit, Unit.id == unit_id)
        .join(Person, Person.id == person_id)
        .where(AuditLog.id > after, AuditLog.id <= upto, AuditLog.object_type.in_(list(KINDS)),
               or_(HourEntry.id.is_not(None), Membership.id.is_not(None), Document.id.is_not(None)),
               unit_id.in_(units))
        .order_by(AuditLog.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1][0] if more and rows else upto
    items = [{"id": row[0], "changed_at": row[1], "action": row[2], "kind": KINDS[row[3]][0],
              "object_id": row[4], "unit_code": row[5], "national_id_masked": mask_id(row[6])} for row in rows]
    return {"items": items, "next_cursor": encode(last), "has_more": more or last < top}
