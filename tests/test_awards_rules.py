"""The award eligibility engine, table-driven, without HTTP or database (docs/rules/awards.md)."""
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.awards.models import ApplicationStatus, AwardRound, Scheme
from portal.awards.rules import (
    NEAR_SHARE,
    THRESHOLDS,
    Facts,
    Standing,
    Step,
    evaluate,
    highest_received,
    may_take,
    shown,
    standing,
    standing_of,
    status_after,
    waiting_stage,
)
from portal.platform import access
from tests.rules_context import english  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("english")

CUTOFF = date(2026, 5, 31)


def facts(scheme=Scheme.GENERAL, hours=3000, book=True, certificate=7, received=(), applied=False):
    return Facts(person_id=1, scheme=scheme, cutoff_on=CUTOFF, half_hours=int(hours * 2), record_book=book,
                 performance_certificate_id=certificate, received_tiers=set(received), open_application=applied)


@pytest.mark.parametrize("scheme,hours,received,tier,next_tier", [
    (Scheme.GENERAL, 2999.5, (), None, "bronze"),
    (Scheme.GENERAL, 3000, (), "bronze", "silver"),
    (Scheme.GENERAL, 4999.5, (), "bronze", "silver"),
    (Scheme.GENERAL, 5000, (), "silver", "gold"),           # straight to the highest tier reached
    (Scheme.GENERAL, 8000, (), "gold", None),
    (Scheme.GENERAL, 8000, ("bronze",), "gold", None),
    (Scheme.GENERAL, 4000, ("bronze",), None, "silver"),    # bronze once only; silver not reached yet
    (Scheme.GENERAL, 9000, ("gold",), None, None),          # nothing left above gold
    (Scheme.GENERAL, 6000, ("silver",), None, "gold"),      # no going back down to bronze
    (Scheme.HEALTH_WELFARE, 1499.5, (), None, "bronze"),
    (Scheme.HEALTH_WELFARE, 1500, (), "bronze", "silver"),
    (Scheme.HEALTH_WELFARE, 2000, (), "silver", "gold"),
    (Scheme.HEALTH_WELFARE, 2500, ("bronze", "silver"), "gold", None),
    (Scheme.HEALTH_WELFARE, 2400, ("silver",), None, "gold"),
])
def test_tier_to_apply_for(scheme, hours, received, tier, next_tier):
    result = evaluate(facts(scheme, hours, received=received))
    assert (result.tier, result.next_tier) == (tier, next_tier)
    assert result.eligible is (tier is not None)


def test_missing_hours_are_said_in_words():
    result = evaluate(facts(Scheme.GENERAL, 2957.5))
    assert result.missing_half_hours == 85
    assert any("42.5" in m for m in result.missing)


def test_general_award_needs_a_performance_certificate_and_a_record_book():
    assert not evaluate(facts(Scheme.GENERAL, 3000, certificate=None)).eligible
    assert any("績效證明書" in m for m in evaluate(facts(Scheme.GENERAL, 3000, certificate=None)).missing)
    assert not evaluate(facts(Scheme.GENERAL, 3000, book=False)).eligible


def test_health_and_welfare_award_needs_the_record_book_only():
    assert evaluate(facts(Scheme.HEALTH_WELFARE, 1500, certificate=None)).eligible
    assert not evaluate(facts(Scheme.HEALTH_WELFARE, 1500, book=False)).eligible


def test_one_application_per_round():
    result = evaluate(facts(Scheme.GENERAL, 3000, applied=True))
    assert result.tier == "bronze" and not result.eligible


def test_the_thresholds_in_half_hours():
    assert THRESHOLDS == {Scheme.GENERAL: {"bronze": 6000, "silver": 10000, "gold": 16000},
                          Scheme.HEALTH_WELFARE: {"bronze": 3000, "silver": 4000, "gold": 5000}}


@pytest.mark.parametrize("received,index", [((), -1), (("bronze",), 0), (("gold", "bronze"), 2), (("silver",), 1),
                                            (("other",), -1), (("other", "silver"), 1)])
def test_the_highest_tier_received(received, index):
    assert highest_received(set(received)) == index


def test_what_is_met_and_what_is_missing_in_words():
    result = evaluate(facts(Scheme.GENERAL, 3000.5))
    assert [(c.code, c.met) for c in result.checks] == [("hours", True), ("record_book", True), ("certificate", True)]
    assert result.met == ["3,000.5 h counted up to 2026-05-31: enough for the bronze medal (銅牌).",
                          "Holds a service record book.", "Holds a valid performance certificate."]
    assert result.missing == []
    assert result.tier_label == "bronze medal (銅牌)"
    assert result.missing_half_hours == 10000 - 6001        # to the next tier, silver


def test_what_is_missing_in_words():
    result = evaluate(facts(Scheme.GENERAL, 2957.5, book=False, certificate=None, applied=True))
    assert [(c.code, c.met) for c in result.checks] == [("hours", False), ("record_book", False),
                                                        ("certificate", False), ("open", False)]
    assert result.missing == [
        "2,957.5 of 3,000 h counted up to 2026-05-31: still needs 42.5 hours for the bronze medal (銅牌).",
        "No service record book yet: the unit requests one from the county first.",
        "No valid performance certificate (績效證明書): request one first (at least 1 year and 150 hours).",
        "Already applied in this round."]
    assert result.met == []
    assert result.tier_label == ""


def test_every_tier_received():
    result = evaluate(facts(Scheme.HEALTH_WELFARE, 9000, received=("bronze", "silver", "gold")))
    assert (result.tier, result.next_tier, result.missing_half_hours, result.eligible) == (None, None, 0, False)
    assert [(c.code, c.met, c.message) for c in result.checks] == [
        ("tiers", False, "Every tier of this award has already been received."),
        ("record_book", True, "Holds a service record book.")]


def test_the_health_and_welfare_award_asks_no_certificate():
    result = evaluate(facts(Scheme.HEALTH_WELFARE, 2000, certificate=None))
    assert [c.code for c in result.checks] == ["hours", "record_book"]
    assert result.tier_label == "silver badge (銀質徽章)"


# -- where a volunteer stands in the unit's list ------------------------------------------------

@pytest.mark.parametrize("scheme,hours,kwargs,expected", [
    (Scheme.GENERAL, 3000, {}, Standing.ELIGIBLE),
    (Scheme.GENERAL, 3000, {"applied": True}, Standing.APPLIED),
    (Scheme.GENERAL, 100, {"applied": True}, Standing.APPLIED),
    (Scheme.GENERAL, 3000, {"book": False}, Standing.PAPERS),          # the hours are there, a paper is not
    (Scheme.GENERAL, 3000, {"certificate": None}, Standing.PAPERS),
    (Scheme.GENERAL, 2700, {}, Standing.NEAR),                          # exactly a tenth of 3,000 h missing
    (Scheme.GENERAL, 2699.5, {}, Standing.LATER),                       # a little more than a tenth
    (Scheme.GENERAL, 2700, {"book": False}, Standing.NEAR),
    (Scheme.HEALTH_WELFARE, 1350, {}, Standing.NEAR),                   # a tenth of 1,500 h
    (Scheme.HEALTH_WELFARE, 1349.5, {}, Standing.LATER),
    (Scheme.GENERAL, 4500, {"received": ("bronze",)}, Standing.NEAR),  # a tenth of silver's 5,000 h
    (Scheme.GENERAL, 4499.5, {"received": ("bronze",)}, Standing.LATER),
    (Scheme.GENERAL, 9000, {"received": ("gold",)}, Standing.LATER),   # nothing left to reach
    (Scheme.GENERAL, 0, {}, Standing.LATER),
])
def test_standing_and_the_near_share(scheme, hours, kwargs, expected):
    assert NEAR_SHARE == 10
    assert standing(evaluate(facts(scheme, hours, **kwargs))) == expected


@pytest.mark.parametrize("show,standings", [
    ("eligible", {Standing.ELIGIBLE}),
    ("near", {Standing.ELIGIBLE, Standing.PAPERS, Standing.NEAR, Standing.APPLIED}),
    ("all", set(Standing)),
    ("unknown", {Standing.ELIGIBLE, Standing.PAPERS, Standing.NEAR, Standing.APPLIED}),
    ("", {Standing.ELIGIBLE, Standing.PAPERS, Standing.NEAR, Standing.APPLIED}),
])
def test_what_each_show_choice_lists(show, standings):
    assert shown(show) == standings


# -- the stages of an application ------------------------------------------------------------

@pytest.mark.parametrize("step,allowed,after", [
    (Step.WITHDRAW, {"submitted"}, "withdrawn"),
    (Step.FORWARD, {"submitted"}, "forwarded"),
    (Step.APPROVE, {"forwarded"}, "approved"),
    (Step.RETURN, {"submitted", "forwarded"}, "returned"),
])
def test_each_step_starts_from_its_statuses(step, allowed, after):
    assert {s for s in ApplicationStatus if may_take(step, s)} == allowed
    assert status_after(step) == after


@pytest.mark.parametrize("role,stage", [
    (access.SECTOR_LOCAL, "submitted"), (access.SECTOR_CENTRAL, "submitted"), (access.MINISTRY, "forwarded"),
    (access.COUNTY, None), (access.UNIT_CLERK, None), (access.ADMIN, None),
])
def test_whose_decision_an_application_waits_for(role, stage):
    assert waiting_stage(role) == stage


# -- A4: the deadline day itself is still open ---------------------------------------------------

def award_round(status="open"):
    return AwardRound(scheme=Scheme.GENERAL, year=2026, cutoff_on=CUTOFF, unit_deadline=date(2026, 6, 30),
                      review_deadline=date(2026, 7, 31), ministry_deadline=date(2026, 9, 30), status=status)


def test_units_apply_up_to_and_including_their_deadline():
    assert award_round().accepts_unit_applications(date(2026, 6, 30)) is True
    assert award_round().accepts_unit_applications(date(2026, 7, 1)) is False
    assert award_round("closed").accepts_unit_applications(date(2026, 6, 1)) is False


def test_paper_applications_up_to_and_including_the_review_deadline():
    assert award_round().accepts_paper_applications(date(2026, 7, 31)) is True
    assert award_round().accepts_paper_applications(date(2026, 8, 1)) is False
    assert award_round("closed").accepts_paper_applications(date(2026, 6, 1)) is False


@settings(max_examples=400, deadline=None)
@given(half=st.sampled_from([0, 2999, 3000, 3999, 4000, 4999, 5000, 5399, 5400, 5999, 6000, 8999, 9000, 9999, 10000,
                             14399, 14400, 15999, 16000, 20000]) | st.integers(0, 17000),
       scheme=st.sampled_from([Scheme.GENERAL, Scheme.HEALTH_WELFARE]),
       received=st.sets(st.sampled_from(["bronze", "silver", "gold", "other"])), book=st.booleans(),
       certificate=st.sampled_from([None, 7]), applied=st.booleans())
def test_the_standing_without_words_is_the_engines(half, scheme, received, book, certificate, applied):
    """standing_of ranks a unit's list without building the engine's messages: the same standing for any facts,
    on both sides of every tier and of the tenth that makes a volunteer close."""
    f = Facts(person_id=1, scheme=scheme, cutoff_on=CUTOFF, half_hours=half, record_book=book,
              performance_certificate_id=certificate, received_tiers=received, open_application=applied)
    assert standing_of(f) == standing(evaluate(f))
