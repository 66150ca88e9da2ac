"""The volunteer's own record (home page): only their own data, across every unit they serve."""
from datetime import date

from sqlalchemy import select

from portal.hours.models import HourChange, HourEntry
from portal.platform.extensions import db
from portal.records.operations import issued_record_book
from portal.registry.models import Person
from tests.conftest import login
from tests.test_records import issue_for, make_ready


def entry(person, unit, day, half, field_code=None, content="", user=None):
    e = HourEntry(person_id=person.id, unit_id=unit.id, start_on=day, end_on=day, half_hours=half,
                  field_code=field_code or unit.field_code, content=content,
                  entered_by_id=user.id if user else None)
    db.session.add(e)
    db.session.commit()
    return e


def shared_volunteer(world, make_user):
    """The world's shared volunteer (units A and B) with an account and entries in both units."""
    person = world.people["shared"]
    user = make_user("volunteer.shared", "volunteer", person_id=person.id)
    entry(person, world.units["A"], date(2024, 5, 1), 2468, "social", "社區關懷", world.users["clerk_a"])
    entry(person, world.units["B"], date(2025, 3, 2), 6, "education", "課後陪讀", world.users["clerk_b"])
    entry(world.people["a"], world.units["A"], date(2025, 3, 2), 8, "social", "別人的服務")
    return person, user


def english(client):
    client.post("/language", data={"lang": "en"})


def test_the_volunteer_sees_only_their_own_data_across_all_units(world, client, make_user):
    person, user = shared_volunteer(world, make_user)
    login(client, user)
    english(client)
    page = client.get("/").get_data(as_text=True)
    assert "共同志工" in page
    assert "Test Unit 1" in page and "Test Unit 2" in page and "Test Unit 3" not in page   # units A and B, not C
    assert "1,237" in page                                      # 1,234 + 3 hours in all units
    assert "甲志工" not in page and "乙志工" not in page and "金絲雀" not in page and "別人的服務" not in page
    assert world.people["a"].id_number[:6] not in page and person.masked_id in page
    assert person.id_number not in page
    # another person's objects stay out of reach
    other = db.session.scalar(select(HourEntry).where(HourEntry.person_id == world.people["a"].id))
    assert client.get(f"/hours/{other.id}").status_code == 404
    assert client.get(f"/volunteers/{world.people['a'].id}/photo").status_code == 404


def test_totals_on_the_hours_page_and_who_entered_each_entry_when_asked(world, client, make_user):
    person, user = shared_volunteer(world, make_user)
    e = db.session.scalar(select(HourEntry).where(HourEntry.person_id == person.id, HourEntry.half_hours == 6))
    db.session.add(HourChange(entry_id=e.id, action="correct", actor_id=world.users["supervisor_a"].id,
                              reason="打錯時數", before='{"half_hours": 8}', after='{"half_hours": 6}'))
    db.session.commit()
    login(client, user)
    english(client)
    home = client.get("/").get_data(as_text=True)
    assert "clerk.a (Unit clerk)" not in home and 'hx-trigger="toggle once"' in home   # the entries load when opened
    hours = client.get("/hours/").get_data(as_text=True)
    assert "By unit" in hours and "By service field" in hours and "By year" in hours
    entries = client.get("/?page=1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "clerk.a (Unit clerk)" in entries and "clerk.b (Unit clerk)" in entries
    assert "Corrected · supervisor.a" in entries and "打錯時數" in entries and "4 → 3" in entries


def test_award_tiers_honor_card_and_insurance_in_plain_words(world, client, make_user):
    person, user = shared_volunteer(world, make_user)
    login(client, user)
    english(client)
    page = client.get("/").get_data(as_text=True)
    assert "1,234 of 1,500 h toward the bronze badge (銅質徽章): 266 h to go." in page   # health and welfare
    assert "1,237 of 3,000 h toward the bronze medal (銅牌)" in page                     # general
    assert "You are not insured today" in page
    assert "of 300 hours counted." in page
    assert "Upload an ID photo" in page


def test_next_steps_follow_the_record(world, client, make_user):
    person, user = shared_volunteer(world, make_user)
    make_ready(person)
    login(client, user)
    english(client)
    assert "Everything for your record book is ready" in client.get("/").get_data(as_text=True)
    issue_for(world, client, person)
    login(client, user)
    page = client.get("/").get_data(as_text=True)
    book = issued_record_book(person.id)
    assert book.number in page and "Everything for your record book" not in page


def test_the_volunteer_edits_contact_details_and_latin_name_only(world, client):
    person = world.people["a"]
    login(client, world.users["volunteer"])
    form = client.get("/volunteers/me/contact").get_data(as_text=True)
    assert 'name="phone"' in form and 'name="id_number"' not in form and 'name="name"' not in form
    response = client.post("/volunteers/me/contact", data={
        "name_latin": "CHIA, CHIH-KUNG", "phone": "0912-000-111", "email": "me@example.org", "address": "臺北市",
        "name": "改名", "id_number": "A123456789", "version": person.version})
    assert response.status_code == 302
    saved = db.session.get(Person, person.id)
    assert (saved.name_latin, saved.phone, saved.name) == ("CHIA, CHIH-KUNG", "0912-000-111", "甲志工")
    assert client.post("/volunteers/me/contact", data={"name_latin": "王", "version": saved.version}).status_code == 422
    assert client.post("/volunteers/me/contact", data={"phone": "0912-000-222", "version": 1}).status_code == 409


def test_entries_are_paged_with_htmx(world, client, make_user):
    person, user = shared_volunteer(world, make_user)
    for day in range(1, 29):
        entry(person, world.units["A"], date(2023, 2, day), 2)
    login(client, user)
    assert "page=2" not in client.get("/").get_data(as_text=True)      # read only when asked for
    assert "page=2" in client.get("/?page=1").get_data(as_text=True)   # without JavaScript: the whole page
    fragment = client.get("/?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "<table" in fragment


def test_staff_do_not_get_the_volunteer_pages(world, client):
    login(client, world.users["clerk_a"])
    assert client.get("/volunteers/me/contact").status_code == 403
    assert client.get("/records/mine").status_code == 403
