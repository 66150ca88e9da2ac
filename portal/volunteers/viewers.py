"""Who saw or exported my data (docs/rules/my-data.md#md2): the reveals and exports of one volunteer's data, read
from the audit trail, newest first, a keyset page at a time.

What the trail can name: a reveal of the person's full ID number and the person's own download of their data
(both audited on the person row), a download of one of their documents or record books, and a list export by
the staff of a unit the volunteer serves or served in (the audit row of a list export does not say whose rows
it held, so the page says that the list may have included them). Exports of whole lists by authorities are not
listed one by one for the same reason; the rule says so.

Each line shows who by role and unit or authority, never the staff member's name or account (their own data),
when in Taipei time, what was done and the reason given."""
import json
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from portal.auth.models import User
from portal.documents.models import Document
from portal.platform.audit import AuditLog
from portal.platform.i18n import localized
from portal.platform.pagination import desc, keyset
from portal.records.models import RecordBook
from portal.registry.labels import role_label
from portal.registry.models import Membership

PER_PAGE = 25
REVEAL, MY_EXPORT = "person.reveal_id", "my_data.export"
# Audit actions of list exports made by a unit's staff: the volunteer's rows may be in them.
UNIT_LIST_EXPORTS = ("roster.export", "hours.export", "training.export", "training.missing_export")
WHAT = {
    REVEAL: _l("Saw your full ID number"),
    MY_EXPORT: _l("Downloaded all your data"),
    "document.download": _l("Downloaded one of your documents"),
    "record_book.download": _l("Downloaded your record book"),
    "roster.export": _l("Exported the unit's roster (it may include you)"),
    "hours.export": _l("Exported hour entries of the unit (they may include yours)"),
    "training.export": _l("Exported training records of the unit (they may include yours)"),
    "training.missing_export": _l("Exported the unit's list of missing training (it may include you)"),
}
# Purposes the code records for a reveal, in words.
PURPOSES = {"edit form": _l("To edit your details")}


@dataclass(frozen=True)
class Seen:
    at: datetime
    you: bool
    role: str
    where: str
    what: str
    why: str


def seen_condition(person_id: int):
    books = select(RecordBook.id).where(RecordBook.person_id == person_id)
    documents = select(Document.id).where(Document.person_id == person_id)
    staff = select(User.id).where(User.unit_id.in_(select(Membership.unit_id).where(Membership.person_id == person_id)))
    return or_(
        and_(AuditLog.object_type == "Person", AuditLog.object_id == person_id,
             AuditLog.action.in_((REVEAL, MY_EXPORT))),
        and_(AuditLog.object_type == "RecordBook", AuditLog.object_id.in_(books),
             AuditLog.action == "record_book.download"),
        and_(AuditLog.object_type == "Document", AuditLog.object_id.in_(documents),
             AuditLog.action == "document.download"),
        and_(AuditLog.action.in_(UNIT_LIST_EXPORTS), AuditLog.actor_id.in_(staff)),
    )


def _why(row: AuditLog) -> str:
    detail = json.loads(row.detail or "{}")
    reason = detail.get("purpose") or detail.get("reason") or ""
    return str(PURPOSES.get(reason, reason))


def _seen(row: AuditLog, actor: User | None, own_user_id: int | None) -> Seen:
    where = ""
    if actor is not None and actor.unit is not None:
        where = localized(actor.unit)
    elif actor is not None and actor.authority is not None:
        where = localized(actor.authority)
    return Seen(row.at, actor is not None and actor.id == own_user_id, role_label(row.actor_role),
                where, str(WHAT.get(row.action, row.action)), _why(row))


def seen_page(person_id: int, own_user_id: int | None, cursor: str | None):
    """One page of the reveals and exports of the person's data, newest first (the audit id orders them)."""
    query = (select(AuditLog, User).outerjoin(User, User.id == AuditLog.actor_id).where(seen_condition(person_id))
             .options(joinedload(User.unit), joinedload(User.authority)))
    return keyset(query, [desc(AuditLog.id)], cursor, PER_PAGE, count=False,
                  rows=lambda result: [_seen(row, actor, own_user_id) for row, actor in result])
