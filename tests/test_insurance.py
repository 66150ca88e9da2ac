"""Minimal insurance: policies of a unit or county, enrolment with the insurers' age caps, cover on a day."""
from datetime import date, timedelta

from sqlalchemy import select

from portal.insurance.facts import cover_of, insurers
from portal.insurance.models import InsuranceEnrolment, InsurancePolicy
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.registry.models import Membership
from tests.conftest import login


def is_insured(person_id: int, day: date) -> bool:
    return bool(cover_of(person_id, day))

TODAY = today_taipei()          # the portal's today (Asia/Taipei), not the machine's date
YEAR_START, YEAR_END = date(TODAY.year, 1, 1), date(TODAY.year, 12, 31)


def policy_form(insurer="shinkong", number="SK-114-001", start=YEAR_START, end=YEAR_END):
    return {"insurer_code": insurer, "policy_no": number, "starts_on": start.isoformat(), "ends_on": end.isoformat(),
            "cover_note": "身故失能 100 萬"}


def membership_of(person, unit):
    return db.session.scalar(select(Membership.id).where(Membership.person_id == person.id,
                                                         Membership.unit_id == unit.id))


def new_policy(client, **kw) -> InsurancePolicy:
    response = client.post("/insurance/policies/new", data=policy_form(**kw))
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(select(InsurancePolicy).order_by(InsurancePolicy.id.desc()))


def test_defaults_are_shinkong_75_and_first_80(app):
    caps = {i.code: i.max_age for i in insurers()}
    assert caps == {"shinkong": 75, "first": 80}


def test_a_unit_records_a_policy_and_enrols_its_volunteers(world, client):
    login(client, world.users["clerk_a"])
    policy = new_policy(client)
    assert policy.unit_id == world.units["A"].id and policy.insurer_name == "新光人壽"
    page = client.get(f"/insurance/policies/{policy.id}").get_data(as_text=True)
    assert "甲志工" in page and "共同志工" in page and "乙志工" not in page
    a = world.people["a"]
    response = client.post(f"/insurance/policies/{policy.id}/enrol",
                           data={"members": [membership_of(a, world.units["A"])],
                                 "starts_on": YEAR_START.isoformat()})
    assert response.status_code == 302
    enrolment = db.session.scalar(select(InsuranceEnrolment))
    assert (enrolment.person_id, enrolment.unit_id, enrolment.ends_on) == (a.id, world.units["A"].id, YEAR_END)
    assert is_insured(a.id, TODAY) and not is_insured(a.id, YEAR_END + timedelta(days=1))
    assert not is_insured(world.people["shared"].id, TODAY)
    assert "insurance.enrol" in db.session.scalars(select(AuditLog.action)).all()


def test_the_age_cap_refuses_at_or_above_it_and_explains_the_county_route(world, client, make_person):
    # On the first day of cover, 31 December of this year, whatever today is: 75, and 74 that very day.
    old = make_person([world.units["A"]], name="高齡志工", birth_date=date(TODAY.year - 75, 1, 1))
    young = make_person([world.units["A"]], name="年輕志工", birth_date=date(TODAY.year - 74, 12, 31))
    login(client, world.users["clerk_a"])
    client.post("/language", data={"lang": "en"})
    policy = new_policy(client, start=date(TODAY.year, 1, 1))
    starts = date(TODAY.year, 12, 31)
    response = client.post(f"/insurance/policies/{policy.id}/enrol", data={
        "members": [membership_of(old, world.units["A"]), membership_of(young, world.units["A"])],
        "starts_on": starts.isoformat()})
    page = response.get_data(as_text=True)
    assert "高齡志工 is 75" in page and "below the age of 75" in page
    assert "insured through the county authority" in page and "Taipei City" in page
    enrolled = {e.person_id for e in db.session.scalars(select(InsuranceEnrolment))}
    assert enrolled == {young.id}


def test_first_insurance_takes_the_same_volunteer_up_to_79(world, client, make_person):
    person = make_person([world.units["A"]], name="七十六歲志工", birth_date=date(TODAY.year - 77, 1, 1))
    too_old = make_person([world.units["A"]], name="八十歲志工", birth_date=date(TODAY.year - 81, 1, 1))
    login(client, world.users["clerk_a"])
    policy = new_policy(client, insurer="first", number="FI-1")
    client.post(f"/insurance/policies/{policy.id}/enrol", data={
        "members": [membership_of(person, world.units["A"]), membership_of(too_old, world.units["A"])],
        "starts_on": YEAR_START.isoformat()})
    assert {e.person_id for e in db.session.scalars(select(InsuranceEnrolment))} == {person.id}


def test_no_birth_date_means_the_cap_cannot_be_checked(world, client, make_person):
    person = make_person([world.units["A"]], name="無生日志工", birth_date=None)
    login(client, world.users["clerk_a"])
    policy = new_policy(client)
    response = client.post(f"/insurance/policies/{policy.id}/enrol", data={
        "members": [membership_of(person, world.units["A"])], "starts_on": YEAR_START.isoformat()})
    assert response.status_code == 422
    assert db.session.scalar(select(InsuranceEnrolment)) is None


def test_the_ministry_changes_a_cap_and_units_cannot(world, client, make_person):
    login(client, world.users["clerk_a"])
    assert client.get("/insurance/insurers").status_code == 403
    login(client, world.users["ministry"])
    response = client.post("/insurance/insurers", data={"code": "shinkong", "name": "新光人壽",
                                                        "name_en": "Shin Kong Life", "max_age": "80"})
    assert response.status_code == 302
    assert {i.code: i.max_age for i in insurers()}["shinkong"] == 80
    person = make_person([world.units["A"]], name="七十七歲志工", birth_date=date(TODAY.year - 78, 1, 1))
    login(client, world.users["clerk_a"])
    policy = new_policy(client)
    client.post(f"/insurance/policies/{policy.id}/enrol", data={
        "members": [membership_of(person, world.units["A"])], "starts_on": YEAR_START.isoformat()})
    assert is_insured(person.id, YEAR_START)


def test_a_county_policy_covers_volunteers_of_its_units(world, client, make_person):
    person = make_person([world.units["B"]], name="縣府投保志工", birth_date=date(TODAY.year - 78, 1, 1))
    login(client, world.users["county_tpe"])
    policy = new_policy(client, insurer="first", number="TPE-COUNTY-1")
    assert policy.authority_id == world.users["county_tpe"].authority_id and policy.unit_id is None
    page = client.get(f"/insurance/policies/{policy.id}").get_data(as_text=True)
    assert "縣府投保志工" in page and "金絲雀" not in page
    client.post(f"/insurance/policies/{policy.id}/enrol", data={
        "members": [membership_of(person, world.units["B"])], "starts_on": YEAR_START.isoformat()})
    assert cover_of(person.id, TODAY)[0].unit_id == world.units["B"].id
    login(client, world.users["county_khh"])
    assert client.get(f"/insurance/policies/{policy.id}").status_code == 404


def test_ending_cover_keeps_the_record(world, client):
    login(client, world.users["clerk_a"])
    policy = new_policy(client)
    a = world.people["a"]
    client.post(f"/insurance/policies/{policy.id}/enrol",
                data={"members": [membership_of(a, world.units["A"])], "starts_on": YEAR_START.isoformat()})
    enrolment = db.session.scalar(select(InsuranceEnrolment))
    response = client.post(f"/insurance/enrolments/{enrolment.id}/end",
                           data={"ends_on": YEAR_START.isoformat(), "reason": "退出志工隊",
                                 "version": enrolment.version})
    assert response.status_code == 200 and "不再由此保單承保" in response.get_data(as_text=True)
    assert db.session.get(InsuranceEnrolment, enrolment.id).ends_on != YEAR_START
    response = client.post(f"/insurance/enrolments/{enrolment.id}/end",
                           data={"ends_on": YEAR_START.isoformat(), "reason": "退出志工隊",
                                 "version": enrolment.version, "confirm": "1"})
    assert response.status_code == 302
    ended = db.session.get(InsuranceEnrolment, enrolment.id)
    assert ended.ends_on == YEAR_START and ended.end_reason == "退出志工隊" and ended.status == "active"
    assert is_insured(a.id, YEAR_START) and not is_insured(a.id, YEAR_START + timedelta(days=1))
    assert client.post(f"/insurance/enrolments/{enrolment.id}/end",
                       data={"ends_on": YEAR_START.isoformat(), "reason": "x", "version": 99}).status_code == 409


def test_the_insurance_page_counts_who_is_insured_today(world, client):
    login(client, world.users["clerk_a"])
    policy = new_policy(client)
    client.post(f"/insurance/policies/{policy.id}/enrol", data={
        "members": [membership_of(world.people["a"], world.units["A"])], "starts_on": YEAR_START.isoformat()})
    client.post("/language", data={"lang": "en"})
    page = client.get("/insurance/").get_data(as_text=True)
    assert "of 2 current volunteers insured today" in page and "SK-114-001" in page
    assert "/volunteers/?insured=no" in page


def test_policy_dates_are_checked(world, client):
    login(client, world.users["clerk_a"])
    response = client.post("/insurance/policies/new", data=policy_form(start=YEAR_END, end=YEAR_START))
    assert response.status_code == 422
    assert db.session.scalar(select(InsurancePolicy)) is None
