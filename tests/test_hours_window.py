"""What facts.entry_checker reads when an entry is saved: only stored entries sharing a day with the new
one (a range is at most MAX_RANGE_DAYS long, so the read stops a year back), never the whole history."""
from datetime import date, timedelta

import pytest

from portal.hours.facts import entry_checker
from portal.hours.operations import record_entry
from portal.hours.rules import MAX_RANGE_DAYS, Draft, window_of
from portal.platform.extensions import db

DAY = date(2025, 6, 30)


@pytest.fixture
def member(app, make_unit, make_person):
    unit = make_unit("TPE", "social")
    person = make_person([unit], joined=date(2020, 1, 1))
    return unit, person


def saved_range(unit, person, start, end, half_hours=2):
    record_entry(Draft(person.id, unit.id, start, end, half_hours, "social"), None)
    db.session.commit()


def refusals(unit, person, draft):
    return [p.code for p in entry_checker([person.id], window_of([draft]), DAY).refusals(draft)]


@pytest.mark.parametrize("first_day_back, refused", [(MAX_RANGE_DAYS - 1, True), (MAX_RANGE_DAYS, False)])
def test_the_longest_stored_range_ending_on_the_day_is_still_seen(member, first_day_back, refused):
    """A 366-day range ending on the new entry's day overlaps it; the one ending the day before does not."""
    unit, person = member
    start = DAY - timedelta(days=first_day_back)
    saved_range(unit, person, start, start + timedelta(days=MAX_RANGE_DAYS - 1))
    draft = Draft(person.id, unit.id, DAY, DAY, 4, "social")
    assert ("overlap" in refusals(unit, person, draft)) is refused


def test_a_save_reads_the_entries_on_its_days_not_the_history(member):
    unit, person = member
    for n in range(1, 200):  # 199 earlier single days
        record_entry(Draft(person.id, unit.id, DAY - timedelta(days=n), DAY - timedelta(days=n), 2, "social"), None)
    record_entry(Draft(person.id, unit.id, DAY, DAY, 40, "social"), None)
    db.session.commit()
    draft = Draft(person.id, unit.id, DAY, DAY, 9, "social")
    checker = entry_checker([person.id], window_of([draft]), DAY)
    assert [p.code for p in checker.refusals(draft)] == ["over_24h_day"]  # 20 h stored + 4.5 h
    assert sum(len(v) for v in checker.singles.values()) == 1  # only the entry of that day was loaded
