"""Each issuer's status list in the database: an index for every new credential, bits set on revocation or
supersession, and the signed list credential re-made whenever its bits change (docs/rules/credentials.md#vc5).

These run on the flushing session's connection (hooks.py), so the list changes in the same transaction as the
document. The list's row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite has one writer) so two documents
of one issuer issued or revoked at once never take the same index or lose a bit.
"""
import json

from sqlalchemy import insert, select, update

from portal.platform.timeutil import utcnow

from . import bitstring, keys, proof
from .build import status_list_credential
from .models import StatusList

T = StatusList.__table__


def issuer_key(unit_id: int | None, authority_id: int | None) -> str:
    return f"unit-{unit_id}" if unit_id is not None else f"authority-{authority_id}"


def list_url(base_url: str, key: str) -> str:
    return f"{base_url}/credentials/status/{key}"


def _locked(connection, key: str):
    return connection.execute(select(T).where(T.c.issuer_key == key).with_for_update()).first()


def signed_list(url: str, issuer_name: str, encoded: str, signing_key) -> str:
    document = status_list_credential(url, keys.did(), issuer_name, encoded, utcnow())
    signed = proof.sign(document, signing_key.private, keys.method_id(signing_key))
    return json.dumps(signed, ensure_ascii=False, separators=(",", ":"))


def allocate(connection, key: str, issuer_name: str, base_url: str, signing_key) -> tuple[int, int]:
    """(list id, index) for a new credential of this issuer; the list is made, or doubled when full."""
    row = _locked(connection, key)
    if row is None:
        encoded = bitstring.empty()
        connection.execute(insert(T).values(
            issuer_key=key, size=bitstring.MIN_BITS, next_index=1, encoded=encoded, updated_at=utcnow(),
            credential=signed_list(list_url(base_url, key), issuer_name, encoded, signing_key)))
        return _locked(connection, key).id, 0
    index, values = row.next_index, {"next_index": row.next_index + 1}
    if index >= row.size:
        size = row.size * 2
        encoded = bitstring.grown(row.encoded, size)
        served = json.loads(row.credential)
        values.update(size=size, encoded=encoded, updated_at=utcnow(),
                      credential=signed_list(served["id"], served["issuer"]["name"], encoded, signing_key))
    connection.execute(update(T).where(T.c.id == row.id).values(**values))
    return row.id, index


def set_bits(connection, list_id: int, indexes: list[int], signing_key) -> None:
    """Mark these credentials of one list as no longer valid, and sign the list again."""
    row = connection.execute(select(T).where(T.c.id == list_id).with_for_update()).first()
    encoded = bitstring.set_bits(row.encoded, indexes, row.size)
    served = json.loads(row.credential)
    connection.execute(update(T).where(T.c.id == list_id).values(
        encoded=encoded, updated_at=utcnow(),
        credential=signed_list(served["id"], served["issuer"]["name"], encoded, signing_key)))
