"""Training records, certificate verification, the 2026 gate, lost-certificate cases, lists, imports."""
import csv
import io
from contextlib import contextmanager
from datetime import date

import pikepdf
import pytest
from flask import current_app
from flask_babel import refresh
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.uploads import StoredFile
from portal.records.models import RecordBook
from portal.training import facts, importing
from portal.training.facts import gate_checker
from portal.training.models import LostCertificateCase, TrainingFile, TrainingRecord
from tests.conftest import login
from tests.test_access import normalised


def training_problem(person_id: int, field_code: str, day: date) -> str | None:
    """The training gate for one entry, as the hours checks ask it."""
    return gate_checker([person_id])(person_id, field_code, day)


@contextmanager
def language(lang: str):
    """A request in `lang` (flask-babel caches the locale in g, which the test's app context shares)."""
    with current_app.test_request_context(headers={"Accept-Language": lang}):
        refresh()
        yield

EFFECTIVE = date(2025, 6, 1)


def png(color="white") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 90), color).save(out, "PNG")
    return out.getvalue()


def pdf() -> bytes:
    doc = pikepdf.new()
    doc.add_blank_page(page_size=(300, 200))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def multipart(fields: dict, files: list[tuple[str, bytes]] = (), file_field="files"):
    items = [(k, v) for k, v in fields.items()]
    items += [(file_field, FileStorage(io.BytesIO(data), filename=name, content_type="application/octet-stream"))
              for name, data in files]
    boundary, body = encode_multipart(MultiDict(items))
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def record_fields(**kw):
    fields = {"kind": "special", "field_code": "social", "course_name": "社會福利類特殊訓練", "hours": "6",
              "provider": "臺北市政府社會局", "completed_on": "114/05/20", "effective_on": "114/06/01",
              "certificate_no": "北市社志字第1140001號"}
    fields.update(kw)
    return fields


def add_record(client, person, files=(("結業證書.png", None),), **kw):
    files = [(name, data if data is not None else png()) for name, data in files]
    response = client.post(f"/training/people/{person.id}/records/new", **multipart(record_fields(**kw), files))
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.get(TrainingRecord, int(response.headers["Location"].rsplit("/", 1)[1]))


def verify_via_http(client, record):
    db.session.refresh(record)
    return client.post(f"/training/records/{record.id}/verify", data={"version": record.version})


def verified_record(person, kind, field_code=None, effective=EFFECTIVE, unit=None):
    record = TrainingRecord(person_id=person.id, unit_id=unit.id if unit else None, kind=kind, field_code=field_code,
                            course_name="x", completed_on=effective, effective_on=effective, status="verified")
    db.session.add(record)
    db.session.commit()
    return record


# --- the gate -----------------------------------------------------------------------------

def test_an_uploaded_and_verified_certificate_unlocks_2026_hours_in_that_field_only(app, world, client):
    person = world.people["a"]
    assert training_problem(person.id, "social", date(2026, 3, 1)) is not None
    verified_record(person, "basic", effective=date(2024, 1, 1))
    login(client, world.users["clerk_a"])
    record = add_record(client, person)
    assert record.status == "pending" and len(record.attachments) == 1
    assert training_problem(person.id, "social", date(2026, 3, 1)) is not None  # not yet verified

    login(client, world.users["supervisor_a"])
    response = verify_via_http(client, record)
    assert response.status_code == 302
    db.session.refresh(record)
    assert record.status == "verified" and record.effective_on == EFFECTIVE

    check = gate_checker([person.id])
    assert check(person.id, "social", date(2026, 3, 1)) is None
    assert check(person.id, "social", EFFECTIVE) is None
    assert check(person.id, "social", date(2025, 5, 31)) is not None  # before the effective date
    assert check(person.id, "education", date(2026, 3, 1)) is not None  # another field stays locked
    assert check(world.people["b"].id, "social", date(2026, 3, 1)) is not None  # another person too


def test_special_training_alone_is_not_enough(app, world):
    person = world.people["a"]
    verified_record(person, "special", "social")
    with language("en"):
        message = training_problem(person.id, "social", date(2026, 1, 2))
    assert "basic training" in message and "special training" not in message


def test_hours_before_2026_without_training_are_not_refused(app, world):
    assert training_problem(world.people["a"].id, "social", date(2025, 12, 31)) is None


def test_the_refusal_names_the_missing_training_in_both_languages(app, world):
    person = world.people["a"]
    with language("en"):
        english = training_problem(person.id, "social", date(2026, 2, 1))
    with language("zh-TW"):
        chinese = training_problem(person.id, "social", date(2026, 2, 1))
    assert "verified basic training" in english and "special training for Social welfare" in english
    assert "基礎訓練" in chinese and "社會福利" in chinese and "特殊訓練" in chinese
    assert "training" not in chinese

    verified_record(person, "basic", effective=date(2024, 1, 1))
    verified_record(person, "special", "social", effective=date(2026, 4, 1))
    with language("en"):
        assert "2026-04-01" in training_problem(person.id, "social", date(2026, 3, 1))
    with language("zh-TW"):
        assert "115/04/01" in training_problem(person.id, "social", date(2026, 3, 1))


# --- verification -------------------------------------------------------------------------

def test_only_the_supervisor_verifies_when_the_unit_has_one(app, world, client):
    login(client, world.users["clerk_a"])
    record = add_record(client, world.people["a"])
    client.post("/language", data={"lang": "en"})
    page = client.get(f"/training/records/{record.id}").get_data(as_text=True)
    assert "Verify</button>" not in page
    verify_via_http(client, record)
    db.session.refresh(record)
    assert record.status == "pending"


def test_the_clerk_verifies_when_the_unit_has_no_supervisor(app, world, client):
    world.users["supervisor_a"].active = False
    db.session.commit()
    login(client, world.users["clerk_a"])
    record = add_record(client, world.people["a"])
    assert verify_via_http(client, record).status_code == 302
    db.session.refresh(record)
    assert record.status == "verified" and record.verified_by_id == world.users["clerk_a"].id


def test_verification_needs_an_uploaded_certificate(app, world, client):
    login(client, world.users["supervisor_a"])
    record = add_record(client, world.people["a"], files=())
    client.post("/language", data={"lang": "en"})
    page = client.post(f"/training/records/{record.id}/verify", data={"version": record.version},
                       follow_redirects=True).get_data(as_text=True)
    assert "Upload the certificate before verifying" in page
    db.session.refresh(record)
    assert record.status == "pending"


def test_a_rejected_certificate_shows_its_reason_to_the_volunteer(app, world, client):
    login(client, world.users["clerk_a"])
    record = add_record(client, world.people["a"])
    login(client, world.users["supervisor_a"])
    assert client.post(f"/training/records/{record.id}/reject", data={"version": record.version, "reason": ""}
                       ).status_code == 302
    db.session.refresh(record)
    assert record.status == "pending"  # a reason is required
    client.post(f"/training/records/{record.id}/reject", data={"version": record.version,
                                                              "reason": "證書影像模糊，請重新掃描"})
    db.session.refresh(record)
    assert record.status == "rejected" and record.reject_reason == "證書影像模糊，請重新掃描"

    volunteer = login(current_app.test_client(), world.users["volunteer"])
    mine = volunteer.get("/training/").get_data(as_text=True)
    assert "證書影像模糊，請重新掃描" in mine and "badge-rejected" in mine

    # A new file sends the record back for verification.
    response = volunteer.post(f"/training/records/{record.id}/files", **multipart({}, [("重新掃描.png", png("gray"))]))
    assert response.status_code == 302
    db.session.refresh(record)
    assert record.status == "pending" and len(record.attachments) == 2


def test_a_stale_verification_is_refused_with_409(app, world, client):
    login(client, world.users["supervisor_a"])
    record = add_record(client, world.people["a"])
    old_version = record.version
    client.post(f"/training/records/{record.id}/edit", data={**record_fields(course_name="改過的課程"),
                                                            "version": old_version})
    assert client.post(f"/training/records/{record.id}/verify", data={"version": old_version}).status_code == 409
    db.session.refresh(record)
    assert record.status == "pending" and record.course_name == "改過的課程"


def test_a_verified_record_cannot_be_edited_or_given_files(app, world, client):
    login(client, world.users["supervisor_a"])
    record = add_record(client, world.people["a"])
    verify_via_http(client, record)
    db.session.refresh(record)
    client.post(f"/training/records/{record.id}/edit", data={**record_fields(course_name="竄改"),
                                                            "version": record.version})
    client.post(f"/training/records/{record.id}/files", **multipart({}, [("more.png", png())]))
    db.session.refresh(record)
    assert record.course_name != "竄改" and len(record.attachments) == 1


def test_every_training_change_is_audited(app, world, client):
    login(client, world.users["supervisor_a"])
    record = add_record(client, world.people["a"])
    verify_via_http(client, record)
    actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "TrainingRecord",
                                                                   AuditLog.object_id == record.id)))
    assert {"training.create", "training.file_add", "training.verify"} <= actions


def test_the_volunteer_sends_their_own_certificate_for_the_unit_to_verify(app, world, client):
    login(client, world.users["volunteer"])
    unit = world.units["A"]
    response = client.post("/training/mine/new", **multipart(record_fields(unit_id=str(unit.id)),
                                                             [("我的證書.pdf", pdf())]))
    assert response.status_code == 302
    record = db.session.scalar(select(TrainingRecord))
    assert record.source == "volunteer" and record.unit_id == unit.id and record.status == "pending"
    assert record.attachments[0].file.display_name == "我的證書.pdf"

    # The unit sees it waiting and verifies it.
    staff = login(current_app.test_client(), world.users["supervisor_a"])
    assert "我的證書.pdf" not in staff.get("/training/?status=pending").get_data(as_text=True)
    assert world.people["a"].name in staff.get("/training/?status=pending").get_data(as_text=True)
    verify_via_http(staff, record)
    db.session.refresh(record)
    assert record.status == "verified"
    assert "badge-verified" in client.get("/training/").get_data(as_text=True)


def test_a_volunteer_cannot_send_to_a_unit_they_do_not_serve(app, world, client):
    login(client, world.users["volunteer"])
    response = client.post("/training/mine/new", **multipart(record_fields(unit_id=str(world.units["B"].id)),
                                                             [("a.png", png())]))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(TrainingRecord.id))) == 0
    assert db.session.scalar(select(func.count(StoredFile.id))) == 0


def test_duplicate_certificate_numbers_are_refused(app, world, client):
    login(client, world.users["clerk_a"])
    add_record(client, world.people["a"])
    response = client.post(f"/training/people/{world.people['a'].id}/records/new",
                           **multipart(record_fields(), [("b.png", png())]))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(TrainingRecord.id))) == 1
    assert db.session.scalar(select(func.count(StoredFile.id))) == 1


def test_special_training_needs_a_field_and_dates_in_order(app, world, client):
    login(client, world.users["clerk_a"])
    person = world.people["a"]
    for fields in (record_fields(field_code=""), record_fields(effective_on="114/01/01"),
                   record_fields(completed_on="2999-01-01"), record_fields(hours="-3")):
        response = client.post(f"/training/people/{person.id}/records/new", **multipart(fields, []))
        assert response.status_code == 422
    assert db.session.scalar(select(func.count(TrainingRecord.id))) == 0


def same_answer(one, one_url, other, other_url) -> bool:
    """Status and body equal once the URL itself and the CSRF token (both per request) are blanked out."""
    return normalised(one, one_url) == normalised(other, other_url)


# --- scope --------------------------------------------------------------------------------

def test_other_units_and_volunteers_cannot_download_or_learn_of_a_certificate(app, world, client):
    login(client, world.users["clerk_a"])
    record = add_record(client, world.people["a"])
    file_id = record.attachments[0].file_id
    missing_id = file_id + 1000
    for persona in ("clerk_b", "county_khh", "sector_central", "admin"):
        other = login(current_app.test_client(), world.users[persona])
        for url, missing_url in ((f"/training/files/{file_id}", f"/training/files/{missing_id}"),
                                 (f"/training/files/{file_id}/preview", f"/training/files/{missing_id}/preview"),
                                 (f"/training/records/{record.id}", f"/training/records/{record.id + 1000}")):
            foreign, missing = other.get(url), other.get(missing_url)
            assert foreign.status_code in (403, 404), persona
            assert same_answer(foreign, url, missing, missing_url), persona
        assert "結業證書.png" not in other.get("/training/").get_data(as_text=True)
    # A volunteer who is another person: same answer as for a missing file.
    world.users["volunteer"].person_id = world.people["b"].id
    db.session.commit()
    stranger = login(current_app.test_client(), world.users["volunteer"])
    url, missing_url = f"/training/files/{file_id}", f"/training/files/{missing_id}"
    assert stranger.get(url).status_code == 404
    assert same_answer(stranger.get(url), url, stranger.get(missing_url), missing_url)
    # Inside the scope: the owner, the unit, the county.
    world.users["volunteer"].person_id = world.people["a"].id
    db.session.commit()
    for persona in ("volunteer", "clerk_a", "county_tpe", "sector_local", "ministry"):
        inside = login(current_app.test_client(), world.users[persona])
        assert inside.get(f"/training/files/{file_id}").status_code == 200, persona


def test_a_unit_sees_training_of_a_shared_volunteer_but_cannot_change_it(app, world, client):
    shared = world.people["shared"]
    login(client, world.users["clerk_a"])
    record = add_record(client, shared)
    other = login(current_app.test_client(), world.users["clerk_b"])
    assert other.get(f"/training/records/{record.id}").status_code == 200
    assert other.post(f"/training/records/{record.id}/files", **multipart({}, [("x.png", png())])).status_code == 404
    assert other.post(f"/training/records/{record.id}/reject", data={"reason": "no", "version": record.version}
                      ).status_code == 404


# --- lost certificates --------------------------------------------------------------------

def case_fields(**kw):
    fields = {"kind": "special", "field_code": "social", "course_name": "社福特殊訓練", "provider": "",
              "approx_completed_on": "105/03/01", "evidence": "當年結訓名冊影本"}
    fields.update(kw)
    return fields


def test_the_record_book_rule_for_health_and_welfare_applies_automatically(app, world, client):
    person = world.people["a"]  # serves in unit A, field social (health and welfare)
    verified_record(person, "basic", effective=date(2015, 1, 1))
    login(client, world.users["clerk_a"])
    response = client.post(f"/training/people/{person.id}/lost/new", **multipart(case_fields(
        holds_record_book="y", record_book_no="TPE-105-000123", record_book_issued_on="105/04/01"), []))
    assert response.status_code == 302
    case = db.session.scalar(select(LostCertificateCase))
    assert case.status == "accepted" and case.basis == "record_book_rule" and case.decided_by_id is None
    assert case.effective_on == date(2016, 4, 1) and "TPE-105-000123" in case.decision_note
    record = db.session.scalar(select(TrainingRecord).where(TrainingRecord.lost_case_id == case.id))
    assert record.status == "verified" and record.basis == "record_book_rule" and record.field_code == "social"
    assert training_problem(person.id, "social", date(2026, 3, 1)) is None
    assert training_problem(person.id, "social", date(2016, 3, 31)) is not None
    page = login(current_app.test_client(), world.users["volunteer"]).get("/training/").get_data(as_text=True)
    assert "badge-accepted" in page


def test_the_record_book_rule_reads_the_installed_record_book_source(app, world, client):
    person = world.people["a"]
    db.session.add(RecordBook(person_id=person.id, number="TPE-107-000001", issued_on=date(2018, 5, 5)))
    db.session.commit()
    source = facts._books
    facts.install_record_book_source(None)      # without the records feature's columns the rule sees no book
    try:
        assert not facts.holds_record_book(person.id)
    finally:
        facts.install_record_book_source(source)
    assert facts.holds_record_book(person.id)
    login(client, world.users["clerk_a"])
    client.post(f"/training/people/{person.id}/lost/new", **multipart(case_fields(), []))
    case = db.session.scalar(select(LostCertificateCase))
    assert case.status == "accepted" and case.effective_on == date(2018, 5, 5)


@pytest.mark.parametrize("fields", [
    case_fields(field_code="education"),  # not a health-and-welfare field
    case_fields(kind="basic", field_code=""),  # the rule covers special training only
    case_fields(),  # no record book
])
def test_other_cases_wait_for_the_authority(app, world, client, fields):
    person = world.people["shared"]  # serves in A (social) and B (education)
    login(client, world.users["clerk_a"])
    client.post(f"/training/people/{person.id}/lost/new", **multipart(fields, []))
    case = db.session.scalar(select(LostCertificateCase))
    assert case.status == "filed" and case.basis == ""
    assert db.session.scalar(select(func.count(TrainingRecord.id))) == 0


def test_an_authority_decision_unlocks_hours_from_the_decided_date(app, world, client):
    person = world.people["shared"]
    verified_record(person, "basic", effective=date(2019, 1, 1))
    login(client, world.users["clerk_a"])
    client.post(f"/training/people/{person.id}/lost/new",
                **multipart(case_fields(field_code="education"), [("點名單.png", png())]))
    case = db.session.scalar(select(LostCertificateCase))
    assert case.status == "filed" and len(case.attachments) == 1
    assert training_problem(person.id, "education", date(2026, 2, 1)) is not None

    # The clerk cannot decide; another county cannot even see the case.
    assert client.post(f"/training/lost/{case.id}/decide", data={"decision": "accept"}).status_code == 403
    khh = login(current_app.test_client(), world.users["county_khh"])
    assert khh.post(f"/training/lost/{case.id}/decide", data={"decision": "accept", "effective_on": "115/01/15",
                                                               "version": case.version}).status_code == 404

    county = login(current_app.test_client(), world.users["county_tpe"])
    assert "badge-filed" in county.get("/training/lost/?status=filed").get_data(as_text=True)
    response = county.post(f"/training/lost/{case.id}/decide", data={
        "decision": "accept", "effective_on": "115/01/15", "note": "依結訓名冊認定", "version": case.version})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.status == "accepted" and case.basis == "authority_decision"
    assert case.decided_by_authority_id == world.users["county_tpe"].authority_id
    record = db.session.scalar(select(TrainingRecord).where(TrainingRecord.lost_case_id == case.id))
    assert record.basis == "authority_decision" and record.effective_on == date(2026, 1, 15)
    assert training_problem(person.id, "education", date(2026, 1, 15)) is None
    assert training_problem(person.id, "education", date(2026, 1, 14)) is not None
    # The decision is on the person's record, for the unit and for the volunteer.
    page = client.get(f"/training/people/{person.id}").get_data(as_text=True)
    assert "badge-accepted" in page and f"/training/lost/{case.id}" in page
    # Decided once only.
    again = county.post(f"/training/lost/{case.id}/decide", data={"decision": "refuse", "reason": "x",
                                                                   "version": case.version})
    assert again.status_code in (404, 422)
    db.session.refresh(case)
    assert case.status == "accepted"


def test_an_authority_can_refuse_with_a_reason(app, world, client):
    person = world.people["a"]
    login(client, world.users["clerk_a"])
    client.post(f"/training/people/{person.id}/lost/new", **multipart(case_fields(kind="basic", field_code=""), []))
    case = db.session.scalar(select(LostCertificateCase))
    local = login(current_app.test_client(), world.users["sector_local"])
    assert local.post(f"/training/lost/{case.id}/decide", data={"decision": "refuse", "reason": "",
                                                               "version": case.version}).status_code == 422
    local.post(f"/training/lost/{case.id}/decide", data={"decision": "refuse", "reason": "查無結訓紀錄",
                                                        "version": case.version})
    db.session.refresh(case)
    assert case.status == "refused" and case.refusal_reason == "查無結訓紀錄"
    assert db.session.scalar(select(func.count(TrainingRecord.id))) == 0


def test_a_paper_record_book_needs_its_number_and_date(app, world, client):
    login(client, world.users["clerk_a"])
    response = client.post(f"/training/people/{world.people['a'].id}/lost/new",
                           **multipart(case_fields(holds_record_book="y"), []))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(LostCertificateCase.id))) == 0


# --- lists --------------------------------------------------------------------------------

def test_the_missing_list_shows_who_lacks_which_training_and_exports(app, world, client):
    a, shared = world.people["a"], world.people["shared"]
    verified_record(a, "basic")
    verified_record(a, "special", "social")
    verified_record(shared, "basic")
    login(client, world.users["clerk_a"])
    page = client.get("/training/missing").get_data(as_text=True)
    assert shared.name in page and a.name not in page
    assert world.people["canary"].name not in page
    assert shared.name not in client.get("/training/missing?missing=basic").get_data(as_text=True)
    response = client.get("/training/missing.csv")
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][2] == shared.name and shared.id_number not in response.get_data(as_text=True)
    assert rows[1][3] == shared.masked_id

    county = login(current_app.test_client(), world.users["county_tpe"])
    body = county.get("/training/missing?field=education").get_data(as_text=True)
    assert shared.name in body and world.people["b"].name in body and a.name not in body
    assert f"/training/people/{shared.id}/records/new" not in body           # authorities only read
    assert f"/training/people/{shared.id}/records/new" in page               # the unit adds the record
    other_unit = login(current_app.test_client(), world.users["clerk_b"])
    b_page = other_unit.get("/training/missing").get_data(as_text=True)
    assert f"/training/people/{world.people['b'].id}/records/new" in b_page


def test_the_pending_list_filters_and_exports(app, world, client):
    login(client, world.users["clerk_a"])
    add_record(client, world.people["a"])
    add_record(client, world.people["shared"], kind="basic", field_code="", certificate_no="B-1")
    page = client.get("/training/?status=pending&kind=basic").get_data(as_text=True)
    assert world.people["shared"].name in page and world.people["a"].name not in page
    response = client.get("/training/export.csv?status=pending")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 3 and {r[1] for r in rows[1:]} == {world.people["a"].name, world.people["shared"].name}
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "training.export")) == 1


def test_lists_render_in_both_languages(app, world, client):
    login(client, world.users["clerk_a"])
    add_record(client, world.people["a"])
    for url in ("/training/", "/training/missing", "/training/lost/", "/training/certificates/match",
                f"/training/people/{world.people['a'].id}"):
        zh = client.get(url, headers={"Accept-Language": "zh-TW"})
        assert zh.status_code == 200 and 'lang="zh-Hant-TW"' in zh.get_data(as_text=True)
    client.post("/language", data={"lang": "en"})
    assert "Training records" in client.get("/training/").get_data(as_text=True)


# --- import and matching ------------------------------------------------------------------

def import_row(person, **kw):
    row = {"姓名": person.name, "身分證字號": person.id_number, "訓練類別": "特殊訓練", "特殊訓練類別": "社會福利類",
           "課程名稱": "社福特殊訓練", "時數": "6", "培訓單位": "社會局", "完訓日期": "1140305", "證書生效日": "",
           "結業證書字號": "社志字第001號"}
    row.update(kw)
    return row


def test_import_validation_reports_every_bad_row_and_writes_nothing(app, world):
    a, shared, b = world.people["a"], world.people["shared"], world.people["b"]
    unit = world.units["A"]
    rows = [
        import_row(a),
        import_row(shared, 身分證字號="A123456780"),  # bad check digit
        import_row(shared, 姓名="別人"),  # name does not match
        import_row(b, 結業證書字號="X"),  # not on unit A's roster
        import_row(shared, 特殊訓練類別="魔法"),  # unknown field
        import_row(shared, 完訓日期="1149999"),  # bad date
        import_row(a),  # same certificate as row 2
        import_row(shared, 時數="6.3", 結業證書字號="Y"),
        import_row(shared, 訓練類別="進階", 結業證書字號="Z"),
    ]
    with language("en"):
        records, errors = importing.validate(rows, unit.id)
        by_row = {e.row: e for e in errors}
        assert records == []
        assert set(by_row) == {3, 4, 5, 6, 7, 8, 9, 10}
        assert "row 2" in str(by_row[8].message)
        assert by_row[3].value.endswith("****")  # ID masked in the report
        assert all(str(e.message) for e in errors)
    with language("zh-TW"):
        assert "名冊" in str(importing.validate([import_row(b)], unit.id)[1][0].message)
    assert db.session.scalar(select(func.count(TrainingRecord.id))) == 0


def test_import_writes_pending_records_then_certificates_match_by_number(app, world, client):
    a, shared = world.people["a"], world.people["shared"]
    unit = world.units["A"]
    rows = [import_row(a, 完訓日期="114/03/05", 證書生效日="2025-03-10"),
            import_row(shared, 訓練類別="基礎訓練", 特殊訓練類別="", 結業證書字號="基字第９號")]
    with app.test_request_context():
        records, errors = importing.validate(rows, unit.id)
        assert errors == [] and len(records) == 2
        written = importing.write(records, unit.id, world.users["clerk_a"])
        db.session.commit()
    assert [r.status for r in written] == ["pending", "pending"]
    assert written[0].effective_on == date(2025, 3, 10) and written[1].field_code is None
    with app.test_request_context():
        assert importing.validate(rows[:1], unit.id)[1][0].column == "結業證書字號"  # re-import refused

    login(client, world.users["clerk_a"])
    response = client.post("/training/certificates/match", **multipart(
        {}, [("社志字第001號.pdf", pdf()), ("基字第9號.png", png()), ("不存在的號碼.png", png()),
             ("社志字第001號.html", b"<html>")]))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    db.session.expire_all()
    assert len(written[0].attachments) == 1 and written[0].attachments[0].file.display_name == "社志字第001號.pdf"
    assert len(written[1].attachments) == 1  # full-width ９ matches 9
    assert db.session.scalar(select(func.count(StoredFile.id))) == 2
    assert page.count("match-matched") == 2 and "match-no_record" in page


def test_the_import_template_lists_the_columns(app, world, client):
    login(client, world.users["clerk_a"])
    response = client.get("/training/import-template.csv")
    header = next(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert header == importing.TEMPLATE_HEADER
    with app.test_request_context():
        example = dict(zip(importing.TEMPLATE_HEADER, importing.TEMPLATE_EXAMPLE, strict=True))
        assert importing.validate([example], world.units["A"].id)[1][0].column == "身分證字號"  # unknown person


def test_removed_files_stay_stored_but_leave_the_record(app, world, client):
    login(client, world.users["clerk_a"])
    record = add_record(client, world.people["a"])
    file_id = record.attachments[0].file_id
    client.post(f"/training/files/{file_id}/remove", data={})
    db.session.expire_all()
    assert record.attachments == [] and db.session.get(StoredFile, file_id) is not None
    link = db.session.scalar(select(TrainingFile).where(TrainingFile.file_id == file_id))
    assert link.removed_at is not None and link.removed_by_id == world.users["clerk_a"].id
    assert client.get(f"/training/files/{file_id}").status_code == 404


# --- end to end through the hours entry form (portal/hours) ---------------------------------

def hour_form(person, day, field_code="social"):
    return {"person_id": person.id, "start_on": day.isoformat(), "hours": "3", "field_code": field_code,
            "content": "陪伴長者", "persons_served": "2", "action": "save"}


def test_a_verified_certificate_unlocks_the_hours_entry_form_from_its_effective_date(app, world, client):
    from portal.hours.models import HourEntry
    person = world.people["a"]
    verified_record(person, "basic", effective=date(2024, 1, 1))
    login(client, world.users["clerk_a"])
    client.post("/language", data={"lang": "en"})
    refused = client.post("/hours/new", data=hour_form(person, date(2026, 2, 2)))
    assert refused.status_code == 422
    assert "special training for Social welfare" in refused.get_data(as_text=True)

    record = add_record(client, person, effective_on="115/02/01", completed_on="115/01/20")
    login(current_app.test_client(), world.users["supervisor_a"]).post(
        f"/training/records/{record.id}/verify", data={"version": record.version})
    db.session.refresh(record)
    assert record.status == "verified"

    before = client.post("/hours/new", data=hour_form(person, date(2026, 1, 31)))
    assert before.status_code == 422 and "2026-02-01" in before.get_data(as_text=True)
    assert client.post("/hours/new", data=hour_form(person, date(2026, 2, 2))).status_code == 302
    assert db.session.scalar(select(func.count(HourEntry.id))) == 1


def test_the_training_kind_runs_through_the_import_pipeline(app, world):
    from portal.imports.pipeline import Context, run
    from portal.platform.exports import csv_bytes
    from portal.platform.timeutil import today_taipei
    from portal.training.importing import TRAINING_KIND
    a, shared, unit = world.people["a"], world.people["shared"], world.units["A"]
    good = [list(import_row(a).values()), list(import_row(shared, 訓練類別="基礎訓練", 特殊訓練類別="",
                                                             結業證書字號="B-7").values())]
    header = list(import_row(a).keys())
    ctx = Context(unit=unit, user=world.users["clerk_a"], today=today_taipei())
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        bad = run(TRAINING_KIND, csv_bytes(header, good + [list(import_row(shared, 姓名="別人").values())]), ctx,
                  commit=True)
        assert bad.status == "rejected" and bad.committed == 0
        assert [(e["row"], e["column"]) for e in bad.errors] == [(4, "姓名")]
        outcome = run(TRAINING_KIND, csv_bytes(header, good), ctx, commit=True, filename="training.csv")
        assert outcome.status == "committed" and outcome.committed == 2
        db.session.commit()
        again = run(TRAINING_KIND, csv_bytes(header, good), ctx, commit=True)
        assert again.status == "already_imported"
    assert db.session.scalar(select(func.count(TrainingRecord.id)).where(TrainingRecord.source == "import")) == 2


def test_a_record_book_issued_in_the_portal_decides_the_case_automatically(app, world, client):
    from portal.records.models import RecordBook
    person = world.people["a"]
    db.session.add(RecordBook(person_id=person.id, number="TPE-110-000001", issued_on=date(2021, 7, 1)))
    db.session.commit()
    assert facts.holds_record_book(person.id)
    assert not facts.holds_record_book(world.people["b"].id)
    login(client, world.users["clerk_a"])
    client.post(f"/training/people/{person.id}/lost/new", **multipart(case_fields(), []))
    case = db.session.scalar(select(LostCertificateCase))
    assert case.status == "accepted" and case.basis == "record_book_rule" and case.effective_on == date(2021, 7, 1)


def test_lacks_training_is_the_negation_of_the_two_training_conditions(app, world, make_person):
    """facts.lacks_training (scalar probes, for the work list and the missing list) answers as
    not verified_basic or not verified_special (NOT EXISTS) for every case of T7: nothing, basic only, special
    only, both, special of another field, and basic with a valid record book in a health-and-welfare field
    (social: counts as special) and in another field (education: does not)."""
    from sqlalchemy import not_, or_

    from portal.registry.models import Membership
    a, b = world.units["A"], world.units["B"]          # social, education
    cases = {}
    for name, kinds, book in [("none", [], False), ("basic", [("basic", None)], False),
                              ("special", [("special", "social")], False),
                              ("both", [("basic", None), ("special", "social")], False),
                              ("other", [("basic", None), ("special", "health")], False),
                              ("book", [("basic", None)], True)]:
        person = make_person([a, b], name=name)
        for kind, field in kinds:
            verified_record(person, kind, field)
        if book:
            db.session.add(RecordBook(person_id=person.id, number=f"TPE-107-{person.id:06d}", issued_on=date(2018, 5, 5)))
        cases[person.id] = name
    db.session.commit()
    ids = list(cases)

    def lacking(condition):
        return {(cases[p], u) for p, u in db.session.execute(select(Membership.person_id, Membership.unit_id).where(
            Membership.person_id.in_(ids), condition))}
    probes = lacking(facts.lacks_training(Membership.person_id, Membership.field_code))
    exists_form = lacking(or_(not_(facts.verified_basic(Membership.person_id)),
                              not_(facts.verified_special(Membership.person_id, Membership.field_code))))
    assert probes == exists_form
    expected = {(n, u) for n in ("none", "basic", "special", "other") for u in (a.id, b.id)}
    assert probes == expected | {("both", b.id), ("book", b.id)}
