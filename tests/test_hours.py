"""Service hours: every entry path follows the same rules; claims, corrections, voids, totals, export."""
import csv
import io
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from portal.hours.models import HourChange, HourEntry
from portal.hours.operations import person_totals, record_entry
from portal.hours.rules import Draft
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.registry.catalog import FIELD_BY_CODE
from portal.training.models import TrainingRecord
from tests.conftest import login

HX = {"HX-Request": "true"}
DAY = date(2025, 3, 5)


def entries(**where):
    query = select(HourEntry)
    for key, value in where.items():
        query = query.where(getattr(HourEntry, key) == value)
    return db.session.scalars(query.order_by(HourEntry.id)).all()


def add_entry(person, unit, start=DAY, end=None, half=6, status="active", field_code=None, source="unit"):
    entry = HourEntry(person_id=person.id, unit_id=unit.id, start_on=start, end_on=end or start, half_hours=half,
                      field_code=field_code or unit.field_code, status=status, source=source)
    db.session.add(entry)
    db.session.commit()
    return entry


def entry_form(person, day=DAY, hours="3", **extra):
    return {"person_id": person.id, "start_on": day.isoformat(), "hours": hours, "field_code": "social",
            "content": "陪伴長者", "persons_served": "4", "action": "save", **extra}


def trained(person, field_code="social", effective=date(2025, 6, 1)):
    for kind in ("basic", "special"):
        db.session.add(TrainingRecord(person_id=person.id, kind=kind, field_code=field_code if kind == "special" else None,
                                      status="verified", effective_on=effective))
    db.session.commit()


@contextmanager
def count_queries():
    counter = {"n": 0}

    def listener(*args, **kwargs):
        counter["n"] += 1
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def english(client):
    client.post("/language", data={"lang": "en"})


def chinese(client):
    client.post("/language", data={"lang": "zh_TW"})


# -- single entry ---------------------------------------------------------------------------------

def test_clerk_enters_hours_and_htmx_returns_the_updated_list(world, client):
    login(client, world.users["clerk_a"])
    response = client.post("/hours/new", data=entry_form(world.people["a"], hours="2.5"), headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="entry-panel"' in body and "<html" not in body and "甲志工" in body
    [entry] = entries()
    assert (entry.half_hours, entry.unit_id, entry.status, entry.source, entry.entered_by_id) == \
        (5, world.units["A"].id, "active", "unit", world.users["clerk_a"].id)
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "hours.create")) == 1


def test_without_javascript_the_form_redirects_after_saving(world, client):
    login(client, world.users["clerk_a"])
    response = client.post("/hours/new", data=entry_form(world.people["a"], end_on="2025-03-31", hours="40"))
    assert response.status_code == 302
    [entry] = entries()
    assert (entry.start_on, entry.end_on, entry.half_hours) == (DAY, date(2025, 3, 31), 80)


def test_volunteer_is_found_by_name_or_masked_id_within_the_unit_only(world, client):
    login(client, world.users["clerk_a"])
    a, canary = world.people["a"], world.people["canary"]
    assert "甲志工" in client.get("/hours/search?q=甲").get_data(as_text=True)
    by_id = client.get(f"/hours/search?q={a.id_number[:6]}****").get_data(as_text=True)
    assert "甲志工" in by_id and a.id_number not in by_id
    assert "金絲雀" not in client.get("/hours/search?q=金絲雀").get_data(as_text=True)
    # Typing a unique name is enough without JavaScript; a person of another unit is never found.
    data = entry_form(a)
    del data["person_id"]
    assert client.post("/hours/new", data={**data, "q": "甲志工"}).status_code == 302
    refused = client.post("/hours/new", data=entry_form(canary))
    assert refused.status_code == 422 and not entries(person_id=canary.id)


def test_live_check_reports_problems_and_writes_nothing(world, client):
    login(client, world.users["clerk_a"])
    english(client)
    add_entry(world.people["a"], world.units["A"], half=40)
    body = client.post("/hours/check", data=entry_form(world.people["a"], hours="5"), headers=HX).get_data(as_text=True)
    assert "At most 24 hours per day" in body
    ok = client.post("/hours/check", data=entry_form(world.people["a"], day=DAY + timedelta(1)), headers=HX)
    assert "Looks good" in ok.get_data(as_text=True)
    assert len(entries()) == 1


BAD_HOURS = [
    ("", "This field is required."),
    ("0", "Hours must be more than 0."),
    ("-2", "Hours cannot be negative."),
    ("0.25", "Hours go in steps of 0.5 hour"),
    ("NaN", "Enter the hours as a number"),
    ("1e309", "Enter the hours as a number"),
    ("Infinity", "Enter the hours as a number"),
    ("２．２５", "Hours go in steps of 0.5 hour"),
    ("24.5", "At most 24 hours per day"),
    ("3 hours", "Enter the hours as a number"),
]


@pytest.mark.parametrize("hours,message", BAD_HOURS)
def test_bad_hours_are_refused_with_a_message_in_both_languages(world, client, hours, message):
    login(client, world.users["clerk_a"])
    english(client)
    response = client.post("/hours/new", data=entry_form(world.people["a"], hours=hours))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    chinese(client)
    chinese_body = client.post("/hours/new", data=entry_form(world.people["a"], hours=hours)).get_data(as_text=True)
    assert message not in chinese_body
    assert entries() == []


def test_full_width_digits_are_read_as_numbers(world, client):
    login(client, world.users["clerk_a"])
    response = client.post("/hours/new", data=entry_form(world.people["a"], hours="２．５", day=DAY) |
                           {"start_on": "１１４/０３/０５", "persons_served": "１２"})
    assert response.status_code == 302
    [entry] = entries()
    assert (entry.half_hours, entry.start_on, entry.persons_served) == (5, DAY, 12)


def bad_dates():
    today = today_taipei()
    return [
        ({"start_on": "2025-02-30"}, "Enter a date such as"),
        ({"start_on": "1140230"}, "Enter a date such as"),
        ({"start_on": (today + timedelta(1)).isoformat()}, "cannot be in the future"),
        ({"start_on": "2001-01-19"}, "when the Volunteer Service Act took effect"),
        ({"start_on": "2025-03-10", "end_on": "2025-03-01"}, "The end date is before the start date."),
        ({"start_on": "2025-03-01", "end_on": (today + timedelta(3)).isoformat()}, "cannot be in the future"),
    ]


@pytest.mark.parametrize("values,message", bad_dates())
def test_bad_dates_are_refused_with_a_message_in_both_languages(world, client, values, message):
    login(client, world.users["clerk_a"])
    english(client)
    response = client.post("/hours/new", data=entry_form(world.people["a"]) | values)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    chinese(client)
    assert message not in client.post("/hours/new", data=entry_form(world.people["a"]) | values).get_data(as_text=True)
    assert entries() == []


def test_at_most_24_hours_a_day_summed_over_all_units(world, client):
    shared, b_unit = world.people["shared"], world.units["B"]
    add_entry(shared, b_unit, half=40, field_code="education")
    login(client, world.users["clerk_a"])
    english(client)
    refused = client.post("/hours/new", data=entry_form(shared, hours="4.5"))
    assert refused.status_code == 422
    assert "would have 24.5 hours in all units" in refused.get_data(as_text=True)
    assert client.post("/hours/new", data=entry_form(shared, hours="4")).status_code == 302
    assert sum(e.half_hours for e in entries(person_id=shared.id)) == 48


def test_shifts_on_one_day_are_fine_but_overlapping_ranges_in_a_unit_conflict(world, client):
    a, unit = world.people["a"], world.units["A"]
    login(client, world.users["clerk_a"])
    english(client)
    assert client.post("/hours/new", data=entry_form(a, hours="3")).status_code == 302
    assert client.post("/hours/new", data=entry_form(a, hours="4")).status_code == 302
    month = client.post("/hours/new", data=entry_form(a, day=date(2025, 3, 1), end_on="2025-03-31", hours="20"))
    first = entries()[0]
    assert month.status_code == 422 and f"Overlaps entry #{first.id}" in month.get_data(as_text=True)
    add_entry(a, unit, start=date(2025, 4, 1), end=date(2025, 4, 30), half=40)
    inside = client.post("/hours/new", data=entry_form(a, day=date(2025, 4, 9)))
    assert inside.status_code == 422 and "Overlaps entry" in inside.get_data(as_text=True)


def test_the_same_entry_twice_is_refused(world, client):
    login(client, world.users["clerk_a"])
    english(client)
    client.post("/hours/new", data=entry_form(world.people["a"]))
    again = client.post("/hours/new", data=entry_form(world.people["a"]))
    assert again.status_code == 422 and "The same entry already exists" in again.get_data(as_text=True)
    assert len(entries()) == 1


def test_a_range_cannot_exceed_24_hours_per_day(world, client):
    login(client, world.users["clerk_a"])
    english(client)
    response = client.post("/hours/new", data=entry_form(world.people["a"], day=date(2025, 2, 1),
                                                         end_on="2025-02-02", hours="48.5"))
    assert response.status_code == 422 and "48.5 hours in 2 days" in response.get_data(as_text=True)


def test_the_training_gate_applies_to_2026_entries(world, client):
    a = world.people["a"]
    login(client, world.users["clerk_a"])
    english(client)
    day = date(2026, 3, 2)
    refused = client.post("/hours/new", data=entry_form(a, day=day))
    assert refused.status_code == 422 and "verified basic training" in refused.get_data(as_text=True)
    trained(a, effective=date(2026, 3, 10))
    early = client.post("/hours/new", data=entry_form(a, day=day))
    assert early.status_code == 422 and "count from" in early.get_data(as_text=True)
    assert client.post("/hours/new", data=entry_form(a, day=date(2026, 3, 10))).status_code == 302


def test_hours_outside_the_membership_are_refused(world, client):
    login(client, world.users["clerk_a"])
    english(client)
    response = client.post("/hours/new", data=entry_form(world.people["a"], day=date(2019, 6, 1)))
    assert response.status_code == 422 and "was not serving in your unit" in response.get_data(as_text=True)


# -- batch grid -------------------------------------------------------------------------------------

def grid(rows, action):
    data = {"action": action}
    columns = ("volunteer", "start_on", "end_on", "hours", "field_code", "content", "persons_served")
    return data | {c: [r.get(c, "") for r in rows] for c in columns}


def test_grid_adds_and_removes_rows_with_htmx(world, client):
    login(client, world.users["clerk_a"])
    page = client.get("/hours/batch").get_data(as_text=True)
    assert page.count('name="volunteer"') == 5
    first = {"volunteer": "甲志工", "start_on": "2025-03-05", "hours": "3", "field_code": "social", "content": "義賣"}
    added = client.post("/hours/batch", data=grid([first], "add"), headers=HX).get_data(as_text=True)
    assert added.count('name="volunteer"') == 2 and added.count('value="義賣"') == 2 and "autofocus" in added
    assert "<html" not in added
    removed = client.post("/hours/batch", data=grid([first, {}], "remove-0"), headers=HX).get_data(as_text=True)
    assert removed.count('name="volunteer"') == 1 and 'value="甲志工"' not in removed


def test_grid_saves_all_rows_or_none(world, client):
    a, shared = world.people["a"], world.people["shared"]
    login(client, world.users["clerk_a"])
    english(client)
    rows = [{"volunteer": "甲志工", "start_on": "114/03/05", "hours": "3", "field_code": "social"},
            {"volunteer": f"共同志工 {shared.id_number[:6]}****", "start_on": "114/03/05", "hours": "2.5",
             "field_code": "social"},
            {"volunteer": a.id_number, "start_on": "114/03/06", "hours": "0.25", "field_code": "social"},
            {}]
    refused = client.post("/hours/batch", data=grid(rows, "save"), headers=HX)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Hours go in steps of 0.5 hour" in body and "1 row has a problem" in body
    assert entries() == []
    rows[2]["hours"] = "1.5"
    saved = client.post("/hours/batch", data=grid(rows, "save"), headers=HX)
    assert saved.status_code == 200 and "3 entries saved (7.0 hours)" in saved.get_data(as_text=True)
    assert sorted(e.half_hours for e in entries()) == [3, 5, 6]


def test_grid_checks_rows_against_each_other_and_stored_entries(world, client):
    login(client, world.users["clerk_a"])
    english(client)
    row = {"volunteer": "甲志工", "start_on": "2025-03-05", "hours": "20", "field_code": "social"}
    body = client.post("/hours/batch", data=grid([row, row | {"hours": "5"}, row], "save")).get_data(as_text=True)
    assert "would have 25 hours" in body and "already in row 1" in body
    assert "金絲雀" not in client.get("/hours/batch").get_data(as_text=True)
    unknown = client.post("/hours/batch", data=grid([row | {"volunteer": "金絲雀"}], "check")).get_data(as_text=True)
    assert "No volunteer on your roster matches" in unknown
    assert entries() == []


# -- claims ---------------------------------------------------------------------------------------

def test_volunteer_claims_and_the_unit_approves(world, client):
    volunteer, a = world.users["volunteer"], world.people["a"]
    login(client, volunteer)
    english(client)
    response = client.post("/hours/claim", data={"unit_id": world.units["A"].id, "start_on": "2025-05-01",
                                                  "hours": "4", "field_code": "social", "content": "活動"})
    assert response.status_code == 302
    [claim] = entries()
    assert (claim.status, claim.source) == ("pending", "claim")
    assert person_totals(a.id, None).total == 0  # not counted until approved
    again = client.post("/hours/claim", data={"unit_id": world.units["A"].id, "start_on": "2025-05-01",
                                               "hours": "4", "field_code": "social"})
    assert again.status_code == 422
    login(client, world.users["supervisor_a"])
    page = client.get("/hours/claims").get_data(as_text=True)
    assert "甲志工" in page
    assert client.post("/hours/claims", data={"action": f"approve:{claim.id}"}).status_code == 302
    db.session.expire_all()
    assert claim.status == "active" and claim.changes[0].action == "approve"
    assert person_totals(a.id, None).total == 8
    login(client, volunteer)
    assert "Claim approved" in client.get(f"/hours/{claim.id}").get_data(as_text=True)


def test_claims_are_declined_with_a_reason_singly_or_in_bulk(world, client):
    a = world.people["a"]
    claims = [add_entry(a, world.units["A"], start=DAY + timedelta(n), status="pending", source="claim")
              for n in range(3)]
    login(client, world.users["clerk_a"])
    english(client)
    no_reason = client.post("/hours/claims", data={"action": "decline", "entry_id": [c.id for c in claims]})
    assert no_reason.status_code == 422 and "Please give a reason" in no_reason.get_data(as_text=True)
    assert {c.status for c in entries()} == {"pending"}
    client.post("/hours/claims", data={"action": f"decline:{claims[0].id}", f"reason-{claims[0].id}": "無此活動"})
    client.post("/hours/claims", data={"action": "approve", "entry_id": [claims[1].id, claims[2].id]})
    db.session.expire_all()
    assert [c.status for c in claims] == ["declined", "active", "active"]
    assert claims[0].changes[0].reason == "無此活動"
    login(client, world.users["volunteer"])
    body = client.get(f"/hours/{claims[0].id}").get_data(as_text=True)
    assert "Claim declined" in body and "無此活動" in body


def test_approval_runs_the_rules_again(world, client):
    a = world.people["a"]
    add_entry(a, world.units["A"], half=40)
    claim = add_entry(a, world.units["A"], half=20, status="pending", source="claim", field_code="social")
    login(client, world.users["clerk_a"])
    english(client)
    response = client.post("/hours/claims", data={"action": "approve", "entry_id": [claim.id]})
    assert response.status_code == 422 and "At most 24 hours per day" in response.get_data(as_text=True)
    db.session.expire_all()
    assert claim.status == "pending"


def test_a_volunteer_cannot_claim_for_a_unit_they_do_not_serve(world, client):
    login(client, world.users["volunteer"])
    response = client.post("/hours/claim", data={"unit_id": world.units["C"].id, "start_on": "2025-05-01",
                                                  "hours": "4", "field_code": "social"})
    assert response.status_code == 422 and entries() == []


# -- corrections and voids ------------------------------------------------------------------------

def test_correction_keeps_old_and_new_values_and_the_volunteer_sees_the_history(world, client):
    entry = add_entry(world.people["a"], world.units["A"], half=6)
    login(client, world.users["clerk_a"])
    english(client)
    form = client.get(f"/hours/{entry.id}/correct").get_data(as_text=True)
    assert 'value="3"' in form
    response = client.post(f"/hours/{entry.id}/correct", data={
        "start_on": "2025-03-05", "hours": "3.5", "field_code": "social", "reason": "簽到表漏算半小時",
        "version": entry.version})
    assert response.status_code == 302
    db.session.expire_all()
    [change] = entry.changes
    assert entry.half_hours == 7 and change.before_values == {"half_hours": 6} and change.after_values == {"half_hours": 7}
    assert change.actor_id == world.users["clerk_a"].id and change.reason == "簽到表漏算半小時"
    login(client, world.users["volunteer"])
    english(client)
    history = client.get(f"/hours/{entry.id}").get_data(as_text=True)
    assert "Corrected" in history and "簽到表漏算半小時" in history and "clerk.a" in history
    assert "<del>3</del>" in history and "<ins>3.5</ins>" in history


def test_corrections_follow_the_same_rules_and_need_a_reason(world, client):
    entry = add_entry(world.people["a"], world.units["A"], half=6)
    login(client, world.users["clerk_a"])
    base = {"start_on": "2025-03-05", "field_code": "social", "version": entry.version}
    assert client.post(f"/hours/{entry.id}/correct", data=base | {"hours": "3.25", "reason": "x"}).status_code == 422
    assert client.post(f"/hours/{entry.id}/correct", data=base | {"hours": "4", "reason": ""}).status_code == 422
    assert client.post(f"/hours/{entry.id}/correct", data=base | {"hours": "25", "reason": "x"}).status_code == 422
    db.session.expire_all()
    assert entry.half_hours == 6 and entry.changes == []


def test_void_keeps_the_entry_and_it_stops_counting(world, client):
    entry = add_entry(world.people["a"], world.units["A"], half=6)
    login(client, world.users["clerk_a"])
    assert client.post(f"/hours/{entry.id}/void", data={"reason": "重複登錄", "version": entry.version,
                                                     "confirm": "1"}).status_code == 302
    db.session.expire_all()
    assert entry.status == "void" and entry.changes[0].action == "void"
    assert person_totals(world.people["a"].id, None).total == 0
    assert db.session.scalar(select(func.count()).select_from(HourEntry)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "hours.void")) == 1
    # Voided and other units' entries cannot be corrected by this clerk.
    assert client.get(f"/hours/{entry.id}/correct").status_code == 302


def test_two_clerks_saving_the_same_entry_the_second_gets_a_conflict(world, client, app):
    entry = add_entry(world.people["a"], world.units["A"], half=6)
    other = app.test_client()
    login(client, world.users["clerk_a"])
    login(other, world.users["supervisor_a"])
    english(other)
    version = entry.version
    data = {"start_on": "2025-03-05", "field_code": "social", "version": version}
    assert client.post(f"/hours/{entry.id}/correct", data=data | {"hours": "4", "reason": "甲"}).status_code == 302
    second = other.post(f"/hours/{entry.id}/correct", data=data | {"hours": "5", "reason": "乙"})
    assert second.status_code == 409
    assert "Someone else changed this record" in second.get_data(as_text=True)
    void = other.post(f"/hours/{entry.id}/void", data={"reason": "丙", "version": version})
    assert void.status_code == 409
    db.session.expire_all()
    assert entry.half_hours == 8 and entry.status == "active" and len(entry.changes) == 1


# -- totals ---------------------------------------------------------------------------------------------

def test_person_totals_by_unit_field_and_year(world):
    shared = world.people["shared"]
    add_entry(shared, world.units["A"], start=date(2024, 5, 1), half=10)
    add_entry(shared, world.units["A"], start=date(2025, 5, 1), half=4)
    add_entry(shared, world.units["B"], start=date(2025, 5, 2), half=6)
    add_entry(shared, world.units["B"], start=date(2025, 5, 3), half=6, status="void")
    totals = person_totals(shared.id, None)
    assert totals.total == 20
    assert [(u.code, h) for u, h in totals.by_unit] == [("TPE-A", 14), ("TPE-B", 6)]
    assert dict(totals.by_field) == {"social": 14, "education": 6}
    assert totals.by_year == [(2025, 10), (2024, 10)]
    own = person_totals(shared.id, {world.units["A"].id})
    assert own.total == 20 and own.hidden_units == 1 and dict(own.by_field) == {"social": 14}


def test_a_unit_sees_another_units_entries_only_as_a_total(world, client):
    shared = world.people["shared"]
    add_entry(shared, world.units["A"], half=4)
    other = add_entry(shared, world.units["B"], start=date(2025, 6, 7), half=14, field_code="education")
    login(client, world.users["clerk_a"])
    english(client)
    page = client.get(f"/hours/people/{shared.id}").get_data(as_text=True)
    assert world.units["B"].name_en in page and ">7</td>" in page  # B's total
    assert f"/hours/{other.id}\"" not in page and "2025-06-07" not in page
    assert client.get(f"/hours/{other.id}").status_code == 404
    listing = client.get("/hours/?status=").get_data(as_text=True)
    assert "2025-06-07" not in listing


def test_totals_screens_use_a_fixed_number_of_queries(world, client):
    a, unit = world.people["a"], world.units["A"]
    login(client, world.users["clerk_a"])
    client.get(f"/hours/people/{a.id}")

    def measured():
        with count_queries() as counter:
            assert client.get(f"/hours/people/{a.id}").status_code == 200
            assert client.get(f"/hours/units/{unit.id}").status_code == 200
            assert client.get("/hours/").status_code == 200
        return counter["n"]
    add_entry(a, unit, start=date(2024, 1, 1))
    few = measured()
    for n in range(1, 30):
        add_entry(a, unit, start=date(2024, 1, 1) + timedelta(n * 7))
    assert measured() == few


def test_unit_monthly_totals(world, client):
    unit = world.units["A"]
    add_entry(world.people["a"], unit, start=date(2025, 3, 5), half=6)
    add_entry(world.people["shared"], unit, start=date(2025, 3, 9), half=3)
    add_entry(world.people["a"], unit, start=date(2025, 4, 1), half=2)
    add_entry(world.people["a"], unit, start=date(2024, 12, 31), half=4)
    login(client, world.users["county_tpe"])
    english(client)
    # One year at a time, the latest with hours first; every year is a link with its total.
    page = client.get(f"/hours/units/{unit.id}").get_data(as_text=True)
    assert "2025-03" in page and "4.5" in page and "2025-04" in page and "2024-12" not in page
    assert 'year=2024">2024' in page and "Total of 2025" in page
    older = client.get(f"/hours/units/{unit.id}?year=2024").get_data(as_text=True)
    assert "2024-12" in older and "2025-03" not in older and "Total of 2024" in older
    assert "2025-03" in client.get(f"/hours/units/{unit.id}?year=2023").get_data(as_text=True)  # no hours: the latest
    assert client.get(f"/hours/units/{unit.id}?year=abc").status_code == 400
    assert client.get(f"/hours/units/{world.units['C'].id}").status_code == 404
    chinese(client)
    page = client.get(f"/hours/units/{unit.id}?year=2024").get_data(as_text=True)
    assert "113/12" in page and "113年度合計" in page


# -- export ---------------------------------------------------------------------------------------------

def test_export_csv_is_masked_neutralised_and_logged(world, client):
    entry = add_entry(world.people["a"], world.units["A"], half=5)
    entry.content = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    login(client, world.users["clerk_a"])
    response = client.get("/hours/export?format=csv&layout=portal&status=active")
    assert response.data.startswith(b"\xef\xbb\xbf") and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[1][0] == world.people["a"].masked_id and rows[1][6].startswith("'=") and rows[1][4] == "2.5"
    assert not response.data[3:].startswith(b"\xef\xbb\xbf")       # one byte-order mark
    # Dates and the field in the language of the page, decided once for the whole file.
    start, field = entry.start_on, FIELD_BY_CODE[entry.field_code]
    assert (rows[1][2], rows[1][5]) == (f"{start.year - 1911}/{start:%m/%d}", field.name)
    english(client)
    rows = list(csv.reader(io.StringIO(client.get("/hours/export?format=csv&layout=portal&status=active")
                                       .data.decode("utf-8-sig"))))
    assert (rows[1][2], rows[1][5]) == (start.isoformat(), field.name_en)
    chinese(client)
    full = client.get("/hours/export?format=xlsx&layout=mohw&full_id=1")
    sheet = load_workbook(io.BytesIO(full.data)).active
    values = [c.value for c in next(sheet.iter_rows(min_row=2))]
    assert len(values) == 17 and values[1] == world.people["a"].id_number and values[2] == "1140305"
    assert (values[6], values[7], values[13]) == (2, 30, "A")
    logs = db.session.scalars(select(AuditLog).where(AuditLog.action == "hours.export")).all()
    assert [('"full_id": true' in log.detail) for log in logs] == [False, False, True]   # Chinese, English, full


def test_authorities_never_get_full_ids(world, client):
    add_entry(world.people["a"], world.units["A"])
    login(client, world.users["county_tpe"])
    body = client.get("/hours/export?format=csv&layout=mohw&full_id=1").data.decode("utf-8-sig")
    assert world.people["a"].id_number not in body and world.people["a"].masked_id in body
    assert "金絲雀" not in body


def test_exported_portal_file_reimports_as_duplicates(world, client):
    from portal.imports import registry
    from portal.imports.pipeline import Context, run
    for n in range(3):
        record_entry(Draft(world.people["a"].id, world.units["A"].id, DAY + timedelta(n), DAY + timedelta(n), 3 + n,
                           "social"), world.users["clerk_a"])
    db.session.commit()
    login(client, world.users["clerk_a"])
    data = client.get("/hours/export?format=xlsx&layout=portal&full_id=1").data
    outcome = run(registry.get("hours"), data, Context(unit=world.units["A"], today=today_taipei()))
    assert outcome.errors == [] and outcome.duplicates == 3 and outcome.committed == 0


def test_every_entry_change_writes_history_rows_not_deletes(world, client):
    entry = add_entry(world.people["a"], world.units["A"], half=6)
    login(client, world.users["clerk_a"])
    client.post(f"/hours/{entry.id}/correct", data={"start_on": "2025-03-06", "hours": "3", "field_code": "social",
                                                    "reason": "日期誤植", "version": entry.version})
    db.session.expire_all()
    client.post(f"/hours/{entry.id}/void", data={"reason": "作廢", "version": entry.version, "confirm": "1"})
    changes = db.session.scalars(select(HourChange).order_by(HourChange.id)).all()
    assert [c.action for c in changes] == ["correct", "void"]
    assert changes[0].before_values == {"start_on": "2025-03-05", "end_on": "2025-03-05"}
