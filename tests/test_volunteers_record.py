"""The unified volunteer view: roster columns and filters (training, record book, insured, hours this year)
in one query per page, export, sections loaded with htmx, and the ID photo accepted by the unit."""
import csv
import io
from contextlib import contextmanager
from datetime import date

from PIL import Image
from sqlalchemy import event
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from portal.hours.models import HourEntry
from portal.insurance.models import InsuranceEnrolment, InsurancePolicy
from portal.platform import uploads
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.registry.models import Person
from tests.conftest import login
from tests.test_records import issue_for, make_ready

TODAY = today_taipei()          # the portal's today (Asia/Taipei), not the machine's date
HX = {"HX-Request": "true"}


@contextmanager
def count_queries():
    """SELECT/INSERT/UPDATE statements sent to the database (transaction control left out)."""
    counter = {"n": 0}

    def listener(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            counter["n"] += 1
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def insure(person, unit):
    policy = InsurancePolicy(unit_id=unit.id, insurer_code="first", insurer_name="第一產物保險", policy_no="P-1",
                             starts_on=date(TODAY.year, 1, 1), ends_on=date(TODAY.year, 12, 31))
    db.session.add_all([policy, InsuranceEnrolment(policy=policy, person_id=person.id, unit_id=unit.id,
                                                   starts_on=policy.starts_on, ends_on=policy.ends_on)])
    db.session.commit()


def roster_names(client, **query) -> set[str]:
    body = client.get("/volunteers/export.csv", query_string=query).get_data().decode("utf-8-sig")
    return {row[2] for row in list(csv.reader(io.StringIO(body)))[1:]}


def test_roster_filters_insured_no_and_record_book_none_and_exports_them(world, client):
    a, shared = world.people["a"], world.people["shared"]
    make_ready(a)
    issue_for(world, client, a)
    insure(a, world.units["A"])
    insure(shared, world.units["B"])    # insured for unit B's service only
    login(client, world.users["clerk_a"])
    assert roster_names(client, insured="no") == {"共同志工"}
    assert roster_names(client, insured="yes") == {"甲志工"}
    assert roster_names(client, book="no") == {"共同志工"}
    assert roster_names(client, book="yes", training="yes") == {"甲志工"}
    page = client.get("/volunteers/", query_string={"insured": "no"}, headers=HX).get_data(as_text=True)
    assert "共同志工" in page and "甲志工" not in page
    body = client.get("/volunteers/export.csv", query_string={"insured": "no", "book": "no"}).get_data()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][-4:] == ["訓練完成？", "紀錄冊？", "今日有保險？", "今年時數"]
    assert [r[2] for r in rows[1:]] == ["共同志工"]
    # the county sees the same person insured in unit B's row
    login(client, world.users["county_tpe"])
    rows = list(csv.reader(io.StringIO(client.get("/volunteers/export.csv").get_data().decode("utf-8-sig"))))
    shared_rows = {r[0]: r for r in rows[1:] if r[2] == "共同志工"}
    assert shared_rows["TPE-A"][11] != shared_rows["TPE-B"][11]


def test_roster_shows_hours_this_year_in_the_unit(world, client):
    a = world.people["shared"]
    db.session.add_all([
        HourEntry(person_id=a.id, unit_id=world.units["A"].id, start_on=date(TODAY.year, 1, 2),
                  end_on=date(TODAY.year, 1, 2), half_hours=7, field_code="social"),
        HourEntry(person_id=a.id, unit_id=world.units["A"].id, start_on=date(TODAY.year - 1, 5, 2),
                  end_on=date(TODAY.year - 1, 5, 2), half_hours=20, field_code="social"),
        HourEntry(person_id=a.id, unit_id=world.units["B"].id, start_on=date(TODAY.year, 1, 3),
                  end_on=date(TODAY.year, 1, 3), half_hours=10, field_code="education")])
    db.session.commit()
    login(client, world.users["clerk_a"])
    client.post("/language", data={"lang": "en"})
    rows = list(csv.reader(io.StringIO(client.get("/volunteers/export.csv").get_data().decode("utf-8-sig"))))
    assert {r[2]: r[-1] for r in rows[1:]}["共同志工"] == "3.5"


def test_the_roster_page_is_one_query_whatever_the_number_of_rows(world, client, make_person):
    login(client, world.users["clerk_a"])
    client.get("/volunteers/")
    with count_queries() as few:
        client.get("/volunteers/")
    for i in range(20):
        person = make_person([world.units["A"]], name=f"多筆志工{i:02d}")
        if i % 2:
            make_ready(person)
    with count_queries() as many:
        page = client.get("/volunteers/").get_data(as_text=True)
    assert "多筆志工19" in page
    assert many["n"] == few["n"]


def test_unified_view_loads_each_section_as_a_fragment(world, client):
    person = world.people["a"]
    login(client, world.users["clerk_a"])
    page = client.get(f"/volunteers/{person.id}").get_data(as_text=True)
    for name in ("photo", "training", "record-book", "insurance", "hours", "awards", "honor-cards", "documents",
                 "completeness"):
        url = f"/volunteers/{person.id}/sections/{name}"
        assert f'hx-get="{url}"' in page and f'href="{url}"' in page
        fragment = client.get(url, headers=HX)
        assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True), name
        full = client.get(url).get_data(as_text=True)   # without JavaScript: the page with the section open
        assert "<html" in full and 'open hx-' not in full
    client.post("/language", data={"lang": "en"})
    assert "No awards recorded." in client.get(f"/volunteers/{person.id}/sections/awards", headers=HX).get_data(
        as_text=True)
    assert "not insured" in client.get(f"/volunteers/{person.id}/sections/insurance", headers=HX).get_data(
        as_text=True)


def test_a_unit_sees_another_units_hours_for_a_shared_volunteer_only_as_a_total(world, client):
    shared = world.people["shared"]
    db.session.add_all([
        HourEntry(person_id=shared.id, unit_id=world.units["A"].id, start_on=date(2025, 2, 3), end_on=date(2025, 2, 3),
                  half_hours=4, field_code="social", content="甲的服務"),
        HourEntry(person_id=shared.id, unit_id=world.units["B"].id, start_on=date(2025, 2, 4), end_on=date(2025, 2, 4),
                  half_hours=6, field_code="education", content="乙的服務")])
    db.session.commit()
    login(client, world.users["clerk_a"])
    fragment = client.get(f"/volunteers/{shared.id}/sections/hours", headers=HX).get_data(as_text=True)
    assert "臺北乙國小" in fragment                        # B's total per unit
    assert "2025-02-04" not in fragment and "114/02/04" not in fragment     # never B's rows
    assert "114/02/03" in fragment or "2025-02-03" in fragment


def photo_upload(data: bytes, name="me.jpg"):
    boundary, body = encode_multipart(MultiDict([("photo", FileStorage(io.BytesIO(data), filename=name))]))
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def jpeg(size=(600, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#88aacc").save(out, "JPEG")
    return out.getvalue()


def test_volunteer_uploads_a_photo_cropped_to_one_inch_and_the_unit_accepts_it(world, client):
    person = world.people["a"]
    login(client, world.users["volunteer"])
    assert client.post("/volunteers/me/photo", **photo_upload(jpeg((600, 600)))).status_code == 302
    person = db.session.get(Person, person.id)
    assert person.photo_status == "pending" and not person.has_accepted_photo
    stored = db.session.get(uploads.StoredFile, person.photo_file_id)
    assert (stored.width, stored.height) == (428, 600) or abs(stored.width / stored.height - 5 / 7) < 0.01
    image = Image.open(io.BytesIO(client.get(f"/volunteers/{person.id}/photo").get_data()))
    assert abs(image.width / image.height - 5 / 7) < 0.01
    # another unit cannot accept it
    login(client, world.users["clerk_b"])
    assert client.post(f"/volunteers/{person.id}/photo/review",
                       data={"decision": "accept", "version": person.version}).status_code == 404
    login(client, world.users["clerk_a"])
    client.post(f"/volunteers/{person.id}/photo/review", data={"decision": "accept", "version": person.version})
    assert db.session.get(Person, person.id).has_accepted_photo


def test_a_refused_photo_tells_the_volunteer_why(world, client):
    person = world.people["a"]
    login(client, world.users["volunteer"])
    client.post("/volunteers/me/photo", **photo_upload(jpeg()))
    login(client, world.users["clerk_a"])
    version = db.session.get(Person, person.id).version
    client.post(f"/volunteers/{person.id}/photo/review", data={"decision": "refuse", "note": "", "version": version})
    assert db.session.get(Person, person.id).photo_status == "pending"
    client.post(f"/volunteers/{person.id}/photo/review",
                data={"decision": "refuse", "note": "請用正面照", "version": version})
    assert db.session.get(Person, person.id).photo_status == "none"
    login(client, world.users["volunteer"])
    assert "請用正面照" in client.get("/").get_data(as_text=True)


def test_files_that_are_not_photos_are_refused(world, client):
    login(client, world.users["volunteer"])
    client.post("/language", data={"lang": "en"})
    response = client.post("/volunteers/me/photo", **photo_upload(b"<html><script>x</script>", "me.jpg"))
    assert response.status_code == 302
    assert db.session.get(Person, world.people["a"].id).photo_file_id is None
    tiny = client.post("/volunteers/me/photo", **photo_upload(jpeg((60, 60))), follow_redirects=True)
    assert "too small" in tiny.get_data(as_text=True)


def test_the_unit_uploads_a_photo_that_counts_as_accepted(world, client):
    person = world.people["a"]
    login(client, world.users["clerk_a"])
    client.post(f"/volunteers/{person.id}/photo", **photo_upload(jpeg((500, 800))))
    assert db.session.get(Person, person.id).has_accepted_photo
    login(client, world.users["clerk_b"])
    assert client.post(f"/volunteers/{person.id}/photo", **photo_upload(jpeg())).status_code == 404


def test_the_app_starts_in_a_fresh_interpreter(tmp_path):
    """create_app() imports portal.registry.labels before the blueprints; the volunteers package must not pull the
    hours, training or records features in half-initialised (a circular import the test run would hide)."""
    import subprocess
    import sys
    from pathlib import Path
    code = ("from portal import create_app; app = create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://', "
            f"'SECRET_KEY': 'x' * 40, 'UPLOAD_DIR': {str(tmp_path)!r}}}); "
            "print(sorted(r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith('records.'))[0])")
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent.parent, timeout=60)
    assert result.returncode == 0, result.stderr
