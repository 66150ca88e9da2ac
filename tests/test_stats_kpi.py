"""The KPI definitions (docs/kpi.md, portal/stats/kpi.py) on a small hand-made data set whose numbers were
worked out by hand: active volunteers on 31 December, 65+, growth, "n/a", breakdowns, the edges of leaving
and joining days and of 65th birthdays, completeness; the frozen, live and recounted figures agree."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update

from portal.hours.models import HourEntry
from portal.insurance.models import InsuranceEnrolment, InsurancePolicy
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.records.serving import HeadcountDay, fold, key_of, keys_of_unit, live_counts, parse_key, rebuild
from portal.records.summaries import hours_until
from portal.registry.models import Membership, Person
from portal.stats import kpi
from portal.stats.headcounts import HeadcountYear, differences, freeze, recounted
from tests.conftest import login
from tests.test_records import issue_for, make_ready

TODAY = "2026-06-15 04:00:00"        # noon in Taipei; 2026 is the year in progress
YOUNG = date(1980, 5, 5)
NUMBERS: list = []


def person(name, birth_date=YOUNG):
    p = Person(name=name, id_kind="national", id_number=f"Z{len(NUMBERS) + 1:09d}", birth_date=birth_date)
    NUMBERS.append(p.id_number)
    db.session.add(p)
    return p


def serve(p, unit, joined, left=None, status="active"):
    p.memberships.append(Membership(unit=unit, field_code=unit.field_code, joined_on=joined, left_on=left,
                                    status="left" if left else status))


@pytest.fixture
def kpi_world(app, make_unit):
    """Taipei: A (social, private) and B (education, public); Kaohsiung: C (social, public); Hualien: D (social,
    private), whose only volunteer joined in 2025."""
    with freeze_time(TODAY):
        a, b = make_unit("TPE", "social", "private", code="A"), make_unit("TPE", "education", "public", code="B")
        c, d = make_unit("KHH", "social", "public", code="C"), make_unit("HUA", "social", "private", code="D")
        p = {}
        p[1] = person("turns 65 on 1 Jan 2025", date(1960, 1, 1)); serve(p[1], a, date(2020, 1, 1))
        p[2] = person("turns 65 on 31 Dec 2024, two units", date(1959, 12, 31))
        serve(p[2], a, date(2020, 1, 1)); serve(p[2], b, date(2020, 1, 1))
        p[4] = person("left 31 Dec 2024"); serve(p[4], a, date(2021, 1, 1), date(2024, 12, 31))
        p[5] = person("left 30 Dec 2024"); serve(p[5], a, date(2021, 1, 1), date(2024, 12, 30))
        p[6] = person("left 1 Jan 2025"); serve(p[6], a, date(2021, 1, 1), date(2025, 1, 1))
        p[7] = person("joined 1 Jan 2025"); serve(p[7], a, date(2025, 1, 1))
        p[8] = person("joined 31 Dec 2024"); serve(p[8], a, date(2024, 12, 31))
        p[9] = person("no birth date", None); serve(p[9], b, date(2022, 1, 1))
        p[10] = person("Kaohsiung", date(1950, 1, 1)); serve(p[10], c, date(2019, 1, 1))
        p[11] = person("Hualien", date(1955, 1, 1)); serve(p[11], d, date(2025, 3, 1))
        p[12] = person("left without a date"); serve(p[12], a, date(2020, 1, 1), status="left")
        p[13] = person("paused", date(1958, 3, 3)); serve(p[13], b, date(2023, 1, 1), status="paused")
        p[14] = person("joins next month"); serve(p[14], a, date(2026, 7, 1))
        p[15] = person("leaves today"); serve(p[15], b, date(2020, 1, 1), date(2026, 6, 15))
        db.session.commit()
        yield {"units": {"A": a, "B": b, "C": c, "D": d}, "people": p}


# Worked out by hand from the fixture's comments. 31 Dec 2024, Taipei: 1, 2, 4, 6, 8, 9, 13, 15 = 8 (5 left the
# day before, 7 not yet joined, 12 has no leaving date, 2 counts once); 65+ (born 1959 or before): 2, 13.
# 31 Dec 2025: 1, 2, 7, 8, 9, 13, 15 = 7; 65+ (born 1960 or before): 1, 2, 13. Today (15 Jun 2026): the same 7
# (15 leaves today and still counts, 14 joins next month); 65+ (born 1961 or before): 1, 2, 13.
EXPECTED = {  # (scope, year): (volunteers, volunteers_prev, growth, 65+, 65+ prev, growth 65+)
    ("county:TPE", 2025): (7, 8, Decimal("-12.5"), 3, 2, Decimal("50.0")),
    ("county:TPE", 2026): (7, 7, Decimal("0.0"), 3, 3, Decimal("0.0")),
    ("county:KHH", 2025): (1, 1, Decimal("0.0"), 1, 1, Decimal("0.0")),
    ("county:HUA", 2025): (1, 0, None, 1, 0, None),                      # nobody last year: n/a
    ("all", 2025): (9, 9, Decimal("0.0"), 5, 3, Decimal("66.7")),
    ("county_field:TPE:social", 2025): (4, 5, Decimal("-20.0"), 2, 1, Decimal("100.0")),
    ("county_field:TPE:education", 2025): (4, 4, Decimal("0.0"), 2, 2, Decimal("0.0")),
    ("field:social", 2025): (6, 6, Decimal("0.0"), 4, 2, Decimal("100.0")),
    ("sector:public", 2025): (5, 5, Decimal("0.0"), 3, 3, Decimal("0.0")),
    ("county_sector:TPE:private", 2025): (4, 5, Decimal("-20.0"), 2, 1, Decimal("100.0")),
    ("county:PEN", 2025): (0, 0, None, 0, 0, None),
}


def figures(h: kpi.Headcounts):
    return (h.volunteers, h.volunteers_prev, h.growth_pct, h.volunteers_65, h.volunteers_65_prev, h.growth_65_pct)


@pytest.mark.parametrize("frozen", [False, True], ids=["recounted", "frozen"])
def test_headcounts_match_the_hand_computed_values(kpi_world, frozen):
    with freeze_time(TODAY):
        if frozen:
            for year in (2024, 2025):
                freeze(year)
            db.session.commit()
        for (scope, year), expected in EXPECTED.items():
            found = kpi.headcounts(scope, year)
            assert figures(found) == expected, (scope, year)
            assert found.provisional is (year == 2026) and found.year == year


def test_units_count_their_own_people(kpi_world):
    units = kpi_world["units"]
    with freeze_time(TODAY):
        assert figures(kpi.headcounts(f"unit:{units['A'].id}", 2025))[:2] == (4, 5)   # 1, 2, 7, 8 / 1, 2, 4, 6, 8
        assert figures(kpi.headcounts(f"unit:{units['B'].id}", 2026))[:2] == (4, 4)   # 2, 9, 13, 15


def test_breakdowns_by_county_field_and_sector(kpi_world):
    with freeze_time(TODAY):
        by_county = kpi.headcounts_by("all", 2025, "county")
        assert list(by_county)[:3] == ["TPE", "NWT", "TAO"] and len(by_county) == 22
        assert figures(by_county["HUA"]) == EXPECTED[("county:HUA", 2025)]
        assert figures(by_county["TPE"]) == EXPECTED[("county:TPE", 2025)]
        by_field = kpi.headcounts_by("county:TPE", 2025, "field")
        assert (by_field["social"].volunteers, by_field["education"].volunteers, by_field["health"].volunteers) == (4, 4, 0)
        # A volunteer serving in both fields counts once in the county: the parts do not add up to the whole.
        assert sum(h.volunteers for h in by_field.values()) == 8 != kpi.headcounts("county:TPE", 2025).volunteers
        by_sector = kpi.headcounts_by("county:TPE", 2025, "sector")
        assert {k: h.volunteers for k, h in by_sector.items()} == {"public": 4, "private": 4}
        assert list(kpi.headcounts_by("county:TPE", 2025, "county")) == ["TPE"]
        unit_a = kpi_world["units"]["A"]
        assert list(kpi.headcounts_by(f"unit:{unit_a.id}", 2025, "sector")) == ["private"]
        with pytest.raises(ValueError):
            kpi.headcounts_by("all", 2025, "colour")


@pytest.mark.parametrize("left,day,counts", [
    (date(2024, 12, 30), date(2024, 12, 31), False),
    (date(2024, 12, 31), date(2024, 12, 31), True),     # the leaving day is still a day of service
    (date(2025, 1, 1), date(2024, 12, 31), True),
    (None, date(2024, 12, 31), True),
])
def test_leaving_on_either_side_of_31_december(left, day, counts):
    assert kpi.serves_on(date(2020, 1, 1), left, "left" if left else "active", day) is counts


@pytest.mark.parametrize("joined,counts", [(date(2024, 12, 31), True), (date(2025, 1, 1), False)])
def test_joining_on_either_side_of_31_december(joined, counts):
    assert kpi.serves_on(joined, None, "active", date(2024, 12, 31)) is counts


@pytest.mark.parametrize("status,counts", [("active", True), ("paused", True), ("trainee", True), ("left", False)])
def test_statuses_without_a_leaving_date(status, counts):
    assert kpi.serves_on(date(2020, 1, 1), None, status, date(2024, 12, 31)) is counts


@pytest.mark.parametrize("born,year,older", [
    (date(1959, 12, 31), 2024, True),    # 65 on 31 December 2024 itself
    (date(1960, 1, 1), 2024, False),     # 65 on 1 January 2025
    (date(1960, 1, 1), 2025, True),
    (date(1960, 2, 29), 2025, True),
    (None, 2025, False),                 # no birth date: never counted as 65+
])
def test_aged_65_on_31_december(born, year, older):
    assert kpi.aged_65_plus(born, year) is older


@pytest.mark.parametrize("now,before,expected", [
    (1003, 1000, Decimal("0.3")),
    (17, 16, Decimal("6.3")),          # 6.25: half up, not to even
    (15, 16, Decimal("-6.3")),         # -6.25: halves away from zero
    (2, 3, Decimal("-33.3")),
    (5, 0, None), (0, 0, None),
    (0, 4, Decimal("-100.0")),
])
def test_growth_to_one_decimal(now, before, expected):
    assert kpi.growth_pct(now, before) == expected


def test_targets_per_year():
    assert kpi.targets(2024) == kpi.Targets(Decimal(90), Decimal(100), Decimal(2), Decimal("6.5"))
    assert kpi.targets(2025) == kpi.Targets(Decimal(95), Decimal(100), Decimal(2), Decimal(7))
    assert kpi.targets(2027) == kpi.targets(2025) and kpi.targets(2020) == kpi.targets(2024)


def test_a_year_not_begun_is_refused(kpi_world):
    with freeze_time(TODAY), pytest.raises(ValueError):
        kpi.headcounts("all", 2027)


def test_scope_keys_round_trip():
    for key in keys_of_unit(7, "TPE", "social", "public"):
        assert key_of(parse_key(key)) == key
    assert keys_of_unit(7, "TPE", "social", "public") >= {"all", "unit:7", "county:TPE", "county_field:TPE:social",
                                                          "field:social", "county_field_sector:TPE:social:public"}
    for bad in ("county", "field_county:social:TPE", "county:", "unit:x", "planet:earth"):
        with pytest.raises(ValueError):
            parse_key(bad)


def test_freezing_writes_every_key_once_and_the_live_summary_agrees(kpi_world):
    with freeze_time(TODAY):
        freeze(2025)
        db.session.commit()
        rows = {r.scope: (r.people, r.people_65) for r in db.session.scalars(
            select(HeadcountYear).where(HeadcountYear.year == 2025))}
        for scope, counted in rows.items():
            assert counted == recounted(scope, date(2025, 12, 31), 2025), scope
        assert rows["all"] == (9, 5) and "county:PEN" not in rows
        units = kpi_world["units"]
        for unit in units.values():
            for key in keys_of_unit(unit.id, unit.county_code, unit.field_code, unit.sector):
                assert kpi.counts([key], 2026)[key] == recounted(key, today_taipei(), 2026), key
        assert db.session.scalar(select(HeadcountDay.day).where(HeadcountDay.day > date(2026, 6, 15))
                                 .order_by(HeadcountDay.day).limit(1)) == date(2026, 6, 16)  # 15 leaves after today


def test_the_home_page_the_kpi_and_a_recount_agree(kpi_world, client, make_user):
    from portal.registry.operations import authority_for
    with freeze_time(TODAY):
        county = make_user("county.tpe", "county", authority_id=authority_for("county", "TPE", None).id)
        clerk = make_user("clerk.b", "unit_clerk", unit_id=kpi_world["units"]["B"].id)
        for user, expected in ((county, 7), (clerk, 4)):
            scope = kpi.scope_of(user)
            assert kpi.headcounts(scope, 2026).volunteers == expected == recounted(scope, today_taipei(), 2026)[0]
            login(client, user)
            assert f'<span class="card-number">{expected}</span>' in client.get("/").get_data(as_text=True)
    # The next day the volunteer who left on 15 June no longer counts, with no write in between.
    with freeze_time("2026-06-16 04:00:00"):
        assert kpi.headcounts("county:TPE", 2026).volunteers == 6
        assert kpi.headcounts(f"unit:{kpi_world['units']['B'].id}", 2026).volunteers == 3


def test_completeness_of_a_scope(world, client):
    """Taipei has four current records (甲 and 共同 in A, 乙 and 共同 in B); 甲's in A is made complete."""
    today = today_taipei()
    full = make_ready(world.people["a"])
    issue_for(world, client, full)
    policy = InsurancePolicy(unit_id=world.units["A"].id, insurer_code="first", insurer_name="第一產物保險",
                             policy_no="P1", starts_on=date(today.year, 1, 1), ends_on=date(today.year, 12, 31))
    db.session.add_all([policy, InsuranceEnrolment(policy=policy, person_id=full.id, unit_id=world.units["A"].id,
                                                   starts_on=policy.starts_on, ends_on=policy.ends_on),
                        HourEntry(person_id=full.id, unit_id=world.units["A"].id, start_on=today, end_on=today,
                                  half_hours=4, field_code="social")])
    db.session.commit()
    assert kpi.completeness_pct("county:TPE", today) == Decimal("25.0")
    assert kpi.completeness_pct("county_field:TPE:social", today) == Decimal("50.0")
    assert kpi.completeness_pct(f"unit:{world.units['A'].id}", today) == Decimal("50.0")
    assert kpi.completeness_pct("all", today) == Decimal("20.0")
    assert kpi.completeness_pct("county:KHH", today) == Decimal("0.0")
    assert kpi.completeness_pct("county:HUA", today) is None          # no records at all
    assert kpi.completeness_counts("county:TPE", today) == (4, 1)
    # Complete while both the cover (the whole year) and today's hours (until hours_until) last.
    last = min(date(today.year, 12, 31), hours_until(today) - timedelta(days=1))
    assert kpi.completeness_pct("county:TPE", last) == Decimal("25.0")
    if last < date(today.year, 12, 31):     # a clock early in the year: the hours go stale before the cover
        assert kpi.completeness_pct("county:TPE", last + timedelta(days=1)) == Decimal("0.0")
    assert kpi.completeness_pct("county:TPE", date(today.year + 1, 1, 1)) == Decimal("0.0")


# --- the live summary equals the recomputation after any sequence of writes -------------------------------

@pytest.fixture
def crowd(app, make_unit, make_person):
    units = [make_unit("TPE", "social", "private"), make_unit("TPE", "education", "public"),
             make_unit("KHH", "social", "public")]
    people = [make_person([units[i % 3]], name=f"志工{i}", birth_date=date(1955 + 5 * i, 12, 31)) for i in range(4)]
    return units, [p.id for p in people]


writes = st.lists(st.tuples(
    st.sampled_from(["join", "join_later", "leave", "leave_today", "left_no_date", "pause", "rejoin", "birth",
                     "no_birth", "bulk_leave", "bulk_status", "insert", "delete"]),
    st.integers(0, 11), st.integers(-800, 800)), min_size=1, max_size=15)


def write(op, pick, offset, units, person_ids, today):
    person_id, unit = person_ids[pick % 4], units[pick % 3]
    person = db.session.get(Person, person_id)
    memberships = db.session.scalars(select(Membership).where(Membership.person_id == person_id)
                                     .order_by(Membership.id)).all()
    chosen = memberships[pick % len(memberships)] if memberships else None
    day = today + timedelta(days=offset)
    if op in ("join", "join_later"):
        joined = day if op == "join_later" else today - timedelta(days=abs(offset))
        joined -= timedelta(days=len(memberships))
        if not any(m.unit_id == unit.id and m.field_code == unit.field_code and m.joined_on == joined
                   for m in memberships):
            db.session.add(Membership(person_id=person_id, unit_id=unit.id, field_code=unit.field_code,
                                      joined_on=joined, status="active"))
    elif op in ("leave", "leave_today") and chosen:
        chosen.left_on = max(chosen.joined_on, today if op == "leave_today" else day)
        chosen.status = "left"
    elif op == "left_no_date" and chosen:
        chosen.left_on, chosen.status = None, "left"
    elif op == "pause" and chosen:
        chosen.status = "paused"
    elif op == "rejoin" and chosen:
        chosen.left_on, chosen.status = None, "trainee"
    elif op == "birth":
        person.birth_date = date(1940 + pick * 3, 1 + pick, 1)
    elif op == "no_birth":
        person.birth_date = None
    elif op == "bulk_leave":
        db.session.execute(update(Membership).where(Membership.unit_id == unit.id)
                           .values(status="left", left_on=today - timedelta(days=abs(offset) % 30),
                                   version=Membership.version + 1))
    elif op == "bulk_status":
        db.session.execute(update(Membership).where(Membership.person_id == person_id)
                           .values(status="active", left_on=None, version=Membership.version + 1))
    elif op == "insert":
        if not any(m.unit_id == unit.id and m.field_code == "health" and m.joined_on == day for m in memberships):
            db.session.execute(insert(Membership), [{"person_id": person_id, "unit_id": unit.id, "field_code": "health",
                                                     "joined_on": day, "status": "active", "version": 1}])
    elif op == "delete" and chosen:
        db.session.execute(delete(Membership).where(Membership.id == chosen.id))


def all_keys(units):
    keys = set()
    for unit in units:
        keys |= keys_of_unit(unit.id, unit.county_code, unit.field_code, unit.sector)
    return sorted(keys | {"county:KHH", "county:HUA", "field:health"})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=writes)
def test_the_live_headcount_equals_a_recount_after_any_writes(crowd, sequence):
    units, person_ids = crowd
    db.session.execute(delete(Membership).where(Membership.person_id.in_(person_ids[1:])))
    db.session.commit()
    today = today_taipei()
    for op, pick, offset in sequence:
        write(op, pick, offset, units, person_ids, today)
        db.session.flush()
        db.session.expire_all()
    db.session.commit()
    keys = all_keys(units)
    days = [today, today + timedelta(days=1), today + timedelta(days=30), today + timedelta(days=801)]
    for day in days:
        for year in (today.year, today.year + 1, today.year + 30):
            live = live_counts(keys, day, year)
            assert live == {k: recounted(k, day, year) for k in keys}, (day, year)
    assert differences() == 0
    fold(today=today + timedelta(days=30))
    assert live_counts(keys, today + timedelta(days=30), today.year) == {
        k: recounted(k, today + timedelta(days=30), today.year) for k in keys}
    rebuild()
    assert differences() == 0
    db.session.rollback()
