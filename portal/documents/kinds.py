"""Document kinds: what each feature's documents are called, printed with and rebuilt from.

A feature defines its kinds as `DocumentKind` constants; portal/kinds.py lists them all and
create_app installs them, so the engine never imports a feature.
"""
from collections.abc import Callable
from dataclasses import dataclass

from .models import Document


@dataclass(frozen=True)
class DocumentKind:
    code: str
    label: object                       # lazy string for lists and the verification page
    template: str                       # under templates/pdf/
    language: str                       # language of the PDF: "zh_TW" or "en"
    filename: str                       # download name prefix
    rebuild: Callable[[Document, object], dict] | None = None   # fresh payload for a reissue (document, user)
    # The record the document states (an award): it is revoked with that record, on the record's page, never
    # alone, or the register would call a certificate revoked while the award it states still stands.
    follows: object | None = None


KINDS: dict[str, DocumentKind] = {}


def install_kinds(kinds) -> None:
    """Offer exactly these document kinds (portal/kinds.py lists them; create_app installs them)."""
    KINDS.clear()
    for kind in kinds:
        KINDS[kind.code] = kind


def kind_label(code: str) -> str:
    kind = KINDS.get(code)
    return str(kind.label) if kind else code
