"""My data (docs/rules/my-data.md): the volunteer's zip holds every table's rows for them and none of anyone
else's (a canary person with distinctive values in every table); it is fast for 2,000 entries; the export is
audited and shows on the page of who saw or exported their data, beside a clerk's reveal; volunteers download
their own hours as CSV."""
import csv
import io
import json
import time
import zipfile
from datetime import date, datetime, timedelta

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    insert,
    select,
)

from portal.auth.models import User
from portal.hours.models import HourEntry
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from portal.volunteers.my_data import CHILDREN, SECRETS, build, person_tables
from tests.conftest import login

MARK = {"mine": "QQA", "canary": "QQZ"}
SHARED = {"units", "users", "authorities", "people"}   # parents taken from the world, never invented


def _value(column, mark):
    kind = column.type
    if isinstance(kind, JSON):
        return {"m": mark}
    if isinstance(kind, LargeBinary):
        return b"x"
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, DateTime):
        return datetime(2024, 1, 2, 3, 4)
    if isinstance(kind, Date):
        return date(2024, 1, 2)
    if isinstance(kind, (Integer, BigInteger, Numeric)):
        return 1
    if isinstance(kind, (String, Text)):
        text = f"{mark}{column.table.name}.{column.name}"
        return text[:kind.length] if getattr(kind, "length", None) else text
    raise AssertionError(f"no test value for {column}")


def fill(table, mark, refs: dict) -> int:
    """One row of `table` with every column set: people, units, users and authorities from `refs`; the
    person's own rows of other tables from `refs`; any other parent made here. Returns the new row's id."""
    values = {}
    for column in table.columns:
        [fk] = column.foreign_keys or [None]
        if fk is None:
            if column.primary_key and isinstance(column.type, Integer):
                continue
            values[column.name] = _value(column, mark)
            continue
        parent = fk.column.table
        if parent.name in refs:
            values[column.name] = refs[parent.name]
        elif column.nullable or parent.name == table.name:
            values[column.name] = None
        else:
            values[column.name] = fill(parent, mark + "p", refs)
    result = db.session.execute(insert(table).values(**values))
    return (result.inserted_primary_key or [None])[0] or values.get("id")


def fill_person(person, user_id, unit, authority_id, mark):
    """A row for `person` in every table with a foreign key to people and in every child table of the export."""
    refs = {"people": person.id, "units": unit.id, "authorities": authority_id}
    tables = db.metadata.tables
    refs["users"] = user_id
    for table in person_tables():
        if table.name == "users":
            continue                                       # the person's account is `user_id`
        refs[table.name] = fill(table, mark, refs)
    for name, _links in CHILDREN:
        fill(tables[name], mark, refs)
    db.session.commit()


def fk_tables_from_models() -> set[str]:
    """Every mapped model's table with a foreign key to people, found from the models, not from my_data."""
    found = set()
    for mapper in db.Model.registry.mappers:
        for table in mapper.tables:
            if any(fk.column.table.name == "people" for c in table.columns for fk in c.foreign_keys):
                found.add(table.name)
    return found


def read_zip(data: bytes) -> dict[str, tuple[list, list]]:
    """{table: (json rows, csv rows)} of the download."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    out = {}
    for name in archive.namelist():
        if name.startswith("json/"):
            table = name[5:-5]
            rows = json.loads(archive.read(name))
            table_csv = list(csv.DictReader(io.StringIO(archive.read(f"csv/{table}.csv").decode("utf-8-sig"))))
            out[table] = (rows, table_csv)
    return out


def test_the_zip_holds_every_table_of_the_volunteer_and_nothing_of_the_canary(world, client, make_user):
    mine, canary = world.people["a"], world.people["canary"]
    canary_user = make_user("QQZ.canary", "volunteer", person_id=canary.id)
    authority = world.users["county_tpe"].authority_id
    fill_person(mine, world.users["volunteer"].id, world.units["A"], authority, MARK["mine"])
    fill_person(canary, canary_user.id, world.units["C"], authority, MARK["canary"])
    login(client, world.users["volunteer"])
    response = client.get("/volunteers/me/data.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"] and response.headers["Cache-Control"] == "no-store"
    tables = read_zip(response.data)
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = b"".join(archive.read(name) for name in archive.namelist())     # every file, uncompressed
    # Every table with a foreign key to people is in the download (a new table cannot be forgotten), and so are
    # the child tables; each holds the volunteer's rows, the same in JSON and CSV.
    expected = fk_tables_from_models() | {"people"} | {name for name, _links in CHILDREN}
    assert expected <= set(tables), expected - set(tables)
    for name in expected:
        rows, table_csv = tables[name]
        assert rows and len(rows) == len(table_csv), name
    # None of the canary's: no distinctive value, name, ID number or id in a person column.
    assert MARK["canary"].encode() not in data and canary.id_number.encode() not in data
    assert "金絲雀".encode() not in data and MARK["mine"].encode() in data
    for table in person_tables():
        people_columns = [c.name for c in table.columns if any(fk.column.table.name == "people"
                                                               for fk in c.foreign_keys)]
        for row in tables[table.name][0]:
            assert all(row[c] in (mine.id, None) for c in people_columns), (table.name, row)
    assert [r["id"] for r in tables["people"][0]] == [mine.id]
    # Secrets stay out; times are Taipei time.
    for name, columns in SECRETS.items():
        assert not columns & set(tables[name][0][0]), name
    assert tables["hour_entries"][0][0]["entered_at"] == "2024-01-02T11:04:00+08:00"
    # The export is audited with its row count and hash.
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "my_data.export"))
    detail = json.loads(row.detail)
    assert row.object_type == "Person" and row.object_id == mine.id and detail["rows"] == sum(
        len(rows) for rows, _csv in tables.values())


def test_two_thousand_entries_download_fast(world, app):
    person = world.people["a"]
    start = date(2020, 1, 1)
    db.session.execute(insert(HourEntry), [
        {"person_id": person.id, "unit_id": world.units["A"].id, "start_on": start + timedelta(days=i),
         "end_on": start + timedelta(days=i), "half_hours": 4, "field_code": "social", "content": f"服務{i}",
         "status": "active", "source": "unit", "entered_at": utcnow(), "version": 1} for i in range(2000)])
    db.session.commit()
    began = time.perf_counter()
    export = build(person.id)
    seconds = time.perf_counter() - began
    with zipfile.ZipFile(export.spool.file) as archive:
        assert len(json.loads(archive.read("json/hour_entries.json"))) == 2000
    export.spool.file.close()
    print(f"my data: 2,000 entries in {seconds:.2f} s, {export.spool.size:,} bytes")
    assert export.counts["hour_entries"] == 2000 and seconds < 3


def test_viewers_page_lists_a_clerks_reveal_by_role_and_unit(world, client):
    person, clerk = world.people["a"], world.users["clerk_a"]
    login(client, clerk)
    assert client.get(f"/volunteers/{person.id}/edit").status_code == 200       # the full ID is revealed
    login(client, world.users["volunteer"])
    client.post("/language", data={"lang": "en"})
    page = client.get("/volunteers/me/seen").get_data(as_text=True)
    assert "Saw your full ID number" in page and "Unit clerk · Test Unit 1" in page
    assert "To edit your details" in page and "clerk.a" not in page
    shown = db.session.scalar(select(AuditLog.at).where(AuditLog.action == "person.reveal_id"))
    taipei = shown + timedelta(hours=8)
    assert f"{taipei:%Y-%m-%d %H:%M}" in page                                       # Taipei time
    # The volunteer's own download appears too, as "You"; in Chinese the page says who in Chinese.
    client.get("/volunteers/me/data.zip")
    client.post("/language", data={"lang": "zh_TW"})
    page = client.get("/volunteers/me/seen").get_data(as_text=True)
    assert "誰查看或匯出了我的資料" in page and "下載了您的全部資料" in page and "臺北甲協會" in page
    # Another volunteer's page does not show it.
    other = User.query.filter_by(username="volunteer.a").one()
    assert other.person_id == person.id


def test_viewers_page_pages_by_keyset_and_shows_only_this_volunteer(world, client, make_user):
    person = world.people["a"]
    rows = [AuditLog(actor_id=world.users["clerk_a"].id, actor_role="unit_clerk", action="person.reveal_id",
                     object_type="Person", object_id=person.id, detail='{"purpose": "edit form"}',
                     at=utcnow() - timedelta(minutes=i)) for i in range(30)]
    rows.append(AuditLog(actor_id=world.users["clerk_b"].id, actor_role="unit_clerk", action="person.reveal_id",
                         object_type="Person", object_id=world.people["b"].id, detail='{"purpose": "QQZ"}'))
    db.session.add_all(rows)
    db.session.commit()
    login(client, world.users["volunteer"])
    first = client.get("/volunteers/me/seen").get_data(as_text=True)
    assert first.count("<tr>") == 26 and "QQZ" not in first and 'rel="next"' in first
    cursor = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = client.get(cursor).get_data(as_text=True)
    assert second.count("<tr>") == 6


def test_volunteers_export_their_own_hours_as_csv_and_nothing_else(world, client):
    for person, unit, content in ((world.people["a"], world.units["A"], "我的服務"),
                                  (world.people["b"], world.units["B"], "QQZ別人")):
        db.session.add(HourEntry(person_id=person.id, unit_id=unit.id, start_on=date(2025, 3, 5),
                                 end_on=date(2025, 3, 5), half_hours=6, field_code=unit.field_code, content=content))
    db.session.commit()
    login(client, world.users["volunteer"])
    response = client.get("/hours/export?format=csv&layout=portal&full_id=1")
    assert response.status_code == 200
    text = response.data.decode("utf-8-sig")
    assert "我的服務" in text and "QQZ" not in text and world.people["a"].id_number not in text
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "hours.export")).actor_role == "volunteer"
    login(client, world.users["clerk_a"])
    assert client.get("/volunteers/me/data.zip").status_code == 403
    assert client.get("/volunteers/me/seen").status_code == 403
