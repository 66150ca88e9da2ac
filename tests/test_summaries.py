"""The hour summaries (hour_months, hour_unit_months, hour_unit_years, hour_person_years) always equal a
recomputation from the raw entries, whatever sequence of writes
(entry, claim, decision, correction across months and years, void, bulk import, multi-row updates and
deletes) came before; rebuilding restores them; a suspended bulk load changes nothing until rebuilt."""
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text, update

from portal.hours.models import EntrySource, EntryStatus, HourChange, HourEntry
from portal.hours.operations import correct_entry, decide_claim, insert_imported, record_entry, void_entry
from portal.hours.rules import Draft
from portal.hours.summaries import (
    HourMonth,
    HourPersonYear,
    HourUnitMonth,
    HourUnitYear,
    rebuild,
    recomputed_months,
    recomputed_person_years,
    recomputed_unit_months,
    recomputed_unit_years,
    suspended,
)
from portal.platform.extensions import db

FIELDS = ("social", "education")


def stored():
    months = sorted(tuple(r) for r in db.session.execute(select(
        HourMonth.person_id, HourMonth.unit_id, HourMonth.field_code, HourMonth.year, HourMonth.month,
        HourMonth.half_hours, HourMonth.entries)))
    units = sorted(tuple(r) for r in db.session.execute(select(
        HourUnitMonth.unit_id, HourUnitMonth.field_code, HourUnitMonth.year, HourUnitMonth.month,
        HourUnitMonth.half_hours, HourUnitMonth.entries)))
    years = sorted(tuple(r) for r in db.session.execute(select(
        HourUnitYear.unit_id, HourUnitYear.field_code, HourUnitYear.year, HourUnitYear.half_hours,
        HourUnitYear.entries)))
    people = sorted(tuple(r) for r in db.session.execute(select(
        HourPersonYear.person_id, HourPersonYear.field_code, HourPersonYear.year, HourPersonYear.half_hours,
        HourPersonYear.entries)))
    return months, units, years, people


def recomputed():
    months = sorted((p, u, f, int(y), int(m), int(h), int(n))
                    for p, u, f, y, m, h, n in db.session.execute(recomputed_months()))
    units = sorted((u, f, int(y), int(m), int(h), int(n))
                   for u, f, y, m, h, n in db.session.execute(recomputed_unit_months()))
    years = sorted((u, f, int(y), int(h), int(n)) for u, f, y, h, n in db.session.execute(recomputed_unit_years()))
    people = sorted((p, f, int(y), int(h), int(n))
                    for p, f, y, h, n in db.session.execute(recomputed_person_years()))
    return months, units, years, people


@pytest.fixture
def cast(app, make_unit, make_person):
    units = [make_unit("TPE", "social"), make_unit("KHH", "education")]
    people = [make_person(units, name=f"志工{i}") for i in range(3)]
    return [u.id for u in units], [p.id for p in people]


# One step of a sequence: (operation, which entry or person, a day offset, half-hours, field).
steps = st.lists(st.tuples(
    st.sampled_from(["add", "claim", "approve", "decline", "correct_day", "correct_hours", "correct_field",
                     "void", "import", "bulk_void", "bulk_move", "delete"]),
    st.integers(0, 50), st.integers(0, 800), st.integers(1, 16), st.sampled_from(FIELDS)),
    min_size=1, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
def test_summaries_equal_a_recomputation_after_any_sequence_of_writes(cast, sequence):
    unit_ids, person_ids = cast
    db.session.execute(delete(HourChange))
    db.session.execute(delete(HourEntry))
    db.session.commit()
    assert stored() == ([], [], [], [])  # the deletes emptied the summaries too
    base, serial = date(2024, 11, 20), iter(range(10_000))

    def draft(pick, offset, half, field_code):
        # Days 30,000 apart per write (more than all the moves of a sequence together), so that the business key (one active entry per key) never collides.
        day = base + timedelta(days=offset + 30_000 * next(serial))
        return Draft(person_ids[pick % 3], unit_ids[pick % 2], day, day, half, field_code)

    for op, pick, offset, half, field_code in sequence:
        entries = db.session.scalars(select(HourEntry).order_by(HourEntry.id)).all()
        entry = entries[pick % len(entries)] if entries else None
        if op in ("add", "claim"):
            status = EntryStatus.PENDING if op == "claim" else EntryStatus.ACTIVE
            record_entry(draft(pick, offset, half, field_code), None,
                         source=EntrySource.CLAIM if op == "claim" else EntrySource.UNIT, status=status)
        elif op in ("approve", "decline") and entry is not None and entry.status == EntryStatus.PENDING:
            decide_claim(entry, op == "approve", "", None)
        elif op == "correct_day" and entry is not None:
            # Across months and years: offset up to 800 days either way.
            correct_entry(entry, {"start_on": entry.start_on - timedelta(days=offset),
                                  "end_on": entry.end_on - timedelta(days=offset)}, "moved", None)
        elif op == "correct_hours" and entry is not None:
            correct_entry(entry, {"half_hours": half}, "hours", None)
        elif op == "correct_field" and entry is not None:
            correct_entry(entry, {"field_code": field_code}, "field", None)
        elif op == "void" and entry is not None and entry.status != EntryStatus.VOID:
            void_entry(entry, "wrong", None)
        elif op == "import":
            rows = []
            for i in range(1 + half % 4):
                d = draft(pick + i, offset + i, half, field_code)
                rows.append((d.person_id, d.unit_id, d.start_on, d.end_on, d.half_hours, d.field_code))
            insert_imported(rows, ("person_id", "unit_id", "start_on", "end_on", "half_hours", "field_code"),
                            None, None)
        elif op == "bulk_void":
            # One statement changing many rows of many keys at once (the statement-level path).
            db.session.execute(update(HourEntry).where(HourEntry.id % 3 == pick % 3, HourEntry.status == "active")
                               .values(status=EntryStatus.VOID, version=HourEntry.version + 1))
        elif op == "bulk_move":
            moved = ("date({c}, '+{n} days')" if db.engine.dialect.name == "sqlite" else "{c} + {n}")
            db.session.execute(text(
                f"UPDATE hour_entries SET start_on = {moved.format(c='start_on', n=offset)}, "
                f"end_on = {moved.format(c='end_on', n=offset)}, version = version + 1 "
                f"WHERE person_id = {person_ids[pick % 3]}"))
        elif op == "delete" and entry is not None:
            # Nothing is deleted in the portal, but the summaries must survive it (maintenance, tests).
            db.session.execute(delete(HourChange).where(HourChange.entry_id == entry.id))
            db.session.execute(delete(HourEntry).where(HourEntry.id == entry.id))
        db.session.flush()
        db.session.expire_all()
    db.session.commit()
    assert stored() == recomputed()


def test_a_void_takes_the_hours_away_and_the_emptied_month_disappears(cast):
    unit_ids, person_ids = cast
    day = date(2026, 3, 31)
    entry = record_entry(Draft(person_ids[0], unit_ids[0], day, day, 7, "social"), None)
    record_entry(Draft(person_ids[0], unit_ids[0], day + timedelta(days=1), day + timedelta(days=1), 2, "social"), None)
    db.session.commit()
    months, units, years, people = stored()
    assert months == [(person_ids[0], unit_ids[0], "social", 2026, 3, 7, 1),
                      (person_ids[0], unit_ids[0], "social", 2026, 4, 2, 1)]
    assert units == [(unit_ids[0], "social", 2026, 3, 7, 1), (unit_ids[0], "social", 2026, 4, 2, 1)]
    assert years == [(unit_ids[0], "social", 2026, 9, 2)]
    assert people == [(person_ids[0], "social", 2026, 9, 2)]
    void_entry(entry, "typo", None)
    db.session.commit()
    months, units, years, people = stored()
    assert months == [(person_ids[0], unit_ids[0], "social", 2026, 4, 2, 1)]
    assert units == [(unit_ids[0], "social", 2026, 4, 2, 1)]
    assert years == [(unit_ids[0], "social", 2026, 2, 1)]
    assert people == [(person_ids[0], "social", 2026, 2, 1)]


def test_a_rolled_back_write_leaves_the_summaries_as_they_were(cast):
    unit_ids, person_ids = cast
    record_entry(Draft(person_ids[1], unit_ids[1], date(2026, 5, 1), date(2026, 5, 1), 4, "education"), None)
    db.session.commit()
    before = stored()
    record_entry(Draft(person_ids[1], unit_ids[1], date(2026, 5, 2), date(2026, 5, 2), 4, "education"), None)
    assert stored() != before  # visible inside the transaction...
    db.session.rollback()
    assert stored() == before  # ...and gone with it


def test_pending_and_declined_claims_count_nowhere_until_approved(cast):
    unit_ids, person_ids = cast
    day = date(2026, 6, 10)
    claim = record_entry(Draft(person_ids[2], unit_ids[0], day, day, 6, "social"), None,
                         source=EntrySource.CLAIM, status=EntryStatus.PENDING)
    db.session.commit()
    assert stored() == ([], [], [], [])
    decide_claim(claim, True, "", None)
    db.session.commit()
    assert stored()[0] == [(person_ids[2], unit_ids[0], "social", 2026, 6, 6, 1)]


def test_rebuild_repairs_summaries_that_drifted(cast):
    unit_ids, person_ids = cast
    record_entry(Draft(person_ids[0], unit_ids[1], date(2025, 12, 31), date(2025, 12, 31), 3, "education"), None)
    db.session.commit()
    good = stored()
    db.session.execute(update(HourMonth).values(half_hours=999))
    db.session.execute(delete(HourUnitMonth))
    db.session.execute(delete(HourUnitYear))
    db.session.execute(update(HourPersonYear).values(entries=0))
    db.session.commit()
    assert stored() != good
    assert rebuild() == 1
    db.session.commit()
    assert stored() == good == recomputed()


def test_a_suspended_bulk_load_is_invisible_until_rebuilt(cast):
    unit_ids, person_ids = cast
    connection = db.session.connection()
    with suspended(connection):
        connection.execute(HourEntry.__table__.insert(), [
            {"person_id": person_ids[0], "unit_id": unit_ids[0], "start_on": date(2026, 1, d),
             "end_on": date(2026, 1, d), "half_hours": 2, "field_code": "social", "status": "active",
             "source": "import", "version": 1} for d in range(1, 11)])
    assert stored() == ([], [], [], [])
    # Maintenance is back on after the block: the next write is counted, on top of the rebuilt totals.
    rebuild(connection)
    record_entry(Draft(person_ids[0], unit_ids[0], date(2026, 1, 20), date(2026, 1, 20), 1, "social"), None)
    db.session.commit()
    assert stored()[0] == [(person_ids[0], unit_ids[0], "social", 2026, 1, 21, 11)]
    assert stored() == recomputed()


def test_the_triggers_are_installed_by_the_schema(app):
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        names = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    else:
        names = set(db.session.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
    assert {"hour_summaries_insert", "hour_summaries_delete"} <= names


def test_the_rebuild_command_checks_and_repairs(cast, runner):
    unit_ids, person_ids = cast
    record_entry(Draft(person_ids[0], unit_ids[0], date(2026, 2, 28), date(2026, 2, 28), 5, "social"), None)
    db.session.commit()
    assert runner.invoke(args=["summaries", "rebuild", "--check"]).exit_code == 0
    db.session.execute(update(HourMonth).values(entries=7))
    db.session.commit()
    result = runner.invoke(args=["summaries", "rebuild", "--check"])
    assert result.exit_code == 1 and "1 rows differ" in result.output
    result = runner.invoke(args=["summaries", "rebuild"])
    assert result.exit_code == 0 and "1 rows rebuilt" in result.output
    assert runner.invoke(args=["summaries", "rebuild", "--check"]).exit_code == 0
