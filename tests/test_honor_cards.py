"""Honor cards through the database and HTTP: loader, eligibility list, application, county review,
the e-card and its verification, county-only import (form, CLI, API), venues."""
import io
import json
from contextlib import contextmanager
from datetime import date, timedelta

import pikepdf
import pytest
from flask import current_app
from flask_babel import force_locale, refresh
from freezegun import freeze_time
from sqlalchemy import event, func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from portal.honor_cards import documents, importing
from portal.honor_cards.facts import eligibility, load_facts
from portal.honor_cards.models import HonorCard, HonorCardApplication, Venue
from portal.honor_cards.rules import end_of_last_month
from portal.hours.models import HourEntry
from portal.imports.models import ImportBatch
from portal.imports.pipeline import Context, run
from portal.platform import pdf
from portal.platform.audit import AuditLog
from portal.platform.dates import add_months, month_start
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.platform.uploads import check_file, store
from portal.records.models import RecordBook
from portal.registry.operations import authority_for
from portal.training.models import TrainingRecord
from tests.conftest import login


def today() -> date:
    """Asia/Taipei today, read when used: the suite may run across midnight."""
    return today_taipei()


def last_month_end() -> date:
    return end_of_last_month(today_taipei())


def three_years_after(day: date) -> date:
    """A card's last day (HC5): the same calendar day 3 years on; from 29 February, 28 February."""
    return date(day.year + 3, 2, 28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year + 3)


@contextmanager
def language(lang: str):
    with current_app.test_request_context(headers={"Accept-Language": lang}):
        refresh()
        yield


@pytest.fixture
def fast_pdf(monkeypatch):
    """A stand-in PDF keeps workflow tests quick; test_card_pdf_is_card_size renders the real one."""
    monkeypatch.setattr(documents, "_renderer", lambda photo: lambda prepared: b"%PDF-1.4 " +
                        prepared.short_code.encode())


def png() -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (50, 70), "#c8a165").save(out, "PNG")
    return out.getvalue()


def letter_pdf() -> bytes:
    doc = pikepdf.new()
    doc.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


_books = {"n": 0}


def make_ready(person, unit, *, trained=None, half_hours=700, through=None, photo=True, book=True, fields=None):
    """Everything the card needs: record book, verified training, accepted photo, monthly hours."""
    trained = trained or date(today().year - 4, 1, 1)
    through = through or last_month_end()
    fields = fields or [unit.field_code]
    db.session.add(TrainingRecord(person_id=person.id, kind="basic", course_name="基礎訓練", completed_on=trained,
                                  effective_on=trained, status="verified"))
    for field_code in fields:
        db.session.add(TrainingRecord(person_id=person.id, kind="special", field_code=field_code, course_name="特殊訓練",
                                      completed_on=trained, effective_on=trained, status="verified"))
    if book:
        _books["n"] += 1
        db.session.add(RecordBook(person_id=person.id, number=f"TPE-110-{_books['n']:06d}{person.id}",
                                  issued_on=trained))
    if photo:
        stored = store(check_file("photo.png", png()), "person_photo", None)
        person.photo_file_id, person.photo_status = stored.id, "accepted"
    add_hours(person, unit, half_hours, trained, through)
    db.session.commit()


def add_hours(person, unit, half_hours, start, end, field_code=None):
    months = []
    day = month_start(start)
    while day <= end:
        nxt = add_months(day, 1)
        months.append((max(day, start), min(nxt - timedelta(days=1), end)))
        day = nxt
    share, rest = divmod(half_hours, len(months))
    for i, (a, b) in enumerate(months):
        if share + (1 if i < rest else 0):
            db.session.add(HourEntry(person_id=person.id, unit_id=unit.id, start_on=a, end_on=b,
                                     half_hours=share + (1 if i < rest else 0),
                                     field_code=field_code or unit.field_code))
    db.session.commit()


def multipart(fields, files=()):
    items = list(fields.items()) if isinstance(fields, dict) else list(fields)
    items += [(name, FileStorage(io.BytesIO(data), filename=filename, content_type="application/octet-stream"))
              for name, filename, data in files]
    boundary, body = encode_multipart(MultiDict(items))
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def audit_actions(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


@pytest.fixture
def ready(world):
    """Person a (unit A, 臺北市) and the shared volunteer are ready for a card; person b (unit B) is not."""
    make_ready(world.people["a"], world.units["A"])
    make_ready(world.people["shared"], world.units["A"], fields=["social", "education"])
    make_ready(world.people["b"], world.units["B"], photo=False)
    return world


def apply_for(client, *people, letter=None):
    fields = [("person_id", str(p.id)) for p in people] + [("note", "")]
    files = [("letter", "公文.pdf", letter)] if letter else []
    return client.post("/honor-cards/apply", **multipart(fields, files))


# --- the loader ------------------------------------------------------------------------------

def test_loader_turns_rows_into_facts(app, ready):
    a = ready.people["a"]
    add_hours(a, ready.units["A"], 5, last_month_end(), last_month_end() + timedelta(days=1))
    db.session.add(HourEntry(person_id=a.id, unit_id=ready.units["A"].id, start_on=date(2024, 2, 3),
                             end_on=date(2024, 2, 3), half_hours=8, field_code="social", status="void"))
    db.session.commit()
    facts = load_facts([a.id, 987654], today())[a.id]
    assert set(load_facts([a.id, 987654], today())) == {a.id}
    assert facts.record_book and facts.photo_accepted
    assert facts.basic_from == date(today().year - 4, 1, 1)
    assert facts.special_from == {"social": date(today().year - 4, 1, 1)}
    assert facts.fields_served == ("social",)
    assert sum(h.half_hours for h in facts.hours) == 705          # the void entry is left out
    assert facts.previous_cards == []


def test_loader_uses_a_fixed_number_of_queries(app, world, make_person):
    unit = world.units["A"]
    people = make_person.many([{"units": [unit], "name": f"志工{i}"} for i in range(12)])
    for person in people[:6]:
        make_ready(person, unit, half_hours=650)

    def count(ids):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            results = eligibility(ids, today())
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements), results

    one, _results = count([people[0].id])
    many, results = count([p.id for p in people])
    assert one == many == 8     # people, memberships, books, training, cards, cut months, crossing ranges, summaries
    assert sum(r.eligible for r in results.values()) == 6


def test_a_cancelled_record_book_or_pending_training_does_not_count(app, world):
    a = world.people["a"]
    make_ready(a, world.units["A"])
    db.session.scalar(select(RecordBook).where(RecordBook.person_id == a.id)).kind = "cancelled"
    for record in db.session.scalars(select(TrainingRecord).where(TrainingRecord.person_id == a.id,
                                                                  TrainingRecord.kind == "basic")):
        record.status = "pending"
    db.session.commit()
    with force_locale("en"):
        result = eligibility([a.id], today())[a.id]
        assert {c.message for c in result.missing} >= {"No record book issued yet", "Basic training not verified"}


# --- the unit's list and the volunteer's page ----------------------------------------------

def test_unit_sees_who_is_eligible_with_reasons(app, ready, client):
    login(client, ready.users["clerk_a"])
    body = client.get("/honor-cards/eligibility?within=all").get_data(as_text=True)
    assert "甲志工" in body and "共同志工" in body
    assert "乙志工" not in body and "金絲雀" not in body
    assert 'name="person_id" value="%d"' % ready.people["a"].id in body
    fragment = client.get("/honor-cards/eligibility?within=0", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert "甲志工" in fragment.get_data(as_text=True)


@pytest.fixture
def leap_day():
    with freeze_time("2028-02-29T09:00:00+08:00", tick=True):
        yield


@pytest.mark.usefixtures("leap_day")
def test_the_whole_list_puts_volunteers_without_an_outlook_last_also_on_29_february(app, world, client):
    make_ready(world.people["a"], world.units["A"])
    login(client, world.users["clerk_a"])
    response = client.get("/honor-cards/eligibility?within=all")          # 500 before: date(9999, 2, 29)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.index("甲志工") < body.index("共同志工")                    # eligible, then blocked (no training)


def test_the_list_explains_what_is_missing(app, ready, client):
    login(client, ready.users["clerk_b"])
    client.post("/language", data={"lang": "en"})
    body = client.get("/honor-cards/eligibility?within=all").get_data(as_text=True)
    assert "乙志工" in body
    assert "No accepted ID photo" in body
    assert 'value="%d"' % ready.people["b"].id not in body      # not selectable


def test_within_months_lists_those_about_to_qualify(app, world, client, make_person):
    unit = world.units["A"]
    soon = make_person([unit], name="快到了")
    make_ready(soon, unit, trained=add_months(today(), -35) - timedelta(days=1), half_hours=700)
    later = make_person([unit], name="還要很久")
    make_ready(later, unit, trained=add_months(today(), -12), half_hours=700)
    login(client, world.users["clerk_a"])
    now = client.get("/honor-cards/eligibility?within=0").get_data(as_text=True)
    within = client.get("/honor-cards/eligibility?within=3").get_data(as_text=True)
    assert "快到了" not in now and "快到了" in within
    assert "還要很久" not in within


def test_authority_chooses_a_unit_and_cannot_apply(app, ready, client):
    login(client, ready.users["county_tpe"])
    assert "甲志工" not in client.get("/honor-cards/eligibility").get_data(as_text=True)
    body = client.get(f"/honor-cards/eligibility?unit={ready.units['A'].id}&within=all").get_data(as_text=True)
    assert "甲志工" in body and 'name="person_id"' not in body
    other = client.get(f"/honor-cards/eligibility?unit={ready.units['C'].id}&within=all").get_data(as_text=True)
    assert "金絲雀" not in other
    assert client.get(f"/honor-cards/apply?person_id={ready.people['a'].id}").status_code == 403


def test_person_eligibility_fragment_for_the_volunteer_record(app, ready, client):
    a = ready.people["a"]
    login(client, ready.users["volunteer"])
    fragment = client.get(f"/honor-cards/people/{a.id}/eligibility", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text and "hc-checks" in text
    assert client.get(f"/honor-cards/people/{ready.people['b'].id}/eligibility").status_code == 404
    with current_app.test_request_context():
        from portal.honor_cards.views import honor_card_eligibility
        assert honor_card_eligibility(a).eligible


def test_volunteer_page_shows_the_checklist(app, ready, client):
    login(client, ready.users["volunteer"])
    assert client.get("/honor-cards/").headers["Location"].endswith("/honor-cards/mine")
    body = client.get("/honor-cards/mine").get_data(as_text=True)
    assert "hc-checks" in body and "hc-missing" not in body


# --- application ---------------------------------------------------------------------------

def test_apply_with_letter_then_cancel(app, ready, client):
    a, shared = ready.people["a"], ready.people["shared"]
    login(client, ready.users["clerk_a"])
    summary = client.get(f"/honor-cards/apply?person_id={a.id}&person_id={shared.id}")
    text = summary.get_data(as_text=True)
    assert summary.status_code == 200 and "甲志工" in text and "共同志工" in text
    response = apply_for(client, a, shared, letter=letter_pdf())
    assert response.status_code == 302, response.get_data(as_text=True)
    apps = sorted(db.session.scalars(select(HonorCardApplication)), key=lambda x: x.person_id)
    assert [(x.person_id, x.status, x.kind) for x in apps] == [(a.id, "submitted", "first"),
                                                                (shared.id, "submitted", "first")]
    assert apps[0].letter is not None and apps[0].letter.kind == "pdf" and apps[0].letter_file_id == apps[1].letter_file_id
    assert apps[0].window_end == last_month_end() and apps[0].half_hours == 700
    assert len(audit_actions("honor_card.apply")) == 2
    letter = client.get(f"/honor-cards/applications/{apps[0].id}/letter")
    assert letter.status_code == 200 and letter.headers["Content-Type"] == "application/pdf"

    cancel = client.post(f"/honor-cards/applications/{apps[1].id}/cancel", data={"version": apps[1].version})
    assert cancel.status_code == 302
    db.session.refresh(apps[1])
    assert apps[1].status == "cancelled" and len(audit_actions("honor_card.cancel_application")) == 1
    again = client.post(f"/honor-cards/applications/{apps[1].id}/cancel", data={"version": apps[1].version})
    assert again.status_code == 302 and db.session.get(HonorCardApplication, apps[1].id).status == "cancelled"


def test_buttons_say_what_they_do(app, ready, client):
    login(client, ready.users["clerk_a"])
    client.post("/language", data={"lang": "en"})
    listing = client.get("/honor-cards/eligibility").get_data(as_text=True)
    assert "Nothing is sent to the county until you confirm there." in listing
    summary = client.get(f"/honor-cards/apply?person_id={ready.people['a'].id}").get_data(as_text=True)
    assert "Sends one application per eligible volunteer listed above" in summary
    apply_for(client, ready.people["a"])
    assert "Withdraws the application before the county reviews it" in \
        client.get("/honor-cards/applications").get_data(as_text=True)


def test_apply_refuses_ineligible_and_duplicates_and_writes_nothing(app, ready, client, world):
    login(client, ready.users["clerk_b"])
    refused = apply_for(client, ready.people["b"])
    assert refused.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(HonorCardApplication)) == 0
    login(client, ready.users["clerk_a"])
    assert apply_for(client, ready.people["a"]).status_code == 302
    twice = apply_for(client, ready.people["a"], ready.people["shared"])
    assert twice.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(HonorCardApplication)) == 1
    outsider = apply_for(client, ready.people["b"])                 # not in unit A: ignored, nothing chosen
    assert outsider.status_code == 302 and outsider.headers["Location"].endswith("/honor-cards/eligibility")


def test_apply_refuses_a_letter_that_is_not_a_pdf(app, ready, client):
    login(client, ready.users["clerk_a"])
    fields = [("person_id", str(ready.people["a"].id))]
    response = client.post("/honor-cards/apply", **multipart(fields, [("letter", "公文.png", png())]))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(HonorCardApplication)) == 0


# --- county review ---------------------------------------------------------------------------

def submitted(client, world, *keys):
    """The applications of unit A for these people, in the order of `keys`."""
    login(client, world.users["clerk_a"])
    assert apply_for(client, *[world.people[k] for k in keys]).status_code == 302
    by_person = {a.person_id: a for a in db.session.scalars(select(HonorCardApplication))}
    return [by_person[world.people[k].id] for k in keys]


def test_county_approves_and_the_card_is_numbered_with_3_years_validity(app, ready, client, fast_pdf):
    application = submitted(client, ready, "a")[0]
    login(client, ready.users["county_tpe"])
    assert "甲志工" in client.get("/honor-cards/review").get_data(as_text=True)
    response = client.post(f"/honor-cards/applications/{application.id}/approve", data={"version": application.version})
    assert response.status_code == 302
    card = db.session.scalar(select(HonorCard))
    assert card.number == f"HC-TPE-{today().year - 1911:03d}-000001"
    assert (card.kind, card.status, card.county_code) == ("first", "valid", "TPE")
    assert (card.approved_on, card.valid_from) == (today(), today())
    assert card.valid_to == three_years_after(today())
    assert (card.window_start, card.window_end, card.half_hours) == (date(today().year - 4, 1, 1), last_month_end(), 700)
    assert card.document is not None and card.document.kind == "honor_card" and card.document.status == "valid"
    assert db.session.get(HonorCardApplication, application.id).status == "approved"
    assert len(audit_actions("honor_card.approve")) == len(audit_actions("honor_card.issue")) == 1
    # The hours are used now: the volunteer is not eligible again.
    assert not eligibility([ready.people["a"].id], today())[ready.people["a"].id].eligible


def test_other_county_cannot_review(app, ready, client):
    application = submitted(client, ready, "a")[0]
    login(client, ready.users["county_khh"])
    assert "甲志工" not in client.get("/honor-cards/review").get_data(as_text=True)
    assert client.post(f"/honor-cards/applications/{application.id}/approve",
                       data={"version": application.version}).status_code == 404
    assert db.session.get(HonorCardApplication, application.id).status == "submitted"


def test_review_filters_by_unit_field_and_date(app, world, client, make_unit, make_person):
    make_ready(world.people["a"], world.units["A"])
    make_ready(world.people["b"], world.units["B"])
    for key, person in (("clerk_a", "a"), ("clerk_b", "b")):
        login(client, world.users[key])
        assert apply_for(client, world.people[person]).status_code == 302
    login(client, world.users["county_tpe"])
    both = client.get("/honor-cards/review").get_data(as_text=True)
    assert "甲志工" in both and "乙志工" in both
    by_unit = client.get(f"/honor-cards/review?unit={world.units['B'].id}").get_data(as_text=True)
    assert "乙志工" in by_unit and "甲志工" not in by_unit
    by_field = client.get("/honor-cards/review?field=social").get_data(as_text=True)
    assert "甲志工" in by_field and "乙志工" not in by_field
    tomorrow = (today() + timedelta(days=1)).isoformat()
    assert "甲志工" not in client.get(f"/honor-cards/review?applied_from={tomorrow}").get_data(as_text=True)
    assert "甲志工" in client.get(f"/honor-cards/review?applied_to={today().isoformat()}").get_data(as_text=True)


def test_bulk_approve_and_bulk_return_with_reason(app, ready, client, fast_pdf):
    first, second = submitted(client, ready, "a", "shared")
    login(client, ready.users["county_tpe"])
    no_reason = client.post("/honor-cards/review", data={"action": "return", "application_id": [first.id]})
    assert no_reason.status_code == 302 and db.session.get(HonorCardApplication, first.id).status == "submitted"
    returned = client.post("/honor-cards/review", data={"action": "return", "application_id": [second.id],
                                                         "reason": "請補公文"})
    assert returned.status_code == 302
    assert db.session.get(HonorCardApplication, second.id).return_reason == "請補公文"
    approved = client.post("/honor-cards/review", data={"action": "approve", "application_id": [first.id, second.id]})
    assert approved.status_code == 302
    assert [c.person_id for c in db.session.scalars(select(HonorCard))] == [ready.people["a"].id]
    assert db.session.get(HonorCardApplication, second.id).status == "returned"


def test_single_return_needs_a_reason(app, ready, client):
    application = submitted(client, ready, "a")[0]
    login(client, ready.users["county_tpe"])
    client.post(f"/honor-cards/applications/{application.id}/return", data={"version": application.version})
    assert db.session.get(HonorCardApplication, application.id).status == "submitted"
    client.post(f"/honor-cards/applications/{application.id}/return",
                data={"version": application.version, "reason": "照片不清楚"})
    assert db.session.get(HonorCardApplication, application.id).status == "returned"
    assert audit_actions("honor_card.return")[0].detail.count("照片不清楚") == 1


def test_approval_rechecks_eligibility(app, ready, client):
    application = submitted(client, ready, "a")[0]
    for entry in db.session.scalars(select(HourEntry).where(HourEntry.person_id == ready.people["a"].id)).all()[:10]:
        entry.status = "void"
    db.session.commit()
    login(client, ready.users["county_tpe"])
    client.post("/language", data={"lang": "en"})
    response = client.post(f"/honor-cards/applications/{application.id}/approve",
                           data={"version": application.version}, follow_redirects=True)
    assert "is no longer eligible: Still needs" in response.get_data(as_text=True)
    assert db.session.get(HonorCardApplication, application.id).status == "submitted"
    assert db.session.scalar(select(func.count()).select_from(HonorCard)) == 0


def test_stale_version_is_a_conflict(app, ready, client):
    application = submitted(client, ready, "a")[0]
    login(client, ready.users["county_tpe"])
    assert client.post(f"/honor-cards/applications/{application.id}/approve",
                       data={"version": application.version + 1}).status_code == 409


def test_a_renewal_counts_only_after_the_previous_card(app, world, client, fast_pdf):
    a, unit = world.people["a"], world.units["A"]
    make_ready(a, unit, trained=date(today().year - 8, 1, 1), half_hours=1400)
    expired = date(today().year - 4, 6, 30)
    db.session.add(HonorCard(person_id=a.id, number="HC-TPE-OLD-1", county_code="TPE", approved_on=expired.replace(
        year=expired.year - 3), valid_from=expired.replace(year=expired.year - 3), valid_to=expired,
        window_start=date(today().year - 8, 1, 1), window_end=date(today().year - 7, 12, 31), half_hours=600))
    db.session.commit()
    result = eligibility([a.id], today())[a.id]
    assert result.kind == "renewal" and result.window_start == expired + timedelta(days=1)
    application = submitted(client, world, "a")[0]
    assert application.kind == "renewal"
    login(client, world.users["county_tpe"])
    client.post(f"/honor-cards/applications/{application.id}/approve", data={"version": application.version})
    card = db.session.scalar(select(HonorCard).where(HonorCard.application_id == application.id))
    assert card.kind == "renewal" and card.valid_from == today() and card.window_start == expired + timedelta(days=1)


# --- the card ------------------------------------------------------------------------------

def approved_card(client, world):
    application = submitted(client, world, "a")[0]
    login(client, world.users["county_tpe"])
    client.post(f"/honor-cards/applications/{application.id}/approve", data={"version": application.version})
    return db.session.scalar(select(HonorCard))


def test_volunteer_sees_the_e_card_with_a_qr_that_verifies(app, ready, client, fast_pdf):
    card = approved_card(client, ready)
    login(client, ready.users["volunteer"])
    assert card.number in client.get("/honor-cards/mine").get_data(as_text=True)
    page = client.get(f"/honor-cards/cards/{card.id}").get_data(as_text=True)
    verify_url = f"http://localhost/verify/{card.document.token}"
    assert card.number in page and "甲志工" in page and "臺北市" in page
    assert "data:image/png;base64," in page                               # the photo
    assert pdf.qr_data_uri(verify_url) in page                           # the QR encodes the verification address
    verified = client.get(f"/verify/{card.document.token}").get_data(as_text=True)
    assert card.document.short_code in verified and "甲○工" in verified and "甲志工" not in verified
    assert client.get(f"/honor-cards/cards/{card.id}/card.pdf").data.startswith(b"%PDF")


def test_card_pdf_is_card_size(app, ready, client):
    card = approved_card(client, ready)
    content = client.get(f"/honor-cards/cards/{card.id}/card.pdf").data
    with pikepdf.open(io.BytesIO(content)) as doc:
        assert len(doc.pages) == 1
        width, height = (float(v) for v in doc.pages[0].mediabox[2:])
    assert (round(width / 72 * 25.4, 1), round(height / 72 * 25.4, 1)) == (85.6, 54.0)


def test_other_people_cannot_see_the_card(app, ready, client, fast_pdf, make_user):
    card = approved_card(client, ready)
    for persona in ("clerk_b", "county_khh", "admin"):
        login(client, ready.users[persona])
        assert client.get(f"/honor-cards/cards/{card.id}").status_code in (403, 404)
    login(client, ready.users["clerk_a"])
    assert client.get(f"/honor-cards/cards/{card.id}").status_code == 200


def test_cancel_card_revokes_its_verification(app, ready, client, fast_pdf):
    card = approved_card(client, ready)
    login(client, ready.users["county_tpe"])
    client.post(f"/honor-cards/cards/{card.id}/cancel", data={"version": card.version, "reason": ""})
    assert db.session.get(HonorCard, card.id).status == "valid"
    asked = client.post(f"/honor-cards/cards/{card.id}/cancel", data={"version": card.version, "reason": "冒用"})
    assert "立即失效" in asked.get_data(as_text=True) and db.session.get(HonorCard, card.id).status == "valid"
    client.post(f"/honor-cards/cards/{card.id}/cancel", data={"version": card.version, "reason": "冒用", "confirm": "1"})
    card = db.session.get(HonorCard, card.id)
    assert card.status == "cancelled" and card.document.status == "revoked"
    assert "verify-revoked" in client.get(f"/verify/{card.document.token}").get_data(as_text=True)
    assert len(audit_actions("honor_card.cancel")) == 1


def test_reissue_replaces_the_lost_card(app, ready, client, fast_pdf):
    card = approved_card(client, ready)
    login(client, ready.users["county_tpe"])
    response = client.post(f"/honor-cards/cards/{card.id}/reissue", data={"version": card.version})
    new = db.session.scalar(select(HonorCard).where(HonorCard.kind == "reissue"))
    assert response.headers["Location"].endswith(f"/honor-cards/cards/{new.id}")
    old = db.session.get(HonorCard, card.id)
    assert old.status == "replaced" and old.document.status == "superseded"
    assert (new.valid_from, new.valid_to, new.replaces_id) == (old.valid_from, old.valid_to, old.id)
    assert new.number != old.number and new.document.status == "valid"
    login(client, ready.users["county_khh"])
    assert client.post(f"/honor-cards/cards/{new.id}/reissue", data={"version": new.version}).status_code == 404


# --- county-only import --------------------------------------------------------------------

def cards_csv(world, **row) -> bytes:
    values = {"姓名": "甲志工", "身分證字號": world.people["a"].id_number, "卡號": "TPE-OLD-0001", "狀態": "初次",
              "審核日期": "1120301", "有效起日": "", "有效迄日": "", "年資起日": "1090101", "年資迄日": "1120131",
              "採計時數": "312.5"}
    values.update(row)
    header = list(values)
    return ("\ufeff" + ",".join(header) + "\r\n" + ",".join(str(values[h]) for h in header) + "\r\n").encode("utf-8")


def test_county_imports_cards_with_provenance(app, world, client, fast_pdf):
    login(client, world.users["county_tpe"])
    upload = client.post("/honor-cards/import", **multipart({}, [("file", "112年榮譽卡.csv", cards_csv(world))]))
    assert upload.status_code == 302
    batch = db.session.scalar(select(ImportBatch))
    assert (batch.kind, batch.status, batch.error_count, batch.authority_id) == \
        ("honor_cards", "previewed", 0, world.users["county_tpe"].authority_id)
    assert client.get(f"/honor-cards/import/{batch.id}").status_code == 200
    confirm = client.post(f"/honor-cards/import/{batch.id}/confirm", data={"version": batch.version})
    assert confirm.status_code == 302
    card = db.session.scalar(select(HonorCard))
    assert (card.number, card.valid_from, card.valid_to, card.half_hours) == \
        ("TPE-OLD-0001", date(2023, 3, 1), date(2026, 3, 1), 625)
    assert card.imported_by_id == world.users["county_tpe"].id
    assert card.import_batch_id == batch.id and card.source_filename == "112年榮譽卡.csv"
    assert card.source == "import"
    detail = json.loads(audit_actions("honor_card.import")[0].detail)
    assert detail["file"] == "112年榮譽卡.csv" and detail["by_user"] == world.users["county_tpe"].id
    assert "112年榮譽卡.csv" in client.get(f"/honor-cards/cards/{card.id}").get_data(as_text=True)
    # The same file again adds nothing.
    client.post("/honor-cards/import", **multipart({}, [("file", "112年榮譽卡.csv", cards_csv(world))]))
    assert db.session.scalar(select(func.count()).select_from(HonorCard)) == 1
    # The imported card's window is not counted again.
    facts = load_facts([world.people["a"].id], today())[world.people["a"].id]
    assert facts.previous_cards[0].window_end == date(2023, 1, 31)


def test_import_reports_every_bad_row_and_writes_nothing(app, world, client):
    login(client, world.users["county_tpe"])
    client.post("/language", data={"lang": "en"})
    bad = cards_csv(world, 狀態="作廢", 審核日期="1121399", 採計時數="3.3")
    client.post("/honor-cards/import", **multipart({}, [("file", "bad.csv", bad)]))
    batch = db.session.scalar(select(ImportBatch))
    codes = {e["code"] for e in batch.error_list}
    assert {"status", "impossible_date", "quarter_hour"} <= codes
    canary = cards_csv(world, 姓名="金絲雀", 身分證字號=world.people["canary"].id_number, 卡號="")
    client.post("/honor-cards/import", **multipart({}, [("file", "canary.csv", canary)]))
    last = db.session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))
    assert [e["code"] for e in last.error_list] == ["not_in_county"]
    page = client.get(f"/honor-cards/import/{last.id}").get_data(as_text=True)
    assert "serves in no unit of your county" in page and world.people["canary"].id_number not in page
    assert db.session.scalar(select(func.count()).select_from(HonorCard)) == 0


def test_a_unit_account_cannot_import_honor_cards_by_any_route(app, world, client, runner, tmp_path):
    data = cards_csv(world)
    clerk = world.users["clerk_a"]
    login(client, clerk)
    # The form and its pages: 403, and no link to them anywhere on the honor-card pages.
    assert client.get("/honor-cards/import").status_code == 403
    assert client.post("/honor-cards/import", **multipart({}, [("file", "c.csv", data)])).status_code == 403
    assert client.get("/honor-cards/import/template.csv").status_code == 403
    for url in ("/honor-cards/eligibility", "/honor-cards/applications", "/honor-cards/cards", "/honor-cards/venues"):
        assert "/honor-cards/import" not in client.get(url).get_data(as_text=True)
    # The shared import form does not offer the kind and refuses it when posted.
    assert "honor_cards" not in client.get("/imports/").get_data(as_text=True)
    posted = client.post("/imports/", **multipart({"kind": "honor_cards"}, [("file", "c.csv", data)]))
    assert posted.status_code == 422
    # The command line: the honor-card command refuses a unit account; the generic one has no such kind.
    path = tmp_path / "cards.csv"
    path.write_bytes(data)
    result = runner.invoke(args=["honor-cards", "import", str(path), "--user", clerk.username])
    assert result.exit_code != 0 and "only an active county authority account" in result.output
    generic = runner.invoke(args=["import", "honor_cards", str(path), "--unit", world.units["A"].code])
    assert generic.exit_code != 0
    # The API (the pipeline called directly): a unit context, or a unit user with a county authority.
    county = authority_for("county", "TPE", None)
    with force_locale("en"):
        for ctx in (Context(unit=world.units["A"], user=clerk, today=today()),
                    Context(authority=county, user=clerk, today=today()),
                    Context(unit=world.units["A"], authority=county, user=None, today=today())):
            outcome = run(importing.KIND, data, ctx, commit=True)
            assert outcome.status == "rejected"
            assert [e["code"] for e in outcome.errors] == ["county_only"]
    assert db.session.scalar(select(func.count()).select_from(HonorCard)) == 0
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_county_sees_the_import_link_and_the_cli_imports_for_a_county_account(app, world, client, runner, tmp_path,
                                                                               fast_pdf):
    login(client, world.users["county_tpe"])
    assert "/honor-cards/import" in client.get("/honor-cards/review").get_data(as_text=True)
    path = tmp_path / "cards.csv"
    path.write_bytes(cards_csv(world, 卡號=""))
    dry = runner.invoke(args=["honor-cards", "import", str(path), "--user", "county.tpe", "--dry-run", "--json"])
    assert dry.exit_code == 0 and json.loads(dry.output)["committed"] == 1
    assert db.session.scalar(select(func.count()).select_from(HonorCard)) == 0
    result = runner.invoke(args=["honor-cards", "import", str(path), "--user", "county.tpe"])
    assert result.exit_code == 0, result.output
    card = db.session.scalar(select(HonorCard))
    assert card.number.startswith("HC-TPE-112-") and card.source_filename == "cards.csv"
    assert card.imported_by_id == world.users["county_tpe"].id


# --- venues --------------------------------------------------------------------------------

def venue_form(**kw):
    values = {"name": "國立故宮博物院", "name_en": "National Palace Museum", "county_code": "TPE", "address": "士林區",
              "discount": "free", "discount_note": "", "conditions": "出示榮譽卡", "card_forms": "both",
              "website": "", "active": "y"}
    values.update(kw)
    return {k: v for k, v in values.items() if v is not None}


def test_ministry_and_counties_keep_venues_volunteers_search_them(app, world, client):
    login(client, world.users["ministry"])
    assert client.post("/honor-cards/venues/new", data=venue_form()).status_code == 302
    assert client.post("/honor-cards/venues/new", data=venue_form(
        name="壽山動物園", name_en="", county_code="KHH", card_forms="paper")).status_code == 302
    login(client, world.users["county_tpe"])
    assert client.post("/honor-cards/venues/new", data=venue_form(county_code="KHH", name="越權")).status_code == 422
    assert client.post("/honor-cards/venues/new", data=venue_form(name="北投溫泉博物館", card_forms="electronic",
                                                                  discount="half")).status_code == 302
    khh = db.session.scalar(select(Venue).where(Venue.county_code == "KHH"))
    assert client.get(f"/honor-cards/venues/{khh.id}/edit").status_code == 404
    audits = audit_actions("honor_card.venue_add")
    assert len(audits) == 3

    login(client, world.users["volunteer"])
    assert "/honor-cards/venues/new" not in client.get("/honor-cards/venues").get_data(as_text=True)
    paper = client.get("/honor-cards/venues?card_form=paper").get_data(as_text=True)
    assert "壽山動物園" in paper and "國立故宮博物院" in paper and "北投溫泉博物館" not in paper
    search = client.get("/honor-cards/venues?q=溫泉", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "北投溫泉博物館" in search and "壽山動物園" not in search and "<html" not in search
    assert "壽山動物園" not in client.get("/honor-cards/venues?county=TPE").get_data(as_text=True)


def test_withdrawn_venue_is_not_listed_and_edits_are_versioned(app, world, client):
    login(client, world.users["county_tpe"])
    client.post("/honor-cards/venues/new", data=venue_form())
    venue = db.session.scalar(select(Venue))
    stale = venue.version
    assert client.post(f"/honor-cards/venues/{venue.id}/edit",
                       data=venue_form(active=None, version=stale)).status_code == 302
    assert db.session.get(Venue, venue.id).active is False
    anonymous = current_app.test_client()
    assert "國立故宮博物院" not in anonymous.get("/honor-cards/venues").get_data(as_text=True)
    assert client.post(f"/honor-cards/venues/{venue.id}/edit", data=venue_form(version=stale)).status_code == 409


def test_unit_staff_cannot_keep_venues(app, world, client):
    login(client, world.users["clerk_a"])
    assert client.post("/honor-cards/venues/new", data=venue_form()).status_code == 403


def test_card_pdfs_are_rendered_with_no_transaction_open(app, ready, client, monkeypatch):
    """SQLite's write lock is never held while WeasyPrint works (bulk approvals, imports)."""
    seen = []

    def renderer(photo):
        def render(prepared):
            seen.append(db.session().in_transaction())
            return b"%PDF-1.4 " + prepared.short_code.encode()
        return render
    monkeypatch.setattr(documents, "_renderer", renderer)
    first, second = submitted(client, ready, "a", "shared")
    login(client, ready.users["county_tpe"])
    client.post("/honor-cards/review", data={"action": "approve", "application_id": [first.id, second.id]})
    assert seen == [False, False]
    assert all(c.document is not None for c in db.session.scalars(select(HonorCard)))


def test_imported_cards_in_force_get_an_e_card_and_expired_ones_do_not(app, world, client, fast_pdf):
    login(client, world.users["county_tpe"])
    rows = cards_csv(world, 卡號="TPE-OLD-0002", 審核日期="1080301", 年資起日="", 年資迄日="", 採計時數="")
    current = cards_csv(world, 審核日期=f"{today().year - 1912:03d}0301", 年資起日="", 年資迄日="")
    body = rows + current.split(b"\r\n", 1)[1]
    client.post("/honor-cards/import", **multipart({}, [("file", "cards.csv", body)]))
    batch = db.session.scalar(select(ImportBatch))
    client.post(f"/honor-cards/import/{batch.id}/confirm", data={"version": batch.version})
    cards = {c.number: c for c in db.session.scalars(select(HonorCard))}
    assert cards["TPE-OLD-0002"].document is None                  # expired in 2022
    assert cards["TPE-OLD-0001"].document is not None and cards["TPE-OLD-0001"].document.status == "valid"


def test_cards_left_without_an_e_card_are_issued_from_the_command_line(app, world, runner, fast_pdf):
    a = world.people["a"]
    county = authority_for("county", "TPE", None)
    db.session.add(HonorCard(person_id=a.id, number="HC-TPE-X-1", county_code="TPE", authority_id=county.id,
                             approved_on=today(), valid_from=today(), valid_to=three_years_after(today())))
    db.session.commit()
    result = runner.invoke(args=["honor-cards", "issue-documents"])
    assert result.exit_code == 0 and "1 e-card documents issued" in result.output
    assert db.session.scalar(select(HonorCard)).document is not None


def test_the_explanation_reads_in_traditional_chinese_with_roc_dates(app):
    from portal.honor_cards.rules import Facts, HourFact, evaluate
    facts = Facts(on=date(2026, 11, 10), record_book=True, photo_accepted=False, basic_from=date(2022, 1, 1),
                  special_from={"social": date(2022, 1, 1)}, fields_served=("social", "health"),
                  hours=[HourFact(date(2023, 5, 1), 515, "social", date(2026, 9, 30))])
    with language("zh-TW"):
        words = [c.message for c in evaluate(facts).missing]
    assert words == ["衛生保健特殊訓練尚未確認", "尚無審核通過的證件照", "115年10月的服務時數尚未登錄",
                     "尚差 42.5 小時（已採計 257.5／300 小時）"]
    with language("en"):
        assert "Special training for Health care not verified" in [c.message for c in evaluate(facts).missing]


def test_county_buttons_say_what_they_do(app, ready, client):
    application = submitted(client, ready, "a")[0]
    login(client, ready.users["county_tpe"])
    client.post("/language", data={"lang": "en"})
    queue = client.get("/honor-cards/review").get_data(as_text=True)
    assert "Issues a numbered card to each selected volunteer, valid for 3 years" in queue
    assert "Sends the selected applications back to their units with this reason" in queue
    detail = client.get(f"/honor-cards/applications/{application.id}").get_data(as_text=True)
    assert "Numbers the card and makes it valid for 3 years" in detail
    assert "No card is issued; the unit sees your reason" in detail


def test_a_second_open_application_for_the_same_person_is_refused_by_the_database(app, ready):
    from sqlalchemy.exc import IntegrityError
    a, unit = ready.people["a"], ready.units["A"]
    db.session.add(HonorCardApplication(person_id=a.id, unit_id=unit.id, applied_on=today()))
    db.session.commit()
    db.session.add(HonorCardApplication(person_id=a.id, unit_id=ready.units["B"].id, applied_on=today()))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(HonorCardApplication(person_id=a.id, unit_id=unit.id, applied_on=today(), status="returned"))
    db.session.commit()


def test_a_concurrent_decision_is_a_conflict_not_a_second_card(app, ready, client, fast_pdf):
    application = submitted(client, ready, "a")[0]
    login(client, ready.users["county_tpe"])
    other = current_app.test_client()
    login(other, ready.users["county_tpe"])
    version = application.version
    assert client.post(f"/honor-cards/applications/{application.id}/approve", data={"version": version}).status_code == 302
    assert other.post(f"/honor-cards/applications/{application.id}/approve", data={"version": version}).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(HonorCard)) == 1


def test_only_missing_papers_reads_as_eligible_once_completed_not_as_a_date(app, world, client, make_person):
    unit = world.units["A"]
    papers = make_person([unit], name="缺紀錄冊")
    make_ready(papers, unit, half_hours=700)
    db.session.scalar(select(RecordBook).where(RecordBook.person_id == papers.id)).kind = "cancelled"
    db.session.commit()
    login(client, world.users["clerk_a"])
    client.post("/language", data={"lang": "en"})
    body = client.get("/honor-cards/eligibility?within=3").get_data(as_text=True)
    row = body[body.index("缺紀錄冊"):][:1500]
    assert "Eligible once the missing items are completed" in row and "Expected from" not in row


def test_the_cancel_button_is_offered_only_to_the_applying_unit(app, ready, client):
    a = ready.people["a"]
    login(client, ready.users["clerk_a"])
    assert apply_for(client, a).status_code == 302
    application = db.session.scalar(select(HonorCardApplication))
    cancel_url = f"/honor-cards/applications/{application.id}/cancel"
    assert cancel_url in client.get("/honor-cards/applications").get_data(as_text=True)
    county = login(app.test_client(), ready.users["county_tpe"])
    assert cancel_url not in county.get("/honor-cards/applications").get_data(as_text=True)
