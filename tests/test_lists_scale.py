"""Long lists at national size: the roster and the hours lists page by keyset, count without COUNT(*) over
whole tables, take their totals from the hour summaries, run a fixed number of queries whatever the list's
length, and export through a spooled file whose audit row is committed first."""
import csv
import hashlib
import io
import json
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from portal.hours.models import HourEntry
from portal.insurance.models import InsuranceEnrolment, InsurancePolicy
from portal.platform.audit import AuditLog
from portal.platform.exports import csv_bytes, spool_csv, spool_xlsx, xlsx_bytes
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.records.models import RecordBook
from portal.training.models import TrainingRecord
from portal.volunteers import roster
from tests.conftest import count_queries, login


def entry(person, unit, day, half_hours, status="active", field_code=None):
    db.session.add(HourEntry(person_id=person.id, unit_id=unit.id, start_on=day, end_on=day, half_hours=half_hours,
                             field_code=field_code or unit.field_code, status=status))


def next_link(html):
    found = re.search(r'href="([^"]+)"[^>]*rel="next"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def names_on(html):
    return re.findall(r'<td[^>]*><a href="/volunteers/\d+">([^<]+)</a></td>', html)


def walk(client, url):
    """The names on every page of a roster, following the next links."""
    pages = []
    while url:
        html = client.get(url).get_data(as_text=True)
        pages.append(names_on(html))
        url = next_link(html)
    return pages


# --- the roster --------------------------------------------------------------------------------------

@pytest.fixture
def crowd(world, make_person):
    """Unit A with 51 more members: 53 in all with 甲志工 and 共同志工, three pages of 25."""
    people = make_person.many([{"units": [world.units["A"]], "name": f"名{i:02d}"} for i in range(51)])
    return people


def test_the_roster_walks_every_membership_once_in_order(world, crowd, client):
    login(client, world.users["clerk_a"])
    pages = walk(client, "/volunteers/")
    names = [n for page in pages for n in page]
    assert [len(p) for p in pages] == [25, 25, 3]
    assert names == sorted(names) and len(set(names)) == 53


def test_a_filtered_roster_keeps_its_filter_on_every_page(world, crowd, client):
    login(client, world.users["county_tpe"])
    pages = walk(client, f"/volunteers/?unit={world.units['A'].id}&q=名")
    assert [len(p) for p in pages] == [25, 25, 1]
    assert all(n.startswith("名") for page in pages for n in page)


def test_the_previous_page_of_the_second_is_the_first_without_a_cursor(world, crowd, client):
    login(client, world.users["clerk_a"])
    first = client.get("/volunteers/").get_data(as_text=True)
    second = client.get(next_link(first)).get_data(as_text=True)
    assert re.search(r'href="/volunteers/"[^>]*rel="prev"', second)
    third = client.get(next_link(second)).get_data(as_text=True)
    back = re.search(r'href="([^"]+)"[^>]*rel="prev"', third).group(1).replace("&amp;", "&")
    assert "cursor=" in back and names_on(client.get(back).get_data(as_text=True)) == names_on(second)


@pytest.mark.parametrize("cursor", ["x", "eyJhIjoxfQ.forged", "", "%00"])
def test_a_tampered_cursor_shows_the_first_page(world, crowd, client, cursor):
    login(client, world.users["clerk_a"])
    response = client.get(f"/volunteers/?cursor={cursor}")
    assert response.status_code == 200
    assert names_on(response.get_data(as_text=True)) == names_on(client.get("/volunteers/").get_data(as_text=True))


@pytest.mark.parametrize("cap, shown", [(53, "共 53 筆服務資料"), (52, "超過 52 筆服務資料")])
def test_the_count_is_exact_up_to_its_cap_and_more_than_it_above(world, crowd, client, monkeypatch, cap, shown):
    monkeypatch.setattr(roster, "COUNT_CAP", cap)
    login(client, world.users["clerk_a"])
    html = client.get("/volunteers/").get_data(as_text=True)
    assert shown in html
    assert ("共 3 頁" in html) == (cap == 53)


@pytest.fixture
def facts(world, make_person):
    """One volunteer of unit A with everything (training, book, cover, hours) and one with nothing."""
    today = today_taipei()
    unit = world.units["A"]
    full = make_person([unit], name="全有")
    bare = make_person([unit], name="全無")
    for kind in ("basic", "special"):
        db.session.add(TrainingRecord(person_id=full.id, kind=kind, status="verified", effective_on=date(2020, 1, 1),
                                      field_code=unit.field_code if kind == "special" else None))
    db.session.add(TrainingRecord(person_id=bare.id, kind="basic", status="pending"))
    db.session.add(RecordBook(person_id=full.id, number="B-1", issued_on=date(2020, 1, 1)))
    db.session.add(RecordBook(person_id=bare.id, number="B-2", issued_on=date(2020, 1, 1), kind="cancelled"))
    policy = InsurancePolicy(unit_id=unit.id, insurer_code="X", insurer_name="X", policy_no="P1",
                             starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=30))
    db.session.add(policy)
    db.session.flush()
    db.session.add(InsuranceEnrolment(policy_id=policy.id, person_id=full.id, unit_id=unit.id,
                                      starts_on=policy.starts_on, ends_on=policy.ends_on))
    first_day = date(today.year, 1, 1)
    entry(full, unit, first_day, 3)                            # this year: counts
    entry(full, unit, today, 4)                                # today: counts
    entry(full, unit, first_day - timedelta(days=1), 8)        # last year's last day: does not
    entry(full, unit, first_day + timedelta(days=1), 6, "void")  # voided: does not
    entry(full, world.units["B"], first_day, 10)               # another unit: not this membership's
    db.session.commit()
    return full, bare


def roster_rows(client, query=""):
    rows = list(csv.reader(io.StringIO(client.get(f"/volunteers/export.csv{query}").data.decode("utf-8-sig"))))
    return {r[2]: r for r in rows[1:]}


def test_the_yes_no_columns_and_this_years_hours_of_a_page(world, facts, client):
    login(client, world.users["clerk_a"])
    html = client.get("/volunteers/?q=全").get_data(as_text=True)
    full_row = html[html.index("全有"):html.index("</tr>", html.index("全有"))]
    bare_row = html[html.index("全無"):html.index("</tr>", html.index("全無"))]
    assert full_row.count("badge-accepted") == 3 and ">3.5<" in full_row.replace(" ", "")
    assert bare_row.count("badge-missing") == 3 and ">0<" in bare_row.replace(" ", "")
    rows = roster_rows(client, "?q=全")
    assert rows["全有"][9:] == ["是", "是", "是", "3.5"] and rows["全無"][9:] == ["否", "否", "否", "0"]


@pytest.mark.parametrize("key", ["training", "book", "insured"])
def test_a_yes_no_filter_keeps_each_side(world, facts, client, key):
    login(client, world.users["clerk_a"])
    assert names_on(client.get(f"/volunteers/?q=全&{key}=yes").get_data(as_text=True)) == ["全有"]
    assert names_on(client.get(f"/volunteers/?q=全&{key}=no").get_data(as_text=True)) == ["全無"]
    assert list(roster_rows(client, f"?q=全&{key}=no")) == ["全無"]


def roster_queries(client, url):
    client.get(url)  # warm: the first request loads the user and the session
    with count_queries() as seen:
        assert client.get(url).status_code == 200
    return len(seen)


def test_a_roster_page_runs_the_same_few_queries_for_3_or_53_members(world, client, make_person):
    login(client, world.users["clerk_a"])
    small = roster_queries(client, "/volunteers/")
    for i in range(51):
        make_person([world.units["A"]], name=f"名{i:02d}")
    big = roster_queries(client, "/volunteers/")
    filtered = roster_queries(client, "/volunteers/?training=no")
    assert small == big == filtered and big <= 8


def test_the_export_is_spooled_in_order_and_audited_with_the_exact_count_first(world, crowd, client):
    login(client, world.users["clerk_a"])
    response = client.get("/volunteers/export.csv?cursor=abc&page=2")
    assert int(response.headers["Content-Length"]) == len(response.data)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))[1:]
    names = [r[2] for r in rows]
    assert len(rows) == 53 and names == [n for page in walk(client, "/volunteers/") for n in page]
    detail = json.loads(db.session.scalar(select(AuditLog.detail).where(AuditLog.action == "roster.export")))
    assert detail == {"rows": 53, "filters": {}}


def test_the_export_link_leaves_the_cursor_behind(world, crowd, client):
    login(client, world.users["clerk_a"])
    first = client.get("/volunteers/?q=名").get_data(as_text=True)
    second = client.get(next_link(first)).get_data(as_text=True)
    link = re.search(r'href="(/volunteers/export.csv[^"]*)"', second).group(1)
    assert "cursor" not in link and "q=" in link


# --- the hours lists -----------------------------------------------------------------------------------

def english(client):
    client.post("/language", data={"lang": "en"})


def dates_on(html):
    return re.findall(r'<td[^>]*><a href="/hours/(\d+)">', html)


def walk_hours(client, url):
    pages = []
    while url:
        html = client.get(url).get_data(as_text=True)
        pages.append([int(i) for i in dates_on(html)])
        url = next_link(html)
    return pages


def totals_on(html):
    found = re.search(r"([\d,]+) entr(?:y|ies), ([\d,.]+) hours?\.", html)
    if found:
        return int(found.group(1).replace(",", "")), float(found.group(2).replace(",", ""))
    return re.search(r"More than ([\d,]+) entries\.", html).group(0)


@pytest.fixture
def diary(world):
    """Entries of unit A over three months, several on the same day, some voided, one range across a month
    end, and one entry of unit B (another unit: never in A's lists)."""
    a, shared, unit = world.people["a"], world.people["shared"], world.units["A"]
    days = [date(2025, 1, 5), date(2025, 1, 31), date(2025, 2, 1), date(2025, 2, 1), date(2025, 2, 1), date(2025, 2, 28),
            date(2025, 3, 1), date(2025, 3, 15), date(2025, 3, 31)]
    for n, day in enumerate(days):
        entry(a if n % 2 else shared, unit, day, n + 1)
    entry(a, unit, date(2025, 2, 10), 7, "void")
    db.session.add(HourEntry(person_id=shared.id, unit_id=unit.id, start_on=date(2025, 1, 30), end_on=date(2025, 2, 2),
                             half_hours=9, field_code=unit.field_code, status="active"))          # crosses into February
    entry(shared, world.units["B"], date(2025, 2, 1), 11)
    db.session.commit()
    return db.session.scalars(select(HourEntry).where(HourEntry.unit_id == unit.id)).all()


def expected(entries, start=None, end=None, status="active"):
    shown = [e for e in entries if (not status or e.status == status) and (start is None or e.end_on >= start)
             and (end is None or e.start_on <= end)]
    return len(shown), sum(e.half_hours for e in shown) / 2


def test_the_unit_hours_list_pages_newest_first_with_ties_broken_by_id(world, diary, client, monkeypatch):
    login(client, world.users["clerk_a"])
    monkeypatch.setattr("portal.hours.listing.entries_page.__defaults__", (None, 4))
    pages = walk_hours(client, "/hours/?status=")
    ids = [i for page in pages for i in page]
    newest_first = sorted(diary, key=lambda e: (e.start_on, e.id), reverse=True)
    assert ids == [e.id for e in newest_first] and [len(p) for p in pages] == [4, 4, 3]


@pytest.mark.parametrize("query, start, end", [
    ("", None, None),
    ("start=2025-02-01", date(2025, 2, 1), None),            # the range from 30 January counts in February's list
    ("start=2025-02-01&end=2025-02-28", date(2025, 2, 1), date(2025, 2, 28)),
    ("end=2025-01-31", None, date(2025, 1, 31)),
    ("start=2025-03-01&end=2025-03-31", date(2025, 3, 1), date(2025, 3, 31)),
    ("start=2025-02-02", date(2025, 2, 2), None),            # not a month's first day: counted rows
    ("end=2025-02-27", None, date(2025, 2, 27)),             # not a month's last day: counted rows
    ("start=2025-04-01", date(2025, 4, 1), None),
])
def test_filter_totals_equal_the_rows_shown_with_summaries_or_without(world, diary, client, query, start, end):
    login(client, world.users["clerk_a"])
    english(client)
    html = client.get(f"/hours/?{query}").get_data(as_text=True)
    assert totals_on(html) == expected(diary, start, end)


@pytest.mark.parametrize("query, status", [("status=", ""), ("status=void", "void"), ("status=active&q=甲", None)])
def test_totals_of_filters_the_summaries_cannot_answer_are_counted(world, diary, client, query, status):
    login(client, world.users["clerk_a"])
    english(client)
    html = client.get(f"/hours/?{query}").get_data(as_text=True)
    rows = [e for e in diary if e.person_id == world.people["a"].id and e.status == "active"] if status is None else diary
    assert totals_on(html) == expected(rows, status=status or "")


def test_the_summaries_are_not_read_for_a_counted_filter_and_raw_rows_are_not_read_for_a_summarised_one(
        world, diary, client):
    login(client, world.users["clerk_a"])
    client.get("/hours/")
    with count_queries() as summarised:
        client.get("/hours/?start=2025-02-01&end=2025-02-28")
    with count_queries() as counted:
        client.get("/hours/?start=2025-02-02&end=2025-02-28")
    assert any("hour_unit_months" in s for s in summarised)
    assert not any("hour_unit_months" in s for s in counted)


@pytest.mark.parametrize("cap, shown", [(11, (11, 30.5)), (10, "More than 10 entries.")])
def test_a_counted_total_stops_past_its_cap(world, diary, client, monkeypatch, cap, shown):
    monkeypatch.setattr("portal.hours.listing.COUNT_CAP", cap)
    login(client, world.users["clerk_a"])
    english(client)
    assert totals_on(client.get("/hours/?status=").get_data(as_text=True)) == shown


def test_authorities_and_volunteers_totals_from_the_summaries(world, diary, client):
    english(client)
    login(client, world.users["county_tpe"])
    everything = diary + db.session.scalars(select(HourEntry).where(HourEntry.unit_id == world.units["B"].id)).all()
    assert totals_on(client.get("/hours/?start=2025-02-01").get_data(as_text=True)) == expected(everything, date(2025, 2, 1))
    login(client, world.users["county_khh"])
    assert totals_on(client.get("/hours/").get_data(as_text=True)) == (0, 0.0)
    login(client, world.users["volunteer"])
    own = [e for e in everything if e.person_id == world.people["a"].id]
    assert totals_on(client.get("/hours/?status=active&start=2025-02-01").get_data(as_text=True)) == expected(
        own, date(2025, 2, 1))
    assert totals_on(client.get("/hours/").get_data(as_text=True)) == expected(own, status="")


def test_an_hours_page_runs_the_same_few_queries_for_3_or_60_entries(world, client):
    unit, a = world.units["A"], world.people["a"]
    for n in range(3):
        entry(a, unit, date(2025, 1, 1) + timedelta(days=n), 2)
    db.session.commit()
    login(client, world.users["clerk_a"])

    def measured():
        return [roster_queries(client, url) for url in ("/hours/", "/hours/?status=", "/hours/?start=2025-01-01",
                                                         f"/hours/people/{a.id}")]
    few = measured()
    for n in range(57):
        entry(a, unit, date(2024, 1, 1) + timedelta(days=n), 2)
    db.session.commit()
    assert measured() == few and max(few) <= 8


def test_the_hours_export_is_spooled_in_the_list_order_and_audited_with_its_hash(world, diary, client):
    login(client, world.users["clerk_a"])
    response = client.get("/hours/export?format=csv&layout=mohw&status=&cursor=abc")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))[1:]
    newest_first = sorted(diary, key=lambda e: (e.start_on, e.id), reverse=True)
    assert [int(r[14]) for r in rows] == [e.id for e in newest_first]
    assert int(response.headers["Content-Length"]) == len(response.data)
    detail = json.loads(db.session.scalar(select(AuditLog.detail).where(AuditLog.action == "hours.export")))
    assert detail["rows"] == len(diary) and detail["sha256"] == hashlib.sha256(response.data).hexdigest()
    assert detail["filters"] == {"format": "csv", "layout": "mohw", "status": ""}


def test_the_xlsx_export_has_the_same_rows_as_the_csv(world, diary, client):
    login(client, world.users["clerk_a"])
    text = client.get("/hours/export?format=csv&layout=portal").data.decode("utf-8-sig")
    sheet = load_workbook(io.BytesIO(client.get("/hours/export?format=xlsx&layout=portal").data)).active
    from_csv = list(csv.reader(io.StringIO(text)))
    from_xlsx = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert len(from_csv) == len(from_xlsx) == 1 + 10      # the header and the active entries
    assert [r[:4] for r in from_csv] == [r[:4] for r in from_xlsx]


def test_unit_monthly_totals_equal_a_count_of_the_entries(world, diary, client):
    from portal.hours.operations import unit_monthly_totals
    months = {(r.year, r.month): (r.entries, r.people, r.half_hours) for r in unit_monthly_totals(world.units["A"].id)}
    active = [e for e in diary if e.status == "active"]
    truth = {}
    for e in active:
        key = (e.start_on.year, e.start_on.month)
        n, people, half = truth.get(key, (0, set(), 0))
        truth[key] = (n + 1, people | {e.person_id}, half + e.half_hours)
    assert months == {k: (n, len(p), h) for k, (n, p, h) in truth.items()}
    assert [k for k in months] == sorted(truth, reverse=True)


# --- spooled files (platform.exports) -------------------------------------------------------------------

AWKWARD = [["=1+1", "+x", "-3", "@a", "＝全形", "\tTab", "plain", " lead", "trail ", "a&b<c>d", "bell\x07", ""],
           [0, 2.5, -3, 10 ** 12, True, None, date(2025, 1, 2), "王小明", "\u00e9", "x\ny", "'", 1.0]]


def test_a_spooled_csv_is_byte_for_byte_what_csv_bytes_writes():
    spool = spool_csv(["h1", "=h2"] + [f"c{i}" for i in range(10)], iter(AWKWARD))
    spool.file.seek(0)
    body = spool.file.read()
    spool.file.close()
    assert body == csv_bytes(["h1", "=h2"] + [f"c{i}" for i in range(10)], AWKWARD)
    assert (spool.rows, spool.size, spool.sha256) == (2, len(body), hashlib.sha256(body).hexdigest())


def test_a_spooled_workbook_reads_back_as_xlsx_bytes_writes_it_in_openpyxl_and_calamine(app):
    header = ["h1", "=h2"] + [f"c{i}" for i in range(10)]
    spool = spool_xlsx("Sheet1", header, iter(AWKWARD))
    spool.file.seek(0)
    ours = spool.file.read()
    spool.file.close()
    # openpyxl refuses a control character; the spool drops it.
    theirs = xlsx_bytes([("Sheet1", header, [[("bell" if v == "bell\x07" else v) for v in row] for row in AWKWARD])])
    assert hashlib.sha256(ours).hexdigest() == spool.sha256 and spool.rows == 2

    def cells(data):
        rows = load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)
        return [[None if v == "" else v for v in row] for row in rows]
    got = cells(ours)
    assert got == cells(theirs)
    assert got[1][:3] == ["'=1+1", "'+x", "'-3"] and got[1][7:9] == [" lead", "trail "] and got[2][1] == 2.5
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(ours)).get_sheet_by_index(0).to_python()
    assert sheet[1][9] == "a&b<c>d" and sheet[2][7] == "王小明" and sheet[2][3] == 10 ** 12


def test_a_spooled_response_streams_the_file_and_closes_it(app):
    spool = spool_csv(["a"], ([n] for n in range(5000)))
    with app.test_request_context("/"):
        response = spool.response("x.csv", "text/csv")
    body = b"".join(response.response)
    assert len(body) == spool.size == int(response.headers["Content-Length"]) and spool.file.closed
    assert response.headers["Content-Disposition"] == 'attachment; filename="x.csv"; filename*=UTF-8\'\'x.csv'
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("who", ["clerk_a", "county_tpe", "ministry"])
def test_the_all_history_total_of_a_scope_reads_the_years_and_equals_the_months(world, diary, client, who):
    """No date filter: the county's and ministry's first view sums hour_unit_years (a twelfth of the month
    rows); the total is the one the month rows give for a range covering every entry. The ministry's sum has
    no unit condition at all (it sees every unit; a join to the units doubled the statement's time)."""
    login(client, world.users[who])
    english(client)
    with count_queries() as statements:
        everything = totals_on(client.get("/hours/").get_data(as_text=True))
    years = [s for s in statements if "hour_unit_years" in s]
    assert len(years) == 1 and ("units" in years[0].split("FROM", 1)[1]) == (who != "ministry")
    assert not any("hour_unit_months" in s for s in statements)
    covering = totals_on(client.get("/hours/?start=2001-01-20&end=2100-12-31").get_data(as_text=True))
    assert everything == covering and everything[0] > 0


def test_past_a_few_hundred_units_the_unit_filter_takes_a_code(world, diary, client, monkeypatch):
    """A scope with more units than UNIT_CHOICES types a unit's code instead of choosing among thousands of
    options; the code is found within the scope only (a county cannot narrow to another county's unit)."""
    monkeypatch.setattr("portal.registry.unit_filter.UNIT_CHOICES", 1)
    login(client, world.users["county_tpe"])
    english(client)
    html = client.get("/hours/").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="unit"[^>]*>', html)
    assert box and 'type="text"' in box.group(0) and '<select id="unit"' not in html
    everything = totals_on(html)
    by_code = client.get("/hours/?unit=tpe-a").get_data(as_text=True)
    assert 'value="TPE-A"' in by_code
    unit_a = [e for e in diary if e.unit_id == world.units["A"].id and e.status == "active"]
    assert totals_on(by_code) == expected(unit_a, status="")
    assert totals_on(client.get(f"/hours/?unit={world.units['A'].id}").get_data(as_text=True)) == expected(unit_a, status="")
    # Another county's unit is not found: the filter is dropped with its error, the list stays the scope's.
    elsewhere = client.get("/hours/?unit=KHH-C").get_data(as_text=True)
    assert totals_on(elsewhere) == everything and 'aria-invalid="true"' in elsewhere


@pytest.mark.parametrize("path", ["/volunteers/", "/training/", "/training/missing", "/honor-cards/review",
                                  "/honor-cards/eligibility"])
def test_every_unit_filter_takes_a_code_past_the_limit(world, client, monkeypatch, path):
    """The roster, training and honor-card lists share the unit filter (registry.unit_filter): past
    UNIT_CHOICES units a code box, the typed code kept in it and found within the scope only."""
    monkeypatch.setattr("portal.registry.unit_filter.UNIT_CHOICES", 1)
    login(client, world.users["county_tpe"])
    english(client)
    page = client.get(path)
    assert page.status_code == 200
    box = re.search(r'<input[^>]*name="unit"[^>]*>', page.get_data(as_text=True))
    assert box and 'type="text"' in box.group(0) and 'value=""' in box.group(0)
    chosen = client.get(f"{path}?unit=tpe-a").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="unit"[^>]*value="TPE-A"', chosen)
    refused = client.get(f"{path}?unit=KHH-C")
    assert refused.status_code == 200 and 'aria-invalid="true"' in refused.get_data(as_text=True)
