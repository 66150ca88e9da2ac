"""Eligibility at scale: the loaders that read the hour summaries and the unit lists ordered by set-based SQL
give exactly what the engines gave over every raw hour entry (random data with the edges that matter:
training, card windows and the end of last month falling mid-month, ranges crossing month ends, void and
pending entries, other units and fields), and the pages run a number of queries that does not grow with
the unit."""
import html
import random
import re
from collections import defaultdict
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from portal.awards import rules as award_rules
from portal.awards.facts import hours_up_to
from portal.awards.facts import load_facts as award_facts
from portal.awards.models import Award, AwardApplication, AwardRound
from portal.awards.unit_views import unit_page as award_page
from portal.certificates.facts import service_summaries, unit_candidates
from portal.certificates.rules import performance_eligibility
from portal.honor_cards import listing
from portal.honor_cards.facts import eligibility, load_facts
from portal.honor_cards.models import CardStatus, HonorCard, HonorCardApplication
from portal.honor_cards.rules import (
    Facts,
    HourFact,
    PreviousCard,
    end_of_last_month,
    evaluate,
    list_key,
    listed,
    months_ahead,
    outlook,
)
from portal.hours.models import EntryStatus, HourEntry
from portal.platform.dates import add_months
from portal.platform.extensions import db
from portal.records.models import BookKind, RecordBook
from portal.registry.models import PHOTO_ACCEPTED, Membership, Person
from portal.training.facts import verified_starts
from portal.training.models import TrainingRecord
from tests.conftest import login

FIELDS = ("social", "education", "health")
NAMES = ("王小明", "李大華", "陳美玲", "王小明")          # repeated names: ties broken by id
DAYS = {"n": 0}


# --- the reference: every raw entry, as the loader read them before the summaries ------------------

def raw_facts(person_ids, on):
    """The loader before hour summaries (one HourFact per active entry), kept here as the oracle."""
    ids = sorted(set(person_ids))
    facts = {pid: Facts(on=on, person_id=pid, photo_accepted=accepted)
             for pid, accepted in db.session.execute(
                 select(Person.id, (Person.photo_status == PHOTO_ACCEPTED) & Person.photo_file_id.is_not(None))
                 .where(Person.id.in_(ids)))}
    fields = defaultdict(set)
    for pid, field_code in db.session.execute(select(Membership.person_id, Membership.field_code)
                                              .where(Membership.person_id.in_(ids), Membership.is_current)):
        fields[pid].add(field_code)
    with_book = set(db.session.scalars(select(RecordBook.person_id).where(
        RecordBook.person_id.in_(ids), RecordBook.kind != BookKind.CANCELLED)))
    basic_from, special_from = verified_starts(ids)
    for pid, start_on, end_on, half, field_code in db.session.execute(
            select(HourEntry.person_id, HourEntry.start_on, HourEntry.end_on, HourEntry.half_hours,
                   HourEntry.field_code).where(HourEntry.person_id.in_(ids), HourEntry.status == EntryStatus.ACTIVE)):
        facts[pid].hours.append(HourFact(start_on, half, field_code, end_on if end_on != start_on else None))
    for c in db.session.scalars(select(HonorCard).where(HonorCard.person_id.in_(ids),
                                                        HonorCard.status != CardStatus.CANCELLED)):
        facts[c.person_id].previous_cards.append(PreviousCard(c.valid_from, c.valid_to, c.window_start,
                                                              c.window_end, c.half_hours or 0, c.number))
    for (pid, field_code), start in special_from.items():
        facts[pid].special_from[field_code] = start
    for pid, f in facts.items():
        f.record_book, f.basic_from, f.fields_served = pid in with_book, basic_from.get(pid), tuple(sorted(fields[pid]))
    return facts


def raw_order(unit, within, on):
    """The unit's list as it was built: every current volunteer by name, evaluated, filtered, sorted."""
    people = db.session.scalars(select(Person).join(Membership).where(
        Membership.unit_id == unit.id, Membership.is_current).distinct().order_by(Person.name, Person.id)).all()
    facts = raw_facts([p.id for p in people], on)
    looks = [(p.id, outlook(evaluate(facts[p.id]), months_ahead(within))) for p in people]
    return [pid for pid, look in sorted(((pid, look) for pid, look in looks if listed(look, within)),
                                        key=lambda item: list_key(item[1]))]


# --- random volunteers around the days that matter ----------------------------------------------------

def near(rng, day: date) -> date:
    """A day close to `day` (the day itself, either side, or the first or last of its month)."""
    return rng.choice([day, day - timedelta(days=1), day + timedelta(days=1), day.replace(day=1),
                       add_months(day, 1) - timedelta(days=1), day + timedelta(days=rng.randint(-400, 400))])


def random_volunteer(rng, unit, other, on):
    end = end_of_last_month(on)
    DAYS["n"] += 1
    n = DAYS["n"]
    person = Person(name=rng.choice(NAMES), id_kind="national", id_number=f"Z{n:09d}", birth_date=date(1960, 1, 1),
                    photo_status=rng.choice(["accepted", "accepted", "none"]),
                    photo_file_id=rng.choice([None, 1, 1]))
    fields = rng.sample(FIELDS, rng.randint(1, 2))
    person.memberships.append(Membership(unit=unit, field_code=fields[0], joined_on=date(2010, 1, 1),
                                         status=rng.choice(["active", "active", "paused"])))
    if len(fields) > 1:
        person.memberships.append(Membership(unit=other, field_code=fields[1], joined_on=date(2010, 1, 1),
                                             status=rng.choice(["active", "left"])))
    db.session.add(person)
    db.session.flush()
    if rng.random() < 0.8:
        db.session.add(RecordBook(person_id=person.id, number=f"B{n:09d}", issued_on=date(2015, 1, 1),
                                  kind=rng.choice(["first", "first", "cancelled"])))
    trained = end - timedelta(days=rng.randint(0, 3000))
    days = [end, add_months(end, -11), trained]
    for kind, field_code in [("basic", None)] + [("special", f) for f in FIELDS if rng.random() < 0.7]:
        if rng.random() < 0.9:
            day = near(rng, trained)
            days.append(day)
            how = rng.random()
            db.session.add(TrainingRecord(person_id=person.id, kind=kind, field_code=field_code,
                                          effective_on=day if how < 0.6 else None,
                                          completed_on=day if 0.4 < how < 0.95 else None,
                                          status="verified" if rng.random() < 0.9 else "pending"))
    for i in range(rng.choice([0, 0, 1, 2])):
        window_end = near(rng, trained + timedelta(days=rng.randint(0, 2000)))
        valid_to = near(rng, window_end + timedelta(days=rng.randint(0, 1200)))
        days += [window_end, valid_to]
        db.session.add(HonorCard(person_id=person.id, number=f"C{n:09d}{i}", county_code="TPE",
                                 approved_on=window_end, valid_from=window_end, valid_to=valid_to,
                                 window_start=rng.choice([None, near(rng, window_end - timedelta(days=1100))]),
                                 window_end=rng.choice([None, window_end, window_end]),
                                 status=rng.choice(["valid", "valid", "cancelled"])))
    keys = set()
    for _ in range(rng.randint(0, 30)):
        start = near(rng, rng.choice(days))
        start = min(start, on + timedelta(days=5))
        span = rng.choice([0, 0, 0, rng.randint(0, 5), rng.randint(20, 70)])
        key = (start, span)
        if key in keys:
            continue
        keys.add(key)
        db.session.add(HourEntry(person_id=person.id, unit_id=rng.choice([unit.id, unit.id, other.id]),
                                 start_on=start, end_on=start + timedelta(days=span),
                                 half_hours=rng.choice([1, 2, 8, 40, 120, 300]),
                                 field_code=rng.choice(fields + [rng.choice(FIELDS)]),
                                 status=rng.choice(["active"] * 8 + ["void", "pending"])))
    return person


@pytest.fixture
def units(app, make_unit):
    return make_unit("TPE", "social"), make_unit("TPE", "education")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2 ** 32), on=st.sampled_from([date(2026, 3, 10), date(2026, 1, 1), date(2028, 2, 29),
                                                         date(2025, 12, 31)]))
def test_summaries_and_unit_order_equal_the_engine_over_every_entry(units, make_unit, seed, on):
    rng = random.Random(seed)
    unit, other = make_unit("TPE", "social"), units[1]
    people = [random_volunteer(rng, unit, other, on) for _ in range(25)]
    db.session.commit()
    ids = [p.id for p in people]
    old, new = raw_facts(ids, on), load_facts(ids, on)
    assert {pid: evaluate(f) for pid, f in old.items()} == {pid: evaluate(f) for pid, f in new.items()}
    for within in ("0", "3", "12", "all"):
        assert listing.ranked(unit.id, within, None, on) == raw_order(unit, within, on), within


def test_unit_page_is_the_engine_on_the_page_in_the_list_order(units, make_unit):
    unit, other = units
    rng = random.Random(11)
    on = date(2026, 3, 10)
    for _ in range(30):
        random_volunteer(rng, unit, other, on)
    db.session.commit()
    order = raw_order(unit, "all", on)
    rows, total = listing.unit_page(unit, "all", None, on, 2, 10)
    assert total == len(order) and [r["person"].id for r in rows] == order[10:20]
    expected = eligibility(order[10:20], on)
    assert [r["result"] for r in rows] == [expected[pid] for pid in order[10:20]]
    named = listing.ranked(unit.id, "all", "李大", on)
    assert named and set(named) == {pid for pid in order if db.session.get(Person, pid).name == "李大華"}


def count_queries(run):
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def test_the_unit_list_runs_at_most_28_queries_for_5_or_40_volunteers(units, world, client):
    unit, other = world.units["A"], world.units["B"]
    rng = random.Random(5)
    on = date.today()
    login(client, world.users["clerk_a"])
    counts = []
    for size in (5, 40):
        for _ in range(size):
            random_volunteer(rng, unit, other, on)
        db.session.commit()
        counts.append(count_queries(lambda: client.get("/honor-cards/eligibility?within=all")))
    # 20 queries (one of them the header's unread-notification count); 8 more (the engine's loader) when some
    # volunteer's totals cannot place them. None grows with the number of volunteers.
    assert max(counts) <= 28, counts


def test_a_range_crossing_the_end_of_last_month_below_300_hours_goes_to_the_engine(units, make_person):
    """The start month's single entries are skipped with 300 hours in whole months; a range crossing the end
    of last month (summed there, not counted) can take the volunteer back below 300: the engine decides."""
    unit, _other = units
    on = date(2026, 3, 10)
    person = make_person([unit], name="跨月")
    trained = date(2020, 1, 15)
    for kind, field_code in (("basic", None), ("special", "social")):
        db.session.add(TrainingRecord(person_id=person.id, kind=kind, field_code=field_code, effective_on=trained,
                                      status="verified"))
    for start, end, half in ((date(2020, 1, 20), date(2020, 1, 20), 10), (date(2021, 5, 1), date(2021, 5, 31), 510),
                             (date(2026, 2, 27), date(2026, 3, 2), 100)):
        db.session.add(HourEntry(person_id=person.id, unit_id=unit.id, start_on=start, end_on=end, half_hours=half,
                                 field_code="social"))
    db.session.commit()
    totals, unsure = listing._hour_totals(select(Membership.person_id).where(Membership.unit_id == unit.id), on)
    assert unsure == {person.id} and totals[person.id][2] == 510        # 610 summed, 100 not counted, 10 unread
    assert evaluate(raw_facts([person.id], on)[person.id]).half_hours == 520
    assert listing.ranked(unit.id, "all", None, on) == raw_order(unit, "all", on) == [person.id]


# --- awards --------------------------------------------------------------------------------------------

def raw_award_hours(person_ids, cutoff, fields=None):
    """The award loader before the summaries: a sum over every active entry ending by the cut-off."""
    query = select(HourEntry.person_id, func.sum(HourEntry.half_hours)).where(
        HourEntry.person_id.in_(person_ids), HourEntry.status == EntryStatus.ACTIVE, HourEntry.end_on <= cutoff)
    if fields:
        query = query.where(HourEntry.field_code.in_(fields))
    return {pid: int(half) for pid, half in db.session.execute(query.group_by(HourEntry.person_id)) if half}


@pytest.mark.parametrize("cutoff", [date(2025, 12, 31), date(2026, 2, 28), date(2028, 2, 29),    # months' last days
                                    date(2028, 2, 28), date(2026, 3, 9), date(2025, 7, 1)])    # and other days
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2 ** 32))
def test_award_hours_and_unit_order_equal_a_sum_over_every_entry(units, make_unit, seed, cutoff):
    rng = random.Random(seed)
    unit, other = make_unit("TPE", "social"), units[1]
    people = [random_volunteer(rng, unit, other, cutoff + timedelta(days=rng.randint(0, 40))) for _ in range(25)]
    for person in people:
        for tier in rng.sample(["bronze", "silver", "gold"], rng.randint(0, 2)):
            db.session.add(Award(person_id=person.id, scheme="health_welfare", tier=tier, year=2020,
                                 status=rng.choice(["valid", "valid", "revoked"])))
    award_round = AwardRound(scheme="health_welfare", year=3000 + DAYS["n"], cutoff_on=cutoff,
                             unit_deadline=cutoff, review_deadline=cutoff, ministry_deadline=cutoff)
    db.session.add(award_round)
    db.session.commit()
    ids = [p.id for p in people]
    for fields in (None, award_rules.HEALTH_AND_WELFARE_FIELDS):
        got = {pid: half for pid, half in hours_up_to(ids, cutoff, fields).items() if half}
        assert got == raw_award_hours(ids, cutoff, fields)
    facts = award_facts(ids, award_round)
    for f in facts.values():
        f.half_hours = raw_award_hours([f.person_id], cutoff, award_rules.HEALTH_AND_WELFARE_FIELDS).get(f.person_id, 0)
    by_name = db.session.scalars(select(Person).where(Person.id.in_(ids)).order_by(Person.name, Person.id)).all()
    for show in ("eligible", "near", "all"):
        results = [(p, award_rules.evaluate(facts[p.id])) for p in by_name]
        wanted = award_rules.shown(show)
        expected = [p.id for p, r in sorted(((p, r) for p, r in results if award_rules.standing(r) in wanted),
                                            key=lambda item: (award_rules.STANDINGS.index(
                                                award_rules.standing(item[1])), -item[1].facts.half_hours))]
        rows, total = award_page(unit.id, award_round, show, None, 1, 100)
        assert [r.person.id for r in rows] == expected and total == len(expected), show


def test_the_award_list_runs_the_same_queries_for_5_or_40_volunteers(world, client):
    unit, other = world.units["A"], world.units["B"]
    cutoff = date.today() - timedelta(days=10)
    db.session.add(AwardRound(scheme="health_welfare", year=cutoff.year, cutoff_on=cutoff,
                              unit_deadline=cutoff + timedelta(days=30), review_deadline=cutoff + timedelta(days=40),
                              ministry_deadline=cutoff + timedelta(days=50)))
    db.session.commit()
    rng = random.Random(3)
    login(client, world.users["clerk_a"])
    counts = []
    for size in (5, 40):
        for _ in range(size):
            random_volunteer(rng, unit, other, date.today())
        db.session.commit()
        counts.append(count_queries(lambda: client.get("/awards/?show=all")))
    assert counts[0] == counts[1] and counts[0] <= 25, counts


# --- the authorities' review lists: keyset pages, bounded counts ----------------------------------------

def walk(client, url, marker):
    """Follow the list's "Next" links from `url`; the `marker` ids of every page, in order, and the queries
    each page ran."""
    seen, queries = [], []
    while url:
        bodies = []
        queries.append(count_queries(lambda u=url, out=bodies: out.append(client.get(u).get_data(as_text=True))))
        body = bodies[0]
        seen += [int(x) for x in re.findall(marker, body)]
        found = re.search(r'<a href="([^"]+)"[^>]*rel="next"', body)
        url = html.unescape(found.group(1)) if found else None
    return seen, queries


def test_the_honor_card_review_queue_pages_by_keyset(world, client, make_person, monkeypatch):
    from portal.honor_cards import review_views
    monkeypatch.setattr(review_views, "PER_PAGE", 2)
    unit = world.units["A"]
    expected = []
    for i in range(7):
        person = make_person([unit], name=f"申請{i}")
        application = HonorCardApplication(person_id=person.id, unit_id=unit.id,
                                           applied_on=date(2026, 1, 1) + timedelta(days=i % 3))
        db.session.add(application)
        db.session.flush()
        expected.append((application.applied_on, application.id))
    db.session.commit()
    login(client, world.users["county_tpe"])
    seen, queries = walk(client, "/honor-cards/review", r'name="application_id" value="(\d+)"')
    assert seen == [i for _day, i in sorted(expected)]
    assert len(queries) == 4 and len(set(queries[1:-1])) == 1 and max(queries) <= 12, queries


def test_the_award_review_queue_pages_by_keyset_and_caps_its_counts(world, client, make_person, monkeypatch):
    from portal.awards import review_views
    monkeypatch.setattr(review_views, "PER_PAGE", 2)
    monkeypatch.setattr(review_views, "COUNT_CAP", 4)
    unit = world.units["A"]
    cutoff = date.today() - timedelta(days=10)
    award_round = AwardRound(scheme="health_welfare", year=cutoff.year, cutoff_on=cutoff, unit_deadline=cutoff,
                             review_deadline=cutoff + timedelta(days=40), ministry_deadline=cutoff + timedelta(days=50))
    db.session.add(award_round)
    for i in range(5):
        person = make_person([unit], name=f"候選{i}")
        db.session.add(AwardApplication(round=award_round, person_id=person.id, unit_id=unit.id, tier="bronze"))
        db.session.flush()
    db.session.commit()
    login(client, world.users["ministry"])
    client.post("/language", data={"lang": "en"})
    body = client.get("/awards/review?status=submitted").get_data(as_text=True)
    assert "More than 4 applications found." in body and "4+" in body
    seen, queries = walk(client, "/awards/review?status=submitted", r"候選(\d)")
    assert seen == list(range(5)) and len(queries) == 3 and len(set(queries[1:])) == 1, queries


# --- performance certificates --------------------------------------------------------------------------

@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2 ** 32))
def test_certificate_candidates_from_summaries_equal_the_full_summaries(units, make_unit, seed):
    rng = random.Random(seed)
    unit, other = make_unit("TPE", "social"), units[1]
    on = date(2026, 3, 10)
    people = [random_volunteer(rng, unit, other, on) for _ in range(20)]
    for person in people[:3]:                       # left the unit: still a candidate
        person.memberships[0].status = "left"
    db.session.commit()
    full = service_summaries([p.id for p in people], unit.id)
    for c in unit_candidates(unit, on=on):
        assert (c.summary.first_service_date, c.summary.total_half_hours) == \
            (full[c.person.id].first_service_date, full[c.person.id].total_half_hours)
        assert c.eligibility == performance_eligibility(full[c.person.id], on)


def test_the_candidates_page_runs_the_same_queries_for_5_or_40_volunteers(world, client):
    unit, other = world.units["A"], world.units["B"]
    rng = random.Random(9)
    login(client, world.users["clerk_a"])
    counts = []
    for size in (5, 40):
        for _ in range(size):
            random_volunteer(rng, unit, other, date.today())
        db.session.commit()
        counts.append(count_queries(lambda: client.get("/documents/candidates?all=1")))
    assert counts[0] == counts[1] and counts[0] <= 15, counts
