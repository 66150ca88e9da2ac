"""Insurance state changes, each with its audit line: insurers' caps, policies, enrolments, ending cover.

"Insured" means covered on a given day: an active enrolment in an active policy whose
start and end include that day. Enrolling a volunteer whose age on the first day of cover
is at or above the insurer's cap is refused, with the route through the county authority
explained (docs/rules/insurance.md#i2, #i3; the rules are in rules.py). Functions flush, never commit.
"""
from datetime import date

from flask_babel import gettext as _

from portal.platform import audit
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from portal.registry.models import Membership

from . import rules
from .facts import enrolled_from, insurer
from .models import EnrolmentStatus, InsuranceEnrolment, InsurancePolicy, Insurer


class InsuranceError(ValueError):
    """A rule refused the action; str() is the message in the user's language."""


def set_insurer(code: str, name: str, name_en: str, max_age: int | None, user) -> Insurer:
    row = db.session.get(Insurer, code)
    old = insurer(code)
    if row is None:
        row = Insurer(code=code)
        db.session.add(row)
    row.name, row.name_en, row.max_age = name, name_en, max_age
    row.updated_at, row.updated_by_id = utcnow(), getattr(user, "id", None)
    db.session.flush()
    audit.record("insurance.insurer", row, code=code, name=name,
                 max_age=[old.max_age if old else None, max_age])
    return row


def create_policy(values: dict, holder, user) -> InsurancePolicy:
    info = insurer(values["insurer_code"])
    if info is None:
        raise InsuranceError(_("Choose an insurer from the list."))
    policy = InsurancePolicy(insurer_code=info.code, insurer_name=info.name, policy_no=values["policy_no"],
                             starts_on=values["starts_on"], ends_on=values["ends_on"],
                             cover_note=values.get("cover_note") or "", created_by_id=getattr(user, "id", None))
    if holder.__class__.__name__ == "Unit":
        policy.unit_id = holder.id
    else:
        policy.authority_id = holder.id
    db.session.add(policy)
    db.session.flush()
    audit.record("insurance.policy", policy, insurer=info.code, policy_no=policy.policy_no,
                 starts_on=policy.starts_on, ends_on=policy.ends_on, unit_id=policy.unit_id,
                 authority_id=policy.authority_id)
    return policy


def enrol(policy: InsurancePolicy, membership: Membership, starts_on: date, user) -> InsuranceEnrolment:
    """Enrol the member in the policy from `starts_on` to the policy's end; InsuranceError if refused."""
    person = membership.person
    problem = rules.start_problem(policy, starts_on) or rules.age_refusal(
        person, policy, starts_on, membership.unit, insurer(policy.insurer_code))
    if problem:
        raise InsuranceError(problem)
    if enrolled_from(policy.id, person.id, starts_on):
        raise InsuranceError(_("%(name)s is already enrolled in this policy.", name=person.name))
    enrolment = InsuranceEnrolment(policy_id=policy.id, person_id=person.id, unit_id=membership.unit_id,
                                   starts_on=starts_on, ends_on=policy.ends_on,
                                   enrolled_by_id=getattr(user, "id", None), enrolled_at=utcnow())
    db.session.add(enrolment)
    db.session.flush()
    audit.record("insurance.enrol", enrolment, policy_id=policy.id, person_id=person.id,
                 unit_id=membership.unit_id, starts_on=starts_on, ends_on=enrolment.ends_on)
    return enrolment


def end_enrolment(enrolment: InsuranceEnrolment, ends_on: date, reason: str, user):
    """Cover ends on `ends_on` (kept, never deleted); before the start it is void."""
    problem = rules.end_problem(enrolment, ends_on)
    if problem:
        raise InsuranceError(problem)
    before = (enrolment.ends_on, enrolment.status)
    if rules.end_voids(enrolment, ends_on):
        enrolment.status = EnrolmentStatus.VOID
    else:
        enrolment.ends_on = ends_on
    enrolment.ended_at, enrolment.ended_by_id, enrolment.end_reason = utcnow(), getattr(user, "id", None), reason
    db.session.flush()
    audit.record("insurance.end", enrolment, person_id=enrolment.person_id, policy_id=enrolment.policy_id,
                 ends_on=[before[0], enrolment.ends_on], status=[before[1], enrolment.status], reason=reason)
