"""The authorities' and staff's pages run a fixed number of queries whatever the number of units, volunteers
and rows: completeness at every level, the staff home page, the documents register, the training lists,
the record-book lists and the accounts list. Each page is measured, the data grows (more units, people,
training, documents, cases, requests in every scope), and the page is measured again."""
import secrets
from datetime import date, timedelta

import pytest

from portal.documents.models import Document
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.records.models import RecordBookRequest
from portal.training.models import LostCertificateCase, TrainingRecord
from tests.conftest import count_queries, login


def add_rows(unit, people):
    """Rows of every list for these people of the unit: training, a lost-certificate case, a document, a
    waiting record-book request."""
    today = today_taipei()
    for i, person in enumerate(people):
        db.session.add_all([
            TrainingRecord(person_id=person.id, unit_id=unit.id, kind="basic", status="pending",
                           course_name="基礎訓練", completed_on=today - timedelta(days=30)),
            LostCertificateCase(person_id=person.id, unit_id=unit.id, kind="basic", field_code=None),
            Document(kind="performance", language="zh", person_id=person.id, unit_id=unit.id,
                     token=secrets.token_urlsafe(24), short_code=secrets.token_hex(5).upper(), issued_on=today),
            RecordBookRequest(person_id=person.id, unit_id=unit.id, kind="first", status="pending",
                              requested_on=today - timedelta(days=i)),
        ])
    db.session.commit()


def grow(world, make_unit, make_person, units: int, per_unit: int):
    for n in range(units):
        for county, field_code in (("TPE", "social"), ("TPE", "education"), ("KHH", "social")):
            unit = make_unit(county, field_code)
            people = make_person.many([{"units": [unit], "name": f"志工{county}{n}-{i}"} for i in range(per_unit)])
            add_rows(unit, people)
    for key in ("A", "B"):
        extra = make_person.many([{"units": [world.units[key]], "name": f"新志工{key}{i}"}
                                   for i in range(per_unit * 3)])
        add_rows(world.units[key], extra)


PAGES = [
    ("clerk_a", "/records/completeness"), ("clerk_a", "/records/completeness?incomplete=y"),
    ("county_tpe", "/records/completeness"), ("county_tpe", "/records/completeness?unit={A}"),
    ("sector_local", "/records/completeness"), ("sector_central", "/records/completeness"),
    ("ministry", "/records/completeness"), ("ministry", "/records/completeness?county=TPE"),
    ("clerk_a", "/"), ("county_tpe", "/"), ("sector_central", "/"), ("ministry", "/"),
    ("clerk_a", "/documents/"), ("county_tpe", "/documents/"), ("ministry", "/documents/"),
    ("clerk_a", "/training/"), ("county_tpe", "/training/"), ("ministry", "/training/"),
    ("clerk_a", "/training/missing"), ("county_tpe", "/training/missing"), ("ministry", "/training/missing"),
    ("clerk_a", "/training/lost/"), ("county_tpe", "/training/lost/"), ("ministry", "/training/lost/"),
    ("clerk_a", "/records/"), ("county_tpe", "/records/"), ("ministry", "/records/"),
    ("admin", "/admin/users"),
]
# No page of this list needs more (the session's user and scope, the page's own few queries).
MAX_QUERIES = 12


def measure(world, client):
    counts = {}
    for who, path in PAGES:
        url = path.format(A=world.units["A"].id)
        login(client, world.users[who])
        with count_queries() as seen:
            response = client.get(url)
        assert response.status_code == 200, (who, url)
        counts[(who, url)] = len(seen)
    return counts


def test_every_page_runs_the_same_few_queries_at_any_size(world, client, make_unit, make_person):
    add_rows(world.units["A"], [world.people["a"], world.people["shared"]])
    add_rows(world.units["C"], [world.people["canary"]])
    small = measure(world, client)
    grow(world, make_unit, make_person, units=4, per_unit=3)
    large = measure(world, client)
    assert large == small
    assert max(large.values()) <= MAX_QUERIES, {k: v for k, v in large.items() if v > MAX_QUERIES}


@pytest.mark.parametrize("who", ["clerk_a", "county_tpe", "sector_local", "sector_central", "ministry"])
def test_the_home_page_counts_the_volunteers_serving_in_the_scope_once_each(world, client, who):
    from sqlalchemy import func, select

    from portal.registry.models import Membership
    from portal.registry.scopes import membership_scope
    user = world.users[who]
    expected = db.session.scalar(select(func.count(func.distinct(Membership.person_id)))
                                 .where(membership_scope(user), Membership.is_current))
    login(client, user)
    page = client.get("/").get_data(as_text=True)
    assert f'<span class="card-number">{expected}</span>' in page
    assert expected >= 1 and (who != "county_tpe" or expected == 3)   # 甲, 乙 and 共同 (in two units: once)


def test_the_ministry_sees_one_row_per_county_and_opens_a_county(world, client):
    login(client, world.users["ministry"])
    page = client.get("/records/completeness").get_data(as_text=True)
    assert "臺北市" in page and "高雄市" in page and "臺北甲協會" not in page
    county = client.get("/records/completeness?county=TPE").get_data(as_text=True)
    assert "臺北甲協會" in county and "臺北乙國小" in county and "高雄丙據點" not in county
    assert client.get("/records/completeness?county=XXX").status_code == 404


def test_a_county_pages_through_its_units_and_a_unit_through_its_volunteers(world, client, make_unit, make_person,
                                                                           monkeypatch):
    from portal.records import completeness_views
    monkeypatch.setattr(completeness_views, "PER_PAGE", 2)
    extra = make_unit("TPE", "social", code="TPE-Z", name="臺北丁會")
    login(client, world.users["county_tpe"])
    first = client.get("/records/completeness").get_data(as_text=True)
    assert "臺北甲協會" in first and "臺北乙國小" in first and "臺北丁會" not in first and 'rel="next"' in first
    import re
    following = re.search(r'href="(/records/completeness\?cursor=[^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(following).get_data(as_text=True)
    assert "臺北丁會" in second and "臺北甲協會" not in second
    for i in range(3):
        make_person([extra], name=f"丁{i}")
    login(client, world.users["county_tpe"])
    unit_page = client.get(f"/records/completeness?unit={extra.id}").get_data(as_text=True)
    assert "丁0" in unit_page and "丁1" in unit_page and "丁2" not in unit_page
    assert date.today()   # the unit page reads only the summaries (the query bound above)
