"""The hour-entry rules on plain values, both sides of every edge (docs/rules/hours.md H2–H12).

No database and no portal app: the EntryChecker is fed by hand the way hours/facts.entry_checker
feeds it. The workflows (form, grid, claims, imports) are tested in test_hours.py.
"""
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from portal.hours.rules import (
    EARLIEST,
    MAX_HALF_HOURS_PER_DAY,
    MAX_RANGE_DAYS,
    Draft,
    EntryChecker,
    Problem,
    check_day,
    code_value,
    field_names,
    half_hours_of,
    parse_number,
    problem_of,
    unit_fields,
    whole_number,
    window_of,
)
from portal.imports.values import Refused
from tests.rules_context import english  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("english")

DAY = date(2025, 3, 10)
JOINED = date(2024, 1, 1)
PERSON, UNIT, OTHER_UNIT = 1, 10, 20


def refused(func, *args, **kwargs) -> Refused:
    with pytest.raises(Refused) as err:
        func(*args, **kwargs)
    return err.value


def no_gate(person_id, field_code, day):
    return None


def checker(gate=no_gate, fields=None, left=None, joined=JOINED) -> EntryChecker:
    """A checker where PERSON serves in UNIT and OTHER_UNIT from `joined` (to `left`)."""
    c = EntryChecker(gate, fields)
    c.add_membership(PERSON, UNIT, joined, left)
    c.add_membership(PERSON, OTHER_UNIT, joined, left)
    return c


def draft(start=DAY, end=None, half_hours=4, unit=UNIT, field="social", ref=None) -> Draft:
    return Draft(PERSON, unit, start, end or start, half_hours, field, ref)


def codes(problems) -> list[str]:
    return [p.code for p in problems]


# -- H2: hours as numbers ----------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    (3, Decimal(3)), (0, Decimal(0)), (2.5, Decimal("2.5")), (0.0, Decimal(0)),
    ("2.5", Decimal("2.5")), ("２．５", Decimal("2.5")), (" 2 . 5 ", Decimal("2.5")), ("0", Decimal(0)),
    ("10", Decimal(10)),
])
def test_numbers_are_read(value, expected):
    assert parse_number(value) == expected


@pytest.mark.parametrize("value,code", [
    (True, "not_a_number"), (False, "not_a_number"),
    (float("nan"), "not_a_number"), (float("inf"), "not_a_number"), (float("-inf"), "not_a_number"),
    (1e20, "not_a_number"), (1e-7, "not_a_number"),
    ("", "required"), ("   ", "required"), (None, "required"),
    ("abc", "not_a_number"), ("1e3", "not_a_number"), ("2.", "not_a_number"), ("-", "not_a_number"),
    ("X3", "not_a_number"), ("3-", "not_a_number"),
    (-1, "negative"), (-0.5, "negative"), ("-3", "negative"), ("−3", "negative"), ("-0.5", "negative"),
])
def test_numbers_are_refused(value, code):
    assert refused(parse_number, value).code == code


def test_minus_zero_is_zero_not_negative():
    assert parse_number("-0") == 0


@pytest.mark.parametrize("value,half", [("0.5", 1), (0.5, 1), ("2.5", 5), (1, 2), ("24", 48), ("1000", 2000)])
def test_half_hours(value, half):
    assert half_hours_of(value) == half


@pytest.mark.parametrize("value,code", [("0", "zero"), (0, "zero"), ("0.0", "zero"), ("2.25", "quarter_hour"),
                                        ("0.1", "quarter_hour"), (1.75, "quarter_hour"), ("-1", "negative")])
def test_half_hours_refused(value, code):
    assert refused(half_hours_of, value).code == code


@pytest.mark.parametrize("value,expected", [
    (3.0, 3), (0.0, 0), (1e7, 10_000_000), (5, 5), ("12", 12), ("１２", 12), ("10000000", 10_000_000),
    (None, 0), ("", 0), ("   ", 0),
])
def test_whole_numbers(value, expected):
    assert whole_number(value) == expected


def test_whole_number_default_and_maximum():
    assert whole_number(None, default=7) == 7
    assert whole_number("", default=7) == 7
    assert whole_number("3", default=7) == 3
    assert whole_number("20", maximum=20) == 20
    assert whole_number(20.0, maximum=20) == 20
    assert refused(whole_number, "21", maximum=20).code == "count"
    assert refused(whole_number, 21.0, maximum=20).code == "count"


def test_a_whole_float_from_a_spreadsheet_is_taken_as_it_is_up_to_the_maximum():
    """Typed text in exponent form is refused, but a cell's float (1e16 has no other repr) is a number."""
    assert whole_number(1e16, maximum=10**16) == 10**16
    assert whole_number(1e16, maximum=10**17) == 10**16
    assert refused(whole_number, "1e16", maximum=10**17).code == "count"


@pytest.mark.parametrize("value", [3.5, "3.5", -1.0, "-1", "10000001", 10_000_001.0, 10_000_001, "abc", "XXXX", True])
def test_whole_numbers_refused_with_the_given_code(value):
    assert refused(whole_number, value).code == "count"
    assert refused(whole_number, value, code="money").code == "money"


# -- H6, H7: from 2001-01-20 to today ----------------------------------------------------------

def test_the_act_day_itself_is_accepted_the_day_before_is_not():
    assert EARLIEST == date(2001, 1, 20)
    check_day(date(2001, 1, 20), DAY)
    assert refused(check_day, date(2001, 1, 19), DAY).code == "before_act"


def test_today_is_accepted_tomorrow_is_not():
    check_day(DAY, DAY)
    error = refused(check_day, DAY + timedelta(1), DAY)
    assert (error.code, error.params) == ("future_date", {"today": "2025-03-10"})


# -- codes and names ------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [("", ""), (None, ""), ("A", "A"), ("12aB", "12aB"), (" 7 ", "7"),
                                            (12.0, "12")])
def test_codes(value, expected):
    assert code_value(value) == expected


@pytest.mark.parametrize("value", ["12345", "a-b", "一", "1 2"])
def test_codes_refused(value):
    assert refused(code_value, value).code == "code_format"


def test_field_names_in_the_users_language_unknown_codes_as_given():
    assert field_names(["social", "health", "zz"]) == "Social welfare, Health care, and zz"   # English list punctuation (join_list)
    assert field_names([]) == ""


def test_unit_fields():
    units = [SimpleNamespace(id=1, field_codes=["social"]), SimpleNamespace(id=2, field_codes=["health", "social"])]
    assert unit_fields(units) == {1: ["social"], 2: ["health", "social"]}


# -- problems and their messages --------------------------------------------------------------------

def test_a_problem_says_its_message_by_key_or_code():
    assert Problem("zero", "hours").message == "Hours must be more than 0."
    assert Problem("duplicate", "person", {"id": 3}, key="duplicate_entry").message == (
        "The same entry already exists (entry #3).")
    assert Problem("training", "field_code", render=lambda: "Basic training missing").message == (
        "Basic training missing")


def test_a_refused_value_becomes_the_problem_of_its_field():
    problem = problem_of(Refused("impossible_date", key="no_such_day", x=1), "start_on")
    assert (problem.code, problem.field, problem.params, problem.key) == (
        "impossible_date", "start_on", {"x": 1}, "no_such_day")
    assert problem.message == "There is no such day in the calendar (for example 30 February)."


@pytest.mark.parametrize("code,params,expected", [
    ("not_a_number", {}, "Enter the hours as a number such as 2 or 2.5 (digits and a decimal point only)."),
    ("negative", {}, "Hours cannot be negative."),
    ("quarter_hour", {}, "Hours go in steps of 0.5 hour (30 minutes)."),
    ("minutes", {}, "Minutes must be 0 or 30."),
    ("over_24h_day", {"date": "2025-03-10", "total": 49},
     "At most 24 hours per day: on 2025-03-10 this volunteer would have 24.5 hours in all units."),
    ("over_24h_range", {"total": 3001, "days": 2},
     "At most 24 hours per day: 1500.5 hours in 2 days is more than 48 hours."),
    ("before_act", {}, "Dates before 2001-01-20, when the Volunteer Service Act took effect, are not accepted."),
    ("future_date", {"today": "2025-03-10"}, "Service dates cannot be in the future (today is 2025-03-10)."),
    ("end_before_start", {}, "The end date is before the start date."),
    ("not_member", {}, "This volunteer is not on your unit's roster."),
    ("not_member_on", {"date": "2025-03-10"}, "This volunteer was not serving in your unit on 2025-03-10."),
    ("overlap_entry", {"id": 5, "start": "2025-03-01", "end": "2025-03-31"},
     "Overlaps entry #5 (2025-03-01 to 2025-03-31) of this volunteer in your unit."),
    ("overlap_row", {"row": 7, "start": "2025-03-01", "end": "2025-03-02"},
     "Overlaps row 7 (2025-03-01 to 2025-03-02) of the same volunteer."),
    ("duplicate_row", {"row": 4}, "The same entry is already in row 4."),
    ("field", {"fields": "Social welfare"}, "Use a service field of your unit: Social welfare."),
    ("code_format", {}, "Codes have 1 to 4 letters or digits."),
    ("money", {}, "Enter a whole amount in NT$ (0 or more)."),
    ("count", {}, "Enter a whole number (0 or more)."),
    ("action", {}, "Only import action A (add) is supported; correct or void entries on their own page."),
    ("ambiguous_volunteer", {}, "Several volunteers on your roster match; type the ID number instead."),
    ("no_match", {}, "No volunteer on your roster matches."),
    ("too_many_days", {"n": 366}, "A date range may cover at most 366 days."),
])
def test_messages(code, params, expected):
    assert Problem(code, "x", params).message == expected


# -- drafts --------------------------------------------------------------------------------------

def test_a_draft_knows_its_business_key_and_whether_it_is_one_day():
    d = draft(DAY, DAY + timedelta(1), 6, field="health")
    assert d.key == (PERSON, UNIT, DAY, DAY + timedelta(1), "health", 6)
    assert not d.single_day
    assert draft(DAY).single_day


# -- H8: serving in the unit on those dates -------------------------------------------------------

def test_not_on_the_roster_at_all_is_the_only_problem():
    c = EntryChecker(lambda *a: "never", {UNIT: []})
    problems = c.check(draft(half_hours=999))
    assert [(p.code, p.field, p.key) for p in problems] == [("not_member", "person", None)]


def test_joined_day_and_leaving_day_are_inside_the_membership():
    c = checker(left=date(2025, 3, 31), joined=date(2025, 3, 1))
    assert c.check(draft(date(2025, 3, 1))) == []
    assert c.check(draft(date(2025, 3, 31))) == []
    assert c.check(draft(date(2025, 3, 1), date(2025, 3, 31))) == []


@pytest.mark.parametrize("start,end,outside", [
    (date(2025, 2, 28), None, date(2025, 2, 28)),                  # the day before joining
    (date(2025, 4, 1), None, date(2025, 4, 1)),                    # hours dated after the volunteer left
    (date(2025, 3, 20), date(2025, 4, 1), date(2025, 4, 1)),      # a range ending after leaving
    (date(2025, 2, 28), date(2025, 3, 5), date(2025, 2, 28)),     # a range starting before joining
])
def test_days_outside_the_membership_are_refused(start, end, outside):
    c = checker(left=date(2025, 3, 31), joined=date(2025, 3, 1))
    problems = c.check(draft(start, end))
    assert [(p.code, p.field, p.key, p.params) for p in problems] == [
        ("not_member", "start_on", "not_member_on", {"date": outside.isoformat()})]


def test_an_open_membership_has_no_end_and_a_second_membership_counts_too():
    c = EntryChecker(no_gate)
    c.add_membership(PERSON, UNIT, date(2020, 1, 1), date(2020, 12, 31))
    c.add_membership(PERSON, UNIT, date(2021, 1, 5), None)
    assert c.check(draft(date(2020, 6, 1))) == []
    assert c.check(draft(date(2030, 1, 1))) == []
    assert codes(c.check(draft(date(2021, 1, 2)))) == ["not_member"]
    # a range with each end in a different membership passes: both ends are what H8 checks
    assert c.check(draft(date(2020, 12, 31), date(2021, 1, 5), half_hours=10)) == []


def test_membership_in_another_unit_does_not_count():
    c = EntryChecker(no_gate)
    c.add_membership(PERSON, OTHER_UNIT, JOINED, None)
    assert codes(c.check(draft())) == ["not_member"]


# -- H9: the unit's fields -------------------------------------------------------------------------

def test_the_field_must_be_one_of_the_units_fields():
    c = checker(fields={UNIT: ["social", "health"], OTHER_UNIT: []})
    assert c.check(draft(field="health")) == []
    [problem] = c.check(draft(field="education"))
    assert (problem.code, problem.field, problem.params) == ("field", "field_code",
                                                             {"fields": "Social welfare and Health care"})
    assert codes(c.check(draft(unit=OTHER_UNIT))) == ["field"]     # a unit without fields takes none


def test_a_unit_without_a_field_list_takes_any_field():
    assert checker(fields={OTHER_UNIT: ["health"]}).check(draft(field="education")) == []


# -- H3: at most 366 days -----------------------------------------------------------------------

def test_a_range_of_exactly_366_days_is_accepted_367_is_not():
    assert MAX_RANGE_DAYS == 366
    c = checker(joined=date(2020, 1, 1))
    start = date(2024, 1, 1)
    assert c.check(draft(start, start + timedelta(365), half_hours=100)) == []
    problems = c.check(draft(start, start + timedelta(366), half_hours=100))
    assert [(p.code, p.field, p.params) for p in problems] == [("too_many_days", "end_on", {"n": 366})]


def test_too_long_a_range_stops_the_checks_after_the_field():
    c = checker(gate=lambda *a: "no training", fields={UNIT: ["health"]}, joined=date(2020, 1, 1))
    start = date(2024, 1, 1)
    c.add_stored(1, PERSON, UNIT, start, start + timedelta(400), 2, "social")
    problems = c.check(draft(start, start + timedelta(366), half_hours=10**6))
    assert codes(problems) == ["field", "too_many_days"]


# -- H4: at most 24 hours a day, all units together --------------------------------------------------

def test_exactly_24_hours_on_an_empty_day_is_accepted_24_5_is_not():
    assert MAX_HALF_HOURS_PER_DAY == 48
    c = checker()
    assert c.check(draft(half_hours=48)) == []
    [problem] = c.check(draft(half_hours=49))
    assert (problem.code, problem.field, problem.key, problem.params) == (
        "over_24h_day", "hours", None, {"date": DAY.isoformat(), "total": 49})


def test_the_day_total_counts_every_unit_and_every_shift():
    c = checker()
    c.add_stored(1, PERSON, OTHER_UNIT, DAY, DAY, 20, "social")
    c.add_stored(2, PERSON, UNIT, DAY, DAY, 20, "health")
    assert c.check(draft(half_hours=8)) == []
    assert c.check(draft(half_hours=9))[0].params == {"date": DAY.isoformat(), "total": 49}
    # other days and other people do not count
    c.add_stored(3, PERSON, UNIT, DAY + timedelta(1), DAY + timedelta(1), 48, "social")
    c.add_stored(4, PERSON + 1, UNIT, DAY, DAY, 48, "social")
    assert c.check(draft(half_hours=8)) == []


def test_a_range_holds_at_most_24_hours_for_each_of_its_days():
    c = checker()
    assert c.check(draft(DAY, DAY + timedelta(1), 96)) == []
    [problem] = c.check(draft(DAY, DAY + timedelta(1), 97))
    assert (problem.code, problem.field, problem.key, problem.params) == (
        "over_24h_day", "hours", "over_24h_range", {"total": 97, "days": 2})


@pytest.mark.parametrize("offset,counts", [(-1, False), (0, True), (1, True), (2, False)])
def test_a_range_counts_the_single_days_recorded_inside_it(offset, counts):
    """The range DAY..DAY+1: a day recorded on its first or last day counts, the days around it do not."""
    c = checker()
    c.add_stored(1, PERSON, OTHER_UNIT, DAY + timedelta(offset), DAY + timedelta(offset), 10, "social")
    limit = 96 - (10 if counts else 0)
    assert c.check(draft(DAY, DAY + timedelta(1), limit)) == []
    assert codes(c.check(draft(DAY, DAY + timedelta(1), limit + 1))) == ["over_24h_day"]


@pytest.mark.parametrize("start,end,counts", [
    (0, 2, True),       # the same dates
    (1, 1 + 1, True),   # inside, touching the end
    (0, 1, True),       # inside, touching the start
    (-1, 2, False),     # starts before the range
    (0, 3, False),      # ends after it
])
def test_a_range_counts_the_ranges_recorded_inside_it(start, end, counts):
    """The range DAY..DAY+2 (144 half-hours at most) and a stored range of another unit."""
    c = checker()
    c.add_stored(1, PERSON, OTHER_UNIT, DAY + timedelta(start), DAY + timedelta(end), 40, "social")
    limit = 144 - (40 if counts else 0)
    assert c.check(draft(DAY, DAY + timedelta(2), limit)) == []
    assert codes(c.check(draft(DAY, DAY + timedelta(2), limit + 1))) == ["over_24h_day"]


def test_another_persons_hours_do_not_count_in_a_range():
    c = checker()
    c.add_stored(1, PERSON + 1, UNIT, DAY, DAY, 40, "social")
    c.add_stored(2, PERSON + 1, UNIT, DAY, DAY + timedelta(1), 40, "social")
    assert c.check(draft(DAY, DAY + timedelta(1), 96)) == []


# -- H5: overlapping entries of one unit -------------------------------------------------------------

MARCH = (date(2025, 3, 1), date(2025, 3, 10))


@pytest.mark.parametrize("start,end,conflict", [
    (date(2025, 3, 10), date(2025, 3, 12), True),     # two ranges touching on one day
    (date(2025, 3, 11), date(2025, 3, 12), False),    # the next day
    (date(2025, 2, 25), date(2025, 3, 1), True),      # ending on its first day
    (date(2025, 2, 25), date(2025, 2, 28), False),    # ending the day before
    (date(2025, 3, 3), date(2025, 3, 4), True),       # inside
    (date(2025, 2, 1), date(2025, 3, 31), True),      # around
    (date(2025, 3, 10), None, True),                  # a single day on its last day
    (date(2025, 3, 1), None, True),                   # a single day on its first day
    (date(2025, 3, 11), None, False),                 # the day after
    (date(2025, 2, 28), None, False),                 # the day before
])
def test_ranges_of_one_unit_may_not_overlap(start, end, conflict):
    c = checker()
    c.add_stored(5, PERSON, UNIT, *MARCH, 20, "social")
    problems = c.check(draft(start, end, 2))
    if not conflict:
        assert problems == []
        return
    [problem] = problems
    assert (problem.code, problem.field, problem.key, problem.params) == (
        "overlap", "start_on", "overlap_entry", {"id": 5, "start": "2025-03-01", "end": "2025-03-10"})


def test_ranges_of_different_units_or_people_do_not_conflict():
    c = checker()
    c.add_stored(5, PERSON, OTHER_UNIT, *MARCH, 20, "social")
    c.add_stored(6, PERSON + 1, UNIT, *MARCH, 20, "social")
    assert c.check(draft(*MARCH, 2)) == []


def test_shifts_on_one_day_are_fine():
    c = checker()
    c.add_stored(5, PERSON, UNIT, DAY, DAY, 8, "social")
    assert c.check(draft(DAY, half_hours=8)) == []


@pytest.mark.parametrize("singles", [1, 5])     # fewer and more single days than the range has days
@pytest.mark.parametrize("offset,conflict", [(-1, False), (0, True), (1, True), (2, True), (3, False)])
def test_a_range_conflicts_with_a_single_day_of_the_unit_inside_it(singles, offset, conflict):
    """The range DAY..DAY+2 and a single day at DAY+offset (plus other single days far away)."""
    c = checker()
    for n in range(1, singles):
        c.add_stored(100 + n, PERSON, UNIT, DAY + timedelta(30 + n), DAY + timedelta(30 + n), 2, "social")
    c.add_stored(5, PERSON, UNIT, DAY + timedelta(offset), DAY + timedelta(offset), 2, "social")
    problems = c.check(draft(DAY, DAY + timedelta(2), 6))
    if not conflict:
        assert problems == []
        return
    day = (DAY + timedelta(offset)).isoformat()
    assert [(p.code, p.key, p.params) for p in problems] == [
        ("overlap", "overlap_entry", {"id": 5, "start": day, "end": day})]


@pytest.mark.parametrize("singles", [1, 5])
def test_the_first_single_day_inside_is_named(singles):
    c = checker()
    for n in range(1, singles):
        c.add_stored(100 + n, PERSON, UNIT, DAY - timedelta(30 + n), DAY - timedelta(30 + n), 2, "social")
    c.add_stored(7, PERSON, UNIT, DAY + timedelta(2), DAY + timedelta(2), 2, "social")
    c.add_stored(6, PERSON, UNIT, DAY + timedelta(1), DAY + timedelta(1), 2, "social")
    assert c.check(draft(DAY, DAY + timedelta(3), 6))[0].params["id"] == 6


def test_a_range_and_single_days_of_another_unit_do_not_conflict():
    c = checker()
    c.add_stored(5, PERSON, OTHER_UNIT, DAY, DAY, 2, "social")
    assert c.check(draft(DAY, DAY + timedelta(2), 6)) == []


def test_rows_accepted_earlier_in_the_same_file_are_named_by_row():
    c = checker()
    c.accept(draft(*MARCH, 20, ref=3))
    [problem] = c.check(draft(date(2025, 3, 5), None, 2, ref=4))
    assert (problem.code, problem.field, problem.key, problem.params) == (
        "overlap", "start_on", "overlap_row", {"row": 3, "start": "2025-03-01", "end": "2025-03-10"})
    assert problem.message == "Overlaps row 3 (2025-03-01 to 2025-03-10) of the same volunteer."


def test_an_accepted_draft_with_its_new_entry_id_is_named_by_id():
    c = checker()
    c.accept(draft(*MARCH, 20, ref=3), entry_id=44)
    assert c.check(draft(date(2025, 3, 5)))[0].params["id"] == 44


def test_accepted_ranges_count_inside_a_later_range():
    c = checker()
    c.accept(draft(DAY, DAY + timedelta(1), 90, unit=OTHER_UNIT, ref=1))
    assert c.check(draft(DAY, DAY + timedelta(1), 6)) == []
    assert codes(c.check(draft(DAY, DAY + timedelta(1), 7))) == ["over_24h_day"]


def test_accepted_single_days_count_for_the_day_total():
    c = checker()
    c.accept(draft(half_hours=40, ref=1))
    assert c.check(draft(half_hours=8)) == []
    assert codes(c.check(draft(half_hours=9))) == ["over_24h_day"]


# -- H12: the training gate --------------------------------------------------------------------------

def gate_from(first_day: date):
    """A gate refusing every day from `first_day`, naming the day."""
    def gate(person_id, field_code, day):
        return f"{person_id} {field_code} {day.isoformat()}" if day >= first_day else None
    return gate


def test_the_gate_passes_days_it_allows():
    c = checker(gate=gate_from(date(2026, 1, 1)))
    assert c.check(draft(date(2025, 12, 31))) == []
    assert c.check(draft(date(2025, 12, 1), date(2025, 12, 31))) == []


def test_the_gate_is_asked_for_a_single_day():
    c = checker(gate=gate_from(date(2026, 1, 1)))
    [problem] = c.check(draft(date(2026, 1, 1), field="health"))
    assert (problem.code, problem.field, problem.message) == ("training", "field_code", "1 health 2026-01-01")


def test_the_gate_is_asked_about_the_drafts_person_and_field():
    def gate(person_id, field_code, day):
        return "untrained" if (person_id, field_code) == (PERSON, "health") else None
    c = checker(gate=gate)
    assert codes(c.check(draft(field="health"))) == ["training"]
    assert c.check(draft(field="social")) == []
    c.add_membership(PERSON + 1, UNIT, JOINED, None)
    assert c.check(Draft(PERSON + 1, UNIT, DAY, DAY, 4, "health")) == []


def test_the_gate_is_asked_for_both_ends_of_a_range():
    c = checker(gate=gate_from(date(2026, 1, 1)))
    [problem] = c.check(draft(date(2025, 12, 31), date(2026, 1, 1)))
    assert problem.message == "1 social 2026-01-01"
    only_start = checker(gate=lambda p, f, day: "refused" if day == date(2025, 12, 1) else None)
    assert codes(only_start.check(draft(date(2025, 12, 1), date(2025, 12, 31)))) == ["training"]


# -- H10: the same entry never counts twice -----------------------------------------------------------

def test_the_same_stored_entry_is_a_duplicate_and_nothing_else_is_checked():
    c = checker()
    c.add_stored(9, PERSON, UNIT, DAY, DAY, 4, "social")
    [problem] = c.refusals(draft())
    assert (problem.code, problem.field, problem.key, problem.params) == ("duplicate", "person", "duplicate_entry",
                                                                          {"id": 9})
    assert c.duplicate_of(draft(half_hours=5)) is None
    assert c.duplicate_of(draft(field="health")) is None
    assert c.duplicate_of(draft(unit=OTHER_UNIT)) is None


def test_a_row_accepted_earlier_is_a_duplicate_by_row_and_the_first_one_is_named():
    c = checker()
    c.accept(draft(ref=3))
    c.accept(draft(ref=8))
    problem = c.duplicate_of(draft(ref=9))
    assert (problem.code, problem.field, problem.key, problem.params) == ("duplicate", "person", "duplicate_row",
                                                                          {"row": 3})
    assert problem.message == "The same entry is already in row 3."


def test_without_a_duplicate_refusals_are_the_checks():
    c = checker()
    assert c.refusals(draft(half_hours=4)) == []
    assert codes(c.refusals(draft(half_hours=49))) == ["over_24h_day"]


# -- the window facts.entry_checker loads --------------------------------------------------------------

def test_the_window_is_the_days_the_drafts_cover():
    assert window_of([]) is None
    drafts = [draft(date(2025, 3, 5), date(2025, 3, 9)), draft(date(2025, 2, 1)), draft(date(2025, 4, 1))]
    assert window_of(drafts) == (date(2025, 2, 1), date(2025, 4, 1))
    assert window_of(iter([draft(date(2025, 3, 5), date(2025, 3, 9))])) == (date(2025, 3, 5), date(2025, 3, 9))
