"""Which documents a user may see or act on, and the public lookups by token or code; out of scope answers
404 like missing."""
from flask import abort
from sqlalchemy import false, or_, select

from portal.platform import access
from portal.platform.extensions import db
from portal.registry.scopes import visible_unit_ids, writable_unit_ids

from .codes import normalise_code
from .kinds import KINDS
from .models import Document


def document_scope(user):
    """The volunteer's own documents; documents of units in scope; an authority's own documents."""
    if user.role == access.VOLUNTEER:
        return Document.person_id == user.person_id if user.person_id else false()
    condition = Document.unit_id.in_(visible_unit_ids(user))
    if getattr(user, "authority_id", None):
        condition = or_(condition, Document.authority_id == user.authority_id)
    return condition


def revocable_document_scope(user):
    """Unit staff: their own unit's documents. Authorities: every document they can see."""
    if user.role in access.UNIT_STAFF:
        return Document.unit_id.in_(writable_unit_ids(user))
    if user.role in access.AUTHORITIES:
        return document_scope(user)
    return false()


def get_document_or_404(document_id: int, user, for_write: bool = False) -> Document:
    condition = revocable_document_scope(user) if for_write else document_scope(user)
    document = db.session.scalar(select(Document).where(Document.id == document_id, condition))
    if document is None:
        abort(404)
    return document


def follows_a_record(document: Document) -> bool:
    """The document is revoked with the record it states (DocumentKind.follows), not on its own."""
    kind = KINDS.get(document.kind)
    return kind is not None and kind.follows is not None


def may_revoke(user, document: Document) -> bool:
    """Authorities, and the staff of the unit that issued it (the revoke button); never a document that follows
    a record."""
    if follows_a_record(document):
        return False
    return user.role in access.AUTHORITIES or (user.role in access.UNIT_STAFF and document.unit_id == user.unit_id)


# --- Public: anyone holding the QR's address or the printed code sees that one document --------

def document_by_token(token: str) -> Document | None:
    """The document of a /verify/<token> address (tokens longer than any issued one are not looked up)."""
    return db.session.scalar(select(Document).where(Document.token == token)) if len(token) <= 64 else None


def document_by_code(text: str | None) -> Document | None:
    """The document of a short code as a person typed it (see codes.normalise_code)."""
    code = normalise_code(text)
    return db.session.scalar(select(Document).where(Document.short_code == code)) if code else None
