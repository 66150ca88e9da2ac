"""The thin loader: database rows → the plain facts of the eligibility engine.

A fixed number of queries whatever the number of people (people, memberships, record books, verified
training, earlier cards, hour summaries, the hour entries the summaries cannot stand for), so a page of
people is evaluated without N+1 and without reading every hour entry of their lives.

Hours come from the monthly summaries (hours.summaries.HourMonth) as one fact per person, field and
month, dated the first of the month. The engine compares an entry's first and last day with a few days
only (evaluate(): the window start, the day after earlier cards, card windows, the training starts, the
end of last month, the first month of the last 12): in a month where none of these days falls after the
1st, every entry is judged alike, so the month's total is judged the same as its entries one by one.
The entries of the other ("cut") months are read one by one, and so are the entries whose range crosses
the end of a month (their last day lies in another month than the one they are summed in). The cut months
come from the database as a join, not as a condition per person: a condition with hundreds of branches is
slow to plan and, with PostgreSQL's JIT, can take minutes to compile.
tests/test_eligibility_scale.py proves the results equal those of every entry read one by one.
"""
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import Date, Integer, and_, cast, extract, func, literal, select, union

from portal.hours.models import EntryStatus, HourEntry
from portal.hours.summaries import HourMonth
from portal.platform.extensions import db
from portal.records.models import BookKind, RecordBook
from portal.registry.models import PHOTO_ACCEPTED, Membership, Person
from portal.training.facts import verified_starts
from portal.training.models import TrainingRecord, TrainingStatus

from .models import CardStatus, HonorCard
from .rules import Facts, HourFact, PreviousCard, Result, evaluate


def month_index(column):
    """year * 12 + month - 1 of a date column, in SQL on both dialects (consecutive months differ by 1)."""
    return cast(extract("year", column), Integer) * 12 + cast(extract("month", column), Integer) - 1


def crosses_months():
    """SQL condition: the entry's range ends in a later month than it starts (rare; summed in the month it
    starts, judged by its last day)."""
    return month_index(HourEntry.start_on) != month_index(HourEntry.end_on)


def load_facts(person_ids: Iterable[int], on: date) -> dict[int, Facts]:
    """Facts for every person id, keyed by id (people that do not exist are left out)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    facts = {pid: Facts(on=on, person_id=pid, photo_accepted=accepted)
             for pid, accepted in db.session.execute(
                 select(Person.id, (Person.photo_status == PHOTO_ACCEPTED) & Person.photo_file_id.is_not(None))
                 .where(Person.id.in_(ids)))}
    ids = list(facts)
    if not ids:
        return {}
    fields = defaultdict(set)
    for pid, field_code in db.session.execute(
            select(Membership.person_id, Membership.field_code)
            .where(Membership.person_id.in_(ids), Membership.is_current)):
        fields[pid].add(field_code)
    with_book = set(db.session.scalars(select(RecordBook.person_id).where(
        RecordBook.person_id.in_(ids), RecordBook.kind != BookKind.CANCELLED)))
    basic_from, special_from = verified_starts(ids)
    cards = defaultdict(list)
    for card in db.session.execute(
            select(HonorCard.person_id, HonorCard.valid_from, HonorCard.valid_to, HonorCard.window_start,
                   HonorCard.window_end, HonorCard.half_hours, HonorCard.number)
            .where(HonorCard.person_id.in_(ids), HonorCard.status != CardStatus.CANCELLED)):
        cards[card.person_id].append(PreviousCard(card.valid_from, card.valid_to, card.window_start,
                                                  card.window_end, card.half_hours or 0, card.number))
    for (pid, field_code), start in special_from.items():
        if pid in facts:
            facts[pid].special_from[field_code] = start
    for pid, f in facts.items():
        f.record_book = pid in with_book
        f.basic_from = basic_from.get(pid)
        f.fields_served = tuple(sorted(fields[pid]))
        f.previous_cards = cards[pid]
    _load_hours(facts)
    return facts


def first_day(index):
    """The first day of month `index` (month_index()), in SQL: a bound on start_on that an index can use."""
    year, month = index // 12, index % 12 + 1
    if db.session.get_bind().dialect.name == "postgresql":
        return func.make_date(year, month, 1, type_=Date)
    return func.printf("%04d-%02d-01", year, month, type_=Date)


def _cut_months(ids: list[int]):
    """(person, month index) of every month holding a day that evaluate() compares entry dates with, other
    than month starts: training starts, the last day of a card's validity and of its window (the next day
    starts the next window), a window's first day. A superset is harmless: a month read entry by entry is
    judged exactly either way; months must only never be missed."""
    start = func.coalesce(TrainingRecord.effective_on, TrainingRecord.completed_on)
    training = select(TrainingRecord.person_id, start.label("day")).where(
        TrainingRecord.person_id.in_(ids), TrainingRecord.status == TrainingStatus.VERIFIED, start.is_not(None))
    live = and_(HonorCard.person_id.in_(ids), HonorCard.status != CardStatus.CANCELLED)
    days = union(training, *(select(HonorCard.person_id, column.label("day")).where(live, column.is_not(None))
                             for column in (HonorCard.valid_to, HonorCard.window_start, HonorCard.window_end)))
    days = days.subquery()
    return select(days.c.person_id, month_index(days.c.day).label("m")).distinct().subquery()


def _load_hours(facts: dict[int, Facts]):
    """Each person's hour facts in three queries: the entries of cut months and of ranges crossing a month end,
    one by one; month totals for the rest."""
    ids = list(facts)
    cut = _cut_months(ids)
    single = db.session.execute(
        select(HourEntry.id, HourEntry.person_id, HourEntry.start_on, HourEntry.end_on, HourEntry.half_hours,
               HourEntry.field_code, literal(True))
        .join(cut, and_(HourEntry.person_id == cut.c.person_id, HourEntry.start_on >= first_day(cut.c.m),
                        HourEntry.start_on < first_day(cut.c.m + 1)))
        .where(HourEntry.status == EntryStatus.ACTIVE)).all()
    single += db.session.execute(
        select(HourEntry.id, HourEntry.person_id, HourEntry.start_on, HourEntry.end_on, HourEntry.half_hours,
               HourEntry.field_code, literal(False))
        .where(HourEntry.person_id.in_(ids), HourEntry.status == EntryStatus.ACTIVE, crosses_months())).all()
    whole_month = {(e.person_id, e.start_on.year, e.start_on.month) for e in single if e[-1]}
    taken = defaultdict(lambda: [0, 0])        # (person, field, year, month) -> [half-hours, entries] read singly
    for e in {e.id: e for e in single}.values():
        facts[e.person_id].hours.append(
            HourFact(e.start_on, e.half_hours, e.field_code, e.end_on if e.end_on != e.start_on else None))
        key = (e.person_id, e.field_code, e.start_on.year, e.start_on.month)
        taken[key][0] += e.half_hours
        taken[key][1] += 1
    for pid, field_code, year, month, half, count in db.session.execute(
            select(HourMonth.person_id, HourMonth.field_code, HourMonth.year, HourMonth.month,
                   func.sum(HourMonth.half_hours), func.sum(HourMonth.entries))
            .where(HourMonth.person_id.in_(ids))
            .group_by(HourMonth.person_id, HourMonth.field_code, HourMonth.year, HourMonth.month)):
        if (pid, year, month) in whole_month:
            continue
        single_half, single_count = taken.get((pid, field_code, year, month), (0, 0))
        if count - single_count > 0:
            facts[pid].hours.append(HourFact(date(year, month, 1), int(half) - single_half, field_code))


def eligibility(person_ids: Iterable[int], on: date) -> dict[int, Result]:
    """The engine's result for each person, keyed by id."""
    return {pid: evaluate(f) for pid, f in load_facts(person_ids, on).items()}


def eligibility_of(person_id: int, on: date) -> Result | None:
    return eligibility([person_id], on).get(person_id)
