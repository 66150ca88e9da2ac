"""Hour and award batches over the API (issue 15; docs/rules/api.md#api7): the import pipeline's rules, all
or nothing with every bad row named in both languages, idempotent by Idempotency-Key and by the business key,
the result readable later, limits, scopes, the client's area, one transaction, every call audited."""
import secrets
import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.api import batches as batch_operations
from portal.api.batch_models import ApiBatch
from portal.api.batches import MAX_ROWS
from portal.api.models import AWARDS_WRITE, HOURS_WRITE, VOLUNTEERS_STATUS
from portal.api.operations import issue_token, register_client
from portal.awards.models import Award, AwardSource
from portal.hours.models import HourEntry
from portal.imports.models import ImportBatch
from portal.platform.audit import AuditLog
from portal.platform.extensions import db

HOURS_URL = "/api/v1/hours/batches"
AWARDS_URL = "/api/v1/awards/batches"


def bearer(owner, scopes, name="據點系統") -> dict:
    """A registered client acting for `owner` and a fresh token of it, as request headers."""
    credentials = register_client(name, owner, list(scopes), None)
    value = secrets.token_urlsafe(32)
    issue_token(credentials.client, value, list(scopes))
    db.session.commit()
    return {"Authorization": f"Bearer {value}"}


def keyed(headers: dict, key: str | None) -> dict:
    return {**headers, "Idempotency-Key": key} if key else headers


def half_hours_written() -> int:
    return db.session.scalar(select(func.coalesce(func.sum(HourEntry.half_hours), 0))
                             .where(HourEntry.status == "active"))


def entries() -> int:
    return db.session.scalar(select(func.count()).select_from(HourEntry))


def hour_rows(people, count: int, first=date(2024, 1, 1)) -> list[dict]:
    """Single-day rows, one volunteer per day each (no overlap, ≤ 24 h), 1 to 2.5 hours."""
    rows = []
    for i in range(count):
        person = people[i % len(people)]
        day = first + timedelta(days=i // len(people))
        rows.append({"id_number": person.id_number, "name": person.name, "start_on": day.isoformat(),
                     "hours": 1 + (i % 4) * 0.5})
    return rows


def expected_half_hours(rows) -> int:
    return sum(int(r["hours"] * 2) for r in rows)


@pytest.fixture
def partner(world, make_person):
    """Unit A's own system (hours:write) with ten volunteers of unit A."""
    people = [world.people["a"]] + make_person.many([{"units": [world.units["A"]], "name": f"志工{n}"}
                                                     for n in range(9)])
    return {"headers": bearer(world.users["clerk_a"], [HOURS_WRITE]), "people": people}


# -- hours -------------------------------------------------------------------------------------------

def test_5000_rows_twice_with_the_same_key_then_with_another_key_are_counted_once(client, partner):
    rows = hour_rows(partner["people"], MAX_ROWS)
    started = time.perf_counter()
    first = client.post(HOURS_URL, json={"rows": rows}, headers=keyed(partner["headers"], "push-1"))
    first_seconds = time.perf_counter() - started
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert (body["status"], body["rows"], body["written"], body["duplicates"]) == ("committed", 5000, 5000, 0)
    assert body["hours"] * 2 == expected_half_hours(rows) == half_hours_written()
    assert first.headers["Location"].endswith(f"/api/v1/hours/batches/{body['id']}")

    again = client.post(HOURS_URL, json={"rows": rows}, headers=keyed(partner["headers"], "push-1"))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == body["id"]

    other_key = client.post(HOURS_URL, json={"rows": rows}, headers=keyed(partner["headers"], "push-2"))
    assert other_key.status_code == 201
    assert (other_key.get_json()["written"], other_key.get_json()["duplicates"]) == (0, 5000)
    assert entries() == 5000 and half_hours_written() == expected_half_hours(rows)
    print(f"\n5,000-row batch: {first_seconds:.2f} s")


def test_the_business_key_skips_rows_already_recorded_whatever_the_key(client, partner):
    rows = hour_rows(partner["people"], 40)
    first = client.post(HOURS_URL, json={"rows": rows[:30]}, headers=keyed(partner["headers"], "a"))
    assert first.get_json()["written"] == 30
    # No key at all, ten rows new and twenty already recorded (and two rows the same entry twice).
    second = client.post(HOURS_URL, json={"rows": rows[10:] + rows[39:]}, headers=partner["headers"])
    assert second.status_code == 201, second.get_json()
    assert (second.get_json()["written"], second.get_json()["duplicates"]) == (10, 21)
    assert entries() == 40 and half_hours_written() == expected_half_hours(rows)


def test_one_bad_row_writes_nothing_and_is_named_in_both_languages(client, partner):
    rows = hour_rows(partner["people"], 200)
    rows[56]["hours"] = 0.25
    response = client.post(HOURS_URL, json={"rows": rows}, headers=keyed(partner["headers"], "k"))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["code"] == "rows_refused"
    [error] = problem["errors"]
    assert (error["row"], error["field"], error["code"]) == (57, "hours", "quarter_hour")
    assert error["messages"]["en"] and error["messages"]["zh-TW"] and error["messages"]["en"] != error["messages"][
        "zh-TW"]
    assert error["detail"] == error["messages"]["zh-TW"]        # Traditional Chinese unless asked otherwise
    assert entries() == 0 and db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0

    stored = client.get(f"{HOURS_URL}/{problem['batch_id']}", headers={**partner["headers"],
                                                                      "Accept-Language": "en"})
    assert stored.status_code == 200
    assert stored.get_json()["status"] == "rejected" and stored.get_json()["written"] == 0
    assert stored.get_json()["errors"][0]["detail"] == error["messages"]["en"]

    # A refusal binds no key: the corrected rows go through with the same key.
    rows[56]["hours"] = 0.5
    fixed = client.post(HOURS_URL, json={"rows": rows}, headers=keyed(partner["headers"], "k"))
    assert fixed.status_code == 201 and fixed.get_json()["written"] == 200


def test_every_bad_row_is_reported_by_the_pipelines_rules(client, partner, world):
    a, b = partner["people"][0], world.people["b"]
    ok = {"id_number": a.id_number, "name": a.name, "start_on": "2024-03-01", "hours": 8}
    rows = [
        ok,
        {**ok, "start_on": "2024-03-01", "end_on": "2024-03-02", "hours": 2},          # overlaps row 1
        {**ok, "start_on": "2024-03-05", "hours": 24}, {**ok, "start_on": "2024-03-05", "hours": 1},  # 25 h
        {**ok, "start_on": "2026-03-02", "hours": 1},                                  # no verified training
        {**ok, "name": "別人"},                                                         # name mismatch
        {"id_number": b.id_number, "name": b.name, "start_on": "2024-03-01", "hours": 1},  # not in unit A
        {**ok, "id_number": "A123456788"},                                              # check digit
        {**ok, "start_on": "2000-12-31"},                                               # before the Act
        {**ok, "start_on": "113/03/09", "field": "education"},                          # not a field of unit A
    ]
    response = client.post(HOURS_URL, json={"rows": rows}, headers=partner["headers"])
    assert response.status_code == 422
    found = {(e["row"], e["code"]) for e in response.get_json()["errors"]}
    assert found == {(2, "overlap"), (4, "over_24h_day"), (5, "training"), (6, "name_mismatch"), (7, "not_member"),
                     (8, "checksum"), (9, "before_act"), (10, "field")}
    masked = next(e for e in response.get_json()["errors"] if e["row"] == 8)["value"]
    assert masked != "A123456788" and "*" in masked
    assert entries() == 0


def test_more_rows_than_a_batch_holds_are_refused_whole(client, partner):
    rows = hour_rows(partner["people"], 2 * MAX_ROWS)
    response = client.post(HOURS_URL, json={"rows": rows}, headers=keyed(partner["headers"], "big"))
    assert response.status_code == 413 and response.get_json()["code"] == "too_many_rows"
    assert "5,000" in response.get_json()["detail"] and response.get_json()["max_rows"] == MAX_ROWS
    assert entries() == 0 and db.session.scalar(select(func.count()).select_from(ApiBatch)) == 0


def test_bad_shapes_keys_and_empty_batches_are_4xx_problems(client, partner):
    headers = partner["headers"]
    row = hour_rows(partner["people"], 1)[0]
    assert client.post(HOURS_URL, json={"rows": []}, headers=headers).status_code == 422
    assert client.post(HOURS_URL, json={"rows": [{**row, "colour": "red"}]}, headers=headers).status_code == 422
    wrong_type = client.post(HOURS_URL, json={"rows": [row, {**row, "hours": True}]}, headers=headers)
    assert wrong_type.status_code == 422 and wrong_type.get_json()["errors"][0]["row"] == 2
    assert client.post(HOURS_URL, json={"rows": [row]}, headers=keyed(headers, "x" * 256)).status_code == 422
    assert client.post(HOURS_URL, json={"rows": [row]}, headers=keyed(headers, "tab\there")).status_code == 400
    client.post(HOURS_URL, json={"rows": [row]}, headers=keyed(headers, "once"))
    reused = client.post(HOURS_URL, json={"rows": [{**row, "hours": 2}]}, headers=keyed(headers, "once"))
    assert reused.status_code == 422 and reused.get_json()["code"] == "idempotency_key_reused"
    assert entries() == 1


def test_wrong_scope_is_403_and_a_unit_outside_the_area_404(client, partner, world):
    row = hour_rows(partner["people"], 1)[0]
    status_only = bearer(world.users["clerk_a"], [VOLUNTEERS_STATUS], name="查詢系統")
    refused = client.post(HOURS_URL, json={"rows": [row]}, headers=status_only)
    assert refused.status_code == 403 and refused.get_json()["code"] == "insufficient_scope"
    for code in ("TPE-B", "KHH-C", "NO-SUCH"):
        outside = client.post(HOURS_URL, json={"unit": code, "rows": [row]}, headers=partner["headers"])
        assert outside.status_code == 404 and outside.get_json()["code"] == "not_found"
    assert client.post(HOURS_URL, json={"unit": "TPE-A", "rows": [row]}, headers=partner["headers"]).status_code == 201
    # An authority may read its area but not write a unit's hours (docs/rules/hours.md#h1).
    county = bearer(world.users["county_tpe"], [HOURS_WRITE], name="縣市系統")
    assert client.post(HOURS_URL, json={"unit": "TPE-A", "rows": [row]}, headers=county).status_code == 404
    # Another client's batch reads as not found.
    mine = db.session.scalar(select(ApiBatch.id))
    other = bearer(world.users["clerk_a"], [HOURS_WRITE], name="另一個系統")
    assert client.get(f"{HOURS_URL}/{mine}", headers=other).status_code == 404
    assert client.get(f"{AWARDS_URL}/{mine}", headers=bearer(world.users["county_tpe"], [AWARDS_WRITE])
                      ).status_code == 404
    assert client.post(HOURS_URL, json={"rows": [row]}).status_code == 401
    assert entries() == 1


def test_every_batch_call_is_audited_with_its_client(client, partner):
    rows = hour_rows(partner["people"], 3)
    answers = [client.post(HOURS_URL, json={"rows": rows}, headers=keyed(partner["headers"], "k1")),
               client.post(HOURS_URL, json={"rows": [{**rows[0], "hours": 0.2}]}, headers=partner["headers"]),
               client.post(HOURS_URL, json={"rows": rows}, headers=keyed(partner["headers"], "k1")),
               client.post(HOURS_URL, json={"rows": rows * 2000}, headers=partner["headers"])]
    answers.append(client.get(f"{HOURS_URL}/{answers[0].get_json()['id']}", headers=partner["headers"]))
    assert [a.status_code for a in answers] == [201, 422, 201, 413, 200]
    # Each call, whatever it answered, has its audit row naming the client (the API's after-request hook) ...
    calls = db.session.scalars(select(AuditLog).where(AuditLog.action == "api.call").order_by(AuditLog.id)).all()
    assert [c.object_type for c in calls] == ["ApiClient"] * 5
    assert ['"status": %d' % a.status_code in c.detail for a, c in zip(answers, calls, strict=True)] == [True] * 5
    # ... and each batch sent (written or refused) its own, with the pipeline's import row in the same transaction.
    batches = db.session.scalars(select(AuditLog).where(AuditLog.action == "api.hours_batch")
                                 .order_by(AuditLog.id)).all()
    assert ['"status": "committed"' in batches[0].detail, '"status": "rejected"' in batches[1].detail] == [True, True]
    assert all('"client": "vp_' in line.detail for line in batches) and len(batches) == 2
    imported = db.session.scalar(select(AuditLog).where(AuditLog.action == "import.hours"))
    assert imported is not None and imported.actor_role == "unit_clerk"


def test_a_failure_after_the_rows_were_written_leaves_nothing(client, partner, monkeypatch):
    """One transaction: the entries, the import batch and the API batch commit together or not at all."""
    def fail(*args, **kwargs):
        raise RuntimeError("the process dies here")
    monkeypatch.setattr(batch_operations, "describe", fail)     # after the pipeline wrote every row
    response = client.post(HOURS_URL, json={"rows": hour_rows(partner["people"], 50)}, headers=partner["headers"])
    assert response.status_code == 500 and response.mimetype == "application/problem+json"
    db.session.rollback()
    assert entries() == 0
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
    assert db.session.scalar(select(func.count()).select_from(ApiBatch)) == 0


def test_identical_requests_at_once_write_once(threaded_app, make_unit, make_person, make_user):
    unit = make_unit("TPE", "social", "private", code="TPE-R")
    people = [make_person([unit], name=f"並行{n}") for n in range(4)]
    headers = keyed(bearer(make_user("clerk.r", "unit_clerk", unit_id=unit.id), [HOURS_WRITE]), "same")
    rows = hour_rows(people, 400)
    db.session.rollback()     # SQLite: this thread's read transaction would hold the write lock the requests wait for
    answers, start = [], threading.Barrier(3)

    def send():
        with threaded_app.test_client() as client:
            start.wait()
            answers.append(client.post(HOURS_URL, json={"rows": rows}, headers=headers))
    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(a.status_code for a in answers) == [201, 201, 201], [a.get_json() for a in answers]
    assert len({a.get_json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 2
    db.session.rollback()
    assert entries() == 400 and half_hours_written() == expected_half_hours(rows)


# -- awards ------------------------------------------------------------------------------------------

def award_row(person, **values) -> dict:
    return {"id_number": person.id_number, "name": person.name, "title": "績優志工獎", "year": 113, **values}


def test_an_authority_sends_awards_with_the_file_imports_rules_and_provenance(client, world):
    headers = bearer(world.users["county_tpe"], [AWARDS_WRITE], name="教育部獎項系統")
    rows = [award_row(world.people["a"], tier="金質"), award_row(world.people["shared"], awarded_on="2024-11-27")]
    first = client.post(AWARDS_URL, json={"rows": rows}, headers=keyed(headers, "awards-1"))
    assert first.status_code == 201, first.get_json()
    assert (first.get_json()["written"], first.get_json()["duplicates"]) == (2, 0)
    award = db.session.scalar(select(Award).where(Award.person_id == world.people["a"].id))
    assert (award.source, award.year, award.tier, award.issuer) == (AwardSource.IMPORT, 2024, "金質",
                                                                    world.users["county_tpe"].authority.name)
    assert award.source_filename == "API: 教育部獎項系統" and award.import_batch_id is not None
    assert award.imported_by_id == world.users["county_tpe"].id

    replay = client.post(AWARDS_URL, json={"rows": rows}, headers=keyed(headers, "awards-1"))
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.get_json()["id"] == first.get_json()["id"]
    other_key = client.post(AWARDS_URL, json={"rows": rows[:1]}, headers=keyed(headers, "awards-2"))
    assert (other_key.get_json()["written"], other_key.get_json()["duplicates"]) == (0, 1)
    assert db.session.scalar(select(func.count()).select_from(Award)) == 2
    got = client.get(f"{AWARDS_URL}/{first.get_json()['id']}", headers=headers)
    assert got.status_code == 200 and got.get_json()["kind"] == "awards" and "hours" not in got.get_json()


def test_award_rows_outside_the_area_or_wrong_are_refused_and_nothing_written(client, world):
    headers = bearer(world.users["county_tpe"], [AWARDS_WRITE])
    rows = [award_row(world.people["a"]), award_row(world.people["canary"]),       # the canary serves in KHH
            award_row(world.people["b"], year=2099)]
    response = client.post(AWARDS_URL, json={"rows": rows}, headers=headers)
    assert response.status_code == 422
    assert [(e["row"], e["code"]) for e in response.get_json()["errors"]] == [(2, "not_found"), (3, "future_year")]
    assert db.session.scalar(select(func.count()).select_from(Award)) == 0


def test_only_authority_clients_send_awards(client, world):
    unit_client = bearer(world.users["clerk_a"], [AWARDS_WRITE])
    response = client.post(AWARDS_URL, json={"rows": [award_row(world.people["a"])]}, headers=unit_client)
    assert response.status_code == 403 and response.get_json()["code"] == "authority_only"
    hours_only = bearer(world.users["county_tpe"], [HOURS_WRITE])
    assert client.post(AWARDS_URL, json={"rows": [award_row(world.people["a"])]}, headers=hours_only
                       ).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Award)) == 0
