"""What the training rules need from the database (rules.py decides with it).

The gate (T6) loads the verified training and the record books of many people in two queries and
hands back a checker that every hour-entry path calls per entry; verified_basic/verified_special are
SQL conditions the record book, roster and work-list pages filter with. The record-book rule (T7) is
part of both: it holds whenever its facts hold, with no case filed.
"""
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date

from flask import has_request_context
from flask_babel import force_locale
from sqlalchemy import and_, exists, false, literal, not_, or_, select

from portal.auth.models import User
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.i18n import DEFAULT as DEFAULT_LANGUAGE
from portal.registry.models import Membership

from . import rules
from .models import CaseStatus, LostCertificateCase, TrainingFile, TrainingKind, TrainingRecord, TrainingStatus

GateCheck = Callable[[int, str, date], str | None]


# --- verified training and the gate --------------------------------------------------------

def verified_starts(person_ids: Iterable[int]) -> tuple[dict[int, date], dict[tuple[int, str], date]]:
    """Earliest start of verified basic training per person and of special training per (person, field)."""
    ids = set(person_ids)
    basic_from: dict[int, date] = {}
    special_from: dict[tuple[int, str], date] = {}
    if ids:
        rows = db.session.execute(select(TrainingRecord.person_id, TrainingRecord.kind, TrainingRecord.field_code,
                                         TrainingRecord.effective_on, TrainingRecord.completed_on)
                                  .where(TrainingRecord.person_id.in_(ids),
                                         TrainingRecord.status == TrainingStatus.VERIFIED))
        for person_id, kind, field_code, effective_on, completed_on in rows:
            start = rules.effective_start(effective_on, completed_on) or date.min
            if kind == TrainingKind.BASIC:
                basic_from[person_id] = min(start, basic_from.get(person_id, date.max))
            else:
                key = (person_id, field_code)
                special_from[key] = min(start, special_from.get(key, date.max))
    return basic_from, special_from


def gate_checker(person_ids: Iterable[int]) -> GateCheck:
    """Load the verified training and the record books of these people in two queries; return
    check(person_id, field, day).

    check() gives None when hours on `day` in `field` may be recorded, else a message in the
    user's language that names what is missing (rules.gate_refusal_with_book decides: the record-book
    rule T7 opens what the certificates alone would refuse, without anyone filing a case).
    """
    ids = set(person_ids)
    basic_from, special_from = verified_starts(ids)
    books = record_books_of(ids)

    def check(person_id: int, field_code: str, day: date) -> str | None:
        book = books.get(person_id)
        refusal = rules.gate_refusal_with_book(basic_from.get(person_id), special_from.get((person_id, field_code)),
                                               book[0] if book else None, field_code, day)
        if refusal is None:
            return None
        with _language():
            return rules.gate_message(refusal, field_code)

    return check


def _language():
    """Messages need a locale: the user's in a request, the default language elsewhere (CLI imports)."""
    return nullcontext() if has_request_context() else force_locale(DEFAULT_LANGUAGE)


def _exists(*conditions):
    return exists().where(*conditions)


def _probe(*conditions):
    """The same test as EXISTS, as a scalar sub-select PostgreSQL never turns into a hash of the whole table:
    under an OR (the missing list) it planned NOT EXISTS as a hash of every verified training record of the
    country, built at every query (450 ms for a 7,000-member unit's work-list count on the 200,000-volunteer
    set, seconds nationally), where one index lookup per membership is what a unit's list needs."""
    return select(literal(1)).where(*conditions).limit(1).scalar_subquery().is_not(None)


def verified_basic(person_id_column, test=_exists):
    """SQL condition: the person has verified basic training."""
    return test(TrainingRecord.person_id == person_id_column, TrainingRecord.kind == TrainingKind.BASIC,
                TrainingRecord.status == TrainingStatus.VERIFIED)


def verified_special(person_id_column, field_column, test=_exists):
    """SQL condition: the person's special training for the field counts: a verified record, or the record-book
    rule (docs/rules/training.md#t7) holds for the field. Set-based: two index probes per row (the training
    records by person and kind, the record books by person)."""
    record = test(TrainingRecord.person_id == person_id_column, TrainingRecord.kind == TrainingKind.SPECIAL,
                  TrainingRecord.field_code == field_column, TrainingRecord.status == TrainingStatus.VERIFIED)
    return or_(record, record_book_rule_holds(person_id_column, field_column, test))


def record_book_rule_holds(person_id_column, field_column, test=_exists):
    """SQL condition of T7: a health-and-welfare field and a valid record book of the person."""
    if _books is None:
        return false()
    return and_(field_column.in_(rules.HEALTH_AND_WELFARE_FIELDS),
                test(_books.person_id == person_id_column, _books.valid))


def lacks_training(person_id_column, field_column):
    """SQL condition: basic or the field's special training missing (a row of the missing list), by probes."""
    return or_(not_(verified_basic(person_id_column, _probe)),
               not_(verified_special(person_id_column, field_column, _probe)))


def pending_person_ids(person_ids: set[int]) -> set[int]:
    """Those of these people with a record awaiting verification."""
    if not person_ids:
        return set()
    return set(db.session.scalars(select(TrainingRecord.person_id).where(
        TrainingRecord.person_id.in_(person_ids), TrainingRecord.status == TrainingStatus.PENDING)))


# --- records and files ---------------------------------------------------------------------

def certificate_no_taken(person_id: int, number: str, record_id: int | None = None) -> bool:
    """T4: the volunteer already has another (not rejected) record with this certificate number."""
    query = select(TrainingRecord.id).where(TrainingRecord.person_id == person_id,
                                            TrainingRecord.certificate_no == number,
                                            TrainingRecord.status != TrainingStatus.REJECTED)
    if record_id:
        query = query.where(TrainingRecord.id != record_id)
    return bool(db.session.scalar(query.limit(1)))


def active_file_count(person_id: int) -> int:
    return db.session.scalar(
        select(db.func.count(TrainingFile.id)).join(TrainingRecord, TrainingFile.record_id == TrainingRecord.id)
        .where(TrainingRecord.person_id == person_id, TrainingFile.removed_at.is_(None))) or 0


def room_for_files(person_id: int) -> int:
    return rules.files_room(active_file_count(person_id))


def unit_has_supervisor(unit_id: int) -> bool:
    return bool(db.session.scalar(select(User.id).where(User.unit_id == unit_id, User.active.is_(True),
                                                        User.role == access.UNIT_SUPERVISOR).limit(1)))


# --- lost certificates ---------------------------------------------------------------------

# Record books are a floor above training (issuing one needs verified training), yet the record-book rule (T7)
# asks whether a person holds one. The composition root installs the records feature's columns (portal/kinds.py);
# training never imports records, and reads them only through these columns, set-based.
@dataclass(frozen=True)
class RecordBookSource:
    person_id: object      # the book's person column
    issued_on: object      # its issue date column
    number: object         # its number column
    valid: object          # SQL condition: the book is valid (not cancelled)


_books: RecordBookSource | None = None


def install_record_book_source(source: RecordBookSource | None):
    global _books
    _books = source


def record_books_of(person_ids: Iterable[int]) -> dict[int, tuple[date, str]]:
    """(issue date, number) of the valid record book of each of these people that holds one: one query."""
    ids = set(person_ids)
    if _books is None or not ids:
        return {}
    rows = db.session.execute(select(_books.person_id, _books.issued_on, _books.number)
                              .where(_books.person_id.in_(ids), _books.valid))
    return {person_id: (issued_on, number) for person_id, issued_on, number in rows}


def record_book_issued_on(person_id: int) -> date | None:
    book = record_books_of([person_id]).get(person_id)
    return book[0] if book else None


def holds_record_book(person_id: int) -> bool:
    """True when the person holds a valid service record book known to the portal (a case can also carry the
    unit's statement that the volunteer holds a paper book)."""
    return record_book_issued_on(person_id) is not None


def training_status(person_ids: Iterable[int]):
    """What the pages show: (basic starts, special starts per (person, field) by certificate, record books).
    rules.special_status combines the last two per field."""
    ids = set(person_ids)
    basic_from, special_from = verified_starts(ids)
    return basic_from, special_from, record_books_of(ids)


def serves_in_field(person_id: int, field_code: str) -> bool:
    return bool(db.session.scalar(select(Membership.id).where(
        Membership.person_id == person_id, Membership.field_code == field_code).limit(1)))


def open_case_exists(person_id: int, kind: str, field_code: str | None) -> bool:
    """T8: one open case per volunteer, kind and field."""
    return bool(db.session.scalar(select(LostCertificateCase.id).where(
        LostCertificateCase.person_id == person_id, LostCertificateCase.kind == kind,
        (LostCertificateCase.field_code.is_(None) if field_code is None
         else LostCertificateCase.field_code == field_code),
        LostCertificateCase.status == CaseStatus.FILED).limit(1)))


def already_verified(person_id: int, kind: str, field_code: str | None) -> bool:
    condition = [TrainingRecord.person_id == person_id, TrainingRecord.kind == kind,
                 TrainingRecord.status == TrainingStatus.VERIFIED]
    if kind == TrainingKind.SPECIAL:
        condition.append(TrainingRecord.field_code == field_code)
    return bool(db.session.scalar(select(TrainingRecord.id).where(and_(*condition)).limit(1)))
