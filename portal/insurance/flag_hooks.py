"""The session side of the kept flags (flags.py, docs/rules/insurance.md#i6): before a session commits, the
pairs its writes marked in hour_cover_dirty get their flags recomputed, in the same transaction.

No query is added to a commit that wrote none of the marked tables: the hook remembers, per session, whether a
flush carried an object of hour_entries, insurance_enrolments, insurance_policies or memberships, or whether
an insert, update or delete on one of them (or a textual statement, whose table is unknown) ran through the
session. Writes on a bare connection are not seen: their marks wait for the next session that commits a
write of those tables (it empties every mark it can see), or `flask cover-flags rebuild`.

`settle(session)` does the same at once: the lists and counts call it, so that within a transaction they read
what the transaction wrote. create_app installs the listeners (install()): portal.hours and portal.registry
know nothing of this ('No self-registration', ARCHITECTURE.md).
"""
import logging
from itertools import chain

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from portal.platform.database import table_present

from . import flags
from .models import HourCoverDirty

log = logging.getLogger(__name__)

WATCHED = frozenset({"hour_entries", "insurance_enrolments", "insurance_policies", "memberships"})
TOUCHED = "insurance_cover_flags_touched"


def _present(connection) -> bool:
    """The tables exist (not before migration 0026: writes then go on without flags; rebuild after)."""
    return table_present(connection, HourCoverDirty.__tablename__,
                         "hour_cover_flags missing: the I6 flags are not kept until migrated")


def _after_flush(session, _context) -> None:
    if session.info.get(TOUCHED):
        return
    for obj in chain(session.new, session.dirty, session.deleted):
        if getattr(type(obj), "__tablename__", None) in WATCHED:
            session.info[TOUCHED] = True
            return


def _on_statement(state) -> None:
    if state.is_select or state.session.info.get(TOUCHED):
        return
    statement = state.statement
    name = getattr(getattr(statement, "table", None), "name", None)
    if name in WATCHED or isinstance(statement, TextClause):
        state.session.info[TOUCHED] = True


def settle(session) -> None:
    """Recompute the flags of the pairs this session's writes marked (nothing to do, no query)."""
    session.flush()
    if not session.info.pop(TOUCHED, False):
        return
    connection = session.connection()
    if _present(connection):
        flags.apply(connection)


def _before_commit(session) -> None:
    settle(session)


def _after_transaction_end(session, transaction) -> None:
    if transaction.parent is None:      # the outermost transaction ended (a rollback: nothing to settle)
        session.info.pop(TOUCHED, None)


LISTENERS = (("after_flush", _after_flush), ("do_orm_execute", _on_statement), ("before_commit", _before_commit),
             ("after_transaction_end", _after_transaction_end))


def install() -> None:
    """Listen on every session of the portal (called once by create_app; a second call changes nothing)."""
    for name, listener in LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
