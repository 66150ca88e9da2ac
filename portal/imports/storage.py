"""Where uploaded import files wait between the preview and the confirmation."""
import secrets
from pathlib import Path

from flask import current_app

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
    path = stored_file(batch)
    if path is not None:
        path.unlink(missing_ok=True)
    batch.stored_name = ""
