"""The record book as a verifiable PDF, through the certificates' document API and PDF engine.

Each download prints the book as it stands: when nothing changed since the last printout, the
stored PDF is served again; otherwise a new document is issued (random token, short code, QR to
/verify) and the earlier printout becomes "superseded" on the verification page. The issuer is
the county authority that issued the book.
"""
import base64
import hashlib
import json

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.documents.kinds import DocumentKind
from portal.documents.models import VALID, Document
from portal.documents.operations import (
    PreparedDocument,
    document_file,
    glyph_texts,
    pdf_context,
    prepare_document,
    store_document,
)
from portal.platform import pdf, uploads
from portal.platform.database import expect_write
from portal.platform.extensions import db
from portal.records.models import RecordBook
from portal.records.operations import issued_record_book
from portal.registry.models import Person

from .record_book import book_content, payload_of

KIND = "record_book"
TEMPLATE = "records/pdf.html"


def photo_data_uri(person_id: int) -> str | None:
    person = db.session.get(Person, person_id)
    if person is None or not person.has_accepted_photo:
        return None
    stored = db.session.get(uploads.StoredFile, person.photo_file_id)
    if stored is None:
        return None
    data = uploads.file_path(stored).read_bytes()
    return f"data:{stored.content_type};base64,{base64.b64encode(data).decode('ascii')}"


def render(prepared: PreparedDocument, photo: str | None = None) -> bytes:
    """The certificates' render_document, plus the ID photo (kept out of the stored payload)."""
    if photo is None:
        photo = photo_data_uri(prepared.person_id)
    with force_locale("zh_TW"):
        title = _("Service record book")
        running_head = _("Verification code %(code)s · %(url)s · page ", code=prepared.short_code,
                         url=prepared.verify_form_url)
    return pdf.render_pdf(TEMPLATE, title=title, language="zh_TW", check=glyph_texts(prepared.payload),
                          pdf_author=prepared.issuer_name, running_head=running_head,
                          photo=photo, **pdf_context(prepared))


def current_payload(book: RecordBook) -> dict:
    payload = payload_of(book_content(book.person, book, None))
    person = book.person
    fingerprint = json.dumps([payload, person.photo_file_id if person.has_accepted_photo else None],
                             sort_keys=True, ensure_ascii=False, default=str)
    payload["digest"] = hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()
    return payload


def rebuild(document: Document, user) -> dict:
    book = issued_record_book(document.person_id)
    if book is None:
        raise ValueError("the record book is not valid")
    return current_payload(book)


RECORD_BOOK_KIND = DocumentKind(KIND, _l("Service record book"), TEMPLATE, "zh_TW", "record-book", rebuild)


def printout(book: RecordBook, user) -> tuple[Document, bytes]:
    """The valid printout of the book as it stands now: the stored one while the record is unchanged,
    else a new document (flush only; the caller commits).

    The PDF of a long record takes seconds to lay out, so it is rendered between two transactions:
    the data is read, the read transaction ends, the PDF renders without holding any database lock,
    and only then the write transaction (SQLite: BEGIN IMMEDIATE) stores it. Either way the caller
    continues in a fresh transaction that may write.
    """
    payload = current_payload(book)
    latest = db.session.scalar(select(Document).where(Document.kind == KIND, Document.person_id == book.person_id,
                                                      Document.status == VALID)
                               .order_by(Document.id.desc()).limit(1))
    if latest is not None and (latest.payload or {}).get("digest") == payload["digest"]:
        content = document_file(latest)
        db.session.rollback()      # read only so far: the caller's write (audit) starts a locking transaction
        expect_write()
        return latest, content
    prepared = prepare_document(KIND, book.person, payload, book.authority)
    photo = photo_data_uri(book.person_id)
    db.session.rollback()          # nothing was written: end the read transaction before the slow part
    content = render(prepared, photo)
    expect_write()
    return store_document(prepared, content, issued_by=user), content
