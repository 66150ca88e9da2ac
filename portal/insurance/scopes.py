"""Which policies and enrolments a user may see or change: the one place that decides it.

Unit staff see and manage their unit's policies; a county authority manages its own
policies and sees those of the units in its county; sector authorities and the ministry
read the policies of units in their scope. Volunteers see their own cover on their record
page, never the policies. Out of scope answers 404 like a missing id.
"""
from flask import abort
from sqlalchemy import false, or_, select

from portal.imports.models import ImportBatch
from portal.platform import access
from portal.platform.extensions import db
from portal.registry.scopes import visible_unit_ids

from .models import InsuranceEnrolment, InsurancePolicy


def policy_scope(user):
    if user.role in access.UNIT_STAFF:
        return InsurancePolicy.unit_id == user.unit_id
    if user.role == access.MINISTRY:
        return InsurancePolicy.id.isnot(None)
    if user.role in access.AUTHORITIES and user.authority_id:
        return or_(InsurancePolicy.unit_id.in_(visible_unit_ids(user)),
                   InsurancePolicy.authority_id == user.authority_id)
    return false()


def writable_policy_scope(user):
    if user.role in access.UNIT_STAFF:
        return InsurancePolicy.unit_id == user.unit_id
    if user.role == access.COUNTY and user.authority_id:
        return InsurancePolicy.authority_id == user.authority_id
    return false()


def policy_holder_for(user):
    """The policyholder of a policy the user records: the clerk's unit or the county authority; None for
    everyone else (they record no policies)."""
    if user.role in access.UNIT_STAFF:
        return user.unit
    if user.role == access.COUNTY:
        return user.authority
    return None


def may_manage_policy(user, policy: InsurancePolicy) -> bool:
    """The policy's holder manages it: staff of the holder unit, or the county authority holding it."""
    return ((user.role in access.UNIT_STAFF and policy.unit_id == user.unit_id)
            or (user.role == access.COUNTY and policy.authority_id == user.authority_id))


def get_policy_or_404(policy_id: int, user, for_write: bool = False) -> InsurancePolicy:
    condition = writable_policy_scope(user) if for_write else policy_scope(user)
    policy = db.session.scalar(select(InsurancePolicy).where(InsurancePolicy.id == policy_id, condition))
    if policy is None:
        abort(404)
    return policy


def get_enrolment_or_404(enrolment_id: int, user, for_write: bool = False) -> InsuranceEnrolment:
    condition = writable_policy_scope(user) if for_write else policy_scope(user)
    enrolment = db.session.scalar(select(InsuranceEnrolment).join(InsuranceEnrolment.policy)
                                  .where(InsuranceEnrolment.id == enrolment_id, condition))
    if enrolment is None:
        abort(404)
    return enrolment


def roster_batch_scope(user):
    """Who sees an insurer's roster check: the unit's staff their unit's, the county its own and its units' (the
    county follows the insurance of the units it guides); only the maker confirms or discards
    (docs/rules/insurance.md#i8)."""
    if user.role in access.UNIT_STAFF and user.unit_id:
        return ImportBatch.unit_id == user.unit_id
    if user.role == access.COUNTY and user.authority_id:
        return or_(ImportBatch.authority_id == user.authority_id, ImportBatch.unit_id.in_(visible_unit_ids(user)))
    return false()
