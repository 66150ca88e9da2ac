"""The insurance rules on plain values, both sides of every edge (docs/rules/insurance.md I2–I4).

Enrolments, policies, people and units are stand-ins with the attributes the rules read; the
policy pages and the enrolment workflow are tested in test_insurance.py.
"""
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from portal.insurance.models import EnrolmentStatus, PolicyStatus
from portal.insurance.rules import (
    DEFAULT_INSURERS,
    CoverState,
    InsurerInfo,
    age_refusal,
    cover_state,
    default_start,
    end_problem,
    end_voids,
    in_force,
    open_cover,
    over_age_cap,
    start_problem,
)
from tests.rules_context import english  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("english")

START, END = date(2026, 1, 1), date(2026, 12, 31)


def policy(status=PolicyStatus.ACTIVE, unit_id=7, starts_on=START, ends_on=END, insurer_name="Shin Kong Life"):
    return SimpleNamespace(status=status, unit_id=unit_id, starts_on=starts_on, ends_on=ends_on,
                           insurer_name=insurer_name)


def enrolment(status=EnrolmentStatus.ACTIVE, starts_on=date(2026, 3, 1), ends_on=date(2026, 6, 30), **policy_kw):
    return SimpleNamespace(status=status, starts_on=starts_on, ends_on=ends_on, policy=policy(**policy_kw))


# -- I4: cover in force on a day --------------------------------------------------------------

@pytest.mark.parametrize("day,covered", [
    (date(2026, 2, 28), False), (date(2026, 3, 1), True), (date(2026, 6, 30), True), (date(2026, 7, 1), False),
])
def test_the_first_and_last_day_of_cover_are_covered(day, covered):
    assert in_force(enrolment(), day) is covered


def test_void_enrolments_and_inactive_policies_cover_nothing():
    day = date(2026, 4, 1)
    assert in_force(enrolment(status=EnrolmentStatus.VOID), day) is False
    assert in_force(enrolment(status="cancelled"), day) is False
    assert in_force(enrolment(), day) is True


@pytest.mark.parametrize("day,state", [
    (date(2026, 2, 28), CoverState.LATER), (date(2026, 3, 1), CoverState.COVERED),
    (date(2026, 6, 30), CoverState.COVERED), (date(2026, 7, 1), CoverState.ENDED),
])
def test_the_cover_state_on_a_day(day, state):
    assert cover_state(enrolment(), day) == state


def test_a_void_enrolment_is_void_on_every_day():
    assert cover_state(enrolment(status=EnrolmentStatus.VOID), date(2026, 4, 1)) == CoverState.VOID
    assert cover_state(enrolment(status=EnrolmentStatus.VOID), date(2026, 8, 1)) == CoverState.VOID


@pytest.mark.parametrize("day,is_open", [(date(2026, 6, 29), True), (date(2026, 6, 30), True),
                                         (date(2026, 7, 1), False)])
def test_cover_is_open_until_its_last_day(day, is_open):
    assert open_cover(enrolment(), day) is is_open
    assert open_cover(enrolment(status=EnrolmentStatus.VOID), day) is False


@pytest.mark.parametrize("today,start", [
    (date(2025, 12, 31), START),           # before the policy: its first day
    (START, START),
    (date(2026, 5, 5), date(2026, 5, 5)),  # within: today
    (END, END),
    (date(2027, 1, 1), END),               # after: its last day
])
def test_cover_is_offered_from_today_within_the_policy(today, start):
    assert default_start(policy(), today) == start


@pytest.mark.parametrize("starts_on,ok", [(START - timedelta(1), False), (START, True), (END, True),
                                          (END + timedelta(1), False)])
def test_cover_starts_within_the_policy_period(starts_on, ok):
    problem = start_problem(policy(), starts_on)
    if ok:
        assert problem is None
    else:
        assert problem == "The cover must start within the policy period (2026-01-01 – 2026-12-31)."


@pytest.mark.parametrize("ends_on,ok", [(date(2026, 6, 29), True), (date(2026, 6, 30), False),
                                        (date(2026, 7, 1), False)])
def test_ending_cover_moves_its_end_earlier_only(ends_on, ok):
    problem = end_problem(enrolment(), ends_on)
    if ok:
        assert problem is None
    else:
        assert problem == "The new end date must be before the current end of cover (2026-06-30)."


@pytest.mark.parametrize("ends_on,void", [(date(2026, 2, 28), True), (date(2026, 3, 1), False)])
def test_cover_ended_before_its_start_is_void(ends_on, void):
    assert end_voids(enrolment(), ends_on) is void


# -- I2, I3: insurers' age caps -----------------------------------------------------------------

def test_the_default_caps():
    assert {code: cap for code, (_, _, cap) in DEFAULT_INSURERS.items()} == {"shinkong": 75, "first": 80}


@pytest.mark.parametrize("age,cap,refused", [(74, 75, False), (75, 75, True), (76, 75, True), (79, 80, False),
                                             (80, 80, True), (120, None, False)])
def test_cap_75_takes_74_and_refuses_75(age, cap, refused):
    assert over_age_cap(age, cap) is refused


def person(age=None, birth_date=date(1950, 1, 1), name="王小明"):
    return SimpleNamespace(name=name, birth_date=birth_date, age_on=lambda day: age)


SHINKONG = InsurerInfo("shinkong", "新光人壽", "Shin Kong Life", 75)
UNIT = SimpleNamespace(county_code="TPE")
DAY = date(2026, 3, 1)


def test_no_cap_or_no_insurer_refuses_nobody():
    assert age_refusal(person(99), policy(), DAY, UNIT, None) is None
    assert age_refusal(person(99), policy(), DAY, UNIT, InsurerInfo("x", "X", "X", None)) is None
    assert age_refusal(person(birth_date=None), policy(), DAY, UNIT, None) is None


def test_below_the_cap_is_accepted_and_the_age_is_counted_on_the_first_day_of_cover():
    days = []
    someone = SimpleNamespace(name="王小明", birth_date=date(1951, 3, 2), age_on=lambda day: days.append(day) or 74)
    assert age_refusal(someone, policy(), DAY, UNIT, SHINKONG) is None
    assert days == [DAY]


def test_without_a_date_of_birth_the_cap_cannot_be_checked():
    assert age_refusal(person(birth_date=None), policy(), DAY, UNIT, SHINKONG) == (
        "王小明 has no date of birth on record; the insurer's age cap (75) cannot be checked. "
        "Record the date of birth first.")


def test_a_units_volunteer_at_the_cap_is_sent_to_the_county():
    assert age_refusal(person(75), policy(unit_id=7), DAY, UNIT, SHINKONG) == (
        "王小明 is 75 on 2026-03-01. Shin Kong Life insures volunteers only below the age of 75. Volunteers at or "
        "above that age are insured through the county authority: ask Taipei City (social affairs bureau) to enrol "
        "them in a county policy whose insurer covers their age.")


def test_without_a_known_county_the_message_says_your_county():
    for unit in (None, SimpleNamespace(county_code="???")):
        assert "ask your county or city government (social affairs bureau)" in age_refusal(
            person(80), policy(unit_id=7), DAY, unit, SHINKONG)


def test_a_county_policy_asks_for_an_insurer_with_a_higher_cap():
    assert age_refusal(person(76), policy(unit_id=None), DAY, UNIT, SHINKONG) == (
        "王小明 is 76 on 2026-03-01. Shin Kong Life insures volunteers only below the age of 75. Use a county "
        "policy with an insurer whose age cap is higher; the caps are set by the ministry.")
