"""The card as a verifiable document, through the document engine (portal/documents).

Each issued card gets a document of kind "honor_card": a random token for /verify/<token>,
a short code, and a card-size PDF (85.6 × 54 mm) with the photo. The card itself stays
Chinese (docs/rules/honor-cards.md#hc10); the verification page is bilingual.
"""
import base64

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.documents.kinds import DocumentKind
from portal.documents.models import DocumentStatus
from portal.documents.operations import (
    glyph_texts,
    issue_document,
    pdf_context,
    prepare_document,
    revoke_document,
    store_document,
)
from portal.platform import audit, pdf
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from portal.platform.uploads import StoredFile, file_path, preview_path
from portal.registry.identity import mask_id

from .models import CardStatus, HonorCard

KIND = "honor_card"
TEMPLATE = "honor_cards/card_pdf.html"


def photo_data_uri(person) -> str | None:
    """The accepted ID photo as a data: URI (its small preview when there is one), else None."""
    if not person.has_accepted_photo:
        return None
    stored = db.session.get(StoredFile, person.photo_file_id)
    if stored is None or not stored.is_image:
        return None
    try:
        if stored.has_preview:
            data, mimetype = preview_path(stored).read_bytes(), "image/png"
        else:
            data, mimetype = file_path(stored).read_bytes(), stored.content_type
    except OSError:
        return None
    return f"data:{mimetype};base64,{base64.b64encode(data).decode('ascii')}"


def card_payload(card, authority) -> dict:
    person = card.person
    return {
        "name": person.name, "id_masked": mask_id(person.id_number), "number": card.number,
        "kind": card.kind, "county_code": card.county_code, "county_name": card.county.name if card.county else "",
        "issuer_name": authority.name, "valid_from": card.valid_from.isoformat(), "valid_to": card.valid_to.isoformat(),
        "window_start": card.window_start.isoformat() if card.window_start else None,
        "window_end": card.window_end.isoformat() if card.window_end else None,
        "total_half_hours": card.half_hours,
    }


def _renderer(photo: str | None):
    def render(prepared) -> bytes:
        return pdf.render_pdf(TEMPLATE, title="志願服務榮譽卡", language="zh_TW", check=glyph_texts(prepared.payload),
                              photo=photo, **pdf_context(prepared))
    return render


def issue_card_document(card, authority, user, *, render=None, replaces=None):
    """Issue the card's document (flush only). An earlier card's page stays valid (a renewal starts
    when it ends); only the document of the card that a reissue `replaces` is superseded."""
    document = issue_document(KIND, card.person, card_payload(card, authority), authority, issued_by=user,
                              supersede=False, render=render or _renderer(photo_data_uri(card.person)))
    card.document_id = document.id
    old = replaces.document if replaces is not None else None
    if old is not None and old.status == DocumentStatus.VALID:
        old.status, old.superseded_at = DocumentStatus.SUPERSEDED, utcnow()
        document.supersedes_id = old.id
        audit.record("document.supersede", old, by_document=document.id, by_user=getattr(user, "id", None))
    db.session.flush()
    return document


def issue_documents(card_ids, user, *, valid_on=None, chunk: int = 10) -> tuple[int, list[str]]:
    """Issue the e-card documents of these cards that are valid (on `valid_on`, if given) and have
    none yet; returns how many were issued and the messages of those that could not be printed.

    Call it after the approval or import has been committed: it commits by itself, in chunks,
    so that SQLite's write lock is never held while WeasyPrint renders (about 70 ms a card):
    prepare in a short transaction, render with no transaction open, store in another one.
    Cards left without a document (a crash in between) are issued by `flask honor-cards issue-documents`.
    """
    ids, issued, problems, reserved = sorted(set(card_ids)), 0, [], set()
    for start in range(0, len(ids), chunk):
        query = select(HonorCard).where(HonorCard.id.in_(ids[start:start + chunk]), HonorCard.document_id.is_(None),
                                        HonorCard.status == CardStatus.VALID, HonorCard.authority_id.is_not(None))
        if valid_on is not None:
            query = query.where(HonorCard.valid_to >= valid_on)
        prepared = [(card.id, prepare_document(KIND, card.person, card_payload(card, card.authority), card.authority,
                                               reserved_codes=reserved), photo_data_uri(card.person))
                    for card in db.session.scalars(query.order_by(HonorCard.id))]
        db.session.commit()
        rendered = []
        for card_id, doc, photo in prepared:
            try:
                rendered.append((card_id, doc, _renderer(photo)(doc)))
            except pdf.MissingGlyphError as exc:
                problems += exc.messages()
        for card_id, doc, content in rendered:
            card = db.session.get(HonorCard, card_id)
            if card.document_id is None:
                card.document_id = store_document(doc, content, issued_by=user).id
                issued += 1
        db.session.commit()
    return issued, problems


def revoke_card_document(card, reason: str, user):
    if card.document is not None and card.document.status != DocumentStatus.REVOKED:
        revoke_document(card.document, reason, user)


HONOR_CARD_KIND = DocumentKind(KIND, _l("Honor card"), TEMPLATE, "zh_TW", "honor-card")
