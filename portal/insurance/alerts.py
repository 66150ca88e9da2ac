"""Insurance notices of the daily run (docs/rules/insurance.md#i7): a volunteer reaching the insurer's age cap
during their cover, and a policy ending, each told 60 days ahead to the policyholder's staff.

`flask notify daily` (portal/main/reminders.py, on the composition floor) runs these with its once-only
guard: `not_sent(kind, id_column)` (an SQL condition) and `claim(kind, id, today, recipients=n)` (False when
another run gave the notice first). The window runs from the notice day to the day itself, so a day the job
did not run is caught up the next day.
"""
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import aliased, selectinload

from portal.notifications import events
from portal.notifications.operations import notify
from portal.notifications.recipients import authority_staff, unit_staff
from portal.platform.extensions import db
from portal.registry.models import Person

from .facts import insurers
from .models import EnrolmentStatus, InsuranceEnrolment, InsurancePolicy, PolicyStatus
from .rules import NOTICE_DAYS, cap_day, notice_due, reaches_cap_in_cover

AGE_CAP, POLICY_ENDING = "insurance.age_cap", "insurance.policy_ending"


def _birth_window(today: date, cap: int) -> tuple[date, date]:
    """Dates of birth that may reach `cap` within the notice window (a day wider on each side for 29 February;
    rules.reaches_cap_in_cover decides exactly)."""
    low, high = today - timedelta(days=1), today + timedelta(days=NOTICE_DAYS + 1)
    return cap_day(low, -cap), cap_day(high, -cap)


def _staff(policy: InsurancePolicy) -> list:
    return unit_staff([policy.unit_id]) if policy.unit_id else authority_staff([policy.authority_id])


def age_cap_notices(today: date, not_sent, claim) -> int:
    """Tell the policyholder's staff of each enrolment whose volunteer reaches the insurer's cap within
    NOTICE_DAYS days, while covered; returns the notices given."""
    given, staff = 0, {}
    for info in insurers():
        if info.max_age is None:
            continue
        first, last = _birth_window(today, info.max_age)
        found = db.session.execute(
            select(InsuranceEnrolment, Person.birth_date).join(Person, Person.id == InsuranceEnrolment.person_id)
            .join(InsurancePolicy, InsurancePolicy.id == InsuranceEnrolment.policy_id)
            .options(selectinload(InsuranceEnrolment.policy), selectinload(InsuranceEnrolment.person),
                     selectinload(InsuranceEnrolment.unit))
            .where(InsurancePolicy.insurer_code == info.code, InsurancePolicy.status == PolicyStatus.ACTIVE,
                   InsuranceEnrolment.status == EnrolmentStatus.ACTIVE, InsuranceEnrolment.ends_on >= today,
                   Person.birth_date >= first, Person.birth_date <= last, not_sent(AGE_CAP, InsuranceEnrolment.id))
            .order_by(InsuranceEnrolment.id)).all()
        for enrolment, birth_date in found:
            day = reaches_cap_in_cover(enrolment, birth_date, info.max_age, today)
            if day is None:
                continue
            policy = enrolment.policy
            users = staff.setdefault(policy.id, _staff(policy))
            if claim(AGE_CAP, enrolment.id, today, recipients=len(users)):
                notify(users, AGE_CAP, link=events.path_for("insurance.person", person_id=enrolment.person_id),
                       person=enrolment.person.name, unit=enrolment.unit.name, cap=info.max_age,
                       insurer=policy.insurer_name, policy=policy.policy_no, date=day)
                given += 1
    return given


def policy_end_notices(today: date, not_sent, claim) -> int:
    """Tell the policyholder's staff that a policy ends within NOTICE_DAYS days, unless the holder has already
    recorded a policy that takes over (starting by the day after its end and ending later); returns the notices."""
    later = aliased(InsurancePolicy)
    policies = db.session.scalars(select(InsurancePolicy).where(
        InsurancePolicy.status == PolicyStatus.ACTIVE, InsurancePolicy.ends_on >= today,
        InsurancePolicy.ends_on <= today + timedelta(days=NOTICE_DAYS), not_sent(POLICY_ENDING, InsurancePolicy.id))
        .order_by(InsurancePolicy.ends_on, InsurancePolicy.id)).all()
    given = 0
    for policy in policies:
        holder = (later.unit_id == policy.unit_id) if policy.unit_id else (later.authority_id == policy.authority_id)
        followers = db.session.scalars(select(later).where(
            holder, later.status == PolicyStatus.ACTIVE, later.id != policy.id, later.ends_on > policy.ends_on,
            later.starts_on <= policy.ends_on + timedelta(days=1))).first()
        if followers is not None or not notice_due(policy.ends_on, today):
            continue
        users = _staff(policy)
        if claim(POLICY_ENDING, policy.id, today, recipients=len(users)):
            notify(users, POLICY_ENDING, link=events.path_for("insurance.show", policy_id=policy.id),
                   policy=policy.policy_no, insurer=policy.insurer_name, date=policy.ends_on)
            given += 1
    return given
