"""Insurance over time (issue 17, item 1): cover periods, gaps and overlaps, hours on uninsured days,
age-cap and policy-end notices, the county's enrolment screen (docs/rules/insurance.md#i5–#i8)."""
import re
from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import select

from portal.hours.models import EntryStatus, HourEntry
from portal.insurance import rules
from portal.insurance import views as insurance_views
from portal.insurance.cover import uninsured_entries
from portal.insurance.facts import years_before
from portal.insurance.models import EnrolmentStatus, InsuranceEnrolment, InsurancePolicy
from portal.main import reminders
from portal.notifications.models import Notification
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from tests.conftest import login

D = date
YEAR = 2025
YEAR_START, YEAR_END = D(YEAR, 1, 1), D(YEAR, 12, 31)


def span(start, end, unit_id=1, status=EnrolmentStatus.ACTIVE, id_=0):
    return SimpleNamespace(starts_on=start, ends_on=end, unit_id=unit_id, status=status, id=id_)


# --- pure rules, both edges -------------------------------------------------------------------

def test_cover_following_on_the_next_day_is_one_period_and_leaves_no_gap():
    periods = rules.cover_periods([span(D(2025, 1, 1), D(2025, 12, 31)), span(D(2026, 1, 1), D(2026, 12, 31))])
    assert periods == [rules.Period(D(2025, 1, 1), D(2026, 12, 31))]
    assert rules.cover_gaps(periods) == []


def test_cover_starting_two_days_after_the_end_leaves_a_one_day_gap():
    periods = rules.cover_periods([span(D(2025, 1, 1), D(2025, 12, 31)), span(D(2026, 1, 2), D(2026, 12, 31))])
    gaps = rules.cover_gaps(periods)
    assert gaps == [rules.Period(D(2026, 1, 1), D(2026, 1, 1))] and gaps[0].days == 1


def test_void_cover_is_no_period():
    assert rules.cover_periods([span(D(2025, 1, 1), D(2025, 3, 1), status=EnrolmentStatus.VOID)]) == []


def test_overlap_needs_a_shared_day_of_the_same_unit():
    a = span(D(2025, 1, 1), D(2025, 6, 30), id_=1)
    sharing = span(D(2025, 6, 30), D(2025, 12, 31), id_=2)
    next_day = span(D(2025, 7, 1), D(2025, 12, 31), id_=3)
    other_unit = span(D(2025, 3, 1), D(2025, 4, 1), unit_id=2, id_=4)
    assert rules.cover_overlaps([a, sharing]) == [(a, sharing)]
    assert rules.cover_overlaps([a, next_day]) == []
    assert rules.cover_overlaps([a, other_unit]) == []


def test_uninsured_days_of_an_entry():
    periods = [rules.Period(D(2025, 1, 1), D(2025, 6, 30)), rules.Period(D(2025, 7, 2), D(2025, 12, 31))]
    assert not rules.uninsured_days(D(2025, 6, 30), D(2025, 6, 30), periods)     # the last day of cover
    assert rules.uninsured_days(D(2025, 7, 1), D(2025, 7, 1), periods)           # the day after
    assert rules.uninsured_days(D(2025, 6, 29), D(2025, 7, 3), periods)          # a range over the gap
    assert not rules.uninsured_days(D(2025, 7, 2), D(2025, 7, 3), periods)
    assert rules.uninsured_days(D(2024, 12, 31), D(2024, 12, 31), periods)


def test_cap_day_and_the_sixty_day_notice():
    assert rules.cap_day(D(1950, 5, 10), 75) == D(2025, 5, 10)
    assert rules.cap_day(D(1948, 2, 29), 75) == D(2023, 3, 1)       # as Person.age_on counts it
    assert rules.cap_day(None, 75) is None and rules.cap_day(D(1950, 5, 10), None) is None
    day = D(2025, 5, 10)
    assert not rules.notice_due(day, day - timedelta(days=61))
    assert rules.notice_due(day, day - timedelta(days=60))
    assert rules.notice_due(day, day) and not rules.notice_due(day, day + timedelta(days=1))
    cover = span(D(2025, 1, 1), D(2025, 12, 31))
    assert rules.reaches_cap_in_cover(cover, D(1950, 5, 10), 75, D(2025, 3, 11)) == day       # 60 days
    assert rules.reaches_cap_in_cover(cover, D(1950, 5, 10), 75, D(2025, 3, 10)) is None      # 61 days
    assert rules.reaches_cap_in_cover(span(D(2025, 1, 1), D(2025, 5, 9)), D(1950, 5, 10), 75, day) is None


# --- the SQL flag equals the rule -------------------------------------------------------------

def add_policy(unit=None, authority=None, start=YEAR_START, end=YEAR_END, insurer=("shinkong", "新光人壽"),
               number="SK-1"):
    policy = InsurancePolicy(unit_id=getattr(unit, "id", None), authority_id=getattr(authority, "id", None),
                             insurer_code=insurer[0], insurer_name=insurer[1], policy_no=number,
                             starts_on=start, ends_on=end)
    db.session.add(policy)
    db.session.flush()
    return policy


def add_cover(policy, person, unit, start, end, status=EnrolmentStatus.ACTIVE):
    enrolment = InsuranceEnrolment(policy_id=policy.id, person_id=person.id, unit_id=unit.id, starts_on=start,
                                   ends_on=end, status=status)
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def add_entry(person, unit, start, end=None, status=EntryStatus.ACTIVE, half_hours=4):
    entry = HourEntry(person_id=person.id, unit_id=unit.id, start_on=start, end_on=end or start,
                      half_hours=half_hours, field_code=unit.field_code, status=status)
    db.session.add(entry)
    db.session.flush()
    return entry


def flagged(user, year=YEAR, unit_id=None) -> set[int]:
    return {e.id for e in db.session.scalars(uninsured_entries(user, year, unit_id))}


def test_an_entry_the_day_after_cover_ended_is_flagged_and_the_last_day_is_not(world):
    a, unit = world.people["a"], world.units["A"]
    policy = add_policy(unit)
    add_cover(policy, a, unit, D(YEAR, 1, 1), D(YEAR, 6, 30))
    last = add_entry(a, unit, D(YEAR, 6, 30))
    after = add_entry(a, unit, D(YEAR, 7, 1))
    assert flagged(world.users["clerk_a"]) == {after.id}
    assert last.id not in flagged(world.users["county_tpe"])


def test_ranges_renewals_statuses_and_units(world):
    a, shared, unit_a, unit_b = world.people["a"], world.people["shared"], world.units["A"], world.units["B"]
    first = add_policy(unit_a, start=D(YEAR, 1, 1), end=D(YEAR, 6, 30))
    second = add_policy(unit_a, start=D(YEAR, 7, 1), end=D(YEAR, 12, 31), number="SK-2")
    add_cover(first, a, unit_a, D(YEAR, 1, 1), D(YEAR, 6, 30))
    add_cover(second, a, unit_a, D(YEAR, 7, 2), D(YEAR, 12, 31))          # one day's gap: 1 July
    add_cover(second, shared, unit_a, D(YEAR, 7, 1), D(YEAR, 12, 31), status=EnrolmentStatus.VOID)
    across_renewal = add_entry(a, unit_a, D(YEAR, 6, 29), D(YEAR, 6, 30))
    over_gap = add_entry(a, unit_a, D(YEAR, 6, 30), D(YEAR, 7, 2))
    after_gap = add_entry(a, unit_a, D(YEAR, 7, 2), D(YEAR, 7, 20))
    claim = add_entry(a, unit_a, D(YEAR, 7, 1), status=EntryStatus.PENDING, half_hours=2)
    void = add_entry(a, unit_a, D(YEAR, 7, 1), status=EntryStatus.VOID, half_hours=3)
    void_cover = add_entry(shared, unit_a, D(YEAR, 8, 1))
    other_unit = add_entry(shared, unit_b, D(YEAR, 8, 1))                 # unit B holds no policy
    found = flagged(world.users["county_tpe"])
    assert found == {over_gap.id, claim.id, void_cover.id, other_unit.id}
    assert not {across_renewal.id, after_gap.id, void.id} & found
    assert flagged(world.users["clerk_a"]) == {over_gap.id, claim.id, void_cover.id}
    assert flagged(world.users["county_tpe"], unit_id=unit_b.id) == {other_unit.id}
    assert flagged(world.users["county_khh"]) == set()
    assert flagged(world.users["clerk_a"], year=YEAR + 1) == set()


def test_the_lists_show_the_flagged_entries_in_scope_and_the_work_lists_count_them(world, client):
    year = today_taipei().year
    a, b, unit_a, unit_b = world.people["a"], world.people["b"], world.units["A"], world.units["B"]
    policy = add_policy(unit_a, start=D(year, 1, 1), end=D(year, 12, 31))
    add_cover(policy, a, unit_a, D(year, 1, 1), D(year, 1, 1))
    add_entry(a, unit_a, D(year, 1, 1))                      # the last day of cover
    add_entry(a, unit_a, D(year, 1, 2), half_hours=5)        # the day after
    add_entry(b, unit_b, D(year, 1, 2), half_hours=7)
    db.session.commit()
    login(client, world.users["clerk_a"])
    page = client.get("/insurance/uninsured").get_data(as_text=True)
    assert "甲志工" in page and "2.5" in page and "乙志工" not in page
    home = client.get("/").get_data(as_text=True)
    assert "/insurance/uninsured" in home
    login(client, world.users["county_tpe"])
    page = client.get(f"/insurance/uninsured?unit={unit_b.id}").get_data(as_text=True)
    assert "乙志工" in page and "甲志工" not in page
    assert client.get("/insurance/uninsured?year=x&unit=999999").status_code == 200
    login(client, world.users["county_khh"])
    assert "甲志工" not in client.get("/insurance/uninsured").get_data(as_text=True)


# --- notices 60 days ahead (I7) -----------------------------------------------------------------

def notices() -> list[tuple[int, str]]:
    return [(n.user_id, n.event) for n in db.session.scalars(select(Notification).order_by(Notification.id))]


def test_the_age_cap_and_the_policy_end_are_told_sixty_days_ahead_once(world, make_person):
    unit, clerk, supervisor = world.units["A"], world.users["clerk_a"], world.users["supervisor_a"]
    old = make_person([unit], name="將滿七五", birth_date=D(1950, 5, 10))          # 75 on 10 May 2025
    policy = add_policy(unit, start=YEAR_START, end=D(YEAR, 6, 30))
    add_cover(policy, old, unit, YEAR_START, D(YEAR, 6, 30))
    db.session.commit()
    cap_day, end_day = D(YEAR, 5, 10), D(YEAR, 6, 30)
    assert reminders.insurance_age_caps(cap_day - timedelta(days=61)) == 0
    assert reminders.insurance_policies_ending(end_day - timedelta(days=61)) == 0
    assert reminders.insurance_age_caps(cap_day - timedelta(days=60)) == 1
    assert reminders.insurance_age_caps(cap_day - timedelta(days=59)) == 0          # once only
    assert reminders.insurance_policies_ending(end_day - timedelta(days=60)) == 1
    assert reminders.insurance_policies_ending(end_day) == 0
    db.session.commit()
    assert sorted(notices()) == sorted([(clerk.id, "insurance.age_cap"), (supervisor.id, "insurance.age_cap"),
                                        (clerk.id, "insurance.policy_ending"),
                                        (supervisor.id, "insurance.policy_ending")])
    note = db.session.scalar(select(Notification).where(Notification.event == "insurance.age_cap"))
    assert note.params["date"] == cap_day.isoformat() and note.params["cap"] == 75
    assert note.link == f"/insurance/people/{old.id}"


def test_no_notice_when_the_cap_falls_outside_the_cover_or_a_next_policy_follows(world, make_person):
    unit, county = world.units["A"], world.users["county_tpe"]
    older = make_person([unit], name="已滿八十", birth_date=D(1945, 8, 1))          # 80 on 1 August 2025
    first = add_policy(unit, start=YEAR_START, end=D(YEAR, 6, 30))
    add_policy(unit, start=D(YEAR, 7, 1), end=YEAR_END, number="SK-2")             # the renewal is recorded
    add_cover(first, older, unit, YEAR_START, D(YEAR, 6, 30))                    # cover ends before 1 August
    county_policy = add_policy(authority=county.authority, start=YEAR_START, end=YEAR_END,
                               insurer=("first", "第一產物保險"), number="TPE-1")
    add_cover(county_policy, older, unit, YEAR_START, YEAR_END)
    db.session.commit()
    assert reminders.insurance_age_caps(D(YEAR, 7, 1)) == 1                       # the county's cover, cap 80
    assert reminders.insurance_policies_ending(D(YEAR, 6, 1)) == 0               # SK-1 is followed by SK-2
    assert reminders.insurance_policies_ending(D(YEAR, 11, 1)) == 2              # SK-2 and the county's
    db.session.commit()
    assert {user for user, event in notices() if event == "insurance.age_cap"} == {county.id}


# --- the county's enrolment screen (I3) -----------------------------------------------------------

def test_the_county_enrolment_screen_shows_those_over_their_unit_cap_by_default_filtered_and_paged(
        world, client, make_person, monkeypatch):
    today = today_taipei()
    unit_a, unit_b = world.units["A"], world.units["B"]
    add_policy(unit_a, start=D(today.year, 1, 1), end=D(today.year, 12, 31))                  # 新光, cap 75
    county_policy = add_policy(authority=world.users["county_tpe"].authority, start=D(today.year, 1, 1),
                               end=D(today.year, 12, 31), insurer=("first", "第一產物保險"), number="TPE-1")
    make_person([unit_a], name="剛滿七五", birth_date=years_before(today, 75))
    make_person([unit_a], name="還是七四", birth_date=years_before(today, 75) + timedelta(days=1))
    make_person([unit_b], name="乙校七五", birth_date=years_before(today, 75))                 # B has no policy
    make_person([world.units["C"]], name="高雄八十", birth_date=years_before(today, 80))
    db.session.commit()
    login(client, world.users["county_tpe"])
    url = f"/insurance/policies/{county_policy.id}"
    page = client.get(url).get_data(as_text=True)
    assert "剛滿七五" in page and "乙校七五" in page
    assert "還是七四" not in page and "甲志工" not in page and "高雄八十" not in page
    page = client.get(f"{url}?over=all&q=七").get_data(as_text=True)
    assert "剛滿七五" in page and "還是七四" in page and "甲志工" not in page
    page = client.get(f"{url}?unit={unit_b.id}").get_data(as_text=True)
    assert "乙校七五" in page and "剛滿七五" not in page
    monkeypatch.setattr(insurance_views, "CANDIDATES_PER_PAGE", 1)
    first = client.get(url).get_data(as_text=True)
    assert "剛滿七五" in first and "乙校七五" not in first and 'rel="next"' in first
    cursor = re.search(r'href="([^"]*cursor=[^"]*)" [^>]*rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(cursor, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "乙校七五" in second and "剛滿七五" not in second and "<html" not in second
    assert client.get(f"{url}?unit=x&over=nonsense&q=%00").status_code == 200
