"""Uploaded files, for every feature that takes them (certificates, photos, letters): the register of
stored files and their storage. A file is checked first (filecheck.py); only the clean copy is stored,
outside the web root, under a random name. The original file name is kept as display text only;
nothing refused is ever stored."""
import errno
import hashlib
import logging
import os
import secrets
from datetime import datetime
from pathlib import Path

from flask import abort, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from . import downloads, pdfclean
from .extensions import db
from .filecheck import DISPLAY_NAME_CHARS, KINDS, CheckedFile, UploadRefused, check_file, read_limited
from .timeutil import utcnow

log = logging.getLogger(__name__)


class StoredFile(db.Model):
    """One accepted file on disk. Features link to it from their own tables."""
    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    storage_key: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_CHARS))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int | None]
    height: Mapped[int | None]
    pages: Mapped[int | None]
    has_preview: Mapped[bool] = mapped_column(default=False)
    purpose: Mapped[str] = mapped_column(String(30))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def content_type(self) -> str:
        return KINDS[self.kind][0]

    @property
    def is_image(self) -> bool:
        return self.kind in ("jpeg", "png")

    @property
    def size_label(self) -> str:
        return f"{max(1, round(self.size / 1024))} KiB" if self.size < 1024 * 1024 else f"{self.size / 1048576:.1f} MiB"


# --- storage ------------------------------------------------------------------------------

def storage_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]).resolve()


def _path(key: str, suffix: str) -> Path:
    root = storage_root()
    path = (root / key[:2] / f"{key}{suffix}").resolve()
    if root not in path.parents:
        raise ValueError("storage path escapes the upload directory")
    return path


def file_path(stored: StoredFile) -> Path:
    return _path(stored.storage_key, KINDS[stored.kind][1])


def preview_path(stored: StoredFile) -> Path:
    return _path(stored.storage_key, ".preview.png")


# A storage that cannot take the file (full disk, quota, read-only or unwritable folder) refuses the upload with
# a message instead of a server error; the views roll back, so no row points at a missing or half-written file.
STORAGE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def _write_new(path: Path, data: bytes, name: str):
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        # Registered before the first byte: a rollback (or a failed write below) removes a partial file too.
        db.session.info.setdefault("uploads_written", []).append(path)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        if exc.errno not in STORAGE_ERRORS:
            raise
        log.error("upload storage refused %s: %s", path, exc)
        path.unlink(missing_ok=True)
        raise UploadRefused(name, _l("The file store cannot take files at the moment (it is full or cannot be "
                                     "written to). Nothing was saved; please try again later.")) from exc


def store(checked: CheckedFile, purpose: str, user_id: int | None) -> StoredFile:
    """Write the clean file (and its preview) under a random name; add the row (flush, no commit)."""
    key = secrets.token_hex(16)
    _write_new(_path(key, KINDS[checked.kind][1]), checked.data, checked.display_name)
    if checked.preview:
        _write_new(_path(key, ".preview.png"), checked.preview, checked.display_name)
    stored = StoredFile(storage_key=key, kind=checked.kind, display_name=checked.display_name,
                        size=len(checked.data), sha256=hashlib.sha256(checked.data).hexdigest(),
                        width=checked.width, height=checked.height, pages=checked.pages,
                        has_preview=bool(checked.preview), purpose=purpose, uploaded_by_id=user_id)
    db.session.add(stored)
    db.session.flush()
    if checked.removed:
        log.info("stored file %s: active content removed: %s", stored.id, ", ".join(checked.removed))
    return stored


def accept(file_storage, purpose: str, user_id: int | None) -> StoredFile:
    """Check one werkzeug FileStorage and store it, or raise UploadRefused."""
    data = read_limited(file_storage.stream)
    return store(check_file(file_storage.filename, data), purpose, user_id)


def accept_many(files, purpose: str, user_id: int | None) -> tuple[list[StoredFile], list[UploadRefused]]:
    """Every non-empty part of a multi-file field: the stored files and the refusals, in order."""
    stored, refused = [], []
    for part in files or []:
        if part is None or (not part.filename and not part.content_length):
            continue
        try:
            stored.append(accept(part, purpose, user_id))
        except UploadRefused as exc:
            refused.append(exc)
    return stored, refused


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_files(session):
    """A rolled-back upload leaves no file behind."""
    for path in session.info.pop("uploads_written", []):
        try:
            path.unlink()
        except FileNotFoundError:
            pass


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session):
    session.info.pop("uploads_written", None)


# --- downloads ----------------------------------------------------------------------------

def send_stored(stored: StoredFile, preview: bool = False):
    """The file as an attachment: its type from the stored, verified kind, a name generated from the
    display name (downloads.send)."""
    if preview:
        path, mimetype = preview_path(stored), "image/png"
        name = os.path.splitext(stored.display_name)[0] + ".preview.png"
    else:
        path, mimetype, name = file_path(stored), stored.content_type, stored.display_name
    # Read at once (≤5 MiB): no open file handle outlives the request.
    data = path.read_bytes()
    if stored.kind == "pdf" and not preview:
        data = _inert(stored, data)
    return downloads.send(data, name, mimetype)


def _inert(stored: StoredFile, data: bytes) -> bytes:
    """A PDF stored before active content was removed on upload (docs/rules/platform.md#pl10) leaves
    cleaned; one that cannot be cleaned does not leave at all."""
    try:
        if not pdfclean.find_active(data):
            return data
        log.warning("stored file %s still had active content; served cleaned", stored.id)
        return pdfclean.clean_pdf(data).data
    except pdfclean.PdfRefused:
        log.warning("stored file %s has active content and cannot be cleaned; not served", stored.id)
        abort(404)
