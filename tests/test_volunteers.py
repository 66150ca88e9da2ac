"""The volunteer registry: roster with the unit column, filters, export, add/edit, memberships."""
import csv
import io
import json
import re
from datetime import date

import pytest
from sqlalchemy import select

from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.registry.models import Membership, Person
from tests.conftest import login

NEW = {"name": "林美玲", "name_latin": "LIN, MEI-LING", "id_kind": "taiwan", "id_number": "A123456789",
       "sex": "F", "birth_date": "76/04/05", "phone": "0912-345-678", "email": "mei@example.org",
       "address": "臺北市萬華區", "field_code": "social", "joined_on": "114/03/05", "status": "active"}


def audit_actions(obj_type=None):
    query = select(AuditLog.action)
    if obj_type:
        query = query.where(AuditLog.object_type == obj_type)
    return list(db.session.scalars(query.order_by(AuditLog.id)))


def test_roster_has_a_unit_column_and_only_scope_rows(world, client):
    login(client, world.users["county_tpe"])
    page = client.get("/volunteers/").get_data(as_text=True)
    assert "臺北甲協會" in page and "臺北乙國小" in page and "金絲雀" not in page
    assert page.count("共同志工") == 2          # one row per unit the person serves
    assert world.people["a"].masked_id in page and world.people["a"].id_number not in page


@pytest.mark.parametrize("query,shown,hidden", [
    ({"unit": "B"}, "乙志工", "甲志工"),
    ({"field": "education"}, "乙志工", "甲志工"),
    ({"q": "甲"}, "甲志工", "乙志工"),
])
def test_roster_filters(world, client, query, shown, hidden):
    login(client, world.users["county_tpe"])
    if "unit" in query:
        query = {"unit": world.units[query["unit"]].id}
    page = client.get("/volunteers/", query_string=query).get_data(as_text=True)
    assert shown in page and hidden not in page


def test_filter_by_status_and_id_prefix(world, client):
    membership = world.people["a"].memberships[0]
    membership.status = "paused"
    db.session.commit()
    login(client, world.users["clerk_a"])
    page = client.get("/volunteers/", query_string={"status": "paused"}).get_data(as_text=True)
    assert "甲志工" in page and "共同志工" not in page
    page = client.get("/volunteers/", query_string={"q": world.people["a"].id_number[:5].lower()}).get_data(as_text=True)
    assert "甲志工" in page


def test_a_unit_filter_outside_scope_shows_nothing_extra(world, client):
    login(client, world.users["clerk_a"])
    page = client.get("/volunteers/", query_string={"unit": world.units["C"].id}).get_data(as_text=True)
    assert "金絲雀" not in page


def test_htmx_request_gets_only_the_results_fragment(world, client):
    login(client, world.users["clerk_a"])
    fragment = client.get("/volunteers/?q=甲", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "甲志工" in body
    assert "HX-Request" in fragment.headers["Vary"]
    boosted = client.get("/volunteers/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_pagination(world, client, make_person):
    for i in range(30):
        make_person([world.units["A"]], name=f"頁志工{i:02d}")
    login(client, world.users["clerk_a"])
    first = client.get("/volunteers/").get_data(as_text=True)
    cursor = re.search(r'href="/volunteers/\?cursor=([^"&]+)"[^>]*rel="next"', first).group(1)
    second = client.get(f"/volunteers/?cursor={cursor}").get_data(as_text=True)
    assert "頁志工" in second and 'rel="prev"' in second and "第 2 頁，共 2 頁" in second
    assert "共 32 筆服務資料" in first and "第 1 頁，共 2 頁" in first
    assert client.get("/volunteers/?page=99").status_code == 200
    assert client.get("/volunteers/?cursor=tampered.value").status_code == 200


def test_export_is_masked_scoped_excel_safe_and_logged(world, client, make_person):
    make_person([world.units["A"]], name="=HYPERLINK(\"http://x\")")
    login(client, world.users["clerk_a"])
    response = client.get("/volunteers/export.csv")
    assert response.headers["Content-Disposition"].startswith("attachment")
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    names = [r[2] for r in rows[1:]]
    assert "甲志工" in names and "乙志工" not in names and "金絲雀" not in names
    assert "'=HYPERLINK(\"http://x\")" in names
    assert world.people["a"].id_number not in raw.decode("utf-8-sig")
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "roster.export"))
    assert json.loads(row.detail)["rows"] == len(rows) - 1


def test_register_a_new_volunteer(world, client):
    login(client, world.users["clerk_a"])
    response = client.post("/volunteers/new", data=NEW)
    assert response.status_code == 302
    person = db.session.scalar(select(Person).where(Person.id_number == "A123456789"))
    assert person.birth_date == date(1987, 4, 5) and person.name_latin == "LIN, MEI-LING"
    assert [(m.unit_id, m.joined_on) for m in person.memberships] == [(world.units["A"].id, date(2025, 3, 5))]
    assert audit_actions() [-2:] == ["person.create", "membership.create"]
    detail = db.session.scalar(select(AuditLog.detail).where(AuditLog.action == "person.create"))
    assert "A123456789" not in detail and "A12345****" in detail


@pytest.mark.parametrize("lang,checksum_message", [
    ("en", "The check digit does not match"),
    ("zh_TW", "檢查碼不符"),
])
def test_a_bad_checksum_gets_a_field_message_in_both_languages(world, client, lang, checksum_message):
    login(client, world.users["clerk_a"])
    with client.session_transaction() as sess:
        sess["lang"] = lang
    world.users["clerk_a"].locale = lang
    db.session.commit()
    response = client.post("/volunteers/new", data=NEW | {"id_number": "A123456788"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert checksum_message in body and 'aria-invalid="true"' in body
    assert db.session.scalar(select(Person).where(Person.id_number == "A123456788")) is None


def test_someone_already_registered_elsewhere_joins_without_overwriting(world, client):
    login(client, world.users["clerk_b"])
    existing = world.people["a"]
    response = client.post("/volunteers/new", data=NEW | {"id_number": existing.id_number, "name": "改名",
                                                          "field_code": "education"})
    assert response.status_code == 302
    db.session.expire_all()
    assert existing.name == "甲志工"
    assert {m.unit_id for m in existing.memberships} == {world.units["A"].id, world.units["B"].id}


def test_the_same_person_twice_in_one_unit_is_refused(world, client):
    login(client, world.users["clerk_a"])
    response = client.post("/volunteers/new", data=NEW | {"id_number": world.people["a"].id_number})
    assert response.status_code == 422


def test_edit_reveals_the_id_only_to_own_unit_and_logs_it(world, client):
    person = world.people["a"]
    login(client, world.users["clerk_a"])
    page = client.get(f"/volunteers/{person.id}/edit").get_data(as_text=True)
    assert person.id_number in page
    assert "person.reveal_id" in audit_actions("Person")
    assert person.id_number not in client.get(f"/volunteers/{person.id}").get_data(as_text=True)
    login(client, world.users["clerk_b"])
    assert client.get(f"/volunteers/{person.id}/edit").status_code == 404


def test_edit_saves_and_audits_old_and_new_values(world, client):
    person = world.people["a"]
    login(client, world.users["clerk_a"])
    data = NEW | {"name": "甲志工改", "id_number": person.id_number, "version": person.version}
    assert client.post(f"/volunteers/{person.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert person.name == "甲志工改"
    detail = json.loads(db.session.scalar(select(AuditLog.detail).where(AuditLog.action == "person.update")))
    assert detail["name"] == ["甲志工", "甲志工改"]


def test_concurrent_edits_never_overwrite_silently(world, client):
    person = world.people["a"]
    login(client, world.users["clerk_a"])
    stale = person.version
    first = NEW | {"name": "第一位", "id_number": person.id_number, "version": stale}
    second = NEW | {"name": "第二位", "id_number": person.id_number, "version": stale}
    assert client.post(f"/volunteers/{person.id}/edit", data=first).status_code == 302
    assert client.post(f"/volunteers/{person.id}/edit", data=second).status_code == 409
    db.session.expire_all()
    assert person.name == "第一位"


def test_changing_the_id_to_another_persons_is_refused(world, client):
    person = world.people["a"]
    login(client, world.users["clerk_a"])
    data = NEW | {"id_number": world.people["shared"].id_number, "version": person.version}
    assert client.post(f"/volunteers/{person.id}/edit", data=data).status_code == 422


def test_add_and_end_membership(world, client):
    person = world.people["a"]
    login(client, world.users["clerk_a"])
    client.post(f"/volunteers/{person.id}/memberships", data={"field_code": "health", "joined_on": "2024-01-01",
                                                              "status": "active"})
    added = db.session.scalar(select(Membership).where(Membership.person_id == person.id,
                                                       Membership.field_code == "health"))
    assert added is not None and added.unit_id == world.units["A"].id
    too_early = client.post(f"/volunteers/memberships/{added.id}/end",
                            data={"left_on": "2023-12-31", "version": added.version})
    assert too_early.status_code == 302
    db.session.expire_all()
    assert added.status == "active"
    client.post(f"/volunteers/memberships/{added.id}/end", data={"left_on": "2025-06-30", "version": added.version,
                                                                 "confirm": "1"})
    db.session.expire_all()
    assert (added.status, added.left_on) == ("left", date(2025, 6, 30))
    assert db.session.get(Membership, added.id) is not None          # ended, never deleted
    assert "membership.end" in audit_actions()


def test_ending_with_a_stale_version_is_a_conflict(world, client):
    membership = world.people["a"].memberships[0]
    login(client, world.users["clerk_a"])
    response = client.post(f"/volunteers/memberships/{membership.id}/end",
                           data={"left_on": "2025-06-30", "version": membership.version + 1})
    assert response.status_code == 409


@pytest.mark.parametrize("text,expected", [
    ("A123456789", "The ID number is valid."),
    ("a123456788", "The check digit does not match"),
    ("A12", "Use 1 letter and 9 digits"),
])
def test_live_id_check(world, client, text, expected):
    world.users["clerk_a"].locale = "en"
    db.session.commit()
    login(client, world.users["clerk_a"])
    response = client.post("/volunteers/check-id", data={"id_kind": "taiwan", "id_number": text},
                           headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert expected in body and "<html" not in body


HOSTILE = ["", "   ", "x" * 61, "x" * 600, "<script>alert(1)</script>", '"><svg onload=alert(1)>',
           "<div hx-get=/logout hx-trigger=load>", "\u202egnp.exe", "王\u200d小明", "😀志工", "𠀋𠀌𠀍",
           "\x00null", "line\r\nbreak", "=1+1", "'; DROP TABLE people; --", "１２３", "\ue000私用",
           "NaN", "1e309", "-0", "114/02/30", "2999-01-01", "\t"]


@pytest.mark.parametrize("field", ["name", "name_latin", "id_number", "birth_date", "phone", "email", "address",
                                   "joined_on", "sex", "id_kind", "field_code", "status"])
def test_hostile_input_never_breaks_the_form(world, client, field):
    login(client, world.users["clerk_a"])
    for value in HOSTILE:
        response = client.post("/volunteers/new", data=NEW | {field: value, "id_number": NEW["id_number"]
                                                              if field != "id_number" else value})
        assert response.status_code in (302, 422), (field, value)
        body = response.get_data(as_text=True)
        assert "<script>alert(1)</script>" not in body and "<svg onload" not in body
        assert "<div hx-get=/logout" not in body
        person = db.session.scalar(select(Person).where(Person.id_number == "A123456789"))
        if person is not None:
            page = client.get(f"/volunteers/{person.id}").get_data(as_text=True)
            assert "<script>alert(1)</script>" not in page and "<div hx-get=/logout" not in page
            for m in person.memberships:
                db.session.delete(m)
            db.session.delete(person)
            db.session.commit()


def test_cjk_extension_b_names_are_kept(world, client):
    login(client, world.users["clerk_a"])
    assert client.post("/volunteers/new", data=NEW | {"name": "𠀋美玲"}).status_code == 302
    person = db.session.scalar(select(Person).where(Person.id_number == "A123456789"))
    assert person.name == "𠀋美玲"
    assert "𠀋美玲" in client.get(f"/volunteers/{person.id}").get_data(as_text=True)


def test_units_list_and_detail(world, client):
    login(client, world.users["county_tpe"])
    page = client.get("/units/").get_data(as_text=True)
    assert "臺北甲協會" in page and "高雄丙據點" not in page
    assert "臺北甲協會" in client.get(f"/units/{world.units['A'].id}").get_data(as_text=True)
