"""Training state changes, each with its audit line: records, certificate files, verification,
lost-certificate cases and their decisions (the rules they apply are in rules.py).

A record counts as verified when the unit verified it against an uploaded certificate, or when a
lost-certificate case was accepted (by the rule for health-and-welfare record-book holders,
docs/rules/training.md#t7, or by the authority's decision, #t8). Functions here flush, never
commit; the view commits.
"""
import os
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.notifications.events import path_for
from portal.notifications.operations import notify
from portal.notifications.recipients import unit_staff, volunteer_accounts
from portal.platform import audit, filecheck, uploads
from portal.platform.extensions import db
from portal.platform.i18n import DEFAULT as DEFAULT_LOCALE
from portal.platform.timeutil import today_taipei, utcnow

from . import facts, rules
from .models import (
    Basis,
    CaseStatus,
    LostCertificateCase,
    Source,
    TrainingFile,
    TrainingKind,
    TrainingRecord,
    TrainingStatus,
)
from .scopes import may_verify

RECORD_FIELDS = ("kind", "field_code", "course_name", "hours", "provider", "completed_on", "effective_on",
                 "certificate_no")
CASE_FIELDS = ("kind", "field_code", "course_name", "provider", "approx_completed_on", "evidence",
               "holds_record_book", "record_book_no", "record_book_issued_on")


class TrainingError(ValueError):
    """A rule refused the action; str() is the message in the user's language."""


def _shown(value) -> str:
    return "" if value is None else str(value)


def _refuse_if(problem: str | None):
    if problem:
        raise TrainingError(problem)


# --- records ------------------------------------------------------------------------------

def check_record_values(person_id: int, values: dict, record_id: int | None = None):
    """The rules across fields (basic training has no field); raises TrainingError."""
    if values["kind"] == TrainingKind.BASIC:
        values["field_code"] = None
    _refuse_if(rules.record_problem(values))
    number = values.get("certificate_no")
    if number and facts.certificate_no_taken(person_id, number, record_id):
        raise TrainingError(_("This volunteer already has a training record with certificate number "
                              "%(number)s.", number=number))


def create_record(person, unit_id: int | None, values: dict, user, source: str = Source.UNIT) -> TrainingRecord:
    check_record_values(person.id, values)
    record = TrainingRecord(person_id=person.id, unit_id=unit_id, source=source, status=TrainingStatus.PENDING,
                            basis=Basis.CERTIFICATE, entered_by_id=getattr(user, "id", None),
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
    if record.is_verified:
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
    if record.is_rejected:
        changes["status"] = [TrainingStatus.REJECTED, TrainingStatus.PENDING]
        record.status = TrainingStatus.PENDING


def attach_files(record: TrainingRecord, stored_files: list, user) -> list[TrainingFile]:
    if record.is_verified:
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
    if record is not None and record.is_verified:
        raise TrainingError(_("A verified record cannot be changed."))
    link.removed_at = utcnow()
    link.removed_by_id = getattr(user, "id", None)
    db.session.flush()
    audit.record("training.file_remove", record or link.case, file=link.file_id, name=link.file.display_name)


def _refuse_unless_verifier(user, record: TrainingRecord):
    if not may_verify(user, record):
        raise TrainingError(_("Only the unit's volunteer supervisor (or its clerk, when the unit has no "
                              "supervisor account) can verify training."))


def verify(record: TrainingRecord, user):
    _refuse_unless_verifier(user, record)
    _refuse_if(rules.verify_problem(record))
    old = record.status
    record.status = TrainingStatus.VERIFIED
    record.reject_reason = ""
    record.effective_on = rules.effective_start(record.effective_on, record.completed_on)
    record.verified_by_id = user.id
    record.verified_at = utcnow()
    db.session.flush()
    audit.record("training.verify", record, status=[old, TrainingStatus.VERIFIED],
                 effective_on=str(record.effective_on), files=[link.file_id for link in record.attachments])


def reject(record: TrainingRecord, user, reason: str):
    _refuse_unless_verifier(user, record)
    if record.is_verified:
        raise TrainingError(_("A verified record cannot be changed."))
    old = record.status
    record.status = TrainingStatus.REJECTED
    record.reject_reason = reason
    record.verified_by_id = user.id
    record.verified_at = utcnow()
    db.session.flush()
    audit.record("training.reject", record, status=[old, TrainingStatus.REJECTED], reason=reason)


# --- certificate files matched by number ---------------------------------------------------

@dataclass
class MatchResult:
    name: str
    outcome: str  # matched | no_record | several | refused
    message: str
    record: TrainingRecord | None = None


def match_certificate_files(files, unit_id: int, user) -> list[MatchResult]:
    """Attach each file to the unit's unverified record whose certificate number is the file name (without
    extension), after an import. Unmatched or refused files are not stored."""
    candidates = db.session.scalars(select(TrainingRecord).where(
        TrainingRecord.unit_id == unit_id, TrainingRecord.certificate_no != "",
        TrainingRecord.status.in_((TrainingStatus.PENDING, TrainingStatus.REJECTED)))).all()
    by_number: dict[str, list[TrainingRecord]] = {}
    for record in candidates:
        by_number.setdefault(rules.certificate_key(record.certificate_no), []).append(record)
    results = []
    for part in files:
        shown = filecheck.shown_name(part.filename)
        number = rules.certificate_key(os.path.splitext(shown)[0])
        found = by_number.get(number, [])
        if not found:
            results.append(MatchResult(shown, "no_record", str(_l(
                "No unverified record of your unit has certificate number %(number)s.", number=number))))
            continue
        if len(found) > 1:
            results.append(MatchResult(shown, "several", str(_l(
                "Several records have certificate number %(number)s; upload this file on the right record.",
                number=number))))
            continue
        record = found[0]
        if facts.room_for_files(record.person_id) < 1:
            results.append(MatchResult(shown, "refused", str(_l(
                "A volunteer can have at most %(n)d certificate files.", n=rules.MAX_FILES_PER_PERSON)), record))
            continue
        try:
            stored = uploads.accept(part, "training_certificate", getattr(user, "id", None))
        except uploads.UploadRefused as exc:
            results.append(MatchResult(shown, "refused", exc.message, record))
            continue
        attach_files(record, [stored], user)
        results.append(MatchResult(shown, "matched", str(_l("Attached to the record of %(name)s.",
                                                             name=record.person.name)), record))
    return results


# --- lost certificates --------------------------------------------------------------------

def file_case(person, unit_id: int, values: dict, user) -> LostCertificateCase:
    """File a case; the record-book rule decides it at once where it applies, else it waits for the authority."""
    if values["kind"] == TrainingKind.BASIC:
        values["field_code"] = None
    _refuse_if(rules.case_problem(values))
    if not values.get("holds_record_book"):
        values["record_book_no"], values["record_book_issued_on"] = "", None
    if facts.already_verified(person.id, values["kind"], values.get("field_code")):
        raise TrainingError(_("This volunteer already has verified training of this kind; no case is needed."))
    if facts.open_case_exists(person.id, values["kind"], values.get("field_code")):
        raise TrainingError(_("A case for this training is already waiting for a decision."))
    case = LostCertificateCase(person_id=person.id, unit_id=unit_id, filed_by_id=getattr(user, "id", None),
                               status=CaseStatus.FILED, **{k: values.get(k) for k in CASE_FIELDS})
    for key in ("course_name", "provider", "evidence", "record_book_no"):
        setattr(case, key, getattr(case, key) or "")
    db.session.add(case)
    db.session.flush()
    audit.record("training.case_file", case, person=person.id,
                 **{k: _shown(getattr(case, k)) for k in CASE_FIELDS})
    rule = _record_book_decision(case)
    if rule:
        effective_on, evidence = rule
        _accept(case, Basis.RECORD_BOOK_RULE, effective_on, None, None, note=f"{rules.AUTO_NOTE}{evidence}")
        _tell_decision(case, staff=False)   # the staff who filed it see the decision on the page
    return case


def _record_book_decision(case: LostCertificateCase) -> tuple[date, str] | None:
    """T7 with its facts, loaded only where the rule can apply."""
    if not rules.record_book_rule_may_apply(case.kind, case.field_code):
        return None
    serves = facts.serves_in_field(case.person_id, case.field_code)
    return rules.record_book_rule(case, serves, facts.record_book_issued_on(case.person_id) if serves else None)


def decide(case: LostCertificateCase, user, accepted: bool, effective_on: date | None, reason: str, note: str = ""):
    if not rules.may_decide(user, case):
        raise TrainingError(_("This case has already been decided."))
    _refuse_if(rules.decision_problem(accepted, effective_on, reason, today_taipei()))
    if accepted:
        _accept(case, Basis.AUTHORITY_DECISION, effective_on, user, user.authority_id, note=note)
    else:
        case.status = CaseStatus.REFUSED
        case.refusal_reason = reason
        case.decision_note = note
        case.decided_by_id = user.id
        case.decided_by_authority_id = user.authority_id
        case.decided_at = utcnow()
        db.session.flush()
        audit.record("training.case_refuse", case, reason=reason)
    _tell_decision(case)


def _course(case: LostCertificateCase) -> str:
    """The course as the notification names it: its name, else the kind of training in Chinese, like the
    names of units and people that notifications carry."""
    if case.course_name:
        return case.course_name
    with force_locale(DEFAULT_LOCALE):
        return _("Basic training") if case.kind == TrainingKind.BASIC else _("Special training")


def _tell_decision(case: LostCertificateCase, staff: bool = True):
    """The volunteer (and the unit's staff) hear that the case was accepted or refused, in this transaction."""
    users = volunteer_accounts([case.person_id]) + (unit_staff([case.unit_id]) if staff else [])
    notify(users, "training.case_decided", link=path_for("training.case", lost_case_id=case.id), course=_course(case),
           decision="accepted" if case.status == CaseStatus.ACCEPTED else "refused", reason=case.refusal_reason)


def _accept(case: LostCertificateCase, basis: str, effective_on: date, user, authority_id, note: str = ""):
    """Accept the case and put a verified record with its basis on the person's training."""
    case.status = CaseStatus.ACCEPTED
    case.basis = basis
    case.effective_on = effective_on
    case.decision_note = note
    case.decided_by_id = getattr(user, "id", None)
    case.decided_by_authority_id = authority_id
    case.decided_at = utcnow()
    record = TrainingRecord(person_id=case.person_id, unit_id=case.unit_id, kind=case.kind,
                            field_code=case.field_code, course_name=case.course_name, provider=case.provider,
                            completed_on=case.approx_completed_on, effective_on=effective_on, certificate_no="",
                            status=TrainingStatus.VERIFIED, basis=basis, source=Source.LOST_CASE,
                            lost_case_id=case.id, entered_by_id=case.filed_by_id,
                            verified_by_id=getattr(user, "id", None), verified_at=utcnow())
    db.session.add(record)
    db.session.flush()
    audit.record("training.case_accept", case, basis=basis, effective_on=str(effective_on), record=record.id,
                 note=note)
    return record
