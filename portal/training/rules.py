"""The training rules (docs/rules/training.md T1–T8), pure: facts in, decision and reasons out.

No database and no request here: facts.py loads what these functions need, operations.py and
the views act on their answers. Reasons come back as messages in the current language.
"""
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from portal.platform import access
from portal.platform.i18n import format_date, localized
from portal.registry.catalog import FIELD_BY_CODE

from .models import CaseStatus, LostCertificateCase, Source, TrainingKind, TrainingRecord, TrainingStatus

GATE_START = date(2026, 1, 1)
# "Health and welfare" (衛福) fields (docs/rules/training.md#t7): social welfare and health care.
HEALTH_AND_WELFARE_FIELDS = ("social", "health")
MAX_FILES_PER_PERSON = 50


# --- when training counts (T4, T5) ---------------------------------------------------------

def effective_start(effective_on: date | None, completed_on: date | None) -> date | None:
    """T4: a certificate counts from the effective date printed on it, else from the completion date."""
    return effective_on or completed_on


def training_complete(basic: date | None, special: date | None) -> bool:
    """T1: verified basic training and verified special training for the field (their starts, None where
    missing) are both needed."""
    return basic is not None and special is not None


def counting_start(basic: date | None, special: date | None) -> date | None:
    """T5: hours in a field count from the later of the basic and the field's special training;
    None while either is missing."""
    return max(basic, special) if training_complete(basic, special) else None


# --- the 2026 gate (T6) --------------------------------------------------------------------

@dataclass(frozen=True)
class GateRefusal:
    """Why hours on a day are refused: training missing (from GATE_START on), or the day lies
    before `counts_from`, the day the complete training starts to count."""
    basic_missing: bool = False
    special_missing: bool = False
    counts_from: date | None = None
    by_record_book: bool = False       # counts_from is the record book's issue date (T7)


def gate_refusal(basic: date | None, special: date | None, day: date) -> GateRefusal | None:
    """T6: None when hours on `day` may be recorded, given the starts of the person's verified basic
    training and of the field's special training (None where missing)."""
    start = counting_start(basic, special)
    if start is None:
        if day < GATE_START:
            return None
        return GateRefusal(basic_missing=basic is None, special_missing=special is None)
    return GateRefusal(counts_from=start) if day < start else None


def record_book_start(field_code: str, book_issued_on: date | None) -> date | None:
    """T7 without a case: a volunteer holding a valid record book counts as having completed the special training
    of a health-and-welfare field from the book's issue date; None where the rule does not hold."""
    return book_issued_on if book_issued_on is not None and field_code in HEALTH_AND_WELFARE_FIELDS else None


def gate_refusal_with_book(basic: date | None, special: date | None, book_issued_on: date | None, field_code: str,
                           day: date) -> GateRefusal | None:
    """T6 with T7: the record-book rule only opens. Where the certificates alone refuse `day`, the special training
    counts from the earlier of its verified start and the book's issue date; a day the certificates alone allow
    (before 2026 without training in the portal) stays allowed."""
    refusal = gate_refusal(basic, special, day)
    by_book = record_book_start(field_code, book_issued_on)
    if refusal is None or by_book is None:
        return refusal
    special_start = min(special, by_book) if special else by_book
    with_book = gate_refusal(basic, special_start, day)
    if with_book is not None and with_book.counts_from == by_book:
        return GateRefusal(counts_from=by_book, by_record_book=True)
    return with_book


def special_status(field_code: str, special: date | None, book: tuple[date, str] | None) -> dict:
    """What the training page shows for a field's special training: its start, and whether (and by which book)
    the record-book rule gives it, so the basis of "complete" is visible (T7)."""
    by_book = record_book_start(field_code, book[0] if book else None)
    if by_book is not None and (special is None or by_book < special):
        return {"start": by_book, "by_book": True, "book_number": book[1], "book_issued_on": book[0]}
    return {"start": special, "by_book": False, "book_number": "", "book_issued_on": None}


def field_name(field_code: str) -> str:
    return localized(FIELD_BY_CODE.get(field_code)) or field_code


def gate_message(refusal: GateRefusal, field_code: str) -> str:
    """The refusal in words that name what is missing, or the day hours start to count."""
    if refusal.by_record_book:
        return _("Hours in %(field)s count from %(date)s, the issue date of the volunteer's record book "
                 "(rule for health-and-welfare record-book holders).",
                 field=field_name(field_code), date=format_date(refusal.counts_from))
    if refusal.counts_from is not None:
        return _("Hours in %(field)s count from %(date)s, the effective date of the training certificate.",
                 field=field_name(field_code), date=format_date(refusal.counts_from))
    missing = []
    if refusal.basic_missing:
        missing.append(_("verified basic training"))
    if refusal.special_missing:
        missing.append(_("verified special training for %(field)s", field=field_name(field_code)))
    return _("Hours from 2026 need %(missing)s with an uploaded certificate.", missing=_(" and ").join(missing))


# --- records (T3, T4) ----------------------------------------------------------------------

def record_problem(values: dict) -> str | None:
    """T3/T4 across the fields of a record: special training names its field; the effective date is not
    before the completion date. (The certificate number once per volunteer needs the database: facts.)"""
    if values["kind"] == TrainingKind.SPECIAL and not values.get("field_code"):
        return _("Choose the service field of the special training.")
    if values.get("effective_on") and values.get("completed_on") and values["effective_on"] < values["completed_on"]:
        return _("The effective date cannot be before the completion date.")
    return None


def record_changeable(record: TrainingRecord) -> bool:
    """T4: a verified record cannot be changed, nor one put in by a lost-certificate decision."""
    return record.status != TrainingStatus.VERIFIED and record.source != Source.LOST_CASE


def files_room(active_files: int) -> int:
    """T4: how many more certificate files a volunteer with `active_files` may have."""
    return max(MAX_FILES_PER_PERSON - active_files, 0)


def certificate_key(text: str) -> str:
    """Certificate numbers compare with full-width forms folded and spaces removed."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def may_verify(role: str, same_unit: bool, unit_has_supervisor: bool) -> bool:
    """T4: the supervisor of the record's unit; its clerk only when the unit has no supervisor account."""
    if not same_unit:
        return False
    if role == access.UNIT_SUPERVISOR:
        return True
    return role == access.UNIT_CLERK and not unit_has_supervisor


def verify_problem(record: TrainingRecord) -> str | None:
    """T4: what keeps a record from being verified (the verifier already checked)."""
    if record.status == TrainingStatus.VERIFIED:
        return _("This record is already verified.")
    if not record.attachments:
        return _("Upload the certificate before verifying: from 2026 training counts only with an "
                 "uploaded certificate.")
    if not record.completed_on:
        return _("Enter the completion date before verifying.")
    return None


# --- lost certificates (T7, T8) ------------------------------------------------------------

def case_problem(values: dict) -> str | None:
    """T7/T8: a case for special training names its field; a paper record book has its number and date."""
    if values["kind"] == TrainingKind.SPECIAL and not values.get("field_code"):
        return _("Choose the service field of the special training.")
    if values.get("holds_record_book") and not (values.get("record_book_no") and values.get("record_book_issued_on")):
        return _("Enter the number and the issue date of the paper record book.")
    return None


def record_book_rule_may_apply(kind: str, field_code: str | None) -> bool:
    """T7 applies to special training in a health-and-welfare field only."""
    return kind == TrainingKind.SPECIAL and field_code in HEALTH_AND_WELFARE_FIELDS


def record_book_rule(case: LostCertificateCase, serves_in_field: bool,
                     portal_book_issued_on: date | None) -> tuple[date, str] | None:
    """T7: a health-and-welfare volunteer who holds a record book is deemed to have completed that
    field's special training. (effective date, evidence) when it applies: the issue date of the book
    in the portal, else of the paper book the unit recorded. The evidence is a key with its parameter
    ("portal", or "paper:<book number>"), stored as the case's note and worded in the reader's language."""
    if not record_book_rule_may_apply(case.kind, case.field_code) or not serves_in_field:
        return None
    if portal_book_issued_on:
        return portal_book_issued_on, "portal"
    if case.holds_record_book and case.record_book_no and case.record_book_issued_on:
        return case.record_book_issued_on, f"paper:{case.record_book_no}"
    return None


# The note of a case the portal decided itself (T7) is a key with its parameter, never a sentence in one
# language: the page words it for whoever reads it.
AUTO_NOTE = "T7:"
_LEGACY_PAPER = re.compile(r"\(paper record book (.+)\)$")


def automatic_note(note: str) -> tuple[str, str] | None:
    """What the portal's own note says: ("portal", "") or ("paper", book number); None for a person's words.
    Notes stored before keys ("T7: health-and-welfare volunteer holding a record book (paper record book X)")
    read the same way."""
    if not (note or "").startswith(AUTO_NOTE):
        return None
    rest = note[len(AUTO_NOTE):]
    if rest.startswith("paper:"):
        return "paper", rest[len("paper:"):]
    legacy = _LEGACY_PAPER.search(rest)
    return ("paper", legacy[1]) if legacy else ("portal", "")


# T8: who decides a case of a unit in their scope (docs/rules/training.md#t8): the county of the unit, the
# unit's local sector authority, and the central sector authority of the unit's field (its scope is the field
# nationwide, registry.scopes.unit_scope), which also covers units without a local sector authority.
DECIDERS = (access.COUNTY, access.SECTOR_LOCAL, access.SECTOR_CENTRAL)


def may_decide(user, case: LostCertificateCase) -> bool:
    """T8: a deciding authority with the unit in scope (the loader checks scope), while the case waits."""
    return user.role in DECIDERS and case.status == CaseStatus.FILED


def decision_problem(accepted: bool, effective_on: date | None, reason: str, today: date) -> str | None:
    """T8: accepting sets the date the training counts from (not in the future); refusing needs a reason."""
    if accepted:
        if effective_on is None:
            return _("Enter the date from which the training counts.")
        if effective_on > today:
            return _("The effective date cannot be in the future.")
        return None
    if not reason:
        return _("Give the reason for refusing.")
    return None
