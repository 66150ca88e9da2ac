"""The audit trail: one append-only row per change of personal or record data and per reveal.

Rows are written in the same transaction as the change they describe, so a rollback
leaves no audit row behind. Database triggers refuse UPDATE and DELETE on the table.
"""
import json
import logging
from datetime import datetime

from flask import g, has_app_context, has_request_context, request
from flask_login import current_user
from sqlalchemy import DDL, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .timeutil import utcnow

log = logging.getLogger(__name__)
# g key: extra facts every audit row of this request carries, e.g. {"api_client": "vp_..."} for a call made by a
# partner system through the API (portal/api/auth.py): the row names the owner account *and* the client.
VIA_KEY = "audit_via"


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    # An object's own rows (e.g. whether a membership's end can still be undone) in one indexed read.
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_role: Mapped[str] = mapped_column(String(20), default="")
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[int | None]
    detail: Mapped[str] = mapped_column(Text, default="{}")
    ip: Mapped[str] = mapped_column(String(45), default="")


SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
POSTGRESQL_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
]

for _sql in SQLITE_TRIGGERS:
    event.listen(AuditLog.__table__, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in POSTGRESQL_TRIGGERS:
    event.listen(AuditLog.__table__, "after_create", DDL(_sql).execute_if(dialect="postgresql"))


def record(action: str, obj, **detail) -> AuditLog:
    """Add an audit row for `action` on `obj` to the current transaction (values already masked)."""
    actor = current_user if has_request_context() and current_user.is_authenticated else None
    via = g.get(VIA_KEY) if has_app_context() else None
    if via:
        detail = {**via, **detail}
    row = AuditLog(
        actor_id=getattr(actor, "id", None),
        actor_role=getattr(actor, "role", "system"),
        action=action,
        object_type=type(obj).__name__,
        object_id=getattr(obj, "id", None),
        detail=json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True),
        ip=(request.remote_addr or "") if has_request_context() else "",
    )
    db.session.add(row)
    log.info("audit %s %s:%s by %s", action, row.object_type, row.object_id, row.actor_id)
    return row
