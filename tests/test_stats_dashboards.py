"""The authorities' dashboards (issue 12 part 2): each role in its scope, figures equal to hand-computed values
on a small data set, the frozen month-end trend, and downloads carrying the page's numbers."""
import csv
import io
from datetime import date, timedelta

import pytest
from flask import current_app
from flask_babel import gettext
from openpyxl import load_workbook

from portal.awards.models import AwardApplication, AwardRound
from portal.honor_cards.models import HonorCard, HonorCardApplication
from portal.hours.models import HourEntry
from portal.insurance.models import InsuranceEnrolment, InsurancePolicy
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.records.models import RecordBook
from portal.registry.operations import authority_for
from portal.stats import dashboard, drill, figures, memo, scopes, trend
from portal.stats.kpi import headcounts
from tests.conftest import login

TODAY = today_taipei()
Y = TODAY.year
LAST_MONTH = TODAY.replace(day=1) - timedelta(days=1)          # a day of last month
ONLINE_DAY = LAST_MONTH.replace(day=1)                         # the first day of last month: online
BEFORE_DAY = ONLINE_DAY - timedelta(days=1)                    # the day before it: not online


def client_of(world, persona):
    return login(current_app.test_client(), world.users[persona])


def hours(world, key, person, day, half_hours):
    unit = world.units[key]
    db.session.add(HourEntry(person_id=world.people[person].id, unit_id=unit.id, start_on=day, end_on=day,
                             half_hours=half_hours, field_code=unit.field_code))


@pytest.fixture
def data(world, make_person):
    with current_app.test_request_context():        # the tables' links are URLs
        yield _data(world, make_person)


def _data(world, make_person):
    """Hours on both sides of the online month's first day, a book on both sides of 1 January, a card, an
    award round, one insured volunteer and a new volunteer in Kaohsiung this year."""
    w = world
    hours(w, "A", "a", ONLINE_DAY, 4)           # unit A: hours for last month
    hours(w, "B", "b", BEFORE_DAY, 6)           # unit B: the day before last month only
    hours(w, "C", "canary", date(Y - 1, 6, 1), 20)
    county = authority_for("county", "TPE", None)
    db.session.add_all([
        RecordBook(person_id=w.people["a"].id, number="TPE-1", unit_id=w.units["A"].id, issued_on=date(Y - 1, 12, 31),
                   authority_id=county.id),
        RecordBook(person_id=w.people["canary"].id, number="KHH-1", unit_id=w.units["C"].id, issued_on=date(Y, 1, 1),
                   authority_id=authority_for("county", "KHH", None).id)])
    application = HonorCardApplication(person_id=w.people["b"].id, unit_id=w.units["B"].id, applied_on=date(Y, 1, 2))
    db.session.add(application)
    db.session.flush()
    db.session.add(HonorCard(person_id=w.people["b"].id, number="HC-1", county_code="TPE", authority_id=county.id,
                             application_id=application.id, approved_on=date(Y, 1, 3), valid_from=date(Y, 1, 3),
                             valid_to=date(Y + 3, 1, 3)))
    award_round = AwardRound(scheme="general", year=Y, cutoff_on=date(Y, 1, 1), unit_deadline=TODAY,
                             review_deadline=TODAY, ministry_deadline=TODAY)
    db.session.add(award_round)
    db.session.add_all([
        AwardApplication(round=award_round, person_id=w.people["a"].id, unit_id=w.units["A"].id, tier="bronze"),
        AwardApplication(round=award_round, person_id=w.people["b"].id, unit_id=w.units["B"].id, tier="bronze",
                         channel="paper", status="approved"),
        AwardApplication(round=award_round, person_id=w.people["canary"].id, unit_id=w.units["C"].id, tier="bronze",
                         status="forwarded")])
    policy = InsurancePolicy(unit_id=w.units["A"].id, insurer_code="first", insurer_name="第一產物保險", policy_no="P-1",
                             starts_on=TODAY - timedelta(days=10), ends_on=TODAY + timedelta(days=300))
    db.session.add(InsuranceEnrolment(policy=policy, person_id=w.people["a"].id, unit_id=w.units["A"].id,
                                      starts_on=TODAY - timedelta(days=10), ends_on=TODAY + timedelta(days=300)))
    db.session.commit()
    w.people["new"] = make_person([w.units["C"]], name="新志工", joined=date(Y, 1, 1))
    return w


def rows_of(table):
    return table.by_key()


def half(n):
    return n // 2 if n % 2 == 0 else n / 2


# --- figures equal hand-computed values --------------------------------------------------------------

def test_the_ministry_figures_equal_the_hand_computed_ones(app, data):
    view = scopes.own(data.users["ministry"])
    assert view.key == "all" and view.level == scopes.NATION
    summary = rows_of(dashboard.summary(view, Y, TODAY))
    # Pairs: a, b, canary, new and shared twice = 6; only a is insured; no record is complete.
    assert summary["insured"][0] == round(100 / 6, 1)
    assert summary["completeness"] == [0.0, 95.0, gettext("not reached")]
    # Active on 31 December: 5 this year (the new volunteer), 4 last year.
    assert summary["volunteers"][0] == 5
    assert summary["growth"] == [25.0, 2.0, gettext("reached")]
    assert summary["online"][0] == round(100 / 3, 1)      # A of A, B, C
    assert "guided" not in summary                      # the ministry guides no unit
    years = rows_of(dashboard.years(view, Y, TODAY))
    this_year = 4 * (ONLINE_DAY.year == Y) + 6 * (BEFORE_DAY.year == Y)
    last_year = 20 + 4 * (ONLINE_DAY.year == Y - 1) + 6 * (BEFORE_DAY.year == Y - 1)
    assert years[Y][1:] == [half(this_year), 1, 1]        # hours, books (1 January), cards
    assert years[Y - 1][1:] == [half(last_year), 1, 0]    # the book of 31 December
    awards = rows_of(dashboard.awards(view, Y, TODAY))
    (_round_id, counts), = awards.items()
    # submitted, forwarded, approved, returned, withdrawn, online, paper, total, online %
    assert counts == [1, 1, 1, 0, 0, 2, 1, 3, 66.7]


def test_a_county_sees_its_county_only(app, data):
    view = scopes.own(data.users["county_tpe"])
    assert (view.key, view.level) == ("county:TPE", scopes.COUNTY)
    summary = rows_of(dashboard.summary(view, Y, TODAY))
    assert summary["insured"][0] == 25.0                   # a of a, b, shared twice
    assert summary["volunteers"][0] == 3
    assert summary["growth"][0] == 0.0
    assert summary["online"][0] == 50.0                    # A of A and B: B's hours are the day before
    years = rows_of(dashboard.years(view, Y, TODAY))
    assert years[Y][2:] == [0, 1]                          # Kaohsiung's book is not Taipei's
    assert years[Y - 1][2:] == [1, 0]
    counts, = rows_of(dashboard.awards(view, Y, TODAY)).values()
    assert counts[5:8] == [1, 1, 2]
    table, page = drill.units_page(view, Y, TODAY, None)
    assert [r[1] for r in table.rows] == ["TPE-A", "TPE-B"]
    assert [r[6] for r in table.rows] == [True, False]


def test_the_ministry_lists_counties_and_kaohsiung_grows_from_one_to_two(app, data):
    table = drill.counties(scopes.own(data.users["ministry"]), Y, TODAY)
    rows = rows_of(table)
    assert list(rows) == ["TPE", "KHH"]
    khh = headcounts("county:KHH", Y)
    assert rows["KHH"][:4] == [1, 2, 100.0, None if khh.growth_65_pct is None else float(khh.growth_65_pct)]
    assert rows["TPE"][7:] == [1, 50.0]
    assert rows["TPE"][4] == 0.0 and rows["KHH"][4] == 0.0
    assert table.links[0].endswith(f"/stats/county/TPE?year={Y}")


def test_growth_is_not_available_for_a_county_without_volunteers_last_year(app, data, make_unit, make_person):
    unit = make_unit("HUA", "social", "private", code="HUA-1")
    make_person([unit], name="花蓮新志工", joined=date(Y, 3, 1))
    view = scopes.county(data.users["ministry"], "HUA")
    summary = rows_of(dashboard.summary(view, Y, TODAY))
    assert summary["growth"][:2] == [None, 2.0]
    body = client_of(data, "ministry").get("/stats/county/HUA").get_data(as_text=True)
    assert "不適用" in body


def test_guided_units_carry_the_100_percent_target(app, data):
    view = scopes.own(data.users["sector_local"])       # Taipei's social authority guides unit A
    summary = rows_of(dashboard.summary(view, Y, TODAY))
    assert summary["guided"] == [0.0, 100.0, gettext("not reached")]
    assert summary["guided_units"][:2] == [0, 1]


# --- the frozen trend --------------------------------------------------------------------------------

def test_a_passed_month_keeps_its_value_and_this_month_is_live(app, data):
    view = scopes.own(data.users["county_tpe"])
    month_end = LAST_MONTH
    assert trend.record_all(month_end) > 0
    db.session.commit()
    frozen = trend.months("county:TPE", month_end.year)[month_end.month]
    assert (frozen.as_of, frozen.people, frozen.insurance) == (month_end, 4, 1)
    # Later changes move today's value, not last month's.
    enrol = db.session.query(InsuranceEnrolment).one()
    db.session.add(InsuranceEnrolment(policy_id=enrol.policy_id, person_id=data.people["shared"].id,
                                      unit_id=data.units["A"].id, starts_on=TODAY, ends_on=TODAY + timedelta(days=30)))
    db.session.commit()
    client = client_of(data, "county_tpe")
    assert client.get("/stats/").status_code == 200
    assert trend.months("county:TPE", month_end.year)[month_end.month].insurance == 1
    kept = trend.months("county:TPE", Y)[TODAY.month]
    assert (kept.as_of, kept.insurance) == (TODAY, 2)
    table = rows_of(dashboard.months(view, Y, TODAY))
    if month_end.year == Y:
        assert table[month_end.month][3:5] == [1, 25.0]
    assert table[TODAY.month][3:5] == [2, 50.0]


def test_the_year_end_value_of_a_past_year_is_its_december_row(app, data):
    trend.record_all(date(Y - 1, 12, 31))
    db.session.commit()
    view = scopes.own(data.users["ministry"])
    years = rows_of(dashboard.years(view, Y, TODAY))
    assert years[Y - 1][0] == 0.0
    assert years[Y - 2][0] is None                      # not recorded
    assert rows_of(dashboard.summary(view, Y - 1, TODAY))["completeness"][0] == 0.0
    assert rows_of(dashboard.summary(view, Y - 2, TODAY))["completeness"][0] is None


# --- scope -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona,allowed,refused", [
    ("ministry", ["/stats/county/KHH", "/stats/unit/{A}", "/stats/unit/{C}"], ["/stats/county/XYZ"]),
    ("county_tpe", ["/stats/county/TPE", "/stats/unit/{A}", "/stats/unit/{B}"],
     ["/stats/county/KHH", "/stats/unit/{C}", "/stats/county/KHH/download", "/stats/unit/{C}/download?table=years&format=xlsx"]),
    ("county_khh", ["/stats/unit/{C}"], ["/stats/county/TPE", "/stats/unit/{A}", "/stats/county/TPE/download?table=units"]),
    ("sector_local", ["/stats/unit/{A}"], ["/stats/unit/{B}", "/stats/unit/{C}", "/stats/county/KHH"]),
    ("sector_central", ["/stats/county/TPE", "/stats/county/KHH", "/stats/unit/{B}"],
     ["/stats/unit/{A}", "/stats/unit/{C}", "/stats/unit/{A}/download"]),
])
def test_each_role_drills_down_within_its_scope_only(app, data, persona, allowed, refused):
    client = client_of(data, persona)
    ids = {k: u.id for k, u in data.units.items()}
    assert client.get("/stats/").status_code == 200
    for url in allowed:
        assert client.get(url.format(**ids)).status_code == 200, url
    for url in refused:
        assert client.get(url.format(**ids)).status_code == 404, url


@pytest.mark.parametrize("persona", ["clerk_a", "supervisor_a", "volunteer", "admin"])
def test_roles_without_a_dashboard_are_refused(app, data, persona):
    assert client_of(data, persona).get("/stats/").status_code == 403


def test_a_central_sector_authority_sees_its_field_per_county(app, data):
    view = scopes.county(data.users["sector_central"], "TPE")
    assert view.key == "county_field:TPE:education"
    table, _page = drill.units_page(view, Y, TODAY, None)
    assert [r[1] for r in table.rows] == ["TPE-B"]
    counties = drill.counties(scopes.own(data.users["sector_central"]), Y, TODAY)
    assert [r[0] for r in counties.rows] == ["臺北市"]


def test_a_year_outside_the_portal_is_not_found(app, data):
    client = client_of(data, "ministry")
    assert client.get(f"/stats/?year={Y + 1}").status_code == 404
    assert client.get("/stats/?year=2000").status_code == 404
    assert client.get(f"/stats/?year={Y - 1}").status_code == 200


# --- downloads ---------------------------------------------------------------------------------------

def _same(value):
    """A cell as a number when it is one (CSV writes 95.0, the workbook keeps the number 95)."""
    if value is None:
        return ""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _csv(response):
    return [[_same(v) for v in row] for row in csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")))]


def _xlsx(response):
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    return [[_same(v) for v in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("url", ["/stats/download?table={name}&format={fmt}",
                                 "/stats/county/TPE/download?table={name}&format={fmt}",
                                 "/stats/unit/{A}/download?table={name}&format={fmt}"])
def test_csv_and_xlsx_carry_the_numbers_of_the_page(app, data, url):
    client = client_of(data, "ministry")
    ids = {k: u.id for k, u in data.units.items()}
    names = ["summary", "months", "years", "volunteers", "awards"] + \
        (["counties"] if url.startswith("/stats/download") else ["units"] if "county" in url else [])
    page = url.split("download")[0].format(**ids).rstrip("/")
    body = client.get(page if page != "/stats" else "/stats/").get_data(as_text=True)
    for name in names:
        as_csv = _csv(client.get(url.format(name=name, fmt="csv", **ids)))
        as_xlsx = _xlsx(client.get(url.format(name=name, fmt="xlsx", **ids)))
        assert as_csv == as_xlsx, name
        for row in as_csv[1:]:
            assert str(row[0]) in body, (name, row[0])
    exports = db.session.query(AuditLog).filter_by(action="stats.export").count()
    assert exports == 2 * len(names)


def test_the_download_numbers_are_the_tables(app, data):
    client = client_of(data, "county_tpe")
    rows = _csv(client.get("/stats/download?table=units"))
    assert rows[1][:3] == ["臺北甲協會", "TPE-A", 2.0]        # a and shared
    years = _csv(client.get("/stats/download?table=years"))
    assert years[-1][3:] == [0.0, 1.0]
    xlsx = load_workbook(io.BytesIO(client.get("/stats/download?table=years&format=xlsx").get_data()), read_only=True).active
    assert list(xlsx.iter_rows(values_only=True))[-1][3:] == (0, 1)


def test_unknown_tables_and_formats_are_not_found(app, data):
    client = client_of(data, "county_tpe")
    assert client.get("/stats/download?table=counties").status_code == 404     # a county lists units
    assert client.get("/stats/download?table=units").status_code == 200
    assert client.get("/stats/download?format=pdf").status_code == 404
    ministry = client_of(data, "ministry")
    assert ministry.get("/stats/download?table=units").status_code == 404
    assert ministry.get(f"/stats/unit/{data.units['C'].id}/download?table=units").status_code == 404


def test_past_years_are_kept_for_a_while_and_this_year_is_always_live(app, data, monkeypatch, make_person):
    """memo.py: with STATS_PAST_SECONDS on, a past year's books are read once per worker and period (a book
    backdated into last year shows only when the period ends), this year's at every view."""
    app.config["STATS_PAST_SECONDS"] = 600
    memo.forget()
    clock = [1000.0]
    monkeypatch.setattr(memo.time, "monotonic", lambda: clock[0])
    view = scopes.own(data.users["ministry"])
    first = figures.books_by_year(view, [Y - 1, Y])
    assert first == {Y - 1: 1, Y: 1}
    db.session.add_all([RecordBook(person_id=data.people[who].id, number=f"TPE-{n}", unit_id=data.units["B"].id,
                                   issued_on=day, authority_id=authority_for("county", "TPE", None).id)
                        for n, who, day in ((2, "b", date(Y - 1, 6, 1)), (3, "new", date(Y, 2, 1)))])
    db.session.commit()
    assert figures.books_by_year(view, [Y - 1, Y]) == {Y - 1: 1, Y: 2}      # this year live, last year kept
    clock[0] += 599.9
    assert figures.books_by_year(view, [Y - 1, Y])[Y - 1] == 1
    clock[0] += 0.2                                                          # 600.1 s later: read again
    assert figures.books_by_year(view, [Y - 1, Y]) == {Y - 1: 2, Y: 2}
    app.config["STATS_PAST_SECONDS"] = 0                                     # off: always read
    late = make_person([data.units["A"]], name="補登志工")
    db.session.add(RecordBook(person_id=late.id, number="TPE-4", unit_id=data.units["A"].id,
                              issued_on=date(Y - 1, 7, 1), authority_id=authority_for("county", "TPE", None).id))
    db.session.commit()
    assert figures.books_by_year(view, [Y - 1, Y])[Y - 1] == 3
    memo.forget()
