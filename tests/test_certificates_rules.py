"""The certificate rules on plain values, both sides of every edge (docs/rules/certificates.md P1–P3, V4).

People, units and memberships are stand-ins with the attributes the rules read; the request and
batch workflows are tested in test_certificates.py and test_certificates_batch.py.
"""
from datetime import date
from types import SimpleNamespace

import pytest

from portal.certificates.models import ENGLISH_CERTIFICATE, ENGLISH_TRANSCRIPT, PERFORMANCE, RequestStatus
from portal.certificates.rules import (
    DUE_DAYS,
    MIN_HALF_HOURS,
    Candidate,
    HourRow,
    Period,
    ServiceSummary,
    YearRow,
    english_data_problems,
    glyph_problems_for,
    issuable_from,
    one_year_after,
    performance_eligibility,
    request_problems,
    request_refusal,
    summarise,
)
from portal.platform.timeutil import today_taipei
from tests.rules_context import english  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("english")

BAD = "\ue000"            # a character the certificate font has no glyph for


def membership(person_id, unit_id, field_code, joined_on, left_on=None):
    return SimpleNamespace(person_id=person_id, unit_id=unit_id, field_code=field_code, joined_on=joined_on,
                           left_on=left_on)


# -- the service summary -------------------------------------------------------------------------

def test_hours_go_to_the_period_of_the_same_unit_and_field_else_of_the_unit_else_their_own():
    memberships = [membership(1, 10, "social", date(2020, 5, 1), date(2022, 1, 1)),
                   membership(1, 10, "health", date(2021, 1, 1)),
                   membership(1, 20, "social", date(2023, 1, 1))]
    rows = [HourRow(1, 10, "health", date(2021, 2, 1), date(2021, 2, 1), 4),
            HourRow(2, 10, "social", date(2021, 1, 1), date(2021, 1, 1), 99),      # someone not asked for
            HourRow(1, 10, "social", date(2020, 6, 1), date(2020, 6, 30), 10),
            HourRow(1, 20, "education", date(2023, 3, 1), date(2023, 3, 1), 6),     # the unit's only period
            HourRow(1, 30, "social", date(2019, 12, 31), date(2020, 1, 2), 8),      # no membership: its own
            HourRow(1, 30, "health", date(2024, 1, 1), date(2024, 1, 1), 2),        # the unit's new period
            HourRow(1, 10, "social", date(2021, 12, 30), date(2022, 1, 1), 20)]
    s = summarise([1], memberships, rows)[1]
    assert s.person_id == 1
    assert s.total_half_hours == 50
    assert s.first_service_date == date(2019, 12, 31)         # an hour entry before the first membership
    assert s.last_service_date == date(2024, 1, 1)
    assert s.periods == [Period(10, "social", date(2020, 5, 1), date(2022, 1, 1), 30),
                         Period(10, "health", date(2021, 1, 1), None, 4),
                         Period(20, "social", date(2023, 1, 1), None, 6),
                         Period(30, "social", date(2019, 12, 31), date(2020, 1, 2), 10)]
    assert s.rows == [YearRow(2019, 30, "social", 8), YearRow(2020, 10, "social", 10),
                      YearRow(2021, 10, "health", 4), YearRow(2021, 10, "social", 20),
                      YearRow(2023, 20, "education", 6), YearRow(2024, 30, "health", 2)]
    assert s.unit_ids() == [10, 20, 30]


def test_the_first_service_date_is_the_earliest_of_memberships_and_hours():
    memberships = [membership(1, 10, "social", date(2021, 3, 1)), membership(1, 20, "social", date(2020, 3, 1))]
    s = summarise([1, 2], memberships, [HourRow(1, 10, "social", date(2020, 4, 1), date(2020, 4, 1), 2)])
    assert s[1].first_service_date == date(2020, 3, 1)
    assert s[1].last_service_date == date(2020, 4, 1)
    assert s[2] == ServiceSummary(2)                            # nobody's service: nothing recorded


def test_hours_per_year_are_summed_by_start_date():
    rows = [HourRow(1, 10, "social", date(2024, 12, 31), date(2025, 1, 2), 6),
            HourRow(1, 10, "social", date(2024, 5, 1), date(2024, 5, 1), 4)]
    s = summarise([1], [membership(1, 10, "social", date(2024, 1, 1))], rows)[1]
    assert s.rows == [YearRow(2024, 10, "social", 10)]
    assert s.last_service_date == date(2025, 1, 2)


def test_unit_ids_in_order_of_periods_then_hours():
    s = ServiceSummary(1, rows=[YearRow(2024, 5, "social", 2), YearRow(2024, 3, "social", 2)],
                       periods=[Period(3, "social", date(2024, 1, 1), None)])
    assert s.unit_ids() == [3, 5]


# -- P1: one year and 150 hours ----------------------------------------------------------------------

def test_one_year_after():
    assert one_year_after(date(2025, 3, 1)) == date(2026, 3, 1)
    assert one_year_after(date(2024, 2, 29)) == date(2025, 2, 28)
    assert one_year_after(date(2024, 2, 28)) == date(2025, 2, 28)
    assert one_year_after(date(2023, 12, 31)) == date(2024, 12, 31)


def summary(first=date(2025, 3, 10), half_hours=MIN_HALF_HOURS):
    return ServiceSummary(1, first_service_date=first, total_half_hours=half_hours)


def test_exactly_one_year_and_exactly_150_hours_is_enough():
    assert MIN_HALF_HOURS == 300
    result = performance_eligibility(summary(), on=date(2026, 3, 10))
    assert (result.eligible, result.on, result.first_service_date, result.one_year_on, result.half_hours,
            result.reasons) == (True, date(2026, 3, 10), date(2025, 3, 10), date(2026, 3, 10), 300, [])


def test_a_day_short_of_the_year():
    result = performance_eligibility(summary(), on=date(2026, 3, 9))
    assert not result.eligible
    assert result.reasons == ["One year of service is reached on 2026-03-10 (service since 2025-03-10)."]


def test_half_an_hour_short_of_150_hours():
    result = performance_eligibility(summary(half_hours=299), on=date(2026, 3, 10))
    assert not result.eligible
    assert result.reasons == ["149.5 of the required 150 hours are recorded; 0.5 more are needed."]


def test_whole_hours_are_printed_without_a_decimal():
    result = performance_eligibility(summary(date(2026, 1, 1), half_hours=2), on=date(2026, 3, 10))
    assert result.reasons[-1] == "1 of the required 150 hours are recorded; 149 more are needed."


def test_no_service_at_all():
    result = performance_eligibility(ServiceSummary(1), on=date(2026, 3, 10))
    assert (result.eligible, result.one_year_on, result.half_hours) == (False, None, 0)
    assert result.reasons == ["No service is recorded yet.",
                              "0 of the required 150 hours are recorded; 150 more are needed."]


def test_eligibility_is_counted_today_unless_told_otherwise():
    assert performance_eligibility(summary()).on == today_taipei()


# -- the candidates page -------------------------------------------------------------------------------

def candidate(eligible=True, open_request=None, document_half_hours=None, half_hours=600):
    document = SimpleNamespace(total_half_hours=document_half_hours) if document_half_hours is not None else None
    eligibility = performance_eligibility(summary(date(2020, 1, 1), half_hours if eligible else 10), date(2026, 1, 1))
    return Candidate(SimpleNamespace(), summary(date(2020, 1, 1), half_hours), eligibility, open_request, document)


def test_a_certificate_is_up_to_date_when_it_states_the_current_hours():
    assert candidate(document_half_hours=600).up_to_date is True
    assert candidate(document_half_hours=598).up_to_date is False
    assert candidate().up_to_date is False


def test_ready_for_the_batch():
    assert candidate().ready is True
    assert candidate(document_half_hours=598).ready is True          # the certificate states older hours
    assert candidate(eligible=False).ready is False
    assert candidate(open_request=object()).ready is False
    assert candidate(document_half_hours=600).ready is False


# -- P2, P3: requests -------------------------------------------------------------------------------------

def test_due_within_7_days():
    assert DUE_DAYS == 7


@pytest.mark.parametrize("kind,origin,served,already_open,refusal", [
    (PERFORMANCE, "volunteer", True, False, None),
    (PERFORMANCE, "unit", True, False, None),
    (ENGLISH_CERTIFICATE, "volunteer", True, False, None),
    (ENGLISH_TRANSCRIPT, "volunteer", True, False, None),
    ("record_book", "volunteer", True, False, "This kind of document cannot be requested here."),
    (ENGLISH_CERTIFICATE, "unit", True, False, "English documents are requested by the volunteer."),
    (ENGLISH_TRANSCRIPT, "unit", True, False, "English documents are requested by the volunteer."),
    (PERFORMANCE, "volunteer", False, False, "The volunteer has no service record in this unit."),
    (PERFORMANCE, "volunteer", True, True, "A request for this document is already open at this unit."),
    (ENGLISH_CERTIFICATE, "volunteer", False, True, "The volunteer has no service record in this unit."),
])
def test_request_refusals(kind, origin, served, already_open, refusal):
    assert request_refusal(kind, origin, served, already_open) == refusal


def test_a_performance_certificate_is_issued_once_prepared_an_english_document_from_the_request():
    assert issuable_from(PERFORMANCE) == RequestStatus.PREPARED
    assert issuable_from(ENGLISH_CERTIFICATE) == RequestStatus.REQUESTED
    assert issuable_from(ENGLISH_TRANSCRIPT) == RequestStatus.REQUESTED


def person(name="王小明", name_latin="WANG, HSIAO-MING"):
    return SimpleNamespace(name=name, name_latin=name_latin)


def unit(code, name_en="Unit", name=None):
    return SimpleNamespace(code=code, name=name or f"單位{code}", name_en=name_en)


def test_english_documents_need_the_latin_name_and_english_unit_names_in_unit_code_order():
    assert english_data_problems(person(), [unit("B"), unit("A")]) == []
    assert english_data_problems(person(name_latin=None), [unit("B", None), unit("A", "  ")]) == [
        "The name in Latin script (as in the passport) is missing.",
        "The unit 單位A has no English name yet. The unit has to add it before English documents can be made.",
        "The unit 單位B has no English name yet. The unit has to add it before English documents can be made.",
    ]
    assert english_data_problems(person(name_latin="  "), []) == [
        "The name in Latin script (as in the passport) is missing."]


def glyph_message(label, text):
    return (f"{label} “{text}” contains \ue000 (U+E000), which the certificate font cannot print. Please check the "
            "spelling or ask the system administrator to add a font for it.")


def test_every_printed_name_is_checked_against_the_font():
    assert glyph_problems_for(person(), [unit("A")], english=True) == []
    assert glyph_problems_for(person(f"王{BAD}明", f"WANG{BAD}"), [unit("A", f"U{BAD}", f"單{BAD}")],
                              english=True) == [
        glyph_message("Name", f"王{BAD}明"), glyph_message("Name in Latin script", f"WANG{BAD}"),
        glyph_message("Unit name A", f"單{BAD}"), glyph_message("English unit name A", f"U{BAD}")]


def test_chinese_documents_check_the_latin_name_only_when_there_is_one_and_never_english_unit_names():
    assert glyph_problems_for(person(name_latin=f"W{BAD}"), [unit("A", f"U{BAD}")], english=False) == [
        glyph_message("Name in Latin script", f"W{BAD}")]
    assert glyph_problems_for(person(name_latin=None), [unit("A", f"U{BAD}")], english=False) == []
    assert glyph_problems_for(person(name_latin=None), [unit("A", None)], english=True) == []


def test_request_problems_of_a_performance_certificate():
    """The record on the given day, and the names a Chinese certificate prints (not the English unit name)."""
    someone = person(f"王{BAD}", name_latin=None)
    assert request_problems(PERFORMANCE, someone, summary(date(2020, 3, 10), 299), [unit("A", f"U{BAD}")],
                            on=date(2021, 3, 9)) == [
        "One year of service is reached on 2021-03-10 (service since 2020-03-10).",
        "149.5 of the required 150 hours are recorded; 0.5 more are needed.", glyph_message("Name", f"王{BAD}")]
    assert request_problems(PERFORMANCE, person(), summary(date(2020, 3, 10)), [unit("A", f"U{BAD}")],
                            on=date(2021, 3, 10)) == []


def test_request_problems_of_an_english_document():
    someone = person(name_latin=None)
    assert request_problems(ENGLISH_TRANSCRIPT, someone, ServiceSummary(1), [unit("A", f"U{BAD}")]) == [
        "The name in Latin script (as in the passport) is missing.", glyph_message("English unit name A", f"U{BAD}")]
    assert request_problems(ENGLISH_CERTIFICATE, person(), ServiceSummary(1), [unit("A")]) == []
