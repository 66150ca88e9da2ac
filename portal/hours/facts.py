"""What the hours rules need from the database, loaded for many drafts at once.

The training gate (from 2026 hours count only with verified training) is the training feature's, a
floor below hours: its loader answers for many people in one query."""
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import select

from portal.platform.extensions import db
from portal.registry.models import Membership, Person
from portal.training.facts import gate_checker

from .models import EntryStatus, HourEntry
from .rules import EARLIEST, MAX_RANGE_DAYS, EntryChecker


def entry_checker(person_ids: Iterable[int], window: tuple[date, date] | None, today: date,
                  ignore_entry_ids: Iterable[int] = (), unit_fields: dict[int, list[str]] | None = None,
                  statuses: tuple[str, ...] = (EntryStatus.ACTIVE,)) -> EntryChecker:
    """A checker that knows these people's verified training, their entries on the window's days (of the
    given statuses, except the ignored ones) and their memberships: three queries in all."""
    ids = set(person_ids)
    ignore = set(ignore_entry_ids)
    checker = EntryChecker(gate_checker(ids), unit_fields)
    if not ids:
        return checker
    lo, hi = window or (EARLIEST, today)
    # Only entries sharing a day with the window matter. A stored range is at most MAX_RANGE_DAYS long, so
    # the lower bound on start_on lets the (person, start) index stop there instead of reading the
    # volunteer's whole history on every save.
    for row in db.session.execute(
            select(HourEntry.id, HourEntry.person_id, HourEntry.unit_id, HourEntry.start_on, HourEntry.end_on,
                   HourEntry.half_hours, HourEntry.field_code)
            .where(HourEntry.person_id.in_(ids), HourEntry.status.in_(statuses),
                   HourEntry.start_on >= lo - timedelta(MAX_RANGE_DAYS), HourEntry.start_on <= hi,
                   HourEntry.end_on >= lo)):
        if row.id not in ignore:
            checker.add_stored(*row)
    for person_id, unit_id, joined_on, left_on in db.session.execute(
            select(Membership.person_id, Membership.unit_id, Membership.joined_on, Membership.left_on)
            .where(Membership.person_id.in_(ids))):
        checker.add_membership(person_id, unit_id, joined_on, left_on)
    return checker


def people_by_number(numbers: set[str]) -> dict:
    """ID number -> (person id, registered name) of the registered ones, 5,000 numbers a query."""
    found, numbers = {}, sorted(numbers)
    for start in range(0, len(numbers), 5000):
        chunk = numbers[start:start + 5000]
        for person_id, number, name in db.session.execute(
                select(Person.id, Person.id_number, Person.name).where(Person.id_number.in_(chunk))):
            found[number] = (person_id, name)
    return found
