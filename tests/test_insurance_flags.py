"""Kept I6 flags (portal/insurance/flags.py, docs/rules/insurance.md#i6): after any sequence of writes (entries,
claims and their decisions, corrections, voids, imports, multi-row updates, cover added, ended, voided, a policy
voided, memberships added and removed) the stored flags equal the read-time computation from the raw rows
(cover.recomputed_in_year, the rule as it was computed before the flags were kept) for every year, and the
counts per unit and year equal the flags; a rebuild repairs them; the county's work list counts them."""
import threading
import time
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from portal.hours.models import EntrySource, EntryStatus, HourChange, HourEntry
from portal.hours.operations import correct_entry, decide_claim, insert_imported, record_entry, void_entry
from portal.hours.rules import Draft
from portal.insurance import flags
from portal.insurance.cover import recomputed_in_year
from portal.insurance.models import (
    EnrolmentStatus,
    HourCoverCount,
    HourCoverDirty,
    HourCoverFlag,
    InsuranceEnrolment,
    InsurancePolicy,
)
from portal.main.worklist import work_list
from portal.platform.extensions import db
from portal.registry.models import Membership
from tests.conftest import count_queries, login

YEARS = (2024, 2025, 2026, 2027)   # corrections and moves reach the years around
BASE = date(2025, 1, 1)


def stored() -> set:
    return {(r[0], r[1], r[2], str(r[3])) for r in db.session.execute(
        select(HourCoverFlag.hour_entry_id, HourCoverFlag.unit_id, HourCoverFlag.person_id, HourCoverFlag.start_on))}


def recomputed(user) -> set:
    out = set()
    for year in YEARS:
        out |= {(e.id, e.unit_id, e.person_id, str(e.start_on))
                for e in db.session.scalars(select(HourEntry).where(recomputed_in_year(user, year)))}
    return out


def counts_agree() -> bool:
    expected: dict = {}
    for _id, unit_id, _person, start_on in stored():
        key = (unit_id, int(start_on[:4]))
        expected[key] = expected.get(key, 0) + 1
    kept = {(r.unit_id, r.year): r.entries for r in db.session.scalars(select(HourCoverCount))}
    return kept == expected


steps = st.lists(st.tuples(
    st.sampled_from(["add", "claim", "approve", "decline", "correct_day", "correct_span", "void", "import",
                     "bulk_void", "text_move", "cover", "end_cover", "void_cover", "void_policy", "join", "leave"]),
    st.integers(0, 60), st.integers(0, 720), st.integers(0, 200)),
    min_size=1, max_size=20)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
def test_kept_flags_equal_the_recomputation_after_any_sequence_of_writes(world, sequence):
    ministry = world.users["ministry"]
    units = [world.units["A"], world.units["B"]]
    people = [world.people["a"], world.people["b"], world.people["shared"]]
    for model in (HourChange, HourEntry, InsuranceEnrolment, InsurancePolicy):
        db.session.execute(delete(model))
    db.session.execute(delete(Membership).where(Membership.person_id == world.people["canary"].id,
                                                Membership.unit_id.in_([u.id for u in units])))
    db.session.commit()
    assert stored() == set()
    policies = [InsurancePolicy(unit_id=u.id, insurer_code="shinkong", insurer_name="新光人壽", policy_no=f"P{u.id}",
                                starts_on=BASE, ends_on=date(2026, 12, 31)) for u in units]
    db.session.add_all(policies)
    db.session.commit()
    serial = iter(range(1, 10_000))

    def day(offset):
        return BASE + timedelta(days=offset % 730)

    for op, pick, offset, span in sequence:
        person, unit = people[pick % 3], units[pick % 2]
        entries = db.session.scalars(select(HourEntry).order_by(HourEntry.id)).all()
        entry = entries[pick % len(entries)] if entries else None
        enrolments = db.session.scalars(select(InsuranceEnrolment).order_by(InsuranceEnrolment.id)).all()
        enrolment = enrolments[pick % len(enrolments)] if enrolments else None
        if op in ("add", "claim"):
            start = day(offset)
            # half-hours differ per write: the business key (one active entry per key) never collides
            record_entry(Draft(person.id, unit.id, start, start + timedelta(days=span % 4), next(serial),
                               unit.field_code),
                         None, source=EntrySource.CLAIM if op == "claim" else EntrySource.UNIT,
                         status=EntryStatus.PENDING if op == "claim" else EntryStatus.ACTIVE)
        elif op in ("approve", "decline") and entry is not None and entry.status == EntryStatus.PENDING:
            decide_claim(entry, op == "approve", "", None)
        elif op == "correct_day" and entry is not None:
            shift = timedelta(days=offset % 200 - 100)
            correct_entry(entry, {"start_on": entry.start_on + shift, "end_on": entry.end_on + shift}, "moved", None)
        elif op == "correct_span" and entry is not None:
            correct_entry(entry, {"end_on": entry.start_on + timedelta(days=span % 40)}, "span", None)
        elif op == "void" and entry is not None and entry.status != EntryStatus.VOID:
            void_entry(entry, "wrong", None)
        elif op == "import":
            rows = [(people[(pick + i) % 3].id, units[(pick + i) % 2].id, day(offset + 3 * i), day(offset + 3 * i),
                     next(serial), units[(pick + i) % 2].field_code, "imported") for i in range(1 + span % 4)]
            insert_imported(rows, ("person_id", "unit_id", "start_on", "end_on", "half_hours", "field_code",
                                   "content"), None, None)
        elif op == "bulk_void":
            db.session.execute(update(HourEntry).where(HourEntry.id % 3 == pick % 3, HourEntry.status == "active")
                               .values(status=EntryStatus.VOID, version=HourEntry.version + 1))
        elif op == "text_move":
            moved = "date({c}, '+{n} days')" if db.engine.dialect.name == "sqlite" else "{c} + {n}"
            db.session.execute(text(
                f"UPDATE hour_entries SET start_on = {moved.format(c='start_on', n=span % 60)}, "
                f"end_on = {moved.format(c='end_on', n=span % 60)}, version = version + 1 WHERE person_id = {person.id}"))
        elif op == "cover":
            start = day(offset)
            db.session.add(InsuranceEnrolment(policy_id=policies[pick % 2].id, person_id=person.id, unit_id=unit.id,
                                              starts_on=start, ends_on=min(start + timedelta(days=span * 3),
                                                                           date(2026, 12, 31))))
        elif op == "end_cover" and enrolment is not None:
            enrolment.ends_on = max(enrolment.starts_on, enrolment.ends_on - timedelta(days=span))
        elif op == "void_cover" and enrolment is not None:
            enrolment.status = (EnrolmentStatus.VOID if enrolment.status == EnrolmentStatus.ACTIVE
                                else EnrolmentStatus.ACTIVE)
        elif op == "void_policy":
            policy = policies[pick % 2]
            db.session.execute(update(InsurancePolicy).where(InsurancePolicy.id == policy.id).values(
                status="void" if pick % 4 < 2 else "active", version=InsurancePolicy.version + 1))
        elif op == "join":
            db.session.add(Membership(person_id=world.people["canary"].id, unit_id=unit.id,
                                      field_code=unit.field_code, joined_on=date(2000, 1, 1) + timedelta(days=next(serial))))
            record_entry(Draft(world.people["canary"].id, unit.id, day(offset), day(offset), next(serial),
                               unit.field_code), None)
        elif op == "leave":
            db.session.execute(delete(Membership).where(Membership.person_id == world.people["canary"].id,
                                                        Membership.unit_id == unit.id))
        db.session.flush()
        db.session.expire_all()
        if pick % 5 == 0:       # some steps commit on their own: flags kept across transactions too
            db.session.commit()
    db.session.commit()
    assert db.session.scalar(select(HourCoverDirty.person_id).limit(1)) is None
    assert stored() == recomputed(ministry)
    assert counts_agree()
    assert flags.differences(db.session.connection()) == 0


def _entry(person, unit, day, status=EntryStatus.ACTIVE):
    entry = HourEntry(person_id=person.id, unit_id=unit.id, start_on=day, end_on=day, half_hours=4,
                      field_code=unit.field_code, status=status)
    db.session.add(entry)
    return entry


def test_the_day_after_cover_ended_is_flagged_and_cover_added_later_clears_it(world):
    a, unit = world.people["a"], world.units["A"]
    policy = InsurancePolicy(unit_id=unit.id, insurer_code="shinkong", insurer_name="新光人壽", policy_no="SK",
                             starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    db.session.add(policy)
    db.session.flush()
    cover = InsuranceEnrolment(policy_id=policy.id, person_id=a.id, unit_id=unit.id, starts_on=date(2026, 1, 1),
                               ends_on=date(2026, 6, 30))
    db.session.add(cover)
    last, after = _entry(a, unit, date(2026, 6, 30)), _entry(a, unit, date(2026, 7, 1))
    db.session.commit()
    assert {f[0] for f in stored()} == {after.id}
    assert db.session.get(HourCoverCount, (unit.id, 2026)).entries == 1
    cover.ends_on = date(2026, 12, 31)         # cover extended: the flag goes, and the count row with it
    db.session.commit()
    assert stored() == set() and db.session.get(HourCoverCount, (unit.id, 2026)) is None
    cover.status = EnrolmentStatus.VOID        # a member without cover: every counted entry of the year
    db.session.commit()
    assert {f[0] for f in stored()} == {last.id, after.id}


def test_flags_start_with_the_year_records_went_online(world):
    """A member without any cover: the entry of 31 December 2024 is not looked at, the one of 1 January 2025 is
    flagged, by the kept flags and by the recomputation alike."""
    a, unit = world.people["a"], world.units["A"]
    before, first = _entry(a, unit, date(2024, 12, 31)), _entry(a, unit, date(2025, 1, 1))
    db.session.commit()
    assert {f[0] for f in stored()} == {first.id}
    assert {f[0] for f in recomputed(world.users["ministry"])} == {first.id}
    assert before.id not in {f[0] for f in stored()}


def test_a_commit_that_writes_none_of_the_watched_tables_adds_no_query(world):
    db.session.commit()
    user = world.users["clerk_a"]
    user.display_name = "新名字"
    with count_queries() as seen:
        db.session.commit()
    assert not any("hour_cover" in s for s in seen)


def test_rebuild_repairs_flags_that_drifted(world):
    a, unit = world.people["a"], world.units["A"]
    entry = _entry(a, unit, date(2026, 3, 1))      # a member with no cover: flagged
    db.session.commit()
    db.session.execute(delete(HourCoverFlag))
    db.session.commit()
    assert flags.differences(db.session.connection()) > 0
    flags.rebuild(db.session.connection())
    db.session.commit()
    assert {f[0] for f in stored()} == {entry.id} and flags.differences(db.session.connection()) == 0


def test_the_rebuild_command_checks_and_repairs(world, runner):
    _entry(world.people["a"], world.units["A"], date(2026, 3, 1))
    db.session.commit()
    assert runner.invoke(args=["cover-flags", "rebuild", "--check"]).exit_code == 0
    db.session.execute(delete(HourCoverFlag))
    db.session.commit()
    assert runner.invoke(args=["cover-flags", "rebuild", "--check"]).exit_code == 1
    result = runner.invoke(args=["cover-flags", "rebuild"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["cover-flags", "rebuild", "--check"]).exit_code == 0


def test_the_county_work_list_counts_the_kept_flags_and_opens_the_list(world, client):
    from portal.platform.timeutil import today_taipei
    today = today_taipei()
    for person, unit in ((world.people["a"], world.units["A"]), (world.people["b"], world.units["B"]),
                         (world.people["canary"], world.units["C"])):
        _entry(person, unit, today)
    db.session.commit()
    county = world.users["county_tpe"]
    with client.application.test_request_context():
        items = {i.key: i for i in work_list(county, today)}
    assert items["uninsured_hours"].count == 2      # its two units, not Kaohsiung's
    assert items["uninsured_hours"].since == today
    login(client, county)
    page = client.get(items["uninsured_hours"].url)
    assert page.status_code == 200
    assert world.people["a"].name in page.get_data(as_text=True)
    assert world.people["canary"].name not in page.get_data(as_text=True)


def test_two_transactions_writing_one_pair_are_serialised_by_its_mark(world):
    """PostgreSQL, READ COMMITTED: an entry and the cover for its day written at the same time by two
    transactions. The second one's mark waits for the first's to commit, so its recomputation sees the entry
    and the flag the first one set goes again."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks of concurrent transactions: PostgreSQL")
    a, unit = world.people["a"], world.units["A"]
    policy = InsurancePolicy(unit_id=unit.id, insurer_code="shinkong", insurer_name="新光人壽", policy_no="SK",
                             starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    db.session.add(policy)
    db.session.commit()
    person_id, unit_id, policy_id, field_code = a.id, unit.id, policy.id, unit.field_code
    first, second = Session(db.engine), Session(db.engine)
    try:
        first.add(HourEntry(person_id=person_id, unit_id=unit_id, start_on=date(2026, 3, 1), end_on=date(2026, 3, 1),
                            half_hours=4, field_code=field_code))
        first.flush()                      # the pair is marked; the first transaction holds the mark
        done = threading.Event()

        def cover():
            second.add(InsuranceEnrolment(policy_id=policy_id, person_id=person_id, unit_id=unit_id,
                                          starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)))
            second.commit()
            done.set()

        thread = threading.Thread(target=cover)
        thread.start()
        time.sleep(0.5)
        assert not done.is_set()           # waiting for the first transaction's mark
        first.commit()                     # flagged: it cannot see the second one's cover
        thread.join(10)
        assert done.is_set()
    finally:
        first.close()
        second.close()
    db.session.expire_all()
    assert stored() == set()               # the second one's recomputation saw the entry
    assert flags.differences(db.session.connection()) == 0
