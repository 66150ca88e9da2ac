"""A batch a client sent (hours or other awards): what it asked for, what came of it, and the answer it got,
kept so the answer can be read again and a retried request gets it back instead of writing twice
(docs/rules/api.md#api7).

Idempotency has two locks. The `Idempotency-Key` of a committed batch is unique per client (a partial unique
index, so two identical requests racing each other write once: the second one's insert fails and it answers
with the first one's stored result). The rows themselves go through the import pipeline, whose business key
(the same entry or award is never recorded twice) holds whatever key the client sends. A refused batch binds
no key: the client fixes the rows (or the roster) and sends again with the same key."""
import json
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow


class ApiBatchKind(StrEnum):
    HOURS = "hours"
    AWARDS = "awards"


class ApiBatchStatus(StrEnum):
    COMMITTED = "committed"     # every row written, or already recorded (counted as duplicates)
    REJECTED = "rejected"       # nothing written; the problems are kept in `result`


class ApiBatch(db.Model):
    __tablename__ = "api_batches"
    __table_args__ = (
        Index("uq_api_batches_committed_key", "client_id", "idempotency_key", unique=True,
              sqlite_where=text("status = 'committed'"), postgresql_where=text("status = 'committed'")),
        Index("ix_api_batches_client", "client_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    kind: Mapped[str] = mapped_column(String(10))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    # SHA-256 of the request (kind, unit, rows): the same key sent with another request is refused.
    request_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"))
    # The pipeline's batch: the written rows point to it (hour entries, awards), so does their provenance.
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    rows: Mapped[int] = mapped_column(default=0)
    written: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    half_hours: Mapped[int] = mapped_column(default=0)
    http_status: Mapped[int] = mapped_column(default=201)
    # The JSON body answered (the batch, or the problem with every refused row in both languages).
    result: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def body(self) -> dict:
        return json.loads(self.result or "{}")
