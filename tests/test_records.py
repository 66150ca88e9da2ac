"""The online service record book: prerequisites, requests, county bulk issuance, numbering, statuses,
the book page, and data completeness."""
import io
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import select

from portal.hours.models import HourEntry
from portal.platform import uploads
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.records.models import RecordBook, RecordBookRequest
from portal.records.operations import RecordBookError, cancel_book, issued_record_book, next_number, request_book
from portal.records.rates import unit_rates
from portal.registry.models import Unit
from portal.registry.operations import authority_for
from portal.registry.photos import prepare_photo
from portal.training.facts import holds_record_book
from portal.training.models import TrainingRecord
from tests.conftest import login


def photo_bytes(size=(300, 400), color="#c0a080") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def give_photo(person, accepted=True):
    stored = uploads.store(prepare_photo("photo.jpg", photo_bytes()), "person_photo", None)
    person.photo_file_id, person.photo_status = stored.id, "accepted" if accepted else "pending"
    db.session.commit()


def make_ready(person, field_code="social", photo=True, sex="F"):
    """Everything a record book needs: sex and birth date, verified basic + special training, accepted photo."""
    person.sex = sex
    for kind in ("basic", "special"):
        db.session.add(TrainingRecord(person_id=person.id, kind=kind, status="verified",
                                      field_code=field_code if kind == "special" else None,
                                      course_name="基礎訓練" if kind == "basic" else "社會福利類特殊訓練",
                                      completed_on=date(2024, 5, 1), effective_on=date(2024, 5, 1)))
    db.session.commit()
    if photo:
        give_photo(person)
    return person


def county_user(world, code="TPE"):
    return world.users["county_tpe" if code == "TPE" else "county_khh"]


# --- numbering -----------------------------------------------------------------------------

def test_number_is_county_roc_year_and_a_sequence_per_county_and_year(app):
    assert next_number("KHH", date(2025, 3, 1)) == "KHH-114-000001"
    assert next_number("KHH", date(2025, 12, 31)) == "KHH-114-000002"
    assert next_number("TPE", date(2025, 6, 1)) == "TPE-114-000001"
    assert next_number("KHH", date(2026, 1, 1)) == "KHH-115-000001"


# --- requests --------------------------------------------------------------------------------

def test_a_request_checks_the_prerequisites_and_says_what_is_missing(world, client):
    person = world.people["a"]
    login(client, world.users["clerk_a"])
    client.post("/records/requests", data={"people": [person.id], "kind": "first"})
    assert db.session.scalar(select(RecordBookRequest)) is None
    page = client.get("/records/").get_data(as_text=True)
    assert "verified basic training" in page or "基礎訓練" in page
    make_ready(person, photo=False)
    with pytest.raises(RecordBookError, match="photo|照"):
        with app_request(client):
            request_book(person, world.units["A"], "first", "", world.users["clerk_a"])
    give_photo(person)
    response = client.post("/records/requests", data={"people": [person.id], "kind": "first"})
    assert response.status_code == 302
    req = db.session.scalar(select(RecordBookRequest))
    assert req.status == "pending" and req.unit_id == world.units["A"].id and req.kind == "first"
    assert "record_book.request" in db.session.scalars(select(AuditLog.action)).all()


def app_request(client):
    from flask import current_app
    return current_app.test_request_context()


def test_special_training_must_be_for_a_field_served_in_the_unit(world, client):
    person = make_ready(world.people["a"], field_code="education")
    login(client, world.users["clerk_a"])
    client.post("/records/requests", data={"people": [person.id], "kind": "first"})
    assert db.session.scalar(select(RecordBookRequest)) is None


def test_a_unit_cannot_request_for_someone_outside_its_roster(world, client):
    make_ready(world.people["b"])
    login(client, world.users["clerk_a"])
    assert client.post("/records/requests", data={"people": [world.people["b"].id]}).status_code == 404
    assert db.session.scalar(select(RecordBookRequest)) is None


# --- issuance ----------------------------------------------------------------------------------

@pytest.fixture
def waiting(world, client, make_person):
    people = [make_ready(make_person([world.units["A"]], name=f"待發志工{i}")) for i in range(3)]
    login(client, world.users["clerk_a"])
    client.post("/records/requests", data={"people": [p.id for p in people], "kind": "first"})
    assert db.session.query(RecordBookRequest).filter_by(status="pending").count() == 3
    return people


def test_the_county_issues_every_waiting_request_at_once(world, client, waiting):
    login(client, world.users["county_tpe"])
    page = client.get("/records/").get_data(as_text=True)
    assert all(p.name in page for p in waiting)
    response = client.post("/records/issue", data={"all_waiting": "y"})
    assert response.status_code == 302
    books = db.session.scalars(select(RecordBook).order_by(RecordBook.id)).all()
    year = today_taipei().year - 1911
    assert [b.number for b in books] == [f"TPE-{year}-{n:06d}" for n in (1, 2, 3)]
    assert {b.person_id for b in books} == {p.id for p in waiting}
    tpe = authority_for("county", "TPE", None)
    assert all(b.kind == "first" and b.authority_id == tpe.id and b.unit_id == world.units["A"].id
               and b.issued_by_id == world.users["county_tpe"].id for b in books)
    assert all(r.status == "issued" and r.book_id for r in db.session.scalars(select(RecordBookRequest)))
    assert issued_record_book(waiting[0].id).number == books[0].number
    assert holds_record_book(waiting[0].id)  # the training rules see the book


def test_the_county_issues_only_the_chosen_requests(world, client, waiting):
    chosen = db.session.scalars(select(RecordBookRequest).order_by(RecordBookRequest.id)).all()[:2]
    login(client, world.users["county_tpe"])
    client.post("/records/issue", data={"requests": [r.id for r in chosen]})
    assert db.session.query(RecordBook).count() == 2


def test_another_county_neither_sees_nor_issues_the_requests(world, client, waiting):
    login(client, world.users["county_khh"])
    page = client.get("/records/").get_data(as_text=True)
    assert waiting[0].name not in page
    client.post("/records/issue", data={"all_waiting": "y"})
    req = db.session.scalar(select(RecordBookRequest))
    client.post(f"/records/book-requests/{req.id}/decline", data={"reason": "x"})
    assert db.session.query(RecordBook).count() == 0
    assert db.session.get(RecordBookRequest, req.id).status == "pending"


def test_a_unit_clerk_cannot_issue(world, client, waiting):
    login(client, world.users["clerk_a"])
    assert client.post("/records/issue", data={"all_waiting": "y"}).status_code == 403
    assert db.session.query(RecordBook).count() == 0


def test_decline_needs_a_reason_and_the_unit_sees_it(world, client, waiting):
    req = db.session.scalar(select(RecordBookRequest))
    login(client, world.users["county_tpe"])
    client.post(f"/records/book-requests/{req.id}/decline", data={"reason": ""})
    assert db.session.get(RecordBookRequest, req.id).status == "pending"
    client.post(f"/records/book-requests/{req.id}/decline", data={"reason": "照片不清楚"})
    assert db.session.get(RecordBookRequest, req.id).status == "declined"
    login(client, world.users["clerk_a"])
    assert "照片不清楚" in client.get("/records/").get_data(as_text=True)


def test_issuance_checks_the_prerequisites_again(world, client, waiting):
    person = waiting[0]
    person.photo_status = "none"
    db.session.commit()
    login(client, world.users["county_tpe"])
    client.post("/records/issue", data={"all_waiting": "y"})
    assert db.session.query(RecordBook).count() == 2
    assert issued_record_book(person.id) is None


# --- one book for life ---------------------------------------------------------------------------

def issue_for(world, client, person, unit_key="A", kind="first", reason=""):
    clerk = {"A": "clerk_a", "B": "clerk_b"}[unit_key]
    login(client, world.users[clerk])
    client.post("/records/requests", data={"people": [person.id], "kind": kind, "reason": reason})
    login(client, world.users["county_tpe"])
    client.post("/records/issue", data={"all_waiting": "y"})
    return issued_record_book(person.id)


def test_one_book_per_person_for_life_continuing_in_another_unit(world, client):
    person = make_ready(world.people["shared"])
    db.session.add(TrainingRecord(person_id=person.id, kind="special", field_code="education", status="verified",
                                  completed_on=date(2024, 6, 1)))
    db.session.commit()
    book = issue_for(world, client, person, "A")
    number = book.number
    assert book.kind == "first" and book.edition == 1
    # the other unit cannot start a second book
    login(client, world.users["clerk_b"])
    client.post("/records/requests", data={"people": [person.id], "kind": "first"})
    assert db.session.query(RecordBookRequest).filter_by(status="pending").count() == 0
    # ... but can ask for a renewal (換發) of the same book: same number, next edition
    renewed = issue_for(world, client, person, "B", "renewal", "紀錄冊已滿")
    assert renewed.number == number
    assert renewed.kind == "renewal" and renewed.edition == 2 and renewed.unit_id == world.units["B"].id
    assert db.session.query(RecordBook).count() == 1


def test_cancelled_books_are_kept_and_can_be_reissued(world, client):
    person = make_ready(world.people["a"])
    book = issue_for(world, client, person)
    login(client, world.users["county_tpe"])
    client.post(f"/records/books/{book.id}/cancel", data={"reason": "", "version": book.version})
    assert db.session.get(RecordBook, book.id).kind == "first"
    asked = client.post(f"/records/books/{book.id}/cancel", data={"reason": "志工已退出", "version": book.version})
    assert "補發" in asked.get_data(as_text=True) and db.session.get(RecordBook, book.id).kind == "first"
    client.post(f"/records/books/{book.id}/cancel", data={"reason": "志工已退出", "version": book.version, "confirm": "1"})
    cancelled = db.session.get(RecordBook, book.id)
    assert cancelled.kind == "cancelled" and cancelled.cancel_reason == "志工已退出"
    assert issued_record_book(person.id) is None
    reissued = issue_for(world, client, person, "A", "reissue", "重新加入")
    assert reissued.number == book.number and reissued.kind == "reissue" and reissued.edition == 2


def test_renewal_and_reissue_need_a_reason(world, client):
    person = make_ready(world.people["a"])
    issue_for(world, client, person)
    login(client, world.users["clerk_a"])
    client.post("/records/requests", data={"people": [person.id], "kind": "reissue", "reason": ""})
    assert db.session.query(RecordBookRequest).filter_by(status="pending").count() == 0


def test_a_stale_version_cannot_cancel(world, client):
    person = make_ready(world.people["a"])
    book = issue_for(world, client, person)
    login(client, world.users["county_tpe"])
    assert client.post(f"/records/books/{book.id}/cancel",
                       data={"reason": "x", "version": book.version + 5}).status_code == 409


def test_only_the_county_may_cancel(world, client):
    person = make_ready(world.people["a"])
    book = issue_for(world, client, person)
    login(client, world.users["clerk_a"])
    assert client.post(f"/records/books/{book.id}/cancel", data={"reason": "x"}).status_code == 403
    with pytest.raises(RecordBookError):
        cancel_book(book, "", None)


# --- the book page ----------------------------------------------------------------------------

def test_the_book_page_shows_training_insurance_hours_by_year_and_awards(world, client):
    person = make_ready(world.people["a"])
    book = issue_for(world, client, person)
    for day, half in ((date(2024, 3, 1), 8), (date(2025, 3, 1), 6), (date(2025, 4, 1), 5)):
        db.session.add(HourEntry(person_id=person.id, unit_id=world.units["A"].id, start_on=day, end_on=day,
                                 half_hours=half, field_code="social", content="關懷訪視"))
    db.session.commit()
    login(client, world.users["volunteer"])
    client.post("/language", data={"lang": "en"})
    page = client.get(f"/records/books/{book.id}").get_data(as_text=True)
    assert book.number in page and "Basic training" in page and "No insurance cover is recorded." in page
    assert "Total: 9.5 hours" in page and "5.5 hours in 2 entries" in page and "No awards recorded." in page
    assert client.get("/records/mine").status_code == 200


def test_a_unit_sees_another_units_hours_in_the_book_only_as_a_total(world, client):
    person = make_ready(world.people["shared"])
    book = issue_for(world, client, person)
    db.session.add_all([
        HourEntry(person_id=person.id, unit_id=world.units["A"].id, start_on=date(2025, 3, 1),
                  end_on=date(2025, 3, 1), half_hours=4, field_code="social", content="甲單位的服務"),
        HourEntry(person_id=person.id, unit_id=world.units["B"].id, start_on=date(2025, 3, 2),
                  end_on=date(2025, 3, 2), half_hours=6, field_code="education", content="乙單位的課輔")])
    db.session.commit()
    login(client, world.users["clerk_a"])
    page = client.get(f"/records/books/{book.id}").get_data(as_text=True)
    assert "甲單位的服務" in page and "乙單位的課輔" not in page and "臺北乙國小" in page


def test_the_volunteer_without_a_book_sees_what_is_missing(world, client):
    login(client, world.users["volunteer"])
    client.post("/language", data={"lang": "en"})
    page = client.get("/records/mine").get_data(as_text=True)
    assert "No record book yet" in page and "Verified basic training" in page


# --- completeness --------------------------------------------------------------------------------

def test_completeness_per_person_unit_and_county(world, client):
    from portal.insurance.models import InsuranceEnrolment, InsurancePolicy
    today = today_taipei()
    full = make_ready(world.people["a"])
    issue_for(world, client, full)
    policy = InsurancePolicy(unit_id=world.units["A"].id, insurer_code="first", insurer_name="第一產物保險",
                             policy_no="P1", starts_on=date(today.year, 1, 1), ends_on=date(today.year, 12, 31))
    db.session.add_all([policy, InsuranceEnrolment(policy=policy, person_id=full.id, unit_id=world.units["A"].id,
                                                   starts_on=policy.starts_on, ends_on=policy.ends_on),
                        HourEntry(person_id=full.id, unit_id=world.units["A"].id, start_on=today, end_on=today,
                                  half_hours=4, field_code="social")])
    db.session.commit()
    rates = {r.unit.code: r for r in unit_rates(Unit.county_code == "TPE", today)}
    a = rates["TPE-A"]
    assert a.people == 2 and a.complete == 1 and a.complete_rate == 50.0  # 甲志工 complete, 共同志工 not
    assert a.items["id_number"] == 2 and a.items["photo"] == 1 and a.items["insurance"] == 1
    assert rates["TPE-B"].complete == 0
    login(client, world.users["clerk_a"])
    page = client.get("/records/completeness").get_data(as_text=True)
    assert "50.0%" in page and "共同志工" in page and "臺北乙國小" not in page
    assert "甲志工" not in client.get("/records/completeness?incomplete=y").get_data(as_text=True)
    login(client, world.users["county_tpe"])
    page = client.get("/records/completeness").get_data(as_text=True)
    assert "臺北甲協會" in page and "臺北乙國小" in page and "高雄丙據點" not in page
    csv_text = client.get("/records/completeness.csv").get_data().decode("utf-8-sig")
    assert "TPE-A" in csv_text and "50.0" in csv_text
    login(client, world.users["county_khh"])
    assert client.get(f"/records/completeness?unit={world.units['A'].id}").status_code == 404


# --- the PDF with its verification QR ------------------------------------------------------------

def pdf_text(content: bytes) -> str:
    import subprocess
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True,
                          check=True).stdout.decode("utf-8")


def pdf_fonts(content: bytes, tmp_path) -> str:
    import subprocess
    path = tmp_path / "book.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout


def test_requested_issued_in_bulk_then_viewed_and_downloaded_as_a_verifiable_pdf(world, client, tmp_path):
    from portal.documents.models import Document
    from tests.test_pdf import qr_codes
    person = make_ready(world.people["a"])
    db.session.add(HourEntry(person_id=person.id, unit_id=world.units["A"].id, start_on=date(2025, 3, 1),
                             end_on=date(2025, 3, 1), half_hours=7, field_code="social", content="關懷訪視"))
    db.session.commit()
    book = issue_for(world, client, person)                  # unit request → county bulk issue
    login(client, world.users["volunteer"])
    page = client.get("/records/mine").get_data(as_text=True)
    assert book.number in page and f"/records/books/{book.id}/pdf" in page
    response = client.get(f"/records/books/{book.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    content = response.get_data()
    fonts = pdf_fonts(content, tmp_path)
    assert "Portal-Serif-TC" in fonts and "Portal-Sans-TC" in fonts   # the Noto TC fonts of portal/pdf.py
    assert all(line.split()[-4] == "yes" for line in fonts.splitlines()[2:] if line.strip())  # all embedded
    text = pdf_text(content)
    assert "甲志工" in text and book.number in text and "關懷訪視" in text and "臺北市政府" in text
    assert "志願服務紀錄冊" in text or "Service record book" in text
    codes = qr_codes(content)
    assert len(codes) >= 1
    token = codes[0].rsplit("/verify/", 1)[1]
    verify = client.get(f"/verify/{token}")
    assert verify.status_code == 200
    body = verify.get_data(as_text=True)
    assert "甲○工" in body and "甲志工" not in body
    document = db.session.scalar(select(Document).where(Document.token == token))
    assert document.kind == "record_book" and document.authority_id == book.authority_id
    # the same record prints the same document; a change prints a new one and supersedes the old
    assert client.get(f"/records/books/{book.id}/pdf").get_data() == content
    db.session.add(HourEntry(person_id=person.id, unit_id=world.units["A"].id, start_on=date(2025, 4, 1),
                             end_on=date(2025, 4, 1), half_hours=2, field_code="social"))
    db.session.commit()
    client.get(f"/records/books/{book.id}/pdf")
    assert db.session.get(Document, document.id).status == "superseded"
    assert "superseded" in client.get(f"/verify/{token}", headers={"Accept-Language": "en"}).get_data(
        as_text=True).lower() or "已被取代" in client.get(f"/verify/{token}").get_data(as_text=True)


def test_only_the_volunteer_downloads_the_whole_book(world, client):
    person = make_ready(world.people["a"])
    book = issue_for(world, client, person)
    login(client, world.users["clerk_a"])
    assert client.get(f"/records/books/{book.id}/pdf").status_code == 403
    login(client, world.users["volunteer"])
    other = make_ready(world.people["shared"])
    other_book = issue_for(world, client, other)
    login(client, world.users["volunteer"])
    assert client.get(f"/records/books/{other_book.id}/pdf").status_code == 404


def test_training_counts_for_a_unit_only_in_the_fields_served_there(world):
    make_ready(world.people["shared"])            # special training for social (unit A), not education (unit B)
    rates = {r.unit.code: r.items["training"] for r in unit_rates(Unit.county_code == "TPE", today_taipei())}
    assert rates == {"TPE-A": 1, "TPE-B": 0}
