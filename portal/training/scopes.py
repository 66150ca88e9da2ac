"""Which training records, files and lost-certificate cases a user may see or change.

Training belongs to the person (it follows the volunteer from unit to unit, like the record
book), so a record is visible wherever the person is: the volunteer themself and the staff
and authorities of any unit the person serves in. Changing a record (editing, verifying,
attaching files) is for the staff of the unit that entered it; a volunteer may add files to
their own records. Cases are filed by a unit and decided by its county, its local sector
authority or the central sector authority of its field. Anything outside the scope answers 404 exactly like a missing id.
"""
from flask import abort
from sqlalchemy import exists, false, or_, select

from portal.platform import access
from portal.platform.extensions import db
from portal.registry.models import Membership
from portal.registry.scopes import visible_unit_ids, writable_unit_ids

from . import rules
from .facts import unit_has_supervisor
from .models import LostCertificateCase, TrainingFile, TrainingRecord, TrainingStatus


def person_visible(user, person_id_column):
    """SQL condition: the user may see the person with this id (mirrors volunteers.scopes.person_scope)."""
    if user.role == access.VOLUNTEER:
        return person_id_column == user.person_id if user.person_id else false()
    return exists().where(Membership.person_id == person_id_column, Membership.unit_id.in_(visible_unit_ids(user)))


def record_scope(user):
    return person_visible(user, TrainingRecord.person_id)


def writable_record_scope(user):
    return TrainingRecord.unit_id.in_(writable_unit_ids(user))


def get_record_or_404(record_id: int, user, for_write: bool = False, volunteer_may_add: bool = False):
    """for_write: staff of the entering unit; volunteer_may_add also lets the volunteer add files to their own."""
    if for_write:
        condition = writable_record_scope(user)
        if volunteer_may_add and user.role == access.VOLUNTEER:
            condition = record_scope(user)
    else:
        condition = record_scope(user)
    record = db.session.scalar(select(TrainingRecord).where(TrainingRecord.id == record_id, condition))
    if record is None:
        abort(404)
    return record


def may_verify(user, record: TrainingRecord) -> bool:
    """rules.may_verify with its fact: whether the unit has a supervisor is loaded only when the answer
    depends on it (a clerk of the record's unit)."""
    same_unit = record.unit_id is not None and getattr(user, "unit_id", None) == record.unit_id
    has_supervisor = same_unit and user.role == access.UNIT_CLERK and unit_has_supervisor(record.unit_id)
    return rules.may_verify(user.role, same_unit, has_supervisor)


def record_actions(user, record: TrainingRecord) -> dict[str, bool]:
    """What the user may do on a record's page: staff of the entering unit edit it and manage its files while
    it can change (the volunteer may add files to their own); the verifier decides a pending record."""
    own_unit = user.role in access.UNIT_STAFF and record.unit_id == user.unit_id
    own_record = user.role == access.VOLUNTEER and record.person_id == user.person_id
    changeable = rules.record_changeable(record)
    return {"can_edit": own_unit and changeable, "can_upload": (own_unit or own_record) and changeable,
            "can_remove": own_unit and not record.is_verified,
            "can_verify": may_verify(user, record) and record.status == TrainingStatus.PENDING}


def may_add_training(user, memberships) -> bool:
    """Unit staff add records and cases for a person who serves in their unit (any of `memberships`)."""
    own_unit = user.unit_id if user.role in access.UNIT_STAFF else None
    return bool(own_unit) and any(m.unit_id == own_unit for m in memberships)


def case_actions(user, case: LostCertificateCase) -> dict[str, bool]:
    """What the user may do on a case's page: the filing unit's staff add and remove files while it waits;
    the authority decides it (rules.may_decide)."""
    own_unit = user.role in access.UNIT_STAFF and case.unit_id == user.unit_id
    return {"can_decide": rules.may_decide(user, case), "can_upload": own_unit and case.is_filed,
            "can_remove": own_unit and case.is_filed}


def case_scope(user):
    if user.role == access.VOLUNTEER:
        return LostCertificateCase.person_id == user.person_id if user.person_id else false()
    return LostCertificateCase.unit_id.in_(visible_unit_ids(user))


def get_case_or_404(case_id: int, user, for_write: bool = False):
    condition = LostCertificateCase.unit_id.in_(writable_unit_ids(user)) if for_write else case_scope(user)
    case = db.session.scalar(select(LostCertificateCase).where(LostCertificateCase.id == case_id, condition))
    if case is None:
        abort(404)
    return case


def get_case_to_decide_or_404(case_id: int, user):
    """A deciding authority (rules.DECIDERS) with the filing unit in scope; anyone else reads "not found"."""
    if user.role not in rules.DECIDERS:
        abort(404)
    return get_case_or_404(case_id, user)


def get_file_or_404(file_id: int, user, for_write: bool = False) -> TrainingFile:
    """An attached file (by its stored-file id) whose record or case is in scope."""
    if for_write:
        record_ok = TrainingFile.record_id.in_(select(TrainingRecord.id).where(writable_record_scope(user)))
        case_ok = TrainingFile.case_id.in_(select(LostCertificateCase.id).where(
            LostCertificateCase.unit_id.in_(writable_unit_ids(user))))
    else:
        record_ok = TrainingFile.record_id.in_(select(TrainingRecord.id).where(record_scope(user)))
        case_ok = TrainingFile.case_id.in_(select(LostCertificateCase.id).where(case_scope(user)))
    link = db.session.scalar(select(TrainingFile).where(TrainingFile.file_id == file_id,
                                                        TrainingFile.removed_at.is_(None), or_(record_ok, case_ok)))
    if link is None:
        abort(404)
    return link
