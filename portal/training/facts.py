"""What the training rules need from the database (rules.py decides with it).

The gate (T6) loads the verified training of many people in one query and hands back a checker
that every hour-entry path calls per entry; verified_basic/verified_special are SQL conditions
the record book, roster and honor-card pages filter with.
"""
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from datetime import date

from flask import has_request_context
from flask_babel import force_locale
from sqlalchemy import and_, exists, select

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
    """Load the verified training of these people in one query; return check(person_id, field, day).

    check() gives None when hours on `day` in `field` may be recorded, else a message in the
    user's language that names what is missing (rules.gate_refusal decides).
    """
    basic_from, special_from = verified_starts(person_ids)

    def check(person_id: int, field_code: str, day: date) -> str | None:
        refusal = rules.gate_refusal(basic_from.get(person_id), special_from.get((person_id, field_code)), day)
        if refusal is None:
            return None
        with _language():
            return rules.gate_message(refusal, field_code)

    return check


def _language():
    """Messages need a locale: the user's in a request, the default language elsewhere (CLI imports)."""
    return nullcontext() if has_request_context() else force_locale(DEFAULT_LANGUAGE)


def verified_basic(person_id_column):
    """SQL condition: the person has verified basic training."""
    return exists().where(TrainingRecord.person_id == person_id_column, TrainingRecord.kind == TrainingKind.BASIC,
                          TrainingRecord.status == TrainingStatus.VERIFIED)


def verified_special(person_id_column, field_column):
    """SQL condition: the person has verified special training for the field."""
    return exists().where(TrainingRecord.person_id == person_id_column, TrainingRecord.kind == TrainingKind.SPECIAL,
                          TrainingRecord.field_code == field_column, TrainingRecord.status == TrainingStatus.VERIFIED)


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

# Record books are a floor above training (issuing one needs verified training), yet the lost-certificate
# rule asks whether a person holds one. The composition root installs the records feature's answer
# (portal/kinds.py); training never imports records.
_record_book_lookup: Callable[[int], date | None] | None = None


def install_record_book_lookup(lookup: Callable[[int], date | None] | None):
    """lookup(person_id) -> the issue date of the person's valid record book, or None."""
    global _record_book_lookup
    _record_book_lookup = lookup


def record_book_issued_on(person_id: int) -> date | None:
    return _record_book_lookup(person_id) if _record_book_lookup else None


def holds_record_book(person_id: int) -> bool:
    """True when the person holds a service record book known to the portal.

    False when no lookup is installed; a case can also carry the unit's statement that the volunteer
    holds a paper book.
    """
    return record_book_issued_on(person_id) is not None


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
