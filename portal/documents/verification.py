"""What the public verification page says about a document (docs/rules/certificates.md#v2): its state, the name
with the middle masked, the issuer, the period of validity and the dates of revocation or replacement."""
from datetime import date

from portal.platform.i18n import is_chinese
from portal.platform.timeutil import taipei_date
from portal.registry.identity import mask_name

from .models import Document


def masked_name(document: Document) -> str:
    """The name as the public page shows it (docs/rules/identity.md#id7: the middle masked, Latin initials)."""
    payload = document.payload or {}
    return mask_name(payload.get("name") or "") or mask_name(payload.get("name_latin") or "")


def masked_latin_name(document: Document) -> str:
    return mask_name((document.payload or {}).get("name_latin") or "")


def first_issued_on(document: Document) -> date:
    """The day the document was first issued, as printed in it: a record book keeps the issue date of the book
    through reprints and editions (its payload's issued_on), other documents are first issued when generated."""
    printed = (document.payload or {}).get("issued_on")
    return date.fromisoformat(printed) if printed else document.issued_on


def public_facts(document: Document, today: date) -> dict:
    """The verification page's facts of one document, in the page's language (the issuer's English name
    on English pages when it has one)."""
    valid_from, valid_to = document.validity()
    return {"state": document.public_status(today), "valid_from": valid_from, "valid_to": valid_to,
            "masked_name": masked_name(document), "masked_latin": masked_latin_name(document),
            "issuer": document.issuer_name if is_chinese() else (document.issuer_name_en or document.issuer_name),
            "revoked_on": taipei_date(document.revoked_at), "superseded_on": taipei_date(document.superseded_at),
            # Both dates, named: a reprinted book was issued years before this copy was generated.
            "first_issued_on": first_issued_on(document), "generated_on": document.issued_on}
