"""Issuing verifiable documents: the API every feature that issues a document uses (certificates,
record books, honor cards):

    RECORD_BOOK_KIND = DocumentKind("record_book", _l("Record book"), "pdf/record_book.html", "zh_TW", ...)
    document = issue_document("record_book", person, payload, issuer=county_authority)

issue_document() gives the document a random token (192 bits) and a short code, renders the
PDF through portal.platform.pdf (glyph check, QR with the verification address), stores the PDF, writes
the audit row and marks earlier valid documents of the same kind, person and issuer as
superseded. Everything flushes; the caller commits. For batches, prepare_document() ->
render_document() -> store_document() keep the slow rendering out of the database transaction.
"""
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import current_app, has_request_context, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from portal.platform import audit, pdf
from portal.platform.extensions import db
from portal.platform.i18n import hours_text
from portal.platform.timeutil import today_taipei, utcnow
from portal.registry.catalog import FIELD_BY_CODE
from portal.registry.models import Authority, Person, Unit

from .codes import new_token, unused_short_code
from .kinds import KINDS
from .models import Document, DocumentFile, DocumentStatus


class WorkflowError(Exception):
    """An action that the rules refuse; `messages` are in the user's language."""

    def __init__(self, *messages: str):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


def actor_id(user=None) -> int | None:
    """The id of the acting user: the one given, else the signed-in one (None in a job without a user)."""
    if user is not None:
        return getattr(user, "id", None)
    if has_request_context() and current_user.is_authenticated:
        return current_user.id
    return None


def public_base_url() -> str:
    """Where /verify lives, for the QR code: PUBLIC_BASE_URL, else the current request's host."""
    configured = current_app.config.get("PUBLIC_BASE_URL") or os.environ.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://127.0.0.1:5000"


# ---------------------------------------------------------------------------------------------
# Issuing: prepare (data) -> render (PDF, no database) -> store (flush, audit, supersede)

@dataclass
class PreparedDocument:
    """Everything a PDF needs, as plain data (no ORM objects), so it can be rendered outside a transaction."""
    kind: str
    person_id: int
    unit_id: int | None
    authority_id: int | None
    issuer_name: str
    issuer_name_en: str
    payload: dict
    token: str
    short_code: str
    issued_on: date
    base_url: str

    @property
    def verify_url(self) -> str:
        return f"{self.base_url}/verify/{self.token}"

    @property
    def verify_form_url(self) -> str:
        return f"{self.base_url}/verify"

    @property
    def qr(self) -> str:
        return pdf.qr_data_uri(self.verify_url)


def prepare_document(kind: str, person: Person, payload: dict, issuer: Unit | Authority, *,
                     base_url: str | None = None, reserved_codes: set[str] | None = None,
                     issued_on: date | None = None) -> PreparedDocument:
    if kind not in KINDS:
        raise KeyError(f"unknown document kind {kind!r}")
    return PreparedDocument(
        kind=kind, person_id=person.id,
        unit_id=issuer.id if isinstance(issuer, Unit) else None,
        authority_id=issuer.id if isinstance(issuer, Authority) else None,
        issuer_name=issuer.name, issuer_name_en=issuer.name_en or "", payload=payload,
        token=new_token(), short_code=unused_short_code(reserved_codes), issued_on=issued_on or today_taipei(),
        base_url=(base_url or public_base_url()).rstrip("/"))


GLYPH_LABELS = {
    "name": _l("Name"), "name_latin": _l("Name in Latin script"), "unit_name": _l("Unit name"),
    "unit_name_en": _l("English unit name"), "issuer_name": _l("Unit name"), "issuer_name_en": _l("English unit name"),
    "prepared_by": _l("Prepared by"), "countersigned_by": _l("Volunteer supervisor"),
    "approved_by": _l("Approved by"), "purpose_note": _l("Purpose"), "course_name": _l("Course"),
}


def glyph_texts(payload: dict) -> dict[str, str]:
    """Every printed text of a payload, labelled for the glyph check's message."""
    texts: dict[str, str] = {}

    def walk(value, key):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and value and value not in texts.values():
            label = str(GLYPH_LABELS.get(key, _l("Text")))
            texts[label if label not in texts else f"{label} ({len(texts) + 1})"] = value
    walk(payload, "")
    return texts


def field_name(code: str) -> str:
    """The Chinese name of a service field (as printed), or the code when the catalog lacks it."""
    entry = FIELD_BY_CODE.get(code)
    return entry.name if entry else code


def field_name_en(code: str) -> str:
    entry = FIELD_BY_CODE.get(code)
    return entry.name_en if entry else code


def _as_date(value) -> date | None:
    if not value:
        return None
    return value if isinstance(value, date) else date.fromisoformat(value)


def _hours(half_hours: int | None) -> str:
    return hours_text(half_hours, grouped=False)  # printed documents have no thousands separator


def pdf_context(prepared: PreparedDocument) -> dict:
    """What every document template gets: the document, its payload and the formatting helpers."""
    return {"doc": prepared, "p": prepared.payload, "as_date": _as_date, "hours": _hours,
            "field_name": field_name, "field_name_en": field_name_en}


def render_document(prepared: PreparedDocument) -> bytes:
    """The PDF of a prepared document; MissingGlyphError when a name cannot be printed."""
    kind = KINDS[prepared.kind]
    with force_locale(kind.language):
        title = str(kind.label)
        running_head = _("Verification code %(code)s · %(url)s · page ", code=prepared.short_code,
                         url=prepared.verify_form_url)
    return pdf.render_pdf(kind.template, title=title, language=kind.language, check=glyph_texts(prepared.payload),
                          pdf_author=prepared.issuer_name_en if kind.language == "en" else prepared.issuer_name,
                          running_head=running_head, **pdf_context(prepared))


def store_document(prepared: PreparedDocument, content: bytes, *, issued_by=None, supersede: bool = True) -> Document:
    """Insert the document and its PDF (flush), audit it, and supersede earlier valid ones."""
    document = Document(
        kind=prepared.kind, language=KINDS[prepared.kind].language, person_id=prepared.person_id,
        unit_id=prepared.unit_id, authority_id=prepared.authority_id, token=prepared.token,
        short_code=prepared.short_code, issuer_name=prepared.issuer_name, issuer_name_en=prepared.issuer_name_en,
        total_half_hours=prepared.payload.get("total_half_hours"), payload=prepared.payload,
        issued_at=utcnow(), issued_on=prepared.issued_on, issued_by_id=actor_id(issued_by),
        status=DocumentStatus.VALID)
    db.session.add(document)
    db.session.flush()
    digest = hashlib.sha256(content).hexdigest()
    db.session.add(DocumentFile(document_id=document.id, content=content, sha256=digest, size=len(content)))
    if supersede:
        earlier = db.session.scalars(select(Document).where(
            Document.kind == document.kind, Document.person_id == document.person_id,
            Document.unit_id.is_(None) if document.unit_id is None else Document.unit_id == document.unit_id,
            Document.authority_id.is_(None) if document.authority_id is None
            else Document.authority_id == document.authority_id,
            Document.status == DocumentStatus.VALID, Document.id != document.id).order_by(Document.id)).all()
        for old in earlier:
            old.status, old.superseded_at = DocumentStatus.SUPERSEDED, utcnow()
            audit.record("document.supersede", old, by_document=document.id, by_user=actor_id(issued_by))
        if earlier:
            document.supersedes_id = earlier[-1].id
    db.session.flush()
    audit.record("document.issue", document, kind=document.kind, person_id=document.person_id,
                 unit_id=document.unit_id, authority_id=document.authority_id, code=document.short_code,
                 sha256=digest, hours=_hours(document.total_half_hours) if document.total_half_hours is not None
                 else None, by_user=actor_id(issued_by))
    return document


def issue_document(kind: str, person: Person, payload: dict, issuer: Unit | Authority, *, issued_by=None,
                   supersede: bool = True, base_url: str | None = None,
                   render: Callable[[PreparedDocument], bytes] | None = None) -> Document:
    """Issue one verifiable document: token, short code, PDF, register row, audit (flush only).

    `render` replaces the PDF engine (tests and fixtures pass a stand-in)."""
    prepared = prepare_document(kind, person, payload, issuer, base_url=base_url)
    content = (render or render_document)(prepared)
    return store_document(prepared, content, issued_by=issued_by, supersede=supersede)


# ---------------------------------------------------------------------------------------------
# After issuing: revocation, reissue, the stored file

def revoke_document(document: Document, reason: str, user=None):
    """Revocation is immediate: the verification page reads the status on every request."""
    if document.status == DocumentStatus.REVOKED:
        raise WorkflowError(_("This document has already been revoked."))
    if not (reason or "").strip():
        raise WorkflowError(_("Please give the reason for the revocation."))
    previous = document.status
    document.status, document.revoked_at = DocumentStatus.REVOKED, utcnow()
    document.revoked_by_id, document.revoke_reason = actor_id(user), reason.strip()
    db.session.flush()
    audit.record("document.revoke", document, reason=document.revoke_reason, previous=previous,
                 code=document.short_code)


def reissue_document(document: Document, user=None, *, render=None) -> Document:
    """A new document from the current record (or the same data); the old one becomes superseded."""
    kind = KINDS[document.kind]
    payload = kind.rebuild(document, user) if kind.rebuild else dict(document.payload)
    issuer = document.unit or document.authority
    try:
        new = issue_document(document.kind, document.person, payload, issuer, issued_by=user, render=render)
    except pdf.MissingGlyphError as exc:
        raise WorkflowError(*exc.messages()) from exc
    if document.status == DocumentStatus.VALID:  # issued by another path (different issuer): supersede explicitly
        document.status, document.superseded_at = DocumentStatus.SUPERSEDED, utcnow()
        new.supersedes_id = document.id
        audit.record("document.supersede", document, by_document=new.id, by_user=actor_id(user))
    return new


def document_file(document: Document) -> bytes:
    stored = db.session.get(DocumentFile, document.id)
    return stored.content if stored is not None else b""
