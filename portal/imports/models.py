"""One row per uploaded file: its hash, what validation found, and whether it was committed."""
import json
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow


class BatchStatus(StrEnum):
    """A batch is previewed (checked, maybe waiting for confirmation) until committed or discarded.
    The values are what the database stores."""
    PREVIEWED = "previewed"
    COMMITTED = "committed"
    DISCARDED = "discarded"


# The awards import screen asks whether its latest batch was committed with this name.
COMMITTED = BatchStatus.COMMITTED


class ImportBatch(db.Model):
    __tablename__ = "import_batches"
    __table_args__ = (
        # The same file is committed at most once per kind and scope (docs/rules/imports.md#im9: idempotency).
        Index("uq_import_batches_committed_file", "kind", "scope_key", "sha256", unique=True,
              sqlite_where=text("status = 'committed'"), postgresql_where=text("status = 'committed'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    # "unit:<id>" or "authority:<id>": the scope the rows are written into.
    scope_key: Mapped[str] = mapped_column(String(30), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    committed_at: Mapped[datetime | None]
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(120), default="")
    stored_name: Mapped[str] = mapped_column(String(64), default="")
    file_format: Mapped[str] = mapped_column(String(20), default="")
    encoding: Mapped[str] = mapped_column(String(12), default="")
    status: Mapped[str] = mapped_column(String(10), default=BatchStatus.PREVIEWED)
    rows: Mapped[int] = mapped_column(default=0)
    committed: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    half_hours: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    # File-level problem and row problems, each message kept in both languages.
    errors: Mapped[str] = mapped_column(Text, default="[]")
    summary: Mapped[str] = mapped_column(Text, default="{}")
    version: Mapped[int] = mapped_column(default=1)

    unit: Mapped["Unit | None"] = relationship()  # noqa: F821
    created_by: Mapped["User | None"] = relationship()  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def error_list(self) -> list[dict]:
        return json.loads(self.errors or "[]")

    @property
    def summary_values(self) -> dict:
        return json.loads(self.summary or "{}")

    @property
    def hours(self) -> float:
        return self.half_hours / 2

    @property
    def previewed(self) -> bool:
        return self.status == BatchStatus.PREVIEWED

    @property
    def written(self) -> int:
        """Rows written: none until the batch is committed."""
        return self.committed if self.status == BatchStatus.COMMITTED else 0
