"""Performance certificate and English documents: eligibility, the request workflow, the register,
revocation, reissue and the public verification page (issue 6)."""
import re
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.certificates.facts import service_summary
from portal.certificates.models import CertificateRequest
from portal.certificates.rules import HourRow, one_year_after, performance_eligibility
from portal.documents import operations as ops  # the engine whose PDF renderer fast_pdf replaces
from portal.documents.codes import TOKEN_BYTES
from portal.documents.models import Document
from portal.documents.operations import issue_document, revoke_document
from portal.hours.models import HourEntry
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from tests.conftest import login

TODAY = date(2025, 3, 5)


class HoursDouble:
    """Stands in for the hours feature: rows per person, handed to service_summary(hours_source=...)."""

    def __init__(self):
        self.rows = []

    def add(self, person, unit, half_hours, start_on, field_code=None, end_on=None):
        self.rows.append(HourRow(person.id, unit.id, field_code or unit.field_code, start_on, end_on or start_on,
                                 half_hours))

    def __call__(self, person_ids, unit_id):
        return [r for r in self.rows if r.person_id in person_ids and (unit_id is None or r.unit_id == unit_id)]


class RealHours:
    """Hour entries in the hours feature's table, as its screens and imports would write them."""

    def add(self, person, unit, half_hours, start_on, field_code=None, end_on=None, status="active"):
        db.session.add(HourEntry(person_id=person.id, unit_id=unit.id, start_on=start_on, end_on=end_on or start_on,
                                 half_hours=half_hours, field_code=field_code or unit.field_code, status=status))
        db.session.commit()


@pytest.fixture
def hours(app):
    return RealHours()


@pytest.fixture
def en(app):
    """Messages of operations called outside a request, in English."""
    with force_locale("en"):
        yield


@pytest.fixture
def fast_pdf(monkeypatch):
    """Views issue real PDFs elsewhere (tests/test_pdf.py); here a stand-in keeps the workflow tests quick."""
    monkeypatch.setattr(ops, "render_document", lambda prepared: b"%PDF-1.4 " + prepared.short_code.encode())


def eligible(hours, person, unit):
    """More than a year of service and exactly 150 hours."""
    hours.add(person, unit, 300, date(2022, 1, 15), end_on=date(2022, 12, 20))


# --- eligibility boundaries -------------------------------------------------------------------

@pytest.mark.parametrize("first, half_hours, expected", [
    (date(2024, 3, 6), 300, False),    # 364 days, 150 h: refused
    (date(2024, 3, 5), 299, False),    # 1 year, 149.5 h: refused
    (date(2024, 3, 6), 299, False),    # 364 days, 149.5 h: refused
    (date(2024, 3, 5), 300, True),     # 1 year, 150 h: accepted
    (date(2020, 1, 1), 301, True),
])
def test_eligibility_boundaries(app, en, make_unit, make_person, first, half_hours, expected):
    unit = make_unit()
    person = make_person([unit], joined=first)
    double = HoursDouble()
    double.add(person, unit, half_hours - 1, first)
    double.add(person, unit, 1, first + timedelta(days=30))
    assert (TODAY - first).days in (364, 365) or first.year == 2020
    summary = service_summary(person.id, unit.id, hours_source=double)
    assert summary.total_half_hours == half_hours and summary.first_service_date == first
    result = performance_eligibility(summary, on=TODAY)
    assert result.eligible is expected
    assert bool(result.reasons) is not expected


@pytest.mark.parametrize("days, half_hours, expected", [(364, 300, False), (365, 299, False), (365, 300, True)])
def test_eligibility_from_the_hours_table(app, en, make_unit, make_person, hours, days, half_hours, expected):
    unit = make_unit()
    first = date(2024, 3, 5) + timedelta(days=365 - days)
    person = make_person([unit], joined=first)
    hours.add(person, unit, half_hours - 2, first, end_on=first + timedelta(days=40))
    hours.add(person, unit, 2, date(2025, 1, 2))
    hours.add(person, unit, 40, date(2025, 1, 3), status="void")       # voided and pending hours do not count
    hours.add(person, unit, 40, date(2025, 1, 4), status="pending")
    summary = service_summary(person.id, unit.id)
    assert summary.total_half_hours == half_hours
    assert performance_eligibility(summary, on=TODAY).eligible is expected


def test_one_year_from_a_leap_day_is_28_february(app):
    assert one_year_after(date(2024, 2, 29)) == date(2025, 2, 28)
    assert one_year_after(date(2023, 3, 1)) == date(2024, 3, 1)


def test_years_count_from_the_membership_when_hours_start_later(app, en, make_unit, make_person):
    unit = make_unit()
    person = make_person([unit], joined=date(2024, 3, 5))
    double = HoursDouble()
    double.add(person, unit, 300, date(2025, 1, 10))
    summary = service_summary(person.id, unit.id, hours_source=double)
    assert summary.first_service_date == date(2024, 3, 5)
    assert performance_eligibility(summary, on=TODAY).eligible


def test_hours_of_another_unit_do_not_count_for_this_units_certificate(app, en, make_unit, make_person):
    a, b = make_unit(), make_unit()
    person = make_person([a, b], joined=date(2020, 1, 1))
    double = HoursDouble()
    double.add(person, a, 200, date(2021, 1, 1))
    double.add(person, b, 200, date(2021, 1, 1))
    assert not performance_eligibility(service_summary(person.id, a.id, hours_source=double), TODAY).eligible
    assert service_summary(person.id, hours_source=double).total_half_hours == 400


def test_refusal_says_why_not_yet(app, en, make_unit, make_person):
    unit = make_unit()
    person = make_person([unit], joined=date(2024, 3, 6))
    double = HoursDouble()
    double.add(person, unit, 299, date(2024, 3, 6))
    reasons = " ".join(performance_eligibility(service_summary(person.id, unit.id, hours_source=double),
                                               TODAY).reasons)
    assert "2025-03-06" in reasons and "149.5" in reasons and "0.5" in reasons


# --- the performance-certificate workflow -------------------------------------------------------

def test_volunteer_request_is_refused_below_the_threshold(app, world, client, hours):
    person, unit = world.people["a"], world.units["A"]
    hours.add(person, unit, 299, date(2020, 3, 1))
    login(client, world.users["volunteer"])
    page = client.get("/documents/request/performance")
    assert page.status_code == 200 and "149.5" in page.get_data(as_text=True)
    response = client.post("/documents/request/performance", data={"unit": unit.id})
    assert response.status_code == 422
    assert "149.5" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CertificateRequest)) == 0


def test_volunteer_requests_clerk_prepares_supervisor_countersigns(app, world, client, hours, fast_pdf):
    person, unit = world.people["a"], world.units["A"]
    eligible(hours, person, unit)
    login(client, world.users["volunteer"])
    response = client.post("/documents/request/performance", data={"unit": unit.id})
    assert response.status_code == 302
    req = db.session.scalars(select(CertificateRequest)).one()
    assert req.status == "requested" and req.origin == "volunteer"
    assert req.due_on == req.requested_on + timedelta(days=7)
    due = req.due_on.isoformat()
    assert due in client.get("/documents/", headers={"Accept-Language": "en"}).get_data(as_text=True)

    clerk = login(app.test_client(), world.users["clerk_a"])
    clerk_page = clerk.get(f"/documents/requests/{req.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert due in clerk_page and person.name in clerk_page
    assert clerk.post(f"/documents/requests/{req.id}/issue", data={"version": req.version}).status_code == 403
    assert clerk.post(f"/documents/requests/{req.id}/prepare", data={"version": req.version}).status_code == 302
    db.session.refresh(req)
    assert req.status == "prepared" and req.prepared_by_id == world.users["clerk_a"].id

    supervisor = login(app.test_client(), world.users["supervisor_a"])
    response = supervisor.post(f"/documents/requests/{req.id}/issue", data={"version": req.version})
    assert response.status_code == 302
    db.session.refresh(req)
    document = db.session.get(Document, req.document_id)
    assert req.status == "issued" and document.status == "valid" and document.kind == "performance"
    assert document.payload["prepared_by"] == "clerk.a" and document.payload["countersigned_by"] == "supervisor.a"
    assert document.total_half_hours == 300 and len(document.token) >= 22
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"certificate_request.create", "certificate_request.prepare", "document.issue",
            "certificate_request.issue"} <= actions
    mine = client.get("/documents/").get_data(as_text=True)
    assert document.short_code in mine


def test_unit_starts_a_certificate_already_prepared(app, world, client, hours, fast_pdf):
    person, unit = world.people["a"], world.units["A"]
    eligible(hours, person, unit)
    login(client, world.users["clerk_a"])
    assert client.post(f"/documents/people/{person.id}/start").status_code == 302
    req = db.session.scalars(select(CertificateRequest)).one()
    assert (req.origin, req.status, req.prepared_by_id) == ("unit", "prepared", world.users["clerk_a"].id)
    assert req.due_on == req.requested_on + timedelta(days=7)
    volunteer = login(app.test_client(), world.users["volunteer"])
    assert req.due_on.isoformat() in volunteer.get("/documents/", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    # a second start while one is open is refused
    client.post(f"/documents/people/{person.id}/start")
    assert db.session.scalar(select(func.count()).select_from(CertificateRequest)) == 1


def test_unit_cannot_start_for_an_ineligible_volunteer(app, world, client, hours):
    person, unit = world.people["a"], world.units["A"]
    hours.add(person, unit, 400, today_taipei() - timedelta(days=364))
    person.memberships[0].joined_on = today_taipei() - timedelta(days=364)
    db.session.commit()
    login(client, world.users["clerk_a"])
    client.post(f"/documents/people/{person.id}/start")
    assert db.session.scalar(select(func.count()).select_from(CertificateRequest)) == 0


def test_decline_needs_a_reason_and_the_volunteer_sees_it(app, world, client, hours):
    person, unit = world.people["a"], world.units["A"]
    eligible(hours, person, unit)
    volunteer = login(app.test_client(), world.users["volunteer"])
    volunteer.post("/documents/request/performance", data={"unit": unit.id})
    req = db.session.scalars(select(CertificateRequest)).one()
    login(client, world.users["clerk_a"])
    client.post(f"/documents/requests/{req.id}/decline", data={"version": req.version, "reason": ""})
    db.session.refresh(req)
    assert req.status == "requested"
    client.post(f"/documents/requests/{req.id}/decline", data={"version": req.version, "reason": "時數尚待更正"})
    db.session.refresh(req)
    assert req.status == "declined"
    assert "時數尚待更正" in volunteer.get(f"/documents/requests/{req.id}").get_data(as_text=True)


def test_volunteer_withdraws_and_stale_version_is_a_conflict(app, world, client, hours):
    person, unit = world.people["a"], world.units["A"]
    eligible(hours, person, unit)
    login(client, world.users["volunteer"])
    client.post("/documents/request/performance", data={"unit": unit.id})
    req = db.session.scalars(select(CertificateRequest)).one()
    assert client.post(f"/documents/requests/{req.id}/withdraw", data={"version": req.version + 5}).status_code == 409
    client.post(f"/documents/requests/{req.id}/withdraw", data={"version": req.version})
    db.session.refresh(req)
    assert req.status == "withdrawn"


# --- English documents ----------------------------------------------------------------------------

def test_english_request_asks_for_the_latin_name_before_sending(app, world, client, hours, fast_pdf):
    person, unit = world.people["a"], world.units["A"]
    hours.add(person, unit, 40, date(2024, 5, 1))
    login(client, world.users["volunteer"])
    page = client.get("/documents/request/english_certificate", headers={"Accept-Language": "en"})
    assert "Latin script" in page.get_data(as_text=True)
    missing = client.post("/documents/request/english_certificate",
                          data={"unit": unit.id, "purpose": "exchange", "name_latin": ""})
    assert missing.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(CertificateRequest)) == 0
    sent = client.post("/documents/request/english_certificate",
                       data={"unit": unit.id, "purpose": "exchange", "purpose_note": "Erasmus+ Leuven",
                             "name_latin": "WANG, HSIAO-MING"})
    assert sent.status_code == 302
    db.session.refresh(person)
    assert person.name_latin == "WANG, HSIAO-MING"
    req = db.session.scalars(select(CertificateRequest)).one()
    assert req.purpose == "exchange" and req.status == "requested"

    clerk = login(app.test_client(), world.users["clerk_a"])
    assert clerk.post(f"/documents/requests/{req.id}/issue", data={"version": req.version}).status_code == 302
    document = db.session.get(Document, db.session.get(CertificateRequest, req.id).document_id)
    assert document.kind == "english_certificate" and document.language == "en"
    assert document.payload["name_latin"] == "WANG, HSIAO-MING"
    assert document.payload["periods"][0]["unit_name_en"] == unit.name_en


def test_english_request_waits_for_the_units_english_name(app, world, client, hours):
    person, unit = world.people["a"], world.units["A"]
    unit.name_en = ""
    person.name_latin = "WANG, HSIAO-MING"
    db.session.commit()
    login(client, world.users["volunteer"])
    page = client.get("/documents/request/english_transcript", headers={"Accept-Language": "en"})
    assert "has no English name yet" in page.get_data(as_text=True)
    response = client.post("/documents/request/english_transcript",
                           data={"unit": unit.id, "purpose": "visa", "name_latin": "WANG, HSIAO-MING"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 422 and "has no English name yet" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CertificateRequest)) == 0

    clerk = login(app.test_client(), world.users["clerk_a"])
    assert "has no English name yet" in clerk.get("/documents/", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    clerk.post("/documents/unit/english-name", data={"name_en": "Taipei Volunteer Association A"})
    db.session.refresh(unit)
    assert unit.name_en == "Taipei Volunteer Association A"
    assert client.post("/documents/request/english_transcript",
                       data={"unit": unit.id, "purpose": "visa", "name_latin": "WANG, HSIAO-MING"}).status_code == 302


def test_latin_names_with_diacritics_and_hyphens_are_accepted_other_scripts_refused(app, world, client, hours):
    login(client, world.users["volunteer"])
    for name, ok in (("NGUYỄN THỊ MINH-KHAI", True), ("MÜLLER-LÜDENSCHEIDT, JOSÉ", True),
                     ("O'NEILL, SEÁN", True), ("王小明", False), ("ИВАНОВ", False)):
        db.session.query(CertificateRequest).delete()
        db.session.commit()
        response = client.post("/documents/request/english_certificate",
                               data={"unit": world.units["A"].id, "purpose": "study", "name_latin": name})
        assert (response.status_code == 302) is ok, name


# --- register, download, scope --------------------------------------------------------------------

def issue(world, key="A", person_key="a", kind="performance", render=None):
    person, unit = world.people[person_key], world.units[key]
    doc = issue_document(kind, person, {"name": person.name, "name_latin": "WANG, HSIAO-MING",
                                        "total_half_hours": 301}, unit,
                         render=render or (lambda p: b"%PDF-1.4 " + p.short_code.encode()))
    db.session.commit()
    return doc


def test_register_is_scoped_and_downloads_are_logged(app, world, client):
    mine, other = issue(world, "A", "a"), issue(world, "B", "b")
    login(client, world.users["clerk_a"])
    page = client.get("/documents/").get_data(as_text=True)
    assert mine.short_code in page and other.short_code not in page
    assert client.get(f"/documents/{other.id}/download").status_code == 404
    response = client.get(f"/documents/{mine.id}/download")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "document.download")) == 1
    volunteer = login(app.test_client(), world.users["volunteer"])
    assert mine.short_code in volunteer.get("/documents/").get_data(as_text=True)
    assert volunteer.get(f"/documents/{other.id}").status_code == 404
    county = login(app.test_client(), world.users["county_tpe"])
    body = county.get("/documents/").get_data(as_text=True)
    assert mine.short_code in body and other.short_code in body
    khh = login(app.test_client(), world.users["county_khh"])
    assert mine.short_code not in khh.get("/documents/").get_data(as_text=True)


def test_register_filters_by_status_and_code(app, en, world, client):
    a, b = issue(world, "A", "a"), issue(world, "A", "shared", kind="english_certificate")
    revoke_document(a, "錯誤資料")
    db.session.commit()
    login(client, world.users["clerk_a"])
    revoked = client.get("/documents/?status=revoked", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert a.short_code in revoked and b.short_code not in revoked and "<html" not in revoked
    by_code = client.get(f"/documents/?q={b.short_code}").get_data(as_text=True)
    assert b.short_code in by_code and a.short_code not in by_code


# --- revocation, reissue, verification --------------------------------------------------------------

def test_revoked_certificate_page_says_revoked_at_once(app, world, client):
    doc = issue(world)
    public = app.test_client()
    assert "Valid" in public.get(f"/verify/{doc.token}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    login(client, world.users["supervisor_a"])
    assert client.post(f"/documents/{doc.id}/revoke", data={"version": doc.version, "reason": ""}).status_code == 422
    assert client.post(f"/documents/{doc.id}/revoke",
                       data={"version": doc.version, "reason": "Issued to the wrong person"}).status_code == 302
    page = public.get(f"/verify/{doc.token}", headers={"Accept-Language": "en"})
    body = page.get_data(as_text=True)
    assert "Revoked" in body and "no longer valid" in body and "Issued to the wrong person" not in body
    assert page.headers["Cache-Control"] == "no-store"
    zh = public.get(f"/verify/{doc.token}", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    assert "已撤銷" in zh
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "document.revoke")) == 1


def test_authority_revokes_in_scope_only(app, world, client):
    a, c = issue(world, "A", "a"), issue(world, "C", "canary")
    login(client, world.users["county_tpe"])
    assert client.post(f"/documents/{c.id}/revoke", data={"version": c.version, "reason": "x"}).status_code == 404
    assert client.post(f"/documents/{a.id}/revoke", data={"version": a.version, "reason": "查核不符"}).status_code == 302
    db.session.refresh(a)
    assert a.status == "revoked" and a.revoked_by_id == world.users["county_tpe"].id
    other_clerk = login(app.test_client(), world.users["clerk_b"])
    assert other_clerk.get(f"/documents/{a.id}/revoke").status_code == 404


def test_reissue_supersedes_the_old_document(app, world, client, hours, fast_pdf):
    person, unit = world.people["a"], world.units["A"]
    eligible(hours, person, unit)
    old = issue(world)
    login(client, world.users["supervisor_a"])
    response = client.post(f"/documents/{old.id}/reissue", data={"version": old.version})
    assert response.status_code == 302
    db.session.refresh(old)
    new = db.session.scalars(select(Document).where(Document.id != old.id)).one()
    assert old.status == "superseded" and new.status == "valid" and new.supersedes_id == old.id
    assert new.token != old.token and new.total_half_hours == 300
    body = app.test_client().get(f"/verify/{old.token}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Superseded" in body and new.token not in body and new.short_code not in body


def test_reissue_refused_when_the_name_cannot_be_printed_keeps_the_old_document(app, world, client, hours):
    person, unit = world.people["a"], world.units["A"]
    eligible(hours, person, unit)
    old = issue(world)
    person.name = "王𠀋明"
    db.session.commit()
    login(client, world.users["supervisor_a"])
    response = client.post(f"/documents/{old.id}/reissue", data={"version": old.version}, follow_redirects=True,
                           headers={"Accept-Language": "en"})
    assert "U+2000B" in response.get_data(as_text=True)
    db.session.refresh(old)
    assert old.status == "valid" and db.session.scalar(select(func.count()).select_from(Document)) == 1


def test_a_clerk_cannot_reissue_a_performance_certificate(app, world, client):
    doc = issue(world)
    login(client, world.users["clerk_a"])
    assert client.post(f"/documents/{doc.id}/reissue", data={"version": doc.version}).status_code == 403


def test_a_new_certificate_from_the_same_unit_supersedes_the_previous_one(app, world):
    first = issue(world)
    second = issue(world)
    db.session.refresh(first)
    assert first.status == "superseded" and second.supersedes_id == first.id
    other_kind = issue(world, kind="english_certificate")
    db.session.refresh(second)
    assert second.status == "valid" and other_kind.status == "valid"


def test_verify_page_never_shows_the_full_name_or_id(app, world):
    person = world.people["a"]
    doc = issue(world)
    client = app.test_client()
    for lang in ("en", "zh-TW"):
        response = client.get(f"/verify/{doc.token}", headers={"Accept-Language": lang})
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert person.name not in body and "WANG, HSIAO-MING" not in body and "HSIAO" not in body
        assert person.id_number not in body and person.id_number[:6] not in body
        assert "甲○工" in body and "W. H." in body
        assert "150.5" in body and doc.short_code in body
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"


def test_verify_by_short_code_as_typed(app, world):
    doc = issue(world)
    client = app.test_client()
    typed = doc.short_code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    response = client.get("/verify", query_string={"code": f"  {typed} "}, headers={"Accept-Language": "en"})
    assert response.status_code == 200 and "Valid" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    missing = client.get("/verify", query_string={"code": "ZZZZZ-ZZZZZ"}, headers={"Accept-Language": "en"})
    assert missing.status_code == 404 and "No document has this verification code" in missing.get_data(as_text=True)
    assert client.get("/verify/" + "x" * 40).status_code == 404
    assert client.get("/verify").status_code == 200


def test_tokens_are_long_random_and_codes_unique(app, world):
    docs = [issue(world) for _ in range(5)]
    assert len({d.token for d in docs}) == 5 and len({d.short_code for d in docs}) == 5
    assert all(len(d.token) >= 32 and re.fullmatch(r"[A-Za-z0-9_-]+", d.token) for d in docs)
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", d.short_code) for d in docs)
    assert TOKEN_BYTES * 8 >= 128


def test_verification_is_rate_limited(tmp_path):
    from portal import create_app
    from tests.conftest import base_config
    config = base_config(tmp_path, "sqlite://")
    config["RATELIMIT_ENABLED"] = True
    limited = create_app(config)
    with limited.app_context():
        db.create_all()
        client = limited.test_client()
        statuses = [client.get("/verify", query_string={"code": "ZZZZZ-ZZZZZ"}).status_code for _ in range(31)]
        assert statuses[:30] == [404] * 30 and statuses[30] == 429
        assert client.get("/verify/" + "y" * 30).status_code == 429  # one budget for both forms
        db.session.remove()
        db.engine.dispose()


def test_a_time_limited_document_reads_expired_after_its_validity(app, world):
    """An honor card that ran out says so on the public page, though it was never revoked."""
    doc = issue(world)
    today = today_taipei()
    doc.payload = {**doc.payload, "valid_from": (today - timedelta(days=3 * 365)).isoformat(),
                   "valid_to": (today - timedelta(days=1)).isoformat()}
    db.session.commit()
    public = app.test_client()
    en = public.get(f"/verify/{doc.token}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    heading = re.search(r'<h2 id="verify-status">\s*(.*?)\s*</h2>', en, re.S).group(1)
    assert heading == "Expired" and "has expired" in en
    doc.payload = {**doc.payload, "valid_to": (today + timedelta(days=30)).isoformat()}
    db.session.commit()
    still = public.get(f"/verify/{doc.token}", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    heading = re.search(r'<h2 id="verify-status">\s*(.*?)\s*</h2>', still, re.S).group(1)
    assert heading == "有效"
