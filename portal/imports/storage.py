"""Where uploaded import files wait between the preview and the confirmation."""
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.platform.extensions import db

from .models import ImportBatch


def storage_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_file(batch: ImportBatch, data: bytes):
    """Store the uploaded bytes under a random name until the batch is confirmed or discarded."""
    batch.stored_name = secrets.token_hex(16)
    (storage_dir() / batch.stored_name).write_bytes(data)


def stored_file(batch: ImportBatch) -> Path | None:
    if not batch.stored_name or not batch.stored_name.isalnum():
        return None
    path = storage_dir() / batch.stored_name
    return path if path.is_file() else None


def forget_file(batch: ImportBatch):
    """The batch no longer needs its file; the file goes once the transaction commits. Deleted before the
    commit, a process killed in between would leave a previewed batch whose file is gone."""
    path = stored_file(batch)
    if path is not None:
        db.session.info.setdefault("import_files_done", []).append(path)
    batch.stored_name = ""


@event.listens_for(Session, "after_commit")
def _delete_files_of_committed_batches(session):
    for path in session.info.pop("import_files_done", []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_rollback")
def _keep_files_of_rolled_back_batches(session):
    session.info.pop("import_files_done", None)
