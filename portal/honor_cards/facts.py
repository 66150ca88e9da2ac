"""The thin loader: database rows → the plain facts of the eligibility engine.

Six queries whatever the number of people (people, memberships, record books, verified
training, hour entries, earlier cards), so a unit's whole roster is evaluated without N+1.
"""
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from portal.hours.models import EntryStatus, HourEntry
from portal.platform.extensions import db
from portal.records.models import BookKind, RecordBook
from portal.registry.models import PHOTO_ACCEPTED, Membership, Person
from portal.training.facts import verified_starts

from .models import ApplicationStatus, CardStatus, HonorCard, HonorCardApplication
from .rules import (
    Facts,
    HourFact,
    PreviousCard,
    Result,
    evaluate,
    list_key,
    listed,
    may_be_applied_for,
    months_ahead,
    outlook,
)


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
    fields = defaultdict(set)
    for pid, field_code in db.session.execute(
            select(Membership.person_id, Membership.field_code)
            .where(Membership.person_id.in_(ids), Membership.is_current)):
        fields[pid].add(field_code)
    with_book = set(db.session.scalars(select(RecordBook.person_id).where(
        RecordBook.person_id.in_(ids), RecordBook.kind != BookKind.CANCELLED)))
    basic_from, special_from = verified_starts(ids)
    hours = defaultdict(list)
    for pid, start_on, end_on, half, field_code in db.session.execute(
            select(HourEntry.person_id, HourEntry.start_on, HourEntry.end_on, HourEntry.half_hours,
                   HourEntry.field_code)
            .where(HourEntry.person_id.in_(ids), HourEntry.status == EntryStatus.ACTIVE)):
        hours[pid].append(HourFact(start_on, half, field_code, end_on if end_on != start_on else None))
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
        f.hours = hours[pid]
        f.previous_cards = cards[pid]
    return facts


def eligibility(person_ids: Iterable[int], on: date) -> dict[int, Result]:
    """The engine's result for each person, keyed by id."""
    return {pid: evaluate(f) for pid, f in load_facts(person_ids, on).items()}


def eligibility_of(person_id: int, on: date) -> Result | None:
    return eligibility([person_id], on).get(person_id)


def unit_list(unit, within: str, q: str | None, on: date) -> list[dict]:
    """Every current volunteer of the unit with their result and outlook, eligible first; `within` is the
    list's "Show" choice (rules.months_ahead), `q` a part of the name."""
    query = (select(Person).join(Membership).where(Membership.unit_id == unit.id, Membership.is_current)
             .distinct().order_by(Person.name, Person.id))
    if q:
        query = query.where(Person.name.contains(q, autoescape=True))
    people = db.session.scalars(query).all()
    results = eligibility([p.id for p in people], on)
    open_apps = {a.person_id: a for a in db.session.scalars(select(HonorCardApplication).where(
        HonorCardApplication.person_id.in_([p.id for p in people]),
        HonorCardApplication.status == ApplicationStatus.SUBMITTED))}
    months = months_ahead(within)
    rows = []
    for person in people:
        result, application = results[person.id], open_apps.get(person.id)
        look = outlook(result, months)
        if listed(look, within):
            rows.append({"person": person, "result": result, "outlook": look, "application": application,
                         "may_apply": may_be_applied_for(result, application)})
    rows.sort(key=lambda r: list_key(r["outlook"]))
    return rows
