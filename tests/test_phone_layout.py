"""Issue 14, narrow screens: the volunteer's home page answers "how many hours this year, in which units" from the
hour summaries, the hours page's summary follows its date filter, and on a phone (360×640, 390×844; the e-card
also at 320 px) the volunteer's pages and a unit roster are no wider than the screen, no table cell is narrower
than its longest word, and this year's hours per unit show without scrolling."""
import os
import re
from datetime import date
from pathlib import Path

import pytest
from flask_babel import force_locale
from freezegun import freeze_time
from playwright.sync_api import expect
from sqlalchemy import select

from portal.auth.operations import create_user
from portal.honor_cards import documents
from portal.honor_cards.models import HonorCard
from portal.hours.models import HourEntry
from portal.hours.operations import person_totals
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.records.models import RecordBook
from portal.registry.models import Membership, Person
from portal.registry.operations import authority_for, create_unit
from portal.volunteers.my_record import Step, honor_card_steps, year_units
from portal.volunteers.progress import HonorCardProgress
from tests.conftest import count_queries, login, sign_in_page
from tests.test_honor_cards import make_ready

# 16:30 on 31 December in UTC, already 1 January in Taipei: "this year" is the Taipei year.
NEW_YEAR_IN_TAIPEI = "2027-01-01T00:30:00+08:00"


def add(person, unit, day, half_hours, status="active", until=None):
    db.session.add(HourEntry(person_id=person.id, unit_id=unit.id, start_on=day, end_on=until or day,
                             half_hours=half_hours, field_code=unit.field_code, status=status))
    db.session.commit()


def year_rows(page: str) -> dict:
    """The home page's "this year by unit" table as {unit: hours}."""
    table = re.search(r'<table class="data compact home-units">.*?</table>', page, re.S).group(0)
    return {unit.strip(): hours.strip() for unit, hours in
            re.findall(r'<th scope="row">(.*?)</th><td class="num"[^>]*>(.*?)</td>', table)}


def test_home_page_hours_this_year_per_unit_for_a_volunteer_in_two_units(world, client, make_user):
    person = world.people["shared"]                     # serves in units A and B
    a, b = world.units["A"], world.units["B"]
    user = make_user("volunteer.shared", "volunteer", person_id=person.id)
    add(person, a, date(2026, 12, 31), 7)               # the last day of last year: not counted
    add(person, a, date(2027, 1, 1), 5)                 # the first day of this year: counted
    add(person, a, date(2026, 12, 30), 3, until=date(2027, 1, 1))   # counted in the year it starts
    add(person, b, date(2026, 6, 1), 9)                 # unit B: nothing this year, still listed with 0
    add(person, b, date(2027, 1, 1), 4, status="void")  # voided: never counted
    add(world.people["a"], a, date(2027, 1, 1), 8)      # someone else
    with freeze_time(NEW_YEAR_IN_TAIPEI, tick=True):
        assert today_taipei() == date(2027, 1, 1)
        login(client, user)
        client.post("/language", data={"lang": "en"})
        with count_queries() as statements:
            page = client.get("/").get_data(as_text=True)
        assert "My hours in 2027" in page
        assert year_rows(page) == {"Test Unit 1": "2.5", "Test Unit 2": "0"}
        assert '<span class="card-number">2.5</span> hours in all units this year' in page
        assert "All years together: 12 hours." in page        # 7 + 5 + 3 + 9 half-hours
        # Every total comes from one grouped query of the summaries; the list of entries is not read.
        summary = [s for s in statements if "FROM hour_months JOIN units" in s]   # (the honor-card engine reads
        assert len(summary) == 1 and "GROUP BY" in summary[0]                      # its months separately)
        assert not [s for s in statements if "hour_entries.entered_by_id" in s]
        client.post("/language", data={"lang": "zh_TW"})
        page = client.get("/").get_data(as_text=True)
        assert "116年度服務時數" in page and year_rows(page) == {"臺北甲協會": "2.5", "臺北乙國小": "0"}
    totals = person_totals(person.id, None)
    assert [(unit.id, half) for unit, half in totals.year_by_unit(2027)] == [(a.id, 5)]
    assert [(unit.id, half) for unit, half in totals.year_by_unit(2026)] == [(a.id, 10), (b.id, 9)]


def by_unit(page: str) -> dict:
    """The hours page's "By unit" totals as {unit: hours}."""
    section = page.split('id="by-unit"')[1].split('id="by-field"')[0]
    return dict(re.findall(r'<th scope="row">(.*?)</th><td class="num">(.*?)</td>', section))


def test_the_hours_page_summary_follows_the_date_filter(world, client, make_user):
    person = world.people["shared"]
    a, b = world.units["A"], world.units["B"]
    user = make_user("volunteer.shared", "volunteer", person_id=person.id)
    add(person, a, date(2025, 12, 31), 7)
    add(person, a, date(2026, 1, 1), 5)
    add(person, b, date(2026, 1, 15), 9)
    add(person, b, date(2026, 2, 1), 4, status="void")
    login(client, user)
    client.post("/language", data={"lang": "en"})
    everything = client.get("/hours/").get_data(as_text=True)
    assert '<span class="card-number">10.5</span>' in everything and "Service dates" not in everything
    # htmx asks for the results block when a date changes: the totals are part of it.
    january = client.get("/hours/?start=2026-01-01&end=2026-01-31", headers={"HX-Request": "true"})
    fragment = january.get_data(as_text=True)
    assert "<html" not in fragment and '<span class="card-number">7</span>' in fragment
    assert "Service dates 2026-01-01 to 2026-01-31" in fragment
    assert by_unit(fragment) == {"Test Unit 2": "4.5", "Test Unit 1": "2.5"}
    last_day = client.get("/hours/?end=2025-12-31").get_data(as_text=True)   # a day inside a summarised month
    assert '<span class="card-number">3.5</span>' in last_day and by_unit(last_day) == {"Test Unit 1": "3.5"}
    # One volunteer's list has no name and ID columns repeating that person on every row (cards on a phone).
    assert ">ID number</th>" not in everything and ">Service field</th>" in everything


def test_a_staff_page_of_one_volunteers_hours_totals_follow_its_dates(world, client):
    """The unit's page of one volunteer, filtered by dates, shows the totals of those dates, labelled with them,
    not the lifetime totals; without dates, all of them."""
    person = world.people["shared"]
    a, b = world.units["A"], world.units["B"]
    add(person, a, date(2025, 12, 31), 7)
    add(person, a, date(2026, 1, 1), 5)
    add(person, b, date(2026, 1, 15), 9)
    login(client, world.users["ministry"])
    client.post("/language", data={"lang": "en"})
    everything = client.get(f"/hours/people/{person.id}").get_data(as_text=True)
    assert '<span class="card-number">10.5</span>' in everything and "Service dates" not in everything
    january = client.get(f"/hours/people/{person.id}?start=2026-01-01&end=2026-01-31").get_data(as_text=True)
    assert '<span class="card-number">7</span>' in january and "Service dates 2026-01-01 to 2026-01-31" in january
    assert by_unit(january) == {"Test Unit 2": "4.5", "Test Unit 1": "2.5"}
    assert ">ID number</th>" not in january


def test_who_acts_on_each_missing_honor_card_check(app):
    def steps(missing, has_book=True, eligible=False):
        with force_locale("en"):
            return [Step(str(s.actor), s.text) for s in
                    honor_card_steps(HonorCardProgress(True, eligible, 0, "", missing=missing), has_book)]
    unit, you = "Your unit", "You"
    assert steps([("hours_entered", "Hours for 2026-11 not yet entered")], has_book=False) == [
        Step(unit, "Honor card: Hours for 2026-11 not yet entered.")]          # the unit enters them
    assert steps([("basic_training", "Basic training not verified")], has_book=False) == []   # the book's step says it
    assert steps([("basic_training", "Basic training not verified")]) == [
        Step(unit, "Honor card: Basic training not verified.")]
    assert steps([("hours", "Still needs 2 hours"), ("years", "3 years on 2027-05-01")]) == [
        Step(you, "Honor card: Still needs 2 hours; 3 years on 2027-05-01.")]  # only more service settles these
    assert steps([], eligible=True)[0].actor == unit and steps([]) == []


def test_units_served_today_are_listed_with_0_hours_this_year(world):
    a, b, c = world.units["A"], world.units["B"], world.units["C"]
    assert year_units([(a, 5)], [b, a]) == [(a, 5), (b, 0)]
    assert year_units([], [b, c, b]) == [(c, 0), (b, 0)]                      # by code (KHH before TPE), once
    assert year_units([(c, 3), (a, 1)], []) == [(c, 3), (a, 1)]              # a unit left this year keeps its hours


# --- in a phone's browser ---------------------------------------------------------------------------------------

SIZES = ((360, 640), (390, 844))
# Per page: wider than the screen; cells narrower than their longest word: content wider than the cell
# (scrollWidth > clientWidth), or a word (a run of Chinese characters between punctuation, or of other letters
# between spaces) wider than the cell's content box, which is how Chinese ends up one character per line; and
# where this year's hours per unit end (home page) and the validity dates sit (e-card).
MEASURE = """() => {
  const root = document.documentElement;
  const words = /[\\u3400-\\u9fff\\uf900-\\ufaff]+|[^\\s\\u3000-\\u303f\\u3400-\\u9fff\\uf900-\\ufaff\\uff00-\\uffef·–—]+/g;
  const widest = cell => {
    let most = 0;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(words)) {
        const range = document.createRange();
        range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        most = Math.max(most, [...range.getClientRects()].reduce((sum, r) => sum + r.width, 0));
      }
    }
    return most;
  };
  // (the headings of a list shown as cards are visually hidden: one pixel wide)
  const shown = c => c.offsetParent !== null && c.getBoundingClientRect().width > 1;
  const narrow = [...document.querySelectorAll('main td, main th')].filter(shown).filter(c => {
    const s = getComputedStyle(c);
    const room = c.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    return c.scrollWidth > c.clientWidth + 1 || widest(c) > room + 1;
  }).map(c => c.innerText.slice(0, 30) + ' ' + c.scrollWidth + '>' + c.clientWidth);
  const units = document.querySelector('.home-units');
  const card = document.querySelector('.honor-card'), valid = document.querySelector('.hc-valid');
  return {overflow: root.scrollWidth - root.clientWidth, narrow,
          unitsBottom: units ? units.getBoundingClientRect().bottom + scrollY : null,
          card: card && valid ? {cardRight: card.getBoundingClientRect().right, validRight: valid.getBoundingClientRect().right,
                                 clipped: valid.scrollWidth > valid.clientWidth + 1,
                                 font: parseFloat(getComputedStyle(valid).fontSize)} : null};
}"""


@pytest.fixture
def phone_world(live_server, monkeypatch):
    """A volunteer serving in two units (hours in both this year) with an honor card in force, and a clerk."""
    monkeypatch.setattr(documents, "_renderer", lambda photo: lambda prepared: b"%PDF-1.4 " +
                        prepared.short_code.encode())
    with live_server.app.app_context():
        wanhua = create_unit("TPE-W", "臺北市萬華社區服務協會", "TPE", "social", "private",
                             name_en="Taipei Wanhua Community Service Association")
        hospital = create_unit("TPE-H", "臺北市立聯合醫院志工隊", "TPE", "health", "public",
                               name_en="Taipei City Hospital Volunteer Corps")
        person = Person(name="林美玲", id_kind="national", id_number="A223456781", birth_date=date(1962, 4, 3))
        for unit in (wanhua, hospital):
            person.memberships.append(Membership(unit=unit, field_code=unit.field_code, joined_on=date(2019, 3, 1),
                                                 status="active"))
        db.session.add(person)
        for n, name in enumerate(("陳志明", "歐陽娜娜", "張簡淑芬")):
            other = Person(name=name, id_kind="national", id_number=f"A12345678{n}")
            other.memberships.append(Membership(unit=wanhua, field_code="social", joined_on=date(2020, 1, 1),
                                                status="active"))
            db.session.add(other)
        db.session.commit()
        make_ready(person, wanhua)
        today = today_taipei()
        add(person, hospital, today.replace(day=1), 13)
        county = authority_for("county", "TPE", None)
        db.session.scalar(select(RecordBook).where(RecordBook.person_id == person.id)).authority_id = county.id
        card = HonorCard(person_id=person.id, number="HC-TPE-115-000123", county_code="TPE", authority_id=county.id,
                         approved_on=today, valid_from=today, valid_to=date(today.year + 3, 1, 31))
        db.session.add(card)
        create_user("vol.lin", "correct-horse-battery", "volunteer", person_id=person.id, display_name="林美玲")
        create_user("clerk.w", "correct-horse-battery", "unit_clerk", unit_id=wanhua.id, display_name="萬華承辦人")
        db.session.commit()
        assert documents.issue_documents([card.id], None)[0] == 1
        return card.id


def shoot(page, name: str, lang: str):
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"phone-{name}-{lang}.png"), full_page=True)


def measured(page, path: str, sizes=SIZES) -> dict:
    """Open the page once, then measure it at each size by resizing the viewport (no reload)."""
    page.goto(path)
    results = {}
    for width, height in sizes:
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("window.scrollTo(0, 0)")
        results[width] = page.evaluate(MEASURE)
        assert results[width]["overflow"] <= 1, f"{path} is wider than {width} px by {results[width]['overflow']} px"
        assert results[width]["narrow"] == [], f"{path} at {width} px: cells narrower than a word"
    return results


@pytest.mark.browser
def test_the_volunteer_pages_and_a_roster_fit_a_phone(browser, live_server, phone_world):
    card_id, base = phone_world, live_server.url
    context = browser.new_context(locale="zh-TW", base_url=base)
    page = context.new_page()
    for lang in ("zh", "en"):
        sign_in_page(page, base, "vol.lin", lang)
        home = measured(page, "/")
        expect(page.locator(".home-units")).to_contain_text("臺北市萬華社區服務協會" if lang == "zh" else "Wanhua")
        assert home[390]["unitsBottom"] <= 844, "this year's hours per unit need scrolling on a 390×844 phone"
        shoot(page, "volunteer-home", lang)
        measured(page, "/hours/")
        shoot(page, "hours", lang)
        measured(page, "/honor-cards/mine")
        shoot(page, "honor-card", lang)
        ecard = measured(page, f"/honor-cards/cards/{card_id}", sizes=((320, 640), *SIZES))
        for width, result in ecard.items():
            facts = result["card"]
            assert not facts["clipped"] and facts["validRight"] <= facts["cardRight"] <= width, (width, facts)
            assert facts["font"] >= 14, f"validity dates at {facts['font']} px on a {width} px screen"
        page.set_viewport_size({"width": 390, "height": 844})
        shoot(page, "e-card", lang)
    sign_in_page(page, base, "clerk.w", "zh")
    measured(page, "/volunteers/")
    expect(page.locator("#results")).to_contain_text("張簡淑芬")
    context.close()
