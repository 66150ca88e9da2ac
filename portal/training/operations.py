"""The training gate and the training rules (docs/rules/training.md T4–T8, docs/rules/hours.md#h12).

From 2026-01-01 an hour entry in a field is accepted only when the volunteer has verified
basic training and verified special training for that field; hours count from the later
of the two effective dates. Where that data exists, the effective date applies to earlier
years too. A record counts as verified when the unit verified it against an uploaded
certificate, or when a lost-certificate case was accepted (by the rule for health-and-welfare
record-book holders, docs/rules/training.md#t7, or by the authority's decision, #t8).

Functions here flush, never commit; the view commits.
"""
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from datetime import date

from flask import has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, exists, select

from portal.platform import access, audit
from portal.auth.models import User
from portal.platform.extensions import db
from portal.platform.i18n import DEFAULT as DEFAULT_LANGUAGE
from portal.platform.i18n import format_date, localized
from portal.platform.timeutil import today_taipei, utcnow
from portal.registry.catalog import FIELD_BY_CODE
from portal.registry.models import Membership
from .models import LostCertificateCase, TrainingFile, TrainingRecord

GATE_START = date(2026, 1, 1)
# "Health and welfare" (衛福) fields (docs/rules/training.md#t7): social welfare and health care.
HEALTH_AND_WELFARE_FIELDS = ("social", "health")
MAX_FILES_PER_PERSON = 50
RECORD_FIELDS = ("kind", "field_code", "course_name", "hours", "provider", "completed_on", "effective_on",
                 "certificate_no")

GateCheck = Callable[[int, str, date], str | None]


class TrainingError(ValueError):
    """A rule refused the action; str() is the message in the user's language."""


# --- the gate -----------------------------------------------------------------------------

def verified_starts(person_ids: Iterable[int]) -> tuple[dict[int, date], dict[tuple[int, str], date]]:
    """Earliest start of verified basic training per person and of special training per (person, field)."""
    ids = set(person_ids)
    basic_from: dict[int, date] = {}
    special_from: dict[tuple[int, str], date] = {}
    if ids:
        rows = db.session.execute(select(TrainingRecord.person_id, TrainingRecord.kind, TrainingRecord.field_code,
                                         TrainingRecord.effective_on, TrainingRecord.completed_on)
                                  .where(TrainingRecord.person_id.in_(ids), TrainingRecord.status == "verified"))
        for person_id, kind, field_code, effective_on, completed_on in rows:
            start = effective_on or completed_on or date.min
            if kind == "basic":
                basic_from[person_id] = min(start, basic_from.get(person_id, date.max))
            else:
                key = (person_id, field_code)
                special_from[key] = min(start, special_from.get(key, date.max))
    return basic_from, special_from


def gate_checker(person_ids: Iterable[int]) -> GateCheck:
    """Load the verified training of these people in one query; return check(person_id, field, day).

    check() gives None when hours on `day` in `field` may be recorded, else a message in the
    user's language that names what is missing.
    """
    basic_from, special_from = verified_starts(person_ids)

    def check(person_id: int, field_code: str, day: date) -> str | None:
        basic = basic_from.get(person_id)
        special = special_from.get((person_id, field_code))
        if basic is None or special is None:
            if day < GATE_START:
                return None
            with _language():
                return _missing_message(basic is None, special is None, field_code)
        start = max(basic, special)
        if day < start:
            with _language():
                return _("Hours in %(field)s count from %(date)s, the effective date of the training certificate.",
                         field=_field_name(field_code), date=format_date(start))
        return None

    return check


def _language():
    """Messages need a locale: the user's in a request, the default language elsewhere (CLI imports)."""
    return nullcontext() if has_request_context() else force_locale(DEFAULT_LANGUAGE)


def _field_name(field_code: str) -> str:
    return localized(FIELD_BY_CODE.get(field_code)) or field_code


def _missing_message(basic_missing: bool, special_missing: bool, field_code: str) -> str:
    field_name = _field_name(field_code)
    missing = []
    if basic_missing:
        missing.append(_("verified basic training"))
    if special_missing:
        missing.append(_("verified special training for %(field)s", field=field_name))
    return _("Hours from 2026 need %(missing)s with an uploaded certificate.", missing=_(" and ").join(missing))


def training_problem(person_id: int, field_code: str, day: date) -> str | None:
    """The gate for one entry."""
    return gate_checker([person_id])(person_id, field_code, day)


def counting_from(person_id: int, field_code: str) -> date | None:
    """The first day hours in the field count, or None while training is missing."""
    basic_from, special_from = verified_starts([person_id])
    basic, special = basic_from.get(person_id), special_from.get((person_id, field_code))
    return max(basic, special) if basic and special else None


def verified_basic(person_id_column):
    return exists().where(TrainingRecord.person_id == person_id_column, TrainingRecord.kind == "basic",
                          TrainingRecord.status == "verified")


def verified_special(person_id_column, field_column):
    return exists().where(TrainingRecord.person_id == person_id_column, TrainingRecord.kind == "special",
                          TrainingRecord.field_code == field_column, TrainingRecord.status == "verified")


def awaiting_verification(person_id_column):
    return exists().where(TrainingRecord.person_id == person_id_column, TrainingRecord.status == "pending")


# --- records ------------------------------------------------------------------------------

def _shown(value) -> str:
    return "" if value is None else str(value)


def check_record_values(person_id: int, values: dict, record_id: int | None = None):
    """Rules across fields; raises TrainingError."""
    if values["kind"] == "special" and not values.get("field_code"):
        raise TrainingError(_("Choose the service field of the special training."))
    if values["kind"] == "basic":
        values["field_code"] = None
    if values.get("effective_on") and values.get("completed_on") and values["effective_on"] < values["completed_on"]:
        raise TrainingError(_("The effective date cannot be before the completion date."))
    number = values.get("certificate_no")
    if number:
        query = select(TrainingRecord.id).where(TrainingRecord.person_id == person_id,
                                                TrainingRecord.certificate_no == number,
                                                TrainingRecord.status != "rejected")
        if record_id:
            query = query.where(TrainingRecord.id != record_id)
        if db.session.scalar(query.limit(1)):
            raise TrainingError(_("This volunteer already has a training record with certificate number "
                                  "%(number)s.", number=number))


def create_record(person, unit_id: int | None, values: dict, user, source: str = "unit") -> TrainingRecord:
    check_record_values(person.id, values)
    record = TrainingRecord(person_id=person.id, unit_id=unit_id, source=source, status="pending",
                            basis="certificate", entered_by_id=getattr(user, "id", None),
                            **{k: values.get(k) for k in RECORD_FIELDS})
    record.course_name = record.course_name or ""
    record.provider = record.provider or ""
    record.certificate_no = record.certificate_no or ""
    db.session.add(record)
    db.session.flush()
    audit.record("training.create", record, person=person.id, source=source,
                 **{k: _shown(getattr(record, k)) for k in RECORD_FIELDS})
    return record


def update_record(record: TrainingRecord, values: dict) -> dict:
    """Change a record that is not verified; a rejected record goes back to pending."""
    if record.status == "verified":
        raise TrainingError(_("A verified record cannot be changed."))
    check_record_values(record.person_id, values, record.id)
    changes = {}
    for key in RECORD_FIELDS:
        new = values.get(key)
        if key in ("course_name", "provider", "certificate_no"):
            new = new or ""
        if getattr(record, key) != new:
            changes[key] = [_shown(getattr(record, key)), _shown(new)]
            setattr(record, key, new)
    if changes:
        _reopen(record, changes)
        db.session.flush()
        audit.record("training.update", record, **changes)
    return changes


def _reopen(record: TrainingRecord, changes: dict):
    if record.status == "rejected":
        changes["status"] = ["rejected", "pending"]
        record.status = "pending"


def active_file_count(person_id: int) -> int:
    return db.session.scalar(
        select(db.func.count(TrainingFile.id)).join(TrainingRecord, TrainingFile.record_id == TrainingRecord.id)
        .where(TrainingRecord.person_id == person_id, TrainingFile.removed_at.is_(None))) or 0


def room_for_files(person_id: int) -> int:
    return max(MAX_FILES_PER_PERSON - active_file_count(person_id), 0)


def attach_files(record: TrainingRecord, stored_files: list, user) -> list[TrainingFile]:
    if record.status == "verified":
        raise TrainingError(_("A verified record cannot be changed."))
    links = [TrainingFile(record_id=record.id, file_id=f.id, added_by_id=getattr(user, "id", None))
             for f in stored_files]
    db.session.add_all(links)
    changes: dict = {}
    _reopen(record, changes)
    db.session.flush()
    db.session.expire(record, ["attachments"])
    for f in stored_files:
        audit.record("training.file_add", record, file=f.id, name=f.display_name, sha256=f.sha256, size=f.size,
                     **changes)
    return links


def attach_case_files(case: LostCertificateCase, stored_files: list, user) -> list[TrainingFile]:
    links = [TrainingFile(case_id=case.id, file_id=f.id, added_by_id=getattr(user, "id", None))
             for f in stored_files]
    db.session.add_all(links)
    db.session.flush()
    db.session.expire(case, ["attachments"])
    for f in stored_files:
        audit.record("training.case_file_add", case, file=f.id, name=f.display_name, sha256=f.sha256, size=f.size)
    return links


def remove_file(link: TrainingFile, user):
    """Detach a file from a record that is not verified; the file and the link row stay."""
    record = link.record
    if record is not None and record.status == "verified":
        raise TrainingError(_("A verified record cannot be changed."))
    link.removed_at = utcnow()
    link.removed_by_id = getattr(user, "id", None)
    db.session.flush()
    audit.record("training.file_remove", record or link.case, file=link.file_id, name=link.file.display_name)


def unit_has_supervisor(unit_id: int) -> bool:
    return bool(db.session.scalar(select(User.id).where(User.unit_id == unit_id, User.active.is_(True),
                                                        User.role == access.UNIT_SUPERVISOR).limit(1)))


def may_verify(user, record: TrainingRecord) -> bool:
    """The unit's supervisor; the clerk only when the unit has no supervisor account."""
    if record.unit_id is None or getattr(user, "unit_id", None) != record.unit_id:
        return False
    if user.role == access.UNIT_SUPERVISOR:
        return True
    return user.role == access.UNIT_CLERK and not unit_has_supervisor(record.unit_id)


def verify(record: TrainingRecord, user):
    if not may_verify(user, record):
        raise TrainingError(_("Only the unit's volunteer supervisor (or its clerk, when the unit has no "
                              "supervisor account) can verify training."))
    if record.status == "verified":
        raise TrainingError(_("This record is already verified."))
    if not record.attachments:
        raise TrainingError(_("Upload the certificate before verifying: from 2026 training counts only with an "
                              "uploaded certificate."))
    if not record.completed_on:
        raise TrainingError(_("Enter the completion date before verifying."))
    old = record.status
    record.status = "verified"
    record.reject_reason = ""
    record.effective_on = record.effective_on or record.completed_on
    record.verified_by_id = user.id
    record.verified_at = utcnow()
    db.session.flush()
    audit.record("training.verify", record, status=[old, "verified"], effective_on=str(record.effective_on),
                 files=[link.file_id for link in record.attachments])


def reject(record: TrainingRecord, user, reason: str):
    if not may_verify(user, record):
        raise TrainingError(_("Only the unit's volunteer supervisor (or its clerk, when the unit has no "
                              "supervisor account) can verify training."))
    if record.status == "verified":
        raise TrainingError(_("A verified record cannot be changed."))
    old = record.status
    record.status = "rejected"
    record.reject_reason = reason
    record.verified_by_id = user.id
    record.verified_at = utcnow()
    db.session.flush()
    audit.record("training.reject", record, status=[old, "rejected"], reason=reason)


# --- lost certificates --------------------------------------------------------------------

_record_book_lookups: list[Callable[[int], date | None]] = []


def register_record_book_lookup(lookup: Callable[[int], date | None]):
    """Let the record-book feature answer holds_record_book(): lookup(person_id) -> issue date or None."""
    if lookup not in _record_book_lookups:
        _record_book_lookups.append(lookup)


def record_book_issued_on(person_id: int) -> date | None:
    for lookup in _record_book_lookups:
        issued = lookup(person_id)
        if issued:
            return issued
    return None


def holds_record_book(person_id: int) -> bool:
    """True when the person holds a service record book known to the portal.

    False until the record-book feature registers its lookup (register_record_book_lookup);
    until then a case can carry the unit's statement that the volunteer holds a paper book.
    """
    return record_book_issued_on(person_id) is not None


def serves_in_field(person_id: int, field_code: str) -> bool:
    return bool(db.session.scalar(select(Membership.id).where(
        Membership.person_id == person_id, Membership.field_code == field_code).limit(1)))


def record_book_rule(case: LostCertificateCase) -> tuple[date, str] | None:
    """The record-book rule (docs/rules/training.md#t7): a health-and-welfare volunteer who holds a record
    book is deemed to have completed that field's special training. Returns (effective date,
    evidence) when it applies."""
    if case.kind != "special" or case.field_code not in HEALTH_AND_WELFARE_FIELDS:
        return None
    if not serves_in_field(case.person_id, case.field_code):
        return None
    issued = record_book_issued_on(case.person_id)
    if issued:
        return issued, "record book in the portal"
    if case.holds_record_book and case.record_book_no and case.record_book_issued_on:
        return case.record_book_issued_on, f"paper record book {case.record_book_no}"
    return None


def open_case_exists(person_id: int, kind: str, field_code: str | None) -> bool:
    return bool(db.session.scalar(select(LostCertificateCase.id).where(
        LostCertificateCase.person_id == person_id, LostCertificateCase.kind == kind,
        (LostCertificateCase.field_code.is_(None) if field_code is None
         else LostCertificateCase.field_code == field_code),
        LostCertificateCase.status == "filed").limit(1)))


def already_verified(person_id: int, kind: str, field_code: str | None) -> bool:
    condition = [TrainingRecord.person_id == person_id, TrainingRecord.kind == kind,
                 TrainingRecord.status == "verified"]
    if kind == "special":
        condition.append(TrainingRecord.field_code == field_code)
    return bool(db.session.scalar(select(TrainingRecord.id).where(and_(*condition)).limit(1)))


CASE_FIELDS = ("kind", "field_code", "course_name", "provider", "approx_completed_on", "evidence",
               "holds_record_book", "record_book_no", "record_book_issued_on")


def file_case(person, unit_id: int, values: dict, user) -> LostCertificateCase:
    """File a case; the record-book rule decides it at once where it applies, else it waits for the authority."""
    if values["kind"] == "special" and not values.get("field_code"):
        raise TrainingError(_("Choose the service field of the special training."))
    if values["kind"] == "basic":
        values["field_code"] = None
    if values.get("holds_record_book") and not (values.get("record_book_no") and values.get("record_book_issued_on")):
        raise TrainingError(_("Enter the number and the issue date of the paper record book."))
    if not values.get("holds_record_book"):
        values["record_book_no"], values["record_book_issued_on"] = "", None
    if already_verified(person.id, values["kind"], values.get("field_code")):
        raise TrainingError(_("This volunteer already has verified training of this kind; no case is needed."))
    if open_case_exists(person.id, values["kind"], values.get("field_code")):
        raise TrainingError(_("A case for this training is already waiting for a decision."))
    case = LostCertificateCase(person_id=person.id, unit_id=unit_id, filed_by_id=getattr(user, "id", None),
                               status="filed", **{k: values.get(k) for k in CASE_FIELDS})
    for key in ("course_name", "provider", "evidence", "record_book_no"):
        setattr(case, key, getattr(case, key) or "")
    db.session.add(case)
    db.session.flush()
    audit.record("training.case_file", case, person=person.id,
                 **{k: _shown(getattr(case, k)) for k in CASE_FIELDS})
    rule = record_book_rule(case)
    if rule:
        effective_on, evidence = rule
        _accept(case, "record_book_rule", effective_on, None, None,
                note=f"T7: health-and-welfare volunteer holding a record book ({evidence})")
    return case


def may_decide(user, case: LostCertificateCase) -> bool:
    """The county authority of the unit, or the unit's local sector authority (the loader checks scope)."""
    return user.role in (access.COUNTY, access.SECTOR_LOCAL) and case.status == "filed"


def decide(case: LostCertificateCase, user, accepted: bool, effective_on: date | None, reason: str, note: str = ""):
    if not may_decide(user, case):
        raise TrainingError(_("This case has already been decided."))
    if accepted:
        if effective_on is None:
            raise TrainingError(_("Enter the date from which the training counts."))
        if effective_on > today_taipei():
            raise TrainingError(_("The effective date cannot be in the future."))
        _accept(case, "authority_decision", effective_on, user, user.authority_id, note=note)
    else:
        if not reason:
            raise TrainingError(_("Give the reason for refusing."))
        case.status = "refused"
        case.refusal_reason = reason
        case.decision_note = note
        case.decided_by_id = user.id
        case.decided_by_authority_id = user.authority_id
        case.decided_at = utcnow()
        db.session.flush()
        audit.record("training.case_refuse", case, reason=reason)


def _accept(case: LostCertificateCase, basis: str, effective_on: date, user, authority_id, note: str = ""):
    """Accept the case and put a verified record with its basis on the person's training."""
    case.status = "accepted"
    case.basis = basis
    case.effective_on = effective_on
    case.decision_note = note
    case.decided_by_id = getattr(user, "id", None)
    case.decided_by_authority_id = authority_id
    case.decided_at = utcnow()
    record = TrainingRecord(person_id=case.person_id, unit_id=case.unit_id, kind=case.kind,
                            field_code=case.field_code, course_name=case.course_name, provider=case.provider,
                            completed_on=case.approx_completed_on, effective_on=effective_on, certificate_no="",
                            status="verified", basis=basis, source="lost_case", lost_case_id=case.id,
                            entered_by_id=case.filed_by_id, verified_by_id=getattr(user, "id", None),
                            verified_at=utcnow())
    db.session.add(record)
    db.session.flush()
    audit.record("training.case_accept", case, basis=basis, effective_on=str(effective_on), record=record.id,
                 note=note)
    return record
