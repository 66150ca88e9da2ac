"""Credentials follow the document register in the same transaction (docs/rules/credentials.md#vc5): after each
flush of the ORM session, every newly inserted document gets its signed credential and an index in its issuer's
status list, and every document that stopped being valid (revoked or superseded) gets its bit set and the list
signed again. The document engine knows nothing of this: create_app installs the listener (install()), so
portal.documents never imports this package ('No self-registration', ARCHITECTURE.md).
"""
import logging
from collections import defaultdict

from flask import has_app_context
from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from portal.documents.models import Document, DocumentStatus
from portal.documents.operations import public_base_url
from portal.platform.database import table_present
from portal.platform.timeutil import utcnow
from portal.registry.models import Person

from . import keys, proof, statuslists
from .build import AWARD, AWARD_KEYS, Facts, both, credential
from .models import Credential

log = logging.getLogger(__name__)


def _present(connection) -> bool:
    """The tables exist (not before their migration: documents are then issued without credentials)."""
    return table_present(connection, Credential.__tablename__,
                         "credential tables missing: documents are issued without credentials until migrated")


def _ended(document: Document) -> bool:
    """The document stopped being valid in this flush (a revoked superseded one already has its bit)."""
    history = inspect(document).attrs.status.history
    if not history.has_changes() or document.status == DocumentStatus.VALID:
        return False
    return not history.deleted or DocumentStatus.VALID in history.deleted


def facts_for(connection, document: Document, base_url: str, list_url: str, index: int) -> Facts:
    person = connection.execute(select(Person.id_number, Person.name, Person.name_latin)
                                .where(Person.id == document.person_id)).one()
    payload = document.payload or {}
    valid_from, valid_to = document.validity()
    return Facts(kind=document.kind, base_url=base_url, token=document.token, did=keys.did(),
                 issuer_name=document.issuer_name, issuer_name_en=document.issuer_name_en,
                 name=payload.get("name") or person.name, name_latin=payload.get("name_latin") or person.name_latin or "",
                 id_number=person.id_number or "", issued_at=document.issued_at or utcnow(),
                 half_hours=document.total_half_hours, valid_from=valid_from, valid_to=valid_to,
                 status_url=list_url, status_index=index,
                 award={k: payload.get(k) for k in AWARD_KEYS} if document.kind == AWARD else None)


def issue(connection, document: Document, signing_key) -> None:
    base_url = public_base_url()
    key = statuslists.issuer_key(document.unit_id, document.authority_id)
    list_id, index = statuslists.allocate(connection, key, both(document.issuer_name, document.issuer_name_en),
                                          base_url, signing_key)
    facts = facts_for(connection, document, base_url, statuslists.list_url(base_url, key), index)
    signed = proof.sign(credential(facts), signing_key.private, keys.method_id(signing_key))
    connection.execute(insert(Credential.__table__).values(
        document_id=document.id, status_list_id=list_id, status_index=index, key_id=signing_key.id,
        credential=signed, created_at=utcnow()))


def end(connection, documents: list[Document], signing_key) -> None:
    rows = connection.execute(select(Credential.status_list_id, Credential.status_index)
                              .where(Credential.document_id.in_([d.id for d in documents]))).all()
    by_list = defaultdict(list)
    for list_id, index in rows:
        by_list[list_id].append(index)
    for list_id, indexes in sorted(by_list.items()):
        statuslists.set_bits(connection, list_id, indexes, signing_key)


def after_flush(session, _context) -> None:
    new = [o for o in session.new if isinstance(o, Document)]
    ended = [o for o in session.dirty if isinstance(o, Document) and _ended(o)]
    if not (new or ended) or not has_app_context():
        return
    connection = session.connection()
    if not _present(connection):
        return
    signing_key = keys.current_key()
    if signing_key is None:
        return
    for document in sorted(new, key=lambda d: d.id):
        issue(connection, document, signing_key)
    if ended:
        end(connection, ended, signing_key)


def install() -> None:
    """Listen on every session of the portal (called once by create_app; a second call changes nothing)."""
    if not event.contains(Session, "after_flush", after_flush):
        event.listen(Session, "after_flush", after_flush)
