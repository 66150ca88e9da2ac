"""The completeness summaries (portal/records/summaries.py) give the numbers of the recomputation from the raw
tables (portal/records/completeness.py, docs/rules/record-book.md#b9) for every unit on every day from now on,
whatever sequence of writes came before (people, memberships, training, record books, insurance, hours, by
objects and by statements); rebuilding and folding change no number; the timeline edges on both sides."""
from collections import defaultdict
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, true, update

from portal.hours.models import HourChange, HourEntry
from portal.hours.operations import correct_entry, insert_imported, record_entry, void_entry
from portal.hours.rules import Draft
from portal.insurance.models import InsuranceEnrolment, InsurancePolicy
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.records import completeness, rates
from portal.records.models import RecordBook
from portal.records.summaries import (
    BASE,
    CompletenessDay,
    CompletenessPair,
    Pair,
    fold,
    hours_until,
    load_pairs,
    merged,
    rebuild,
    refresh,
)
from portal.registry.models import Membership, Person, Unit
from portal.training.models import TrainingRecord

FIELDS = ("social", "education")


def numbers(rate):
    return (rate.people, tuple(rate.items[i] for i in completeness.ITEMS), rate.complete)


def recomputed(day):
    return {r.unit.id: numbers(r) for r in completeness.unit_rates(true(), day)}


def summarised(day):
    return {r.unit.id: numbers(r) for r in rates.unit_rates(true(), day)}


def by_county(day):
    """The recomputation summed per county, and the county rows the ministry reads."""
    county = dict(db.session.execute(select(Unit.id, Unit.county_code)).all())
    expected = defaultdict(lambda: [0] * 9)
    for unit_id, (people, items, complete) in recomputed(day).items():
        expected[county[unit_id]] = [a + b for a, b in zip(expected[county[unit_id]], (people, *items, complete),
                                                             strict=True)]
    stored = {c.county_code: [*(lambda n: (n[0], *n[1], n[2]))(numbers(c))] for c in rates.country_rates(day)}
    return {k: v for k, v in stored.items() if any(v)}, {k: v for k, v in expected.items() if any(v)}


def days_to_check(today):
    """Today, the days around month ends and cover edges, and later days up to two years on."""
    out = {today + timedelta(days=n) for n in (0, 1, 2, 15, 29, 30, 31, 45, 60, 61, 62, 90, 200, 366, 400, 800)}
    for months in range(0, 5):
        first = date(today.year + (today.month - 1 + months) // 12, (today.month - 1 + months) % 12 + 1, 1)
        out |= {first, first - timedelta(days=1)}
    return sorted(d for d in out if d >= today)


def edges(today):
    """Both sides of every cover period's ends and of every pair's last hours turning too old."""
    days = set()
    for start, end in db.session.execute(select(InsuranceEnrolment.starts_on, InsuranceEnrolment.ends_on)):
        days |= {start - timedelta(days=1), start, end, end + timedelta(days=1)}
    for until in db.session.scalars(select(CompletenessPair.hours_until).where(CompletenessPair.hours_until.isnot(None))):
        days |= {until - timedelta(days=1), until}
    return sorted(d for d in days if d >= today)


def stored_pairs():
    return {(r.person_id, r.unit_id): Pair.from_row(r) for r in db.session.scalars(select(CompletenessPair))}


@pytest.fixture
def cast(app, make_unit, make_person):
    units = [make_unit("TPE", "social"), make_unit("TPE", "education"), make_unit("KHH", "social")]
    people = [make_person([units[i % 3]], name=f"志工{i}") for i in range(4)]
    policy = InsurancePolicy(unit_id=units[0].id, insurer_code="first", insurer_name="第一產物", policy_no="P1",
                             starts_on=date(2020, 1, 1), ends_on=date(2040, 12, 31))
    db.session.add(policy)
    db.session.commit()
    return [u.id for u in units], [p.id for p in people], policy.id


steps = st.lists(st.tuples(
    st.sampled_from(["join", "leave", "bulk_leave", "rejoin", "id_number", "birth", "photo", "basic", "special",
                     "unverify", "book", "cancel_book", "insure", "end_cover", "void_cover", "bulk_cover",
                     "hours", "void_hours", "move_hours", "import", "policy"]),
    st.integers(0, 11), st.integers(-400, 400), st.sampled_from(FIELDS)),
    min_size=1, max_size=20)


def apply_step(op, pick, offset, field_code, unit_ids, person_ids, policy_id, today, serial):
    person_id, unit_id = person_ids[pick % 4], unit_ids[pick % 3]
    person = db.session.get(Person, person_id)
    memberships = db.session.scalars(select(Membership).where(Membership.person_id == person_id)
                                     .order_by(Membership.id)).all()
    enrolments = db.session.scalars(select(InsuranceEnrolment).where(InsuranceEnrolment.person_id == person_id)
                                    .order_by(InsuranceEnrolment.id)).all()
    entries = db.session.scalars(select(HourEntry).where(HourEntry.person_id == person_id)
                                 .order_by(HourEntry.id)).all()
    past = today - timedelta(days=abs(offset))
    if op == "join":
        db.session.add(Membership(person_id=person_id, unit_id=unit_id, field_code=field_code,
                                  joined_on=past - timedelta(days=len(memberships)), status="active"))
    elif op == "leave" and memberships:
        memberships[pick % len(memberships)].status = "left"
    elif op == "bulk_leave":
        db.session.execute(update(Membership).where(Membership.unit_id == unit_id, Membership.person_id == person_id)
                           .values(status="left", version=Membership.version + 1))
    elif op == "rejoin" and memberships:
        memberships[pick % len(memberships)].status = "active"
    elif op == "id_number":
        # ID numbers are unique: only one person at a time goes without.
        if person.id_number and not db.session.scalar(select(Person.id).where(Person.id_number == "")):
            person.id_number = ""
        elif not person.id_number:
            person.id_number = f"A1{person_id:08d}"
    elif op == "birth":
        person.birth_date = None if person.birth_date else date(1960, 1, 1)
    elif op == "photo":
        person.photo_status, person.photo_file_id = ("accepted", 1) if offset % 3 else ("pending", 1)
    elif op in ("basic", "special"):
        db.session.add(TrainingRecord(person_id=person_id, kind=op, field_code=field_code if op == "special" else None,
                                      status="verified" if offset % 4 else "pending", completed_on=past))
    elif op == "unverify":
        record = db.session.scalars(select(TrainingRecord).where(TrainingRecord.person_id == person_id)).first()
        if record is not None:
            record.status = "rejected" if record.status == "verified" else "verified"
    elif op == "book":
        book = db.session.scalar(select(RecordBook).where(RecordBook.person_id == person_id))
        if book is None:
            db.session.add(RecordBook(person_id=person_id, number=f"TPE-115-{person_id:06d}", issued_on=past))
        else:
            book.kind = "first"
    elif op == "cancel_book":
        book = db.session.scalar(select(RecordBook).where(RecordBook.person_id == person_id))
        if book is not None:
            book.kind = "cancelled"
    elif op == "insure":
        start = today + timedelta(days=offset)
        db.session.add(InsuranceEnrolment(policy_id=policy_id, person_id=person_id, unit_id=unit_id, starts_on=start,
                                          ends_on=start + timedelta(days=pick * 30)))
    elif op == "end_cover" and enrolments:
        enrolment = enrolments[pick % len(enrolments)]
        enrolment.ends_on = max(enrolment.starts_on, today + timedelta(days=offset // 4))
    elif op == "void_cover" and enrolments:
        enrolments[pick % len(enrolments)].status = "void"
    elif op == "bulk_cover":
        db.session.execute(update(InsuranceEnrolment).where(InsuranceEnrolment.person_id == person_id)
                           .values(ends_on=InsuranceEnrolment.starts_on, version=InsuranceEnrolment.version + 1))
    elif op == "hours":
        day = today - timedelta(days=abs(offset) % 120)
        # Half-hours from a counter: the business key (docs/rules/hours.md#h10) never collides.
        record_entry(Draft(person_id, unit_id, day - timedelta(days=pick), day, next(serial), field_code), None)
    elif op == "void_hours" and entries:
        entry = entries[pick % len(entries)]
        if entry.status == "active":
            void_entry(entry, "wrong", None)
    elif op == "move_hours" and entries:
        entry = entries[pick % len(entries)]
        correct_entry(entry, {"start_on": entry.start_on - timedelta(days=abs(offset)),
                              "end_on": entry.end_on - timedelta(days=abs(offset))}, "moved", None)
    elif op == "import":
        day = today - timedelta(days=abs(offset) % 90 + 1000 * (pick + 1))
        insert_imported([(person_id, unit_id, day, day, next(serial), field_code),
                         (person_ids[(pick + 1) % 4], unit_id, today - timedelta(days=40), today, next(serial),
                          field_code)],
                        ("person_id", "unit_id", "start_on", "end_on", "half_hours", "field_code"), None, None)
    elif op == "policy":
        policy = db.session.get(InsurancePolicy, policy_id)
        policy.status = "active" if policy.status != "active" else "suspended"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
def test_the_summary_equals_a_recomputation_after_any_sequence_of_writes(cast, sequence):
    unit_ids, person_ids, policy_id = cast
    for table in (HourChange, HourEntry, InsuranceEnrolment, TrainingRecord, RecordBook):
        db.session.execute(delete(table))
    db.session.execute(delete(Membership).where(Membership.id > 4))
    db.session.execute(update(Membership).values(status="active", version=Membership.version + 1))
    for person in db.session.scalars(select(Person)):
        person.id_number = person.id_number or f"A1{person.id:08d}"
        person.birth_date, person.photo_status, person.photo_file_id = date(1960, 1, 1), "none", None
    db.session.commit()
    today, serial = today_taipei(), iter(range(1, 10_000))
    for op, pick, offset, field_code in sequence:
        apply_step(op, pick, offset, field_code, unit_ids, person_ids, policy_id, today, serial)
        db.session.flush()
        db.session.expire_all()
    db.session.commit()
    assert stored_pairs() == load_pairs(db.session.execute, lambda column: column.isnot(None))
    for day in days_to_check(today) + edges(today):
        assert summarised(day) == recomputed(day), day
        stored, expected = by_county(day)
        assert stored == expected, day
    # Folding moves passed days into the base rows; rebuilding gives the same rows again.
    later = today + timedelta(days=61)
    fold(today=later)
    assert summarised(later) == recomputed(later)
    assert by_county(later)[0] == by_county(later)[1]
    rebuild(today=today)
    for day in days_to_check(today):
        assert summarised(day) == recomputed(day), day
        assert by_county(day)[0] == by_county(day)[1], day
    db.session.rollback()


def test_the_unit_people_list_shows_the_same_items_as_the_recomputation(cast):
    unit_ids, person_ids, policy_id = cast
    today = today_taipei()
    db.session.add_all([TrainingRecord(person_id=person_ids[0], kind="basic", status="verified"),
                        TrainingRecord(person_id=person_ids[0], kind="special", field_code="social", status="verified"),
                        InsuranceEnrolment(policy_id=policy_id, person_id=person_ids[0], unit_id=unit_ids[0],
                                           starts_on=today, ends_on=today + timedelta(days=5))])
    db.session.commit()
    for unit_id in unit_ids:
        for only in (False, True):
            old = [(p.id, flags) for p, flags in completeness.person_rows(unit_id, today, only)]
            new = [(p.id, flags) for p, flags in rates.person_rows(unit_id, today, only)]
            assert old == new


# --- one pair's timeline -------------------------------------------------------------------------

@pytest.mark.parametrize("last_end, day, present", [
    (date(2025, 4, 3), date(2025, 5, 31), True),     # last month's hours, last day of this month
    (date(2025, 4, 3), date(2025, 6, 1), False),     # a month on: no longer "up to last month"
    (date(2025, 4, 30), date(2025, 5, 1), True),
    (date(2024, 12, 31), date(2025, 1, 31), True),   # across the year
    (date(2024, 12, 31), date(2025, 2, 1), False),
])
def test_hours_count_until_the_month_after_next(last_end, day, present):
    assert (day < hours_until(last_end)) is present
    assert (last_end >= completeness.last_month_start(day)) is present   # the definition says the same


def test_cover_periods_merge_when_they_overlap_or_touch_only():
    d = date(2026, 1, 1)
    assert merged([(d, d + timedelta(days=9)), (d + timedelta(days=10), d + timedelta(days=20))]) == \
        ((d, d + timedelta(days=20)),)
    assert merged([(d, d + timedelta(days=9)), (d + timedelta(days=11), d + timedelta(days=20))]) == \
        ((d, d + timedelta(days=9)), (d + timedelta(days=11), d + timedelta(days=20)))


def test_a_pair_is_complete_only_on_the_days_with_every_item():
    start, end, until = date(2026, 3, 10), date(2026, 3, 20), date(2026, 3, 15)
    pair = Pair(31, until, ((start, end),))
    complete = [day for day in (start - timedelta(days=1), start, until - timedelta(days=1), until, end)
                if pair.counts_on(day)[-1]]
    assert complete == [start, until - timedelta(days=1)]
    assert Pair(30, until, ((start, end),)).counts_on(start)[-1] == 0     # no ID number
    timeline = pair.timeline()
    assert timeline[BASE] == (1, 1, 1, 1, 1, 1, 1, 0, 0)
    assert timeline[start] == (0,) * 7 + (1, 1)
    assert timeline[until] == (0,) * 6 + (-1, 0, -1)
    assert timeline[end + timedelta(days=1)] == (0,) * 7 + (-1, 0)


def test_a_change_written_today_lands_in_the_base_row_and_a_later_one_on_its_day(cast):
    unit_ids, person_ids, policy_id = cast
    today = today_taipei()
    db.session.add(InsuranceEnrolment(policy_id=policy_id, person_id=person_ids[0], unit_id=unit_ids[0],
                                      starts_on=today - timedelta(days=3), ends_on=today + timedelta(days=10)))
    db.session.commit()
    rows = {r.day: r.insurance for r in db.session.scalars(
        select(CompletenessDay).where(CompletenessDay.unit_id == unit_ids[0]))}
    assert rows == {BASE: 1, today + timedelta(days=11): -1}
    assert summarised(today + timedelta(days=10))[unit_ids[0]][1][6] == 1
    assert summarised(today + timedelta(days=11))[unit_ids[0]][1][6] == 0


def test_a_refresh_with_nothing_changed_writes_nothing(cast):
    unit_ids, person_ids, _policy_id = cast
    before = sorted((r.unit_id, r.day, r.people) for r in db.session.scalars(select(CompletenessDay)))
    refresh(db.session.connection(), {person_ids[0]: "full", person_ids[1]: "hours"})
    assert sorted((r.unit_id, r.day, r.people) for r in db.session.scalars(select(CompletenessDay))) == before
    assert before and all(day == BASE for _u, day, _p in before)


@pytest.mark.parametrize("by_statement", [False, True])
def test_a_policy_that_stops_takes_the_cover_of_every_enrolled_pair(cast, by_statement):
    unit_ids, person_ids, policy_id = cast
    today = today_taipei()
    for person_id in person_ids[:2]:
        db.session.add(InsuranceEnrolment(policy_id=policy_id, person_id=person_id, unit_id=unit_ids[0],
                                          starts_on=today, ends_on=today + timedelta(days=30)))
    db.session.commit()
    assert summarised(today)[unit_ids[0]][1][6] == 1   # person 0 serves in unit 0; person 1 does not
    if by_statement:
        db.session.execute(update(InsurancePolicy).where(InsurancePolicy.id == policy_id).values(status="suspended"))
    else:
        db.session.get(InsurancePolicy, policy_id).status = "suspended"
    db.session.commit()
    assert summarised(today) == recomputed(today) and summarised(today)[unit_ids[0]][1][6] == 0
