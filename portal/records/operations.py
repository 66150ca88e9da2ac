"""Record-book rules: prerequisites, requests, numbering, issuance, cancellation (flush, never commit).

docs/rules/record-book.md#b6: the number is `<county code>-<ROC year>-<6-digit sequence>` (e.g. KHH-114-000123);
the county authority issues online on the unit's request; one book per person for life; statuses
初次/換發/補發/註銷. The book continues when the volunteer moves unit (docs/rules/record-book.md#b5): renewal and
reissue keep the number and raise the edition.
"""
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import exists, select

from portal.notifications.events import path_for
from portal.notifications.operations import notify
from portal.notifications.recipients import volunteer_accounts
from portal.platform import audit
from portal.platform.extensions import db
from portal.platform.i18n import format_date, join_list, localized
from portal.platform.numbering import next_in_sequence
from portal.platform.timeutil import today_taipei, utcnow
from portal.registry.catalog import FIELD_BY_CODE
from portal.registry.models import Authority, AuthorityKind, Membership, Person, PhotoStatus, Unit
from portal.training.facts import verified_basic
from portal.training.models import TrainingKind, TrainingRecord, TrainingStatus

from .models import (
    CANCELLED,
    DECLINED,
    FIRST,
    ISSUED,
    PENDING,
    REISSUE,
    RENEWAL,
    WITHDRAWN,
    RecordBook,
    RecordBookRequest,
)


class RecordBookError(ValueError):
    """A rule refused the action; str() is the message in the user's language."""


def issued_record_book(person_id: int) -> RecordBook | None:
    """The person's current valid record book, None if none was issued or it is cancelled."""
    book = db.session.scalar(select(RecordBook).where(RecordBook.person_id == person_id))
    if book is None or book.kind == CANCELLED:
        return None
    return book


def book_of(person_id: int) -> RecordBook | None:
    """The person's book whatever its status (cancelled included)."""
    return db.session.scalar(select(RecordBook).where(RecordBook.person_id == person_id))


def issued_on(person_id: int) -> date | None:
    """When the person's valid record book was issued (None without one): the answer the training
    rules ask for lost certificates of health-and-welfare record-book holders (portal/kinds.py)."""
    book = issued_record_book(person_id)
    return book.issued_on if book else None


def valid_book_exists(person_id_column):
    """SQL condition: the person holds a valid record book."""
    return exists().where(RecordBook.person_id == person_id_column, RecordBook.kind != CANCELLED)


def pending_request_exists(person_id_column):
    return exists().where(RecordBookRequest.person_id == person_id_column, RecordBookRequest.status == PENDING)


# --- prerequisites ------------------------------------------------------------------------

@dataclass(frozen=True)
class Requirement:
    key: str
    label: str
    met: bool
    hint: str


def requirements(person: Person, unit_id: int | None = None) -> list[Requirement]:
    """What a record book needs (docs/rules/record-book.md#b1: basic data, photo, training), each with a plain hint.

    Special training counts for a field the person serves in (at `unit_id` when given).
    """
    fields_query = select(Membership.field_code).where(Membership.person_id == person.id,
                                                       Membership.is_current)
    if unit_id is not None:
        fields_query = fields_query.where(Membership.unit_id == unit_id)
    fields = set(db.session.scalars(fields_query))
    basic = bool(db.session.scalar(select(verified_basic(Person.id)).where(Person.id == person.id)))
    special_fields = set(db.session.scalars(select(TrainingRecord.field_code).where(
        TrainingRecord.person_id == person.id, TrainingRecord.kind == TrainingKind.SPECIAL,
        TrainingRecord.status == TrainingStatus.VERIFIED)))
    special = bool(fields & special_fields)
    field_names = join_list(localized(FIELD_BY_CODE.get(f)) or f for f in sorted(fields)) or _("the unit's field")
    return [
        Requirement("basic_data", _("Basic data: ID number, sex and date of birth"),
                    bool(person.id_number and person.sex and person.birth_date),
                    _("Ask the unit to record the sex and date of birth.")),
        Requirement("basic_training", _("Verified basic training"), basic,
                    _("The unit records the basic training (6 hours) with its certificate and verifies it.")),
        Requirement("special_training", _("Verified special training for %(fields)s", fields=field_names), special,
                    _("The unit records the special training for %(fields)s with its certificate and verifies it.",
                      fields=field_names)),
        Requirement("photo", _("ID photo accepted by the unit"), person.has_accepted_photo,
                    _("Upload a 1-inch ID photo (on My record) and ask the unit to accept it.")
                    if person.photo_status != PhotoStatus.PENDING else _("The photo waits for the unit to accept it.")),
    ]


def missing_requirements(person: Person, unit_id: int | None = None) -> list[Requirement]:
    return [r for r in requirements(person, unit_id) if not r.met]


# --- requests -----------------------------------------------------------------------------

def pending_request(person_id: int) -> RecordBookRequest | None:
    return db.session.scalar(select(RecordBookRequest).where(RecordBookRequest.person_id == person_id,
                                                             RecordBookRequest.status == PENDING))


def request_book(person: Person, unit: Unit, kind: str, reason: str, user) -> RecordBookRequest:
    """The unit asks its county to issue (first), renew (換發) or reissue (補發) the person's book."""
    if not any(m.unit_id == unit.id and m.is_current for m in person.memberships):
        raise RecordBookError(_("%(name)s does not serve in your unit.", name=person.name))
    if pending_request(person.id):
        raise RecordBookError(_("A request for %(name)s is already waiting for the county.", name=person.name))
    book = book_of(person.id)
    if book is None and kind != FIRST:
        raise RecordBookError(_("%(name)s has no record book yet; request a first issue.", name=person.name))
    if book is not None and kind == FIRST:
        raise RecordBookError(_("%(name)s already has record book %(number)s (one per person for life); "
                                "request a renewal or a reissue instead.", name=person.name, number=book.number))
    if book is not None and book.kind == CANCELLED and kind == RENEWAL:
        raise RecordBookError(_("Record book %(number)s is cancelled; request a reissue.", number=book.number))
    if kind in (RENEWAL, REISSUE) and not reason:
        raise RecordBookError(_("Give the reason for the renewal or reissue (e.g. the book was lost)."))
    missing = missing_requirements(person, unit.id)
    if missing:
        raise RecordBookError(_("%(name)s cannot get a record book yet. Missing: %(items)s.", name=person.name,
                                items=_("; ").join(r.label for r in missing)))
    req = RecordBookRequest(person_id=person.id, unit_id=unit.id, kind=kind, reason=reason or "", status=PENDING,
                            requested_on=today_taipei(), requested_by_id=getattr(user, "id", None))
    db.session.add(req)
    db.session.flush()
    audit.record("record_book.request", req, person_id=person.id, unit_id=unit.id, kind=kind, reason=reason or "")
    return req


def withdraw_request(req: RecordBookRequest, user):
    if req.status != PENDING:
        raise RecordBookError(_("Only a waiting request can be withdrawn."))
    req.status, req.decided_at, req.decided_by_id = WITHDRAWN, utcnow(), getattr(user, "id", None)
    db.session.flush()
    audit.record("record_book.withdraw", req, person_id=req.person_id)


def decline_request(req: RecordBookRequest, reason: str, user):
    if req.status != PENDING:
        raise RecordBookError(_("Only a waiting request can be declined."))
    if not reason:
        raise RecordBookError(_("Give the reason for declining, so that the unit can put it right."))
    req.status, req.decided_at, req.decided_by_id = DECLINED, utcnow(), getattr(user, "id", None)
    req.decline_reason = reason
    db.session.flush()
    audit.record("record_book.decline", req, person_id=req.person_id, reason=reason)


# --- numbering and issuance -----------------------------------------------------------------

def next_number(county_code: str, day: date) -> str:
    """`<county>-<ROC year>-<6 digits>`, the sequence counted per county and ROC year under a row lock."""
    year, number = next_in_sequence("record_book", county_code, day)
    return f"{county_code}-{year:03d}-{number:06d}"


def issue_request(req: RecordBookRequest, authority: Authority, user, day: date | None = None) -> RecordBook:
    """Issue the book a request asks for; the county must be the unit's."""
    day = day or today_taipei()
    if req.status != PENDING:
        raise RecordBookError(_("The request for %(name)s is no longer waiting.", name=req.person.name))
    if authority.kind != AuthorityKind.COUNTY or authority.county_code != req.unit.county_code:
        raise RecordBookError(_("Only the county authority of the requesting unit issues its record books."))
    missing = missing_requirements(req.person, req.unit_id)
    if missing:
        raise RecordBookError(_("%(name)s: missing %(items)s.", name=req.person.name,
                                items=_("; ").join(r.label for r in missing)))
    book = book_of(req.person_id)
    if req.kind == FIRST:
        if book is not None:
            raise RecordBookError(_("%(name)s already has record book %(number)s.", name=req.person.name,
                                    number=book.number))
        book = RecordBook(person_id=req.person_id, number=next_number(authority.county_code, day), kind=FIRST,
                          edition=1)
        db.session.add(book)
    else:
        if book is None:
            raise RecordBookError(_("%(name)s has no record book to renew or reissue.", name=req.person.name))
        book.kind, book.edition = req.kind, book.edition + 1
        book.cancelled_on, book.cancel_reason = None, ""
    book.requested_on, book.unit_id, book.issued_on = req.requested_on, req.unit_id, day
    book.authority_id, book.issued_by_id = authority.id, getattr(user, "id", None)
    db.session.flush()
    req.status, req.decided_at, req.decided_by_id, req.book_id = ISSUED, utcnow(), getattr(user, "id", None), book.id
    db.session.flush()
    audit.record("record_book.issue", book, person_id=book.person_id, number=book.number, kind=book.kind,
                 edition=book.edition, unit_id=req.unit_id, request_id=req.id)
    notify(volunteer_accounts([book.person_id]), "records.book_issued", link=path_for("records.book", book_id=book.id),
           unit=req.unit.name, number=book.number)
    return book


def issue_many(requests: list[RecordBookRequest], authority: Authority, user) -> tuple[list[RecordBook], list[str]]:
    """Bulk issuance: each request in its own savepoint; returns the books and the refusals."""
    books, refusals = [], []
    for req in sorted(requests, key=lambda r: (r.requested_on, r.id)):
        try:
            with db.session.begin_nested():
                books.append(issue_request(req, authority, user))
        except RecordBookError as exc:
            refusals.append(str(exc))
    return books, refusals


def cancel_book(book: RecordBook, reason: str, user, day: date | None = None):
    """註銷: the book stays on record with its number; a later reissue (補發) revives it."""
    if book.kind == CANCELLED:
        raise RecordBookError(_("Record book %(number)s is already cancelled.", number=book.number))
    if not reason:
        raise RecordBookError(_("Give the reason for the cancellation."))
    previous = book.kind
    book.kind, book.cancelled_on, book.cancel_reason = CANCELLED, day or today_taipei(), reason
    db.session.flush()
    audit.record("record_book.cancel", book, number=book.number, previous=previous, reason=reason)


def describe(book: RecordBook | None) -> str:
    """One line for lists: number, status and issue date."""
    if book is None:
        return _("No record book")
    return _("%(number)s (%(kind)s, issued %(date)s)", number=book.number, kind=book.kind_label,
             date=format_date(book.issued_on))
