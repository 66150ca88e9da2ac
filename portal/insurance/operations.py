"""Insurance rules: insurers' age caps, who is covered on a day, policies and enrolments.

"Insured" means covered on a given day: an active enrolment in an active policy whose
start and end include that day. Enrolling a volunteer whose age on the first day of cover
is at or above the insurer's cap is refused, with the route through the county authority
explained (docs/rules/insurance.md#i2, #i3). Functions flush, never commit.
"""
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, exists, select

from portal.platform import access, audit
from portal.platform.extensions import db
from portal.platform.i18n import format_date, localized
from portal.platform.timeutil import utcnow
from portal.registry.catalog import COUNTY_BY_CODE
from portal.registry.models import Membership, Person
from .models import ACTIVE, InsuranceEnrolment, InsurancePolicy, Insurer

# docs/rules/insurance.md#i2: insurer age caps are settings; defaults 新光 75, 第一 80.
DEFAULT_INSURERS = {
    "shinkong": ("新光人壽", "Shin Kong Life", 75),
    "first": ("第一產物保險", "First Insurance", 80),
}


class InsuranceError(ValueError):
    """A rule refused the action; str() is the message in the user's language."""


@dataclass(frozen=True)
class InsurerInfo:
    code: str
    name: str
    name_en: str
    max_age: int | None


def insurers() -> list[InsurerInfo]:
    """The defaults, overridden and extended by the ministry's settings (no write on read)."""
    found = {code: InsurerInfo(code, *values) for code, values in DEFAULT_INSURERS.items()}
    for row in db.session.scalars(select(Insurer)):
        found[row.code] = InsurerInfo(row.code, row.name, row.name_en, row.max_age)
    return sorted(found.values(), key=lambda i: (i.code not in DEFAULT_INSURERS, i.code))


def insurer(code: str) -> InsurerInfo | None:
    return next((i for i in insurers() if i.code == code), None)


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


# --- who is covered ------------------------------------------------------------------------

def covered(person_id_column, day: date, unit_id_column=None):
    """SQL condition: the person is covered on `day` (for the unit's service, when unit_id_column is given)."""
    conditions = [InsuranceEnrolment.person_id == person_id_column, InsuranceEnrolment.status == ACTIVE,
                  InsuranceEnrolment.starts_on <= day, InsuranceEnrolment.ends_on >= day,
                  InsurancePolicy.id == InsuranceEnrolment.policy_id, InsurancePolicy.status == ACTIVE]
    if unit_id_column is not None:
        conditions.append(InsuranceEnrolment.unit_id == unit_id_column)
    return exists().where(and_(*conditions))


def cover_of(person_id: int, day: date | None = None) -> list[InsuranceEnrolment]:
    """The person's enrolments (newest first); with `day`, only those covering it."""
    query = (select(InsuranceEnrolment).join(InsuranceEnrolment.policy)
             .where(InsuranceEnrolment.person_id == person_id, InsuranceEnrolment.status == ACTIVE,
                    InsurancePolicy.status == ACTIVE)
             .order_by(InsuranceEnrolment.ends_on.desc(), InsuranceEnrolment.id.desc()))
    if day is not None:
        query = query.where(InsuranceEnrolment.starts_on <= day, InsuranceEnrolment.ends_on >= day)
    return list(db.session.scalars(query))


def is_insured(person_id: int, day: date) -> bool:
    return bool(cover_of(person_id, day))


# --- policies and enrolments ---------------------------------------------------------------

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


def age_refusal(person: Person, policy: InsurancePolicy, starts_on: date, unit,
                info: InsurerInfo | None = None) -> str | None:
    """Why the insurer's age cap refuses this person, in plain words, or None (`info`: the policy's insurer)."""
    info = info or insurer(policy.insurer_code)
    cap = info.max_age if info else None
    if cap is None:
        return None
    if person.birth_date is None:
        return _("%(name)s has no date of birth on record; the insurer's age cap (%(cap)d) cannot be checked. "
                 "Record the date of birth first.", name=person.name, cap=cap)
    age = person.age_on(starts_on)
    if age < cap:
        return None
    county = COUNTY_BY_CODE.get(unit.county_code) if unit is not None else None
    if policy.unit_id is not None:
        return _("%(name)s is %(age)d on %(date)s. %(insurer)s insures volunteers only below the age of %(cap)d. "
                 "Volunteers at or above that age are insured through the county authority: ask %(county)s "
                 "(social affairs bureau) to enrol them in a county policy whose insurer covers their age.",
                 name=person.name, age=age, date=format_date(starts_on), insurer=policy.insurer_name, cap=cap,
                 county=localized(county) if county else _("your county or city government"))
    return _("%(name)s is %(age)d on %(date)s. %(insurer)s insures volunteers only below the age of %(cap)d. "
             "Use a county policy with an insurer whose age cap is higher; the caps are set by the ministry.",
             name=person.name, age=age, date=format_date(starts_on), insurer=policy.insurer_name, cap=cap)


def enrol(policy: InsurancePolicy, membership: Membership, starts_on: date, user) -> InsuranceEnrolment:
    """Enrol the member in the policy from `starts_on` to the policy's end; InsuranceError if refused."""
    person = membership.person
    if not (policy.starts_on <= starts_on <= policy.ends_on):
        raise InsuranceError(_("The cover must start within the policy period (%(start)s – %(end)s).",
                               start=format_date(policy.starts_on), end=format_date(policy.ends_on)))
    refusal = age_refusal(person, policy, starts_on, membership.unit)
    if refusal:
        raise InsuranceError(refusal)
    overlapping = db.session.scalar(select(InsuranceEnrolment.id).where(
        InsuranceEnrolment.policy_id == policy.id, InsuranceEnrolment.person_id == person.id,
        InsuranceEnrolment.status == ACTIVE, InsuranceEnrolment.ends_on >= starts_on))
    if overlapping:
        raise InsuranceError(_("%(name)s is already enrolled in this policy.", name=person.name))
    enrolment = InsuranceEnrolment(policy_id=policy.id, person_id=person.id, unit_id=membership.unit_id,
                                   starts_on=starts_on, ends_on=policy.ends_on, enrolled_by_id=getattr(user, "id", None),
                                   enrolled_at=utcnow())
    db.session.add(enrolment)
    db.session.flush()
    audit.record("insurance.enrol", enrolment, policy_id=policy.id, person_id=person.id,
                 unit_id=membership.unit_id, starts_on=starts_on, ends_on=enrolment.ends_on)
    return enrolment


def end_enrolment(enrolment: InsuranceEnrolment, ends_on: date, reason: str, user):
    """Cover ends on `ends_on` (kept, never deleted); before the start it is void."""
    if ends_on >= enrolment.ends_on:
        raise InsuranceError(_("The new end date must be before the current end of cover (%(end)s).",
                               end=format_date(enrolment.ends_on)))
    before = (enrolment.ends_on, enrolment.status)
    if ends_on < enrolment.starts_on:
        enrolment.status = "void"
    else:
        enrolment.ends_on = ends_on
    enrolment.ended_at, enrolment.ended_by_id, enrolment.end_reason = utcnow(), getattr(user, "id", None), reason
    db.session.flush()
    audit.record("insurance.end", enrolment, person_id=enrolment.person_id, policy_id=enrolment.policy_id,
                 ends_on=[before[0], enrolment.ends_on], status=[before[1], enrolment.status], reason=reason)


def candidate_memberships(policy: InsurancePolicy, user) -> list[Membership]:
    """Current members who may be enrolled: the holder unit's, or for a county policy the county's."""
    from portal.registry.models import Unit
    query = (select(Membership).join(Membership.person).join(Membership.unit)
             .where(Membership.status != "left"))
    if policy.unit_id is not None:
        query = query.where(Membership.unit_id == policy.unit_id)
    else:
        query = query.where(Unit.county_code == policy.authority.county_code)
    if user.role != access.MINISTRY:
        from portal.registry.scopes import visible_unit_ids
        query = query.where(Membership.unit_id.in_(visible_unit_ids(user)))
    return list(db.session.scalars(query.order_by(Unit.code, Person.name, Membership.id)))
