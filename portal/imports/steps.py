"""The steps every import screen takes with a batch: preview an upload, confirm it, discard it.

The screens (imports, honor cards, other awards) keep their own routes, scopes, texts and
redirects; what they say when rows were written stays with them, the rest is said here.
"""
from flask import flash
from flask_babel import gettext as _
from sqlalchemy import select

from portal.platform.extensions import db

from .models import BatchStatus, ImportBatch
from .pipeline import Context, ImportKind, Outcome, OutcomeStatus, display_name, fill_batch, run
from .storage import forget_file, keep_file, stored_file


def preview_upload(kind: ImportKind, ctx: Context, upload, encoding: str) -> tuple[ImportBatch, Outcome]:
    """Check every row of an uploaded file and keep the result as a previewed batch of the context's
    unit or authority; the file itself waits for the confirmation only when every row is valid."""
    data = upload.read()
    batch = ImportBatch(kind=kind.key, scope_key=ctx.scope_key, unit_id=getattr(ctx.unit, "id", None),
                        authority_id=getattr(ctx.authority, "id", None), created_by_id=ctx.user.id,
                        filename=display_name(upload.filename), status=BatchStatus.PREVIEWED)
    outcome = run(kind, data, ctx, encoding=encoding or None)
    batch.sha256 = outcome.sha256
    fill_batch(batch, outcome)
    if outcome.status == OutcomeStatus.VALID:
        keep_file(batch, data)
    db.session.add(batch)
    db.session.commit()
    return batch, outcome


def may_confirm(batch: ImportBatch | None) -> bool:
    return (batch is not None and batch.previewed and not batch.error_count
            and stored_file(batch) is not None)


def confirm_batch(batch: ImportBatch, kind: ImportKind, ctx: Context) -> Outcome | None:
    """Write every row of a previewed batch in one step: the outcome when the rows were written
    (the caller says how many), None when nothing was (said here)."""
    if not may_confirm(batch):
        flash(_("This import cannot be confirmed any more. Upload the file again."), "error")
        return None
    outcome = run(kind, stored_file(batch).read_bytes(), ctx, commit=True, batch=batch)
    if outcome.status == OutcomeStatus.COMMITTED:
        forget_file(batch)
        db.session.commit()
        return outcome
    # The rows changed since the preview: keep what the check found now (the rollback only expired
    # the batch; it stays in the session).
    db.session.rollback()
    fill_batch(batch, outcome)
    if outcome.status != OutcomeStatus.VALID:
        forget_file(batch)
    db.session.commit()
    flash(_("The data changed since the preview; nothing was written. See the problems below."), "error")
    return None


def discard_batch(batch: ImportBatch):
    if batch.previewed:
        batch.status = BatchStatus.DISCARDED
        forget_file(batch)
        db.session.commit()
        flash(_("The upload was discarded; nothing was written."), "info")


def recent_batches(scope, *options) -> list[ImportBatch]:
    return db.session.scalars(select(ImportBatch).options(*options).where(scope)
                              .order_by(ImportBatch.id.desc()).limit(30)).all()
