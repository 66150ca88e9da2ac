"""The honor-card eligibility engine on plain facts: no database, no HTTP (docs/rules/honor-cards.md)."""
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.honor_cards.rules import (
    BASIC,
    ENTERED,
    HOURS,
    MIN_HALF_HOURS,
    PHOTO,
    RECORD_BOOK,
    SPECIAL,
    YEARS,
    Facts,
    HourFact,
    Outlook,
    OutlookStatus,
    PreviousCard,
    _date,
    day_after_previous,
    end_of_last_month,
    evaluate,
    field_name,
    list_key,
    listed,
    may_be_applied_for,
    months_ahead,
    outlook,
    span,
    standing,
    validity,
    window_words,
    years_complete_on,
)
from portal.platform.dates import add_months, add_years
from portal.platform.i18n import hours_text as format_half_hours
from tests.rules_context import locale

ON = date(2025, 6, 10)                 # evaluated in June 2025: the window ends on 2025-05-31
TRAINED = date(2022, 6, 1)             # 2022-06-01 .. 2025-05-31 is exactly 3 years
LONG_AGO = {"basic_from": date(2015, 3, 1), "special_from": {"social": date(2015, 3, 1)}}


def monthly(total_half_hours: int, start: date, end: date, field: str = "social") -> list[HourFact]:
    """Hours spread over one entry per month (the MOHW one-row-per-month habit), first to last day."""
    months = []
    day = start.replace(day=1)
    while day <= end:
        nxt = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        months.append((max(day, start), min(nxt - timedelta(days=1), end)))
        day = nxt
    share, rest = divmod(total_half_hours, len(months))
    return [HourFact(a, share + (1 if i < rest else 0), field, b if b != a else None)
            for i, (a, b) in enumerate(months)]


def facts(**changes) -> Facts:
    base = Facts(on=ON, record_book=True, photo_accepted=True, basic_from=TRAINED, special_from={"social": TRAINED},
                 fields_served=("social",), hours=monthly(600, TRAINED, date(2025, 5, 31)))
    return replace(base, **changes)


def codes(result) -> set[str]:
    return {c.code for c in result.missing}


def message(result, code) -> str:
    return " | ".join(c.message for c in result.missing if c.code == code)


# (case, facts, eligible?, the missing checks, a phrase the explanation must contain)
CASES = [
    ("exactly 300 h and exactly 3 years", facts(), True, set(), "300 hours in the window"),
    ("299.5 h", facts(hours=monthly(599, TRAINED, date(2025, 5, 31))), False, {HOURS},
     "Still needs 0.5 hours (299.5 of 300 counted)"),
    ("42.5 h short", facts(hours=monthly(515, TRAINED, date(2025, 5, 31))), False, {HOURS}, "Still needs 42.5 hours"),
    ("2 years 364 days", facts(basic_from=date(2022, 6, 2), special_from={"social": date(2022, 6, 2)},
                               hours=monthly(600, date(2022, 6, 2), date(2025, 5, 31))),
     False, {YEARS}, "3 years of service complete on 2025-06-01 (so far 2 years 11 months 30 days"),
    ("missing photo", facts(photo_accepted=False), False, {PHOTO}, "No accepted ID photo"),
    ("missing record book", facts(record_book=False), False, {RECORD_BOOK}, "No record book issued yet"),
    ("missing basic training", facts(basic_from=None), False, {BASIC, YEARS, HOURS}, "Basic training not verified"),
    ("missing special training for one of two fields",
     facts(fields_served=("social", "health"), hours=monthly(500, TRAINED, date(2025, 5, 31)) +
           monthly(100, date(2023, 1, 1), date(2025, 5, 31), "health")),
     False, {SPECIAL, HOURS}, "Special training for Health care not verified"),
    ("hours not yet entered for last month", facts(hours=monthly(600, TRAINED, date(2025, 4, 30))),
     False, {ENTERED}, "Hours for 2025-05 not yet entered"),
]


@pytest.mark.parametrize("case,given,eligible,missing,phrase", CASES, ids=[c[0] for c in CASES])
def test_eligibility_table(case, given, eligible, missing, phrase):
    result = evaluate(given)
    assert result.eligible is eligible, [c.message for c in result.missing]
    assert codes(result) == missing
    words = " | ".join(c.message for c in result.checks)
    assert phrase in words


def test_exactly_300_hours_and_3_years_says_what_is_met():
    result = evaluate(facts())
    assert (result.window_start, result.window_end) == (TRAINED, date(2025, 5, 31))
    assert result.half_hours == 600 and result.missing_half_hours == 0
    assert result.kind == "first"
    assert [c.message for c in result.met] == [
        "Record book issued", "Basic training verified", "Special training for Social welfare verified",
        "ID photo accepted", "Hours entered up to 2025-05",
        "3 years 0 months 0 days of service since 2022-06-01 (3 years needed)",
        "300 hours in the window (300 needed)"]


def test_missing_special_training_names_only_the_field_without_it():
    result = evaluate(CASES[7][1])
    special = [c for c in result.checks if c.code == SPECIAL]
    assert [(c.params["field"], c.met) for c in special] == [("health", False), ("social", True)]
    assert "Special training for Social welfare verified" in [c.message for c in result.met]
    # Health-care hours cannot count before that field's training: 250 of 300 hours counted.
    assert result.half_hours == 500
    assert "50 hours served before the special training of their field are not counted." in result.notes


def test_a_renewal_window_starts_the_day_after_the_previous_card_expired():
    previous = PreviousCard(valid_from=date(2019, 3, 10), valid_to=date(2022, 3, 10),
                            window_start=date(2016, 1, 1), window_end=date(2019, 2, 28), half_hours=640, number="HC-1")
    on = date(2025, 4, 5)
    hours = [HourFact(date(2022, 3, 10), 40, "social")] + monthly(600, date(2022, 3, 11), date(2025, 3, 31))
    result = evaluate(facts(on=on, previous_cards=[previous], hours=hours, **LONG_AGO))
    assert result.kind == "renewal"
    assert result.window_start == date(2022, 3, 11)
    assert result.window_end == date(2025, 3, 31)
    assert result.years_complete_on == date(2025, 3, 10)
    assert result.eligible
    assert result.half_hours == 600           # the 20 hours on the expiry day itself are not counted
    assert "20 hours served before the previous card expired are not counted." in result.notes


def test_a_renewal_one_day_short_of_3_years_after_the_expiry_waits():
    previous = PreviousCard(valid_from=date(2019, 4, 1), valid_to=date(2022, 4, 1))
    result = evaluate(facts(on=date(2025, 4, 5), previous_cards=[previous],
                            hours=monthly(700, date(2022, 4, 2), date(2025, 3, 31)), **LONG_AGO))
    assert result.window_start == date(2022, 4, 2)
    assert codes(result) == {YEARS}
    assert "3 years of service complete on 2025-04-01" in message(result, YEARS)


def test_hours_used_by_the_earlier_card_are_not_counted_again():
    used = monthly(800, date(2018, 1, 1), date(2020, 12, 31))          # 400 h counted for the first card
    after = monthly(400, date(2024, 1, 16), date(2027, 2, 28))         # 200 h since it expired
    previous = PreviousCard(valid_from=date(2021, 1, 15), valid_to=date(2024, 1, 15),
                            window_start=date(2018, 1, 1), window_end=date(2020, 12, 31), half_hours=800)
    result = evaluate(facts(on=date(2027, 3, 1), previous_cards=[previous], hours=used + after,
                            basic_from=date(2017, 6, 1), special_from={"social": date(2017, 6, 1)}))
    assert result.half_hours == 400
    assert codes(result) == {HOURS}
    assert message(result, HOURS) == "Still needs 100 hours (200 of 300 counted)"
    assert "400 hours were used for an earlier card and are not counted again." in result.notes


def test_hours_inside_an_earlier_window_never_count_even_if_the_window_were_misdated():
    """Belt and braces: hours dated inside any earlier card's window are excluded by themselves."""
    previous = PreviousCard(valid_from=date(2019, 1, 1), valid_to=date(2020, 1, 1),
                            window_start=date(2021, 1, 1), window_end=date(2021, 12, 31))
    hours = monthly(600, date(2021, 1, 1), date(2021, 12, 31)) + monthly(600, date(2022, 1, 1), date(2025, 5, 31))
    result = evaluate(facts(previous_cards=[previous], hours=hours, **LONG_AGO))
    assert result.window_start == date(2022, 1, 1)
    assert result.half_hours == 600


def test_entries_crossing_the_window_start_are_not_split():
    hours = [HourFact(date(2022, 5, 20), 10, "social", date(2022, 6, 10))] + monthly(600, TRAINED, date(2025, 5, 31))
    result = evaluate(facts(hours=hours))
    assert result.half_hours == 600
    assert result.excluded["straddles"] == 10


def test_hours_of_the_current_month_wait_for_next_month():
    result = evaluate(facts(hours=monthly(598, TRAINED, date(2025, 5, 31)) + [HourFact(date(2025, 6, 2), 4, "social")]))
    assert result.half_hours == 598
    assert "2 hours of this month will count from next month." in result.notes


def test_a_card_in_force_is_reported_and_blocks_a_new_one():
    current = PreviousCard(valid_from=date(2024, 1, 1), valid_to=date(2027, 1, 1), number="HC-TPE-113-000001")
    result = evaluate(facts(previous_cards=[current]))
    assert result.holding == current
    assert result.window_start == date(2027, 1, 2)
    assert not result.eligible and YEARS in codes(result)


@pytest.mark.parametrize("approved,previous,expected", [
    (date(2023, 12, 13), None, (date(2023, 12, 13), date(2026, 12, 13))),          # docs/rules/honor-cards.md#hc5: 112-12-13 → 115-12-13
    (date(2025, 1, 5), date(2025, 3, 1), (date(2025, 3, 1), date(2028, 3, 1))),     # previous card ends later
    (date(2025, 5, 5), date(2025, 3, 1), (date(2025, 5, 5), date(2028, 5, 5))),     # approval is later
    (date(2024, 2, 29), None, (date(2024, 2, 29), date(2027, 2, 28))),
])
def test_validity_is_3_years_from_the_later_of_approval_and_previous_expiry(approved, previous, expected):
    assert validity(approved, previous) == expected


def test_date_arithmetic():
    assert years_complete_on(date(2022, 6, 1)) == date(2025, 5, 31)
    assert span(date(2022, 6, 1), date(2025, 5, 31)) == (3, 0, 0)
    assert span(date(2022, 6, 1), date(2025, 5, 30)) == (2, 11, 30)
    assert span(date(2022, 6, 2), date(2022, 6, 1)) == (0, 0, 0)
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert [format_half_hours(n) for n in (600, 599, 85, 0)] == ["300", "299.5", "42.5", "0"]


def test_outlook_within_months():
    eligible = evaluate(facts())
    assert outlook(eligible, 0).status == "eligible"
    young = evaluate(facts(basic_from=date(2022, 9, 1), special_from={"social": date(2022, 9, 1)},
                           hours=monthly(700, date(2022, 9, 1), date(2025, 5, 31))))
    look = outlook(young, 3)
    assert (look.status, look.expected_on) == ("soon", date(2025, 9, 1))
    assert outlook(young, 2).status == "later"
    short = evaluate(facts(hours=monthly(576, TRAINED, date(2025, 5, 31))))   # 12 h short, ~8 h a month lately
    assert outlook(short, 3).status == "soon" and outlook(short, 3).expected_on == date(2025, 8, 1)
    untrained = evaluate(facts(basic_from=None))
    assert outlook(untrained, 12).status == "blocked"


# -- every edge on both sides (make mutation) --------------------------------------------------------

def test_span_of_one_day_is_one_day():
    assert span(date(2025, 3, 5), date(2025, 3, 5)) == (0, 0, 1)
    assert span(date(2025, 3, 5), date(2025, 3, 4)) == (0, 0, 0)


def test_every_check_in_words_when_missing():
    result = evaluate(Facts(on=ON, fields_served=()))
    assert [(c.code, c.met, c.params) for c in result.checks] == [
        (RECORD_BOOK, False, {}), (BASIC, False, {}), (SPECIAL, False, {"field": None}), (PHOTO, False, {}),
        (ENTERED, False, {"month": date(2025, 5, 1)}),
        (YEARS, False, {"start": None, "end": date(2025, 5, 31), "complete_on": None}),
        (HOURS, False, {"counted": 0, "start": None, "end": date(2025, 5, 31)})]
    assert [c.message for c in result.checks] == [
        "No record book issued yet", "Basic training not verified",
        "No verified special training for any field served", "No accepted ID photo",
        "Hours for 2025-05 not yet entered", "Years of service cannot be counted until the training is verified",
        "Still needs 300 hours (0 of 300 counted)"]
    assert str(result.checks[0]) == "No record book issued yet"
    assert window_words(result) == "No counting window yet: the training is not verified."


def test_missing_special_training_and_the_years_so_far_in_words():
    result = evaluate(facts(basic_from=date(2022, 6, 2), special_from={}, fields_served=("social", "health"),
                            hours=monthly(600, date(2022, 6, 2), date(2025, 5, 31))))
    assert [c.message for c in result.checks if c.code == SPECIAL] == [
        "Special training for Health care not verified", "Special training for Social welfare not verified"]
    result = evaluate(facts(basic_from=date(2022, 6, 2), special_from={"social": date(2022, 6, 2)},
                            hours=monthly(600, date(2022, 6, 2), date(2025, 5, 31))))
    assert message(result, YEARS) == (
        "3 years of service complete on 2025-06-01 (so far 2 years 11 months 30 days since 2022-06-02)")
    assert window_words(result) == "Counting window 2022-06-02 – 2025-05-31"


def test_a_window_that_starts_after_its_end_and_one_of_a_single_day():
    in_force = PreviousCard(valid_from=date(2024, 1, 1), valid_to=date(2027, 1, 1))
    result = evaluate(facts(previous_cards=[in_force]))
    assert message(result, YEARS) == (
        "The next counting window starts on 2027-01-02; 3 years of service complete on 2030-01-01")
    assert window_words(result) == "The next counting window starts on 2027-01-02."
    ended = PreviousCard(valid_from=date(2022, 5, 30), valid_to=date(2025, 5, 30))     # the window is 2025-05-31
    result = evaluate(facts(previous_cards=[ended], **LONG_AGO))
    assert (result.window_start, result.window_end) == (date(2025, 5, 31), date(2025, 5, 31))
    assert message(result, YEARS) == (
        "3 years of service complete on 2028-05-30 (so far 0 years 0 months 1 days since 2025-05-31)")
    assert window_words(result) == "Counting window 2025-05-31 – 2025-05-31"


def test_hours_are_said_without_a_thousands_separator():
    result = evaluate(facts(hours=monthly(2000, TRAINED, date(2025, 5, 31))))
    assert message_met(result, HOURS) == "1000 hours in the window (300 needed)"
    used = PreviousCard(valid_from=date(2019, 1, 1), valid_to=date(2020, 1, 1),
                        window_start=date(2016, 1, 1), window_end=date(2018, 12, 31))
    result = evaluate(facts(previous_cards=[used], hours=monthly(2000, date(2016, 1, 1), date(2018, 12, 31))))
    assert "1000 hours were used for an earlier card and are not counted again." in result.notes


def message_met(result, code) -> str:
    return result.check(code).message


def test_words_in_chinese_use_roc_dates_months_and_field_names():
    with locale("zh_TW"):
        result = evaluate(facts(basic_from=date(2022, 6, 2), special_from={"social": date(2022, 6, 2)},
                                hours=monthly(600, date(2022, 6, 2), date(2025, 5, 31))))
        assert message_met(result, ENTERED) == "Hours entered up to 114年5月"
        assert message_met(result, SPECIAL) == "Special training for 社會福利 verified"
        assert message(result, YEARS) == (
            "3 years of service complete on 114/06/01 (so far 2 years 11 months 30 days since 111/06/02)")
        assert window_words(result) == "Counting window 111/06/02 – 114/05/31"
        assert _date(None) == ""
    with locale("en"):
        result = evaluate(facts())
        assert message_met(result, ENTERED) == "Hours entered up to 2025-05"
        assert message_met(result, SPECIAL) == "Special training for Social welfare verified"
        assert message_met(result, YEARS) == "3 years 0 months 0 days of service since 2022-06-01 (3 years needed)"
    assert _date(None) == ""                   # outside a request: ISO dates, "" for none
    assert field_name("no-such-field") == "no-such-field"
    assert field_name(None) == ""


@pytest.mark.parametrize("reason,note", [
    ("used", "3 hours were used for an earlier card and are not counted again."),
    ("previous_card", "3 hours served before the previous card expired are not counted."),
    ("before_window", "3 hours before the counting window are not counted."),
    ("no_training", "3 hours cannot be counted until the training is verified."),
    ("before_training", "3 hours served before the special training of their field are not counted."),
    ("straddles", "3 hours in entries that cross the edge of the counting window are not counted."),
    ("this_month", "3 hours of this month will count from next month."),
])
def test_every_note_in_words(reason, note):
    result = evaluate(facts())
    result.excluded = {reason: 6, "other": 0}
    assert result.notes == [note]


def test_no_hours_before_the_training_is_verified():
    result = evaluate(facts(basic_from=None, hours=[HourFact(date(2024, 5, 1), 6, "social")]))
    assert result.excluded["no_training"] == 6
    assert result.notes == ["3 hours cannot be counted until the training is verified."]


# -- HC4: the window start and end, both days inside --------------------------------------------------

def test_the_window_start_day_counts_the_day_before_does_not():
    hours = [HourFact(TRAINED - timedelta(1), 6, "social"), HourFact(TRAINED, 4, "social")]
    result = evaluate(facts(hours=hours))
    assert result.half_hours == 4
    assert result.excluded["before_window"] == 6
    assert result.notes == ["3 hours before the counting window are not counted."]


def test_the_window_end_day_counts_the_next_day_waits():
    end = date(2025, 5, 31)
    result = evaluate(facts(hours=[HourFact(end, 4, "social"), HourFact(end + timedelta(1), 6, "social")]))
    assert result.half_hours == 4
    assert result.excluded["this_month"] == 6


def test_before_the_window_is_the_previous_cards_time_until_the_day_after_its_expiry():
    """Renewal: hours up to the expiry day belong to the previous card; from the day after, hours before a later
    training start are simply before the window."""
    previous = PreviousCard(valid_from=date(2019, 3, 10), valid_to=date(2022, 3, 10))
    hours = [HourFact(date(2022, 3, 10), 2, "social"), HourFact(date(2022, 3, 11), 4, "social"),
             HourFact(date(2022, 5, 31), 8, "social")]
    result = evaluate(facts(previous_cards=[previous], hours=hours))       # trained 2022-06-01
    assert result.window_start == TRAINED
    assert (result.excluded["previous_card"], result.excluded["before_window"]) == (2, 12)


def test_hours_on_the_last_day_of_an_earlier_window_are_used():
    used = PreviousCard(valid_from=date(2019, 1, 1), valid_to=date(2020, 1, 1),
                        window_start=date(2016, 1, 1), window_end=date(2018, 12, 31))
    hours = [HourFact(date(2018, 12, 31), 2, "social"), HourFact(date(2016, 1, 1), 4, "social"),
             HourFact(date(2015, 12, 31), 8, "social")]
    result = evaluate(facts(previous_cards=[used], hours=hours, **LONG_AGO))
    assert (result.excluded["used"], result.excluded["previous_card"]) == (6, 8)


def test_a_card_without_a_recorded_window_excludes_by_its_validity_only():
    imported = PreviousCard(valid_from=date(2019, 1, 1), valid_to=date(2022, 1, 1), window_start=date(2016, 1, 1))
    result = evaluate(facts(previous_cards=[imported], hours=[HourFact(date(2021, 6, 1), 2, "social")]))
    assert (result.excluded["used"], result.excluded["previous_card"]) == (0, 2)


def test_counted_hours_by_field_and_in_the_last_12_months():
    """The last 12 months of a window ending 2025-05-31 start on 2024-06-01."""
    hours = [HourFact(date(2024, 5, 31), 2, "social"), HourFact(date(2024, 6, 1), 4, "social"),
             HourFact(date(2024, 7, 1), 8, "health"), HourFact(date(2023, 1, 1), 16, "social")]
    result = evaluate(facts(hours=hours, special_from={"social": TRAINED, "health": TRAINED}, person_id=5))
    assert result.half_hours == 30
    assert result.by_field == {"social": 22, "health": 8}
    assert result.recent_half_hours == 12
    assert result.person_id == 5


def test_fields_of_hours_inside_the_time_asked_about_need_their_training():
    """A field with hours from the first day after the previous card to the window end needs its special
    training, served now or not; hours after the window end do not make a field."""
    previous = PreviousCard(valid_from=date(2019, 3, 10), valid_to=date(2022, 3, 10))
    for day, needed in [(date(2022, 3, 11), True), (date(2022, 3, 10), False), (date(2025, 5, 31), True),
                        (date(2025, 6, 1), False)]:
        result = evaluate(facts(previous_cards=[previous], hours=[HourFact(day, 2, "health")]))
        assert (SPECIAL in codes(result)) is needed, day


def test_hours_entered_up_to_the_first_day_of_last_month_is_enough():
    assert ENTERED not in codes(evaluate(facts(hours_entered_through=date(2025, 5, 1))))
    assert ENTERED in codes(evaluate(facts(hours_entered_through=date(2025, 4, 30))))
    assert ENTERED in codes(evaluate(facts(hours=[])))        # nothing entered at all
    assert ENTERED not in codes(evaluate(facts(hours=[HourFact(date(2025, 4, 20), 2, "social", date(2025, 5, 1))])))


def test_the_card_in_force_is_the_latest_one_also_on_the_day_one_ends_and_the_next_starts():
    old = PreviousCard(valid_from=date(2022, 6, 10), valid_to=date(2025, 6, 10), number="old")
    new = PreviousCard(valid_from=date(2025, 6, 10), valid_to=date(2028, 6, 10), number="new")
    assert evaluate(facts(previous_cards=[new, old])).holding == new           # ON is 2025-06-10
    assert evaluate(facts(previous_cards=[old])).holding == old                # its last valid day
    assert evaluate(facts(previous_cards=[old], on=ON + timedelta(1))).holding is None
    assert evaluate(facts(previous_cards=[new], on=ON - timedelta(1))).holding is None
    assert evaluate(facts()).holding is None


def test_looking_up_a_check():
    result = evaluate(facts())
    assert result.check(HOURS).params["counted"] == 600
    assert result.check("no-such-check") is None


# -- the outlook and the unit's list -----------------------------------------------------------------

def test_the_outlook_of_the_eligible_and_the_blocked():
    eligible = evaluate(facts())
    assert eligible.recent_half_hours == 12 * 16                     # the last 12 of 36 monthly entries
    assert outlook(eligible, 0) == Outlook(OutlookStatus.ELIGIBLE, ON, 16.0, ON)
    untrained = evaluate(facts(basic_from=None))
    assert outlook(untrained, 12) == Outlook(OutlookStatus.BLOCKED, None, 0, ON)
    idle = evaluate(facts(hours=monthly(500, TRAINED, date(2024, 5, 31))))     # nothing in the last 12 months
    assert outlook(idle, 1200) == Outlook(OutlookStatus.BLOCKED, None, 0, ON)


def test_the_outlook_at_a_slow_pace():
    """Half an hour in the last 12 months and half an hour missing: expected in 12 months."""
    slow = evaluate(facts(hours=monthly(599, TRAINED, date(2024, 5, 31)) + [HourFact(date(2024, 6, 1), 1, "social")]))
    assert slow.missing_half_hours == 0
    slow = evaluate(facts(hours=monthly(598, TRAINED, date(2024, 5, 31)) + [HourFact(date(2024, 6, 1), 1, "social")]))
    assert outlook(slow, 12) == Outlook(OutlookStatus.SOON, date(2026, 6, 1), 1 / 12, ON)
    assert outlook(slow, 11).status == OutlookStatus.LATER


@pytest.mark.parametrize("within,months", [("all", 1200), ("3", 3), ("12", 12), ("", 0), (None, 0)])
def test_months_ahead(within, months):
    assert months_ahead(within) == months


@pytest.mark.parametrize("status,listed_within_3,key", [
    (OutlookStatus.ELIGIBLE, True, (0, ON)),
    (OutlookStatus.SOON, True, (1, ON)),
    (OutlookStatus.LATER, False, (2, ON)),
    (OutlookStatus.BLOCKED, False, (3, date.max)),
])
def test_who_the_list_shows_and_in_which_order(status, listed_within_3, key):
    look = Outlook(status, None if status == OutlookStatus.BLOCKED else ON, 1.0, ON)
    assert listed(look, "3") is listed_within_3
    assert listed(look, "all") is True
    assert list_key(look) == key


def test_a_unit_applies_for_the_eligible_without_an_open_application():
    assert may_be_applied_for(evaluate(facts()), None) is True
    assert may_be_applied_for(evaluate(facts()), object()) is False
    assert may_be_applied_for(evaluate(facts(photo_accepted=False)), None) is False


# -- the unit's list from totals (rules.standing): the same decision as the engine ---------------------------

AROUND = [date(2019, 3, 1), date(2019, 3, 31), date(2021, 2, 28), date(2022, 6, 1), date(2022, 6, 15),
          date(2024, 5, 31), date(2024, 6, 1), date(2025, 4, 30), date(2025, 5, 31), date(2025, 6, 1)]
days = st.sampled_from(AROUND) | st.dates(date(2018, 1, 1), date(2025, 7, 31))


def totals_of(f: Facts) -> dict:
    """What listing.py sums in the database, stated over the hour facts one by one (the oracle)."""
    end = end_of_last_month(f.on)
    after = day_after_previous(sorted(f.previous_cards, key=lambda c: c.valid_to))
    fields = set(f.fields_served) | {h.field_code for h in f.hours if (after is None or h.day >= after)
                                     and h.last_day <= end}

    def counts(h, since=date.min):
        start = f.special_from.get(h.field_code)
        return (f.basic_from is not None and start is not None and h.last_day <= end
                and h.day >= max(f.basic_from, start, after or date.min, since))
    return {"record_book": f.record_book, "photo_accepted": f.photo_accepted, "basic_from": f.basic_from,
            "special_from": f.special_from, "fields": fields, "after_cards": after,
            "entered": max((h.last_day for h in f.hours), default=date.min) >= end.replace(day=1),
            "counted": sum(h.half_hours for h in f.hours if counts(h)),
            "recent": sum(h.half_hours for h in f.hours if counts(h, add_months(end, -11)))}


@settings(max_examples=500, deadline=None)
@given(basic=st.none() | days, special=st.dictionaries(st.sampled_from(["social", "health"]), days, max_size=2),
       served=st.sets(st.sampled_from(["social", "health", "education"]), max_size=2),
       cards=st.lists(st.tuples(days, days, st.none() | days), max_size=2),
       hours=st.lists(st.tuples(days, st.sampled_from([0, 0, 3, 40]), st.sampled_from([1, 60, 300, 700]),
                                st.sampled_from(["social", "health", "education"])), max_size=12),
       book=st.booleans(), photo=st.booleans(), on=st.sampled_from([ON, date(2025, 7, 1), date(2025, 6, 30)]))
def test_the_standing_from_totals_is_the_engines(basic, special, served, cards, hours, book, photo, on):
    f = Facts(on=on, record_book=book, photo_accepted=photo, basic_from=basic, special_from=special,
              fields_served=tuple(sorted(served)),
              hours=[HourFact(day, half, field, day + timedelta(days=span) if span else None)
                     for day, span, half, field in hours],
              previous_cards=[PreviousCard(valid_to - timedelta(days=1000), valid_to, window_start, window_end)
                              for valid_to, window_end, window_start in cards])
    result, got = evaluate(f), standing(on, **totals_of(f))
    assert (got.eligible, got.window_start, got.window_end, got.years_complete_on, got.missing_half_hours,
            got.recent_half_hours) == (result.eligible, result.window_start, result.window_end,
                                       result.years_complete_on, result.missing_half_hours, result.recent_half_hours)
    for months in (0, 3, 1200):
        assert outlook(got, months) == outlook(result, months)


def test_the_standing_from_totals_on_both_sides_of_300_hours_and_3_years():
    base = dict(record_book=True, photo_accepted=True, basic_from=TRAINED, special_from={"social": TRAINED},
                fields={"social"}, after_cards=None, entered=True, recent=120)
    assert standing(ON, counted=600, **base).eligible and not standing(ON, counted=599, **base).eligible
    assert standing(ON, counted=599, **base).missing_half_hours == 1
    late = dict(base, basic_from=TRAINED + timedelta(days=1), special_from={"social": TRAINED + timedelta(days=1)})
    assert not standing(ON, counted=600, **late).eligible
    assert standing(ON, counted=600, **dict(base, fields={"social", "health"})).eligible is False
    assert standing(ON, counted=600, **dict(base, fields=set())).eligible is False
    assert standing(ON, counted=600, **dict(base, entered=False)).eligible is False
    assert standing(ON, counted=600, **dict(base, record_book=False)).eligible is False
    assert standing(ON, counted=600, **dict(base, photo_accepted=False)).eligible is False
    untrained = standing(ON, counted=600, **dict(base, basic_from=None))
    assert (untrained.eligible, untrained.window_start, untrained.missing_half_hours) == (False, None, MIN_HALF_HOURS)
