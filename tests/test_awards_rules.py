"""The award eligibility engine, table-driven, without HTTP or database (docs/rules/awards.md)."""
from datetime import date

import pytest

from portal.awards.models import Scheme
from portal.awards.rules import Facts, evaluate

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
def test_tier_to_apply_for(app, scheme, hours, received, tier, next_tier):
    result = evaluate(facts(scheme, hours, received=received))
    assert (result.tier, result.next_tier) == (tier, next_tier)
    assert result.eligible is (tier is not None)


def test_missing_hours_are_said_in_words(app):
    result = evaluate(facts(Scheme.GENERAL, 2957.5))
    assert result.missing_half_hours == 85
    assert any("42.5" in m for m in result.missing)


def test_general_award_needs_a_performance_certificate_and_a_record_book(app):
    assert not evaluate(facts(Scheme.GENERAL, 3000, certificate=None)).eligible
    assert any("績效證明書" in m for m in evaluate(facts(Scheme.GENERAL, 3000, certificate=None)).missing)
    assert not evaluate(facts(Scheme.GENERAL, 3000, book=False)).eligible


def test_health_and_welfare_award_needs_the_record_book_only(app):
    assert evaluate(facts(Scheme.HEALTH_WELFARE, 1500, certificate=None)).eligible
    assert not evaluate(facts(Scheme.HEALTH_WELFARE, 1500, book=False)).eligible


def test_one_application_per_round(app):
    result = evaluate(facts(Scheme.GENERAL, 3000, applied=True))
    assert result.tier == "bronze" and not result.eligible
