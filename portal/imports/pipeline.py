"""The import pipeline shared by every kind of import and by the web and command-line twins.

upload → read (reading.read_table) → find the header and the format → validate every row without
writing → either report every bad row, or write all rows in one short transaction. A kind of import
(hours, roster, training, honor cards, other awards) is a small `ImportKind` its feature defines;
portal/kinds.py lists them.
"""
import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.notifications.events import path_for
from portal.notifications.operations import notify
from portal.platform import audit
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow

from .models import BatchStatus, ImportBatch
from .reading import XLSX_MAX_UNCOMPRESSED, FileProblem, RowProblem, Table, read_table

log = logging.getLogger(__name__)

MAX_WEB_ROWS = 20_000
LANGUAGES = ("zh_TW", "en")


@dataclass
class Plan:
    """What validation found: rows ready to write (kind-specific items) and every problem."""
    rows: int = 0
    items: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    duplicates: int = 0
    half_hours: int = 0
    summary: dict = field(default_factory=dict)


@dataclass
class Context:
    """Where the rows go and who imports them (user is None on the command line)."""
    unit: object = None
    authority: object = None
    user: object = None
    today: date | None = None
    max_rows: int | None = MAX_WEB_ROWS
    max_unpacked: int = XLSX_MAX_UNCOMPRESSED
    # The importing account hears that the import finished; a machine channel (the API) answers itself.
    notify: bool = True

    @property
    def scope_key(self) -> str:
        return f"unit:{self.unit.id}" if self.unit is not None else f"authority:{self.authority.id}"


@dataclass
class ImportKind:
    key: str
    label: object
    roles: frozenset
    formats: tuple
    validate: Callable[[Table, Context], Plan]
    write: Callable[[Plan, Context, ImportBatch], dict]
    scope: str = "unit"
    templates: dict = field(default_factory=dict)   # name → (label, builder() -> (bytes, filename, mimetype))
    # Where a batch is shown (the "import finished" notification links there): endpoint, batch id argument or None.
    page: tuple[str, str | None] = ("imports.show", "batch_id")


# -- running an import ------------------------------------------------------------------

def localize(problems) -> list[dict]:
    """Every message in both languages, so previews and error files follow the reader's language."""
    out = [{"row": p.row, "column": p.column, "letter": p.letter, "value": p.value, "code": p.code,
            "message": {}} for p in problems]
    for lang in LANGUAGES:
        with force_locale(lang):
            for record, problem in zip(out, problems, strict=True):
                record["message"][lang] = problem.message_of()
    return out


class OutcomeStatus(StrEnum):
    """What a run of the pipeline came to; the values are printed by the command line (--json)."""
    COMMITTED = "committed"                 # every row written
    VALID = "valid"                         # every row could be written (a preview or a dry run)
    REJECTED = "rejected"                   # the file or some rows were refused: nothing written
    ALREADY_IMPORTED = "already_imported"   # the same file was committed before: nothing added


@dataclass
class Outcome:
    status: str
    rows: int = 0
    committed: int = 0
    duplicates: int = 0
    half_hours: int = 0
    errors: list = field(default_factory=list)
    fmt: str = ""
    encoding: str = ""
    sha256: str = ""
    summary: dict = field(default_factory=dict)
    batch: ImportBatch | None = None
    previous: ImportBatch | None = None

    @property
    def ok(self) -> bool:
        return self.status in (OutcomeStatus.COMMITTED, OutcomeStatus.VALID, OutcomeStatus.ALREADY_IMPORTED)

    def as_json(self, lang: str = "en", dry_run: bool = False) -> dict:
        data = {"rows": self.rows, "committed": self.committed, "duplicates": self.duplicates,
                "hours": self.half_hours / 2,
                "errors": [{"row": e["row"], "column": e["column"], "message": e["message"][lang], "code": e["code"],
                            "value": e["value"]} for e in self.errors],
                "status": self.status, "format": self.fmt, "encoding": self.encoding, **self.summary}
        if dry_run:
            data["dry_run"] = True
        return data


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def previous_import(kind: ImportKind, ctx: Context, digest: str) -> ImportBatch | None:
    return db.session.scalar(select(ImportBatch).where(
        ImportBatch.kind == kind.key, ImportBatch.scope_key == ctx.scope_key, ImportBatch.sha256 == digest,
        ImportBatch.status == BatchStatus.COMMITTED))


def run(kind: ImportKind, data: bytes, ctx: Context, encoding: str | None = None, commit: bool = False,
        batch: ImportBatch | None = None, filename: str = "") -> Outcome:
    """Validate every row; with `commit` and no problem, write them all (flush only; the caller commits).

    The same file committed before adds nothing: every row is reported as a duplicate.
    """
    digest = sha256_of(data)
    try:
        table = read_table(data, kind.formats, encoding, ctx.max_rows, ctx.max_unpacked)
    except FileProblem as problem:
        outcome = Outcome(status=OutcomeStatus.REJECTED, sha256=digest)
        outcome.errors = localize([RowProblem(problem.row, "", "", "", problem.code, problem.message_of)])
        return outcome
    return run_table(kind, table, ctx, digest, commit=commit, batch=batch, filename=filename)


def run_table(kind: ImportKind, table: Table, ctx: Context, digest: str, commit: bool = False,
              batch: ImportBatch | None = None, filename: str = "") -> Outcome:
    """The steps after reading, for a table read from a file or built by another channel (the API's JSON
    rows): the same validation, all-or-nothing write, idempotency by `digest`, audit and notice."""
    outcome = Outcome(status=OutcomeStatus.REJECTED, sha256=digest)
    outcome.fmt, outcome.encoding = table.fmt.key, table.encoding or ""
    try:
        previous = previous_import(kind, ctx, digest)
        if previous is not None:
            outcome.rows = sum(1 for _row in table.rows)
            outcome.status, outcome.previous = OutcomeStatus.ALREADY_IMPORTED, previous
            outcome.duplicates = outcome.rows
            outcome.summary = {"already_imported": previous.id}
            return outcome
        plan = kind.validate(table, ctx)
    except FileProblem as problem:
        outcome.errors = localize([RowProblem(problem.row, "", "", "", problem.code, problem.message_of)])
        return outcome
    outcome.rows = plan.rows
    outcome.duplicates, outcome.summary = plan.duplicates, plan.summary
    if plan.problems:
        outcome.errors = localize(plan.problems)
        return outcome
    outcome.half_hours, outcome.committed = plan.half_hours, len(plan.items)
    if not commit:
        outcome.status = OutcomeStatus.VALID
        return outcome
    batch = batch or ImportBatch(kind=kind.key, scope_key=ctx.scope_key, sha256=digest, filename=filename[:120],
                                 created_by_id=getattr(ctx.user, "id", None),
                                 unit_id=getattr(ctx.unit, "id", None), authority_id=getattr(ctx.authority, "id", None))
    try:
        # The batch is added and marked committed inside the savepoint: begin_nested() flushes what is pending
        # first, and a unique violation there (outside the savepoint) would end the whole transaction.
        with db.session.begin_nested():
            batch.status, batch.committed_at = BatchStatus.COMMITTED, utcnow()
            fill_batch(batch, outcome)
            db.session.add(batch)
            db.session.flush()
            outcome.summary = {**plan.summary, **kind.write(plan, ctx, batch)}
            batch.summary = _json(outcome.summary)
            db.session.flush()
    except IntegrityError:
        # A parallel import of the same file or of the same entries won the race.
        log.info("import %s of %s lost a race", kind.key, ctx.scope_key)
        outcome.status, outcome.committed, outcome.half_hours = OutcomeStatus.REJECTED, 0, 0
        outcome.errors = localize([RowProblem(None, "", "", "", "conflict", lambda: _(
            "Someone imported the same rows a moment ago. Nothing was written; upload the file again to see "
            "what is left."))])
        return outcome
    audit.record(f"import.{kind.key}", batch, rows=outcome.rows, committed=outcome.committed,
                 duplicates=outcome.duplicates, hours=outcome.half_hours / 2, sha256=digest, format=outcome.fmt)
    if ctx.user is not None and ctx.notify:
        endpoint, argument = kind.page
        notify([ctx.user], "imports.finished", link=path_for(endpoint, **({argument: batch.id} if argument else {})),
               kind=kind.key, rows=outcome.committed, status=BatchStatus.COMMITTED)
    outcome.status, outcome.batch = OutcomeStatus.COMMITTED, batch
    return outcome


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def fill_batch(batch: ImportBatch, outcome: Outcome):
    batch.rows, batch.committed, batch.duplicates = outcome.rows, outcome.committed, outcome.duplicates
    batch.half_hours, batch.error_count = outcome.half_hours, len(outcome.errors)
    batch.file_format, batch.encoding = outcome.fmt, outcome.encoding
    batch.errors, batch.summary = _json(outcome.errors), _json(outcome.summary)


_SAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def display_name(filename: str) -> str:
    """The uploaded file's name for display only (never a path): NFC, no control characters, ≤100 chars."""
    name = unicodedata.normalize("NFC", filename or "")
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    return _SAFE_NAME.sub("_", name).strip()[:100]
