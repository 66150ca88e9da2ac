"""The work list of the staff home pages (portal/main/worklist.py): per role the waiting items with their
counts, oldest and due dates; scope; due-date edges in Taipei days; the filtered lists the items link to;
a fixed number of statements whatever the amount of waiting work."""
import json
import re
from datetime import date, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import event, select

from portal.auth.models import User
from portal.awards.models import AwardApplication, AwardRound
from portal.certificates.models import CertificateRequest
from portal.honor_cards.models import HonorCardApplication
from portal.hours.models import HourEntry
from portal.imports.models import ImportBatch
from portal.main.worklist import COUNT_CAP, work_list
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.records.models import RecordBookRequest
from portal.registry.models import Unit
from portal.resolutions.models import Meeting, Resolution, ResolutionBody
from portal.training.models import LostCertificateCase, TrainingRecord
from tests.conftest import count_queries, login
from tests.test_query_guard import PLANNER_SETTINGS, seq_scans, synthetic  # noqa: F401 (the set, a fixture)

DAY = date(2026, 3, 10)


def items(app, user, today=DAY) -> dict:
    with app.test_request_context("/"):
        return {i.key: i for i in work_list(user, today)}


def claim(person, unit, entered=datetime(2026, 3, 1, 2, 0)):
    db.session.add(HourEntry(person_id=person.id, unit_id=unit.id, start_on=date(2026, 2, 3), end_on=date(2026, 2, 3),
                             half_hours=4, field_code=unit.field_code, status="pending", source="claim",
                             entered_at=entered))


def certificate(person, unit, kind="performance", status="requested", requested=DAY):
    req = CertificateRequest(kind=kind, person_id=person.id, unit_id=unit.id, origin="volunteer", status=status,
                             requested_on=requested, due_on=requested + timedelta(days=7))
    db.session.add(req)
    return req


def book_request(person, unit, requested=date(2026, 3, 2)):
    req = RecordBookRequest(person_id=person.id, unit_id=unit.id, requested_on=requested)
    db.session.add(req)
    return req


def award_round(**kw):
    values = dict(scheme="general", year=2026, cutoff_on=date(2025, 12, 31), unit_deadline=date(2026, 3, 31),
                  review_deadline=date(2026, 4, 30), ministry_deadline=date(2026, 5, 31))
    values.update(kw)
    r = AwardRound(**values)
    db.session.add(r)
    db.session.flush()
    return r


# --- unit staff ----------------------------------------------------------------------------------

def test_unit_staff_see_their_units_work_and_nothing_else(app, world):
    a, b, c = world.units["A"], world.units["B"], world.units["C"]
    pa, pb, canary = world.people["a"], world.people["b"], world.people["canary"]
    claim(pa, a, entered=datetime(2026, 3, 1, 17, 0))   # 2 March in Taipei
    claim(pa, a, entered=datetime(2026, 3, 5, 2, 0))
    claim(pb, b)
    claim(canary, c)
    certificate(pa, a, requested=date(2026, 3, 4))
    certificate(pa, a, kind="english_certificate", requested=date(2026, 3, 8))
    certificate(pa, a, status="prepared", requested=date(2026, 3, 6))
    certificate(pb, b)
    db.session.add_all([TrainingRecord(person_id=pa.id, unit_id=a.id, kind="basic", status="pending"),
                        TrainingRecord(person_id=pb.id, unit_id=b.id, kind="basic", status="pending"),
                        ImportBatch(kind="hours", scope_key=f"unit:{a.id}", unit_id=a.id, sha256="0" * 64),
                        ImportBatch(kind="hours", scope_key=f"unit:{a.id}", unit_id=a.id, sha256="1" * 64,
                                    error_count=3),
                        ImportBatch(kind="hours", scope_key=f"unit:{b.id}", unit_id=b.id, sha256="2" * 64)])
    pa.photo_status, pa.photo_uploaded_at = "pending", datetime(2026, 3, 9, 1, 0)
    canary.photo_status = "pending"
    award_round()
    db.session.commit()

    clerk = items(app, world.users["clerk_a"])
    assert clerk["claims"].count == 2 and clerk["claims"].since == date(2026, 3, 2)
    assert clerk["certificates_prepare"].count == 1 and clerk["certificates_prepare"].due == date(2026, 3, 11)
    assert clerk["english"].count == 1 and clerk["english"].due == date(2026, 3, 15)
    assert "certificates_countersign" not in clerk          # the supervisor countersigns
    assert "training_verify" not in clerk                   # the unit has a supervisor (T4)
    assert clerk["imports"].count == 1                      # the batch with problems cannot be confirmed
    assert clerk["photos"].count == 1 and clerk["photos"].since == date(2026, 3, 9)
    # the shared volunteer and a, b are current members of A without verified training
    assert clerk["missing_training"].count == 2 and clerk["missing_training"].since is None
    assert clerk["award_rounds"].count == 1 and clerk["award_rounds"].due == date(2026, 3, 31)

    supervisor = items(app, world.users["supervisor_a"])
    assert supervisor["certificates_countersign"].count == 1
    assert supervisor["training_verify"].count == 1

    other = items(app, world.users["clerk_b"])
    assert other["claims"].count == 1 and other["certificates_prepare"].count == 1
    assert other["training_verify"].count == 1             # unit B has no supervisor: its clerk verifies
    assert other["imports"].count == 1 and "photos" not in other and "english" not in other


def test_the_most_urgent_comes_first(app, world):
    a, pa = world.units["A"], world.people["a"]
    claim(pa, a, entered=datetime(2026, 3, 9, 2, 0))
    certificate(pa, a, requested=date(2026, 3, 1))          # due 8 March: overdue on the 10th
    db.session.commit()
    keys = [i.key for i in items(app, world.users["clerk_a"]).values()]
    assert keys[0] == "certificates_prepare"


@pytest.mark.parametrize(("requested", "due_in", "soon", "overdue"), [
    (DAY + timedelta(days=1), 8, False, 0),     # due in 8 days: not yet due soon
    (DAY, 7, True, 0),                          # due in 7 days: due soon
    (DAY - timedelta(days=7), 0, True, 0),      # due today: not overdue
    (DAY - timedelta(days=8), -1, False, 1),    # the day after the due date: overdue
])
def test_certificate_due_edges(app, world, requested, due_in, soon, overdue):
    certificate(world.people["a"], world.units["A"], requested=requested)
    db.session.commit()
    item = items(app, world.users["clerk_a"])["certificates_prepare"]
    assert (item.due_in, item.due_soon, item.overdue, item.is_overdue) == (due_in, soon, overdue, bool(overdue))


def test_overdue_is_said_in_words_on_the_taipei_day(app, world, client):
    certificate(world.people["a"], world.units["A"], requested=date(2026, 3, 2))   # due 9 March
    db.session.commit()
    with freeze_time("2026-03-09T15:30:00Z"):     # 23:30 on 9 March in Taipei: due today
        login(client, world.users["clerk_a"])    # inside the frozen clock: the session is not idle
        html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "due today" in html and "overdue" not in html
    with freeze_time("2026-03-09T16:30:00Z"):     # 00:30 on 10 March in Taipei (still the 9th in UTC)
        client = app.test_client()                # a new session (the first one went idle an hour ago)
        login(client, world.users["clerk_a"])
        html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "1 overdue" in html
        client.post("/language", data={"lang": "zh_Hant_TW"})
        html = client.get("/").get_data(as_text=True)
        assert "1 件已逾期" in html and "115/03/09" in html


# --- authorities ---------------------------------------------------------------------------------

def test_county_items_scope_and_handled(app, world, client):
    a, c = world.units["A"], world.units["C"]
    pa, canary = world.people["a"], world.people["canary"]
    req = book_request(pa, a, requested=date(2026, 3, 2))
    book_request(world.people["b"], world.units["B"], requested=date(2026, 3, 5))
    book_request(canary, c)
    db.session.add_all([LostCertificateCase(person_id=pa.id, unit_id=a.id, kind="basic",
                                            created_at=datetime(2026, 2, 20, 3, 0)),
                        LostCertificateCase(person_id=canary.id, unit_id=c.id, kind="basic"),
                        HonorCardApplication(person_id=pa.id, unit_id=a.id, applied_on=date(2026, 1, 15)),
                        HonorCardApplication(person_id=canary.id, unit_id=c.id, applied_on=date(2026, 1, 2))])
    db.session.commit()

    tpe = items(app, world.users["county_tpe"])
    assert tpe["record_books"].count == 2 and tpe["record_books"].since == date(2026, 3, 2)
    assert tpe["lost_cases"].count == 1 and tpe["lost_cases"].since == date(2026, 2, 20)
    assert tpe["honor_cards"].count == 1 and tpe["honor_cards"].since == date(2026, 1, 15)
    khh = items(app, world.users["county_khh"])
    assert (khh["record_books"].count, khh["lost_cases"].count, khh["honor_cards"].count) == (1, 1, 1)
    local = items(app, world.users["sector_local"])            # TPE social: unit A's case only
    assert set(local) == {"lost_cases"} and local["lost_cases"].count == 1
    assert items(app, world.users["ministry"]) == {}

    # the county declines one request from its list (a's training is missing): one less on the home page
    login(client, world.users["county_tpe"])
    assert client.get("/records/").status_code == 200
    client.post(f"/records/book-requests/{req.id}/decline", data={"reason": "缺少訓練紀錄"})
    assert db.session.get(RecordBookRequest, req.id).status == "declined"
    assert items(app, world.users["county_tpe"])["record_books"].count == 1


def test_award_reviewers_see_their_stage_with_the_round_deadline(app, world):
    a, b, pa, pb = world.units["A"], world.units["B"], world.people["a"], world.people["b"]
    central_unit = Unit(code="EDU-X", name="無地方主管單位", county_code="TPE", field_code="education", sector="public")
    db.session.add(central_unit)
    r = award_round()
    db.session.flush()
    db.session.add_all([AwardApplication(round_id=r.id, person_id=pa.id, unit_id=a.id, tier="bronze"),
                        AwardApplication(round_id=r.id, person_id=pb.id, unit_id=b.id, tier="bronze"),
                        AwardApplication(round_id=r.id, person_id=world.people["shared"].id, unit_id=central_unit.id, tier="silver",
                                         status="forwarded")])
    db.session.commit()
    local = items(app, world.users["sector_local"])
    assert local["awards_forward"].count == 1 and local["awards_forward"].due == date(2026, 4, 30)
    assert "awards_forward" not in items(app, world.users["sector_central"])   # forwarded already
    ministry = items(app, world.users["ministry"])
    assert ministry["awards_decide"].count == 1 and ministry["awards_decide"].due == date(2026, 5, 31)
    assert items(app, world.users["ministry"], today=date(2026, 6, 1))["awards_decide"].is_overdue
    assert "awards_forward" not in items(app, world.users["county_tpe"])


# --- the links lead to exactly these items --------------------------------------------------------

def test_links_open_the_filtered_lists(app, world, client):
    a, pa, pb = world.units["A"], world.people["a"], world.people["b"]
    certificate(pa, a, requested=today_taipei())
    certificate(world.people["shared"], a, kind="english_transcript", requested=today_taipei())
    pa.photo_status = "pending"
    db.session.add_all([ImportBatch(kind="hours", scope_key=f"unit:{a.id}", unit_id=a.id, sha256="0" * 64,
                                    filename="waiting.csv"),
                        ImportBatch(kind="hours", scope_key=f"unit:{a.id}", unit_id=a.id, sha256="1" * 64,
                                    filename="broken.csv", error_count=2)])
    db.session.commit()
    login(client, world.users["clerk_a"])
    found = items(app, world.users["clerk_a"], today=today_taipei())

    html = client.get(found["certificates_prepare"].url).get_data(as_text=True)
    assert pa.name in html and "共同志工" not in html
    html = client.get(found["english"].url).get_data(as_text=True)
    assert "共同志工" in html
    html = client.get(found["photos"].url).get_data(as_text=True)
    assert pa.name in html and pb.name not in html and "共同志工" not in html
    html = client.get(found["imports"].url).get_data(as_text=True)
    assert "waiting.csv" in html and "broken.csv" not in html
    html = client.get("/volunteers/").get_data(as_text=True)   # unfiltered, as before
    assert "共同志工" in html


# --- the page -------------------------------------------------------------------------------------

def test_nothing_waiting_is_said_calmly(app, world, client):
    login(client, world.users["county_khh"])
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Nothing is waiting for you right now." in html


def test_home_page_statements_do_not_grow_with_the_work(app, world, client):
    county = world.users["county_tpe"]
    login(client, county)

    def statements():
        with count_queries() as seen:
            assert client.get("/").status_code == 200
        return len(seen)

    book_request(world.people["a"], world.units["A"])
    db.session.commit()
    few = statements()
    units = [Unit(code=f"TPE-N{i}", name=f"單位{i}", county_code="TPE", field_code="social", sector="private")
             for i in range(30)]
    db.session.add_all(units)
    db.session.flush()
    for unit in units:
        book_request(world.people["b"], unit)
        db.session.add(LostCertificateCase(person_id=world.people["b"].id, unit_id=unit.id, kind="basic"))
    db.session.commit()
    assert statements() == few


def test_counts_stop_at_the_cap(app, world, monkeypatch):
    monkeypatch.setattr("portal.main.worklist.COUNT_CAP", 3)
    for day in range(5):
        book_request(world.people["a"], world.units["A"], requested=date(2026, 3, 1 + day))
    db.session.commit()
    item = items(app, world.users["county_tpe"])["record_books"]
    assert (item.count, item.more, item.count_text, item.since) == (3, True, "3+", date(2026, 3, 1))
    assert COUNT_CAP == 1000


# --- at scale: the query guard's synthetic set ------------------------------------------------------

@pytest.mark.parametrize("persona", ["clerk", "county", "ministry"])
def test_home_page_reads_no_big_table_whole(synthetic, persona):  # noqa: F811 (the imported fixture)
    """The home page of each authority level on the guard's synthetic set: a fixed handful of statements,
    and on PostgreSQL (sequential scans, hash and merge joins off) no plan reads the hour, membership or
    people tables whole."""
    app, manifest = synthetic
    client = app.test_client()
    login(client, db.session.scalar(select(User).where(User.username == manifest["accounts"][persona]["username"])))
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        response = client.get("/")
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
        db.session.rollback()
    assert response.status_code == 200
    assert len(statements) <= 8, "\n".join(s[:200] for s, _ in statements)
    if db.engine.dialect.name != "postgresql":
        return
    scans = {}
    with db.engine.connect() as conn:
        for setting in PLANNER_SETTINGS:
            conn.exec_driver_sql(setting)
        for statement, parameters in statements:
            if re.match(r"\s*(WITH|SELECT)\b", statement, re.I):
                plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar_one()
                plan = plan if isinstance(plan, list) else json.loads(plan)
                if tables := seq_scans(plan[0]["Plan"]):
                    scans[statement[:300]] = sorted(tables)
    assert not scans, json.dumps(scans, ensure_ascii=False, indent=1)


def test_responsible_bodies_see_the_resolutions_they_report_on(app, world, client):
    """An item under tracking waits for each of its responsible bodies (not for other authorities) until the
    ministry releases it; the link opens the body's own open items."""
    county, other = world.users["county_tpe"], world.users["county_khh"]
    meeting = Meeting(roc_year=115, held_on=date(2026, 3, 1))
    item = Resolution(meeting=meeting, seq=1, subject="案由", decision="決議")
    db.session.add_all([meeting, item])
    db.session.flush()
    db.session.add(ResolutionBody(resolution_id=item.id, authority_id=county.authority_id))
    db.session.commit()
    found = items(app, county)["resolutions"]
    assert found.count == 1 and "resolutions" not in items(app, other)
    assert "status=open" in found.url and "body=mine" in found.url
    login(client, county)
    assert item.subject in client.get(found.url).get_data(as_text=True)
    item.status = "closed"
    db.session.commit()
    assert "resolutions" not in items(app, county)
