"""Real browser: the unit applies for an award, the sector authority forwards it, the ministry approves,
and the volunteer sees the award; every awards page passes axe-core in both languages.

Set SCREENSHOT_DIR to keep screenshots of each page."""
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal.auth.operations import create_user
from portal.awards.models import AwardRound
from portal.hours.models import HourEntry
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.records.models import RecordBook
from portal.registry.models import Membership, Person
from portal.registry.operations import authority_for, create_unit
from tests.conftest import PASSWORD, complete_second_step
from tests.test_accessibility import violations

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(live_server):
    """Unit 萬華 (Taipei, social welfare) with 林美玲 (1,500 h and a record book) and 陳志明 (1,400 h), an open
    health-and-welfare round, and one account per step of the way."""
    with live_server.app.app_context():
        unit = create_unit("TPE-W", "萬華社區服務協會", "TPE", "social", "private", name_en="Wanhua Association")
        ids = {}
        for name, number, hours in (("林美玲", "A223456781", 1500), ("陳志明", "A123456789", 1400)):
            person = Person(name=name, id_kind="national", id_number=number)
            person.memberships.append(Membership(unit=unit, field_code="social", joined_on=date(2015, 1, 1)))
            db.session.add(person)
            db.session.flush()
            db.session.add(HourEntry(person_id=person.id, unit_id=unit.id, start_on=date(2020, 1, 1),
                                     end_on=date(2020, 12, 31), half_hours=hours * 2, field_code="social"))
            db.session.add(RecordBook(person_id=person.id, number=f"TPE-110-{person.id:06d}",
                                      issued_on=date(2019, 1, 1)))
            ids[name] = person.id
        today = today_taipei()
        award_round = AwardRound(scheme="health_welfare", year=today.year, cutoff_on=today - timedelta(days=30),
                                 unit_deadline=today + timedelta(days=20), review_deadline=today + timedelta(days=50),
                                 ministry_deadline=today + timedelta(days=80))
        db.session.add(award_round)
        db.session.flush()
        ids |= {"round": award_round.id, "unit": unit.id}
        create_user("clerk.w", PASSWORD, "unit_clerk", unit_id=unit.id, display_name="萬華承辦人")
        create_user("sector.tpe", PASSWORD, "sector_local", display_name="臺北市社會局（目的事業）",
                    authority_id=authority_for("sector_local", "TPE", "social").id)
        create_user("mohw", PASSWORD, "ministry", display_name="衛福部承辦",
                    authority_id=authority_for("ministry", None, None).id)
        create_user("vol.lin", PASSWORD, "volunteer", person_id=ids["林美玲"], display_name="林美玲")
        db.session.commit()
    return ids


def signed_in(browser, url: str, username: str, locale: str, previous=None) -> Page:
    """A fresh browser context per account: a request of the previous page still in flight cannot bring the
    previous account's session cookie back."""
    if previous is not None:
        previous.context.close()
    page = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900}).new_page()
    page.goto(url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    complete_second_step(page, url, username)
    expect(page.locator("form[action='/logout'] button")).to_be_visible()
    return page


def test_unit_applies_sector_forwards_ministry_approves_volunteer_sees_it(browser, live_server, seeded):
    url = live_server.url
    page = signed_in(browser, url, "clerk.w", "en-US")
    page.get_by_role("link", name="Awards", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Volunteer service awards")
    expect(page.locator(".award-dates")).to_contain_text("20 days left")
    expect(page.get_by_label("Select 陳志明")).to_have_count(0)          # 100 hours short: listed, not selectable
    expect(page.get_by_role("row").filter(has_text="陳志明")).to_contain_text("still needs 100 hours")
    page.get_by_label("Select 林美玲").check()
    page.get_by_role("button", name="Apply for the selected volunteers…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply for awards")
    page.get_by_label("Merit statement (事蹟) of 林美玲").fill("長期投入社區獨居長者關懷訪視。")
    page.get_by_role("button", name="Send the applications to the sector authority").click()
    expect(page.locator(".flash-success")).to_contain_text("1 application was sent")
    expect(page.get_by_role("row").filter(has_text="林美玲").last).to_contain_text("Waiting for the sector authority")

    page = signed_in(browser, url, "sector.tpe", "en-US", page)
    page.get_by_role("link", name="Awards", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Award applications")
    page.get_by_label("Select 林美玲").check()
    page.get_by_label("Note to the ministry (optional, when forwarding)").fill("已查核紀錄冊與時數")
    page.get_by_role("button", name="Forward the selected to the ministry").click()
    expect(page.locator(".flash-success")).to_contain_text("1 application forwarded")

    page = signed_in(browser, url, "mohw", "en-US", page)
    page.get_by_role("link", name="Awards", exact=True).click()
    row = page.get_by_role("row").filter(has_text="林美玲")
    expect(row).to_contain_text("Forwarded to the ministry")
    page.get_by_label("Select 林美玲").check()
    page.get_by_role("button", name="Approve the selected").click()
    expect(page.locator(".flash-success")).to_contain_text("1 application approved")

    page = signed_in(browser, url, "vol.lin", "en-US", page)
    page.get_by_role("link", name="Awards", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My awards")
    award = page.locator(".award-list li").first
    expect(award).to_contain_text("bronze badge")
    expect(award).to_contain_text("Valid")
    # Its certificate and credential beside it (docs/rules/awards.md#a11), then the award's own page.
    expect(award.get_by_role("link", name="Award certificate (PDF)")).to_have_count(1)
    expect(award.get_by_role("link", name="credential (.json)")).to_have_count(1)
    award.get_by_role("link").first.click()
    expect(page.locator(".facts")).to_contain_text("林美玲")
    expect(page.get_by_role("heading", name="Award certificate")).to_be_visible()
    page.context.close()


def loaded(page: Page, address: str):
    """page.goto (its load event: the page and every file it asked for), then "networkidle" only when a request
    is still open: none of these pages asks for more after its load event, so networkidle's 500 ms of silence
    would be waited for nothing (0.45 s a page, 44 pages a run)."""
    open_requests = set()
    listeners = {"request": lambda request: open_requests.add(request),
                 "requestfinished": lambda request: open_requests.discard(request),
                 "requestfailed": lambda request: open_requests.discard(request)}
    for event, listener in listeners.items():
        page.on(event, listener)
    try:
        page.goto(address)
        if open_requests:
            page.wait_for_load_state("networkidle")
    finally:
        for event, listener in listeners.items():
            page.remove_listener(event, listener)


def shoot(page: Page, name: str, lang: str, found: dict):
    found[name] = violations(page)
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"awards-{name}-{lang}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["zh-TW", "en-US"])
def test_awards_pages_have_no_serious_accessibility_violations(browser, live_server, seeded, lang):
    url, found = live_server.url, {}

    def visit(path, name):
        loaded(page, url + path)
        shoot(page, name, lang, found)

    page = signed_in(browser, url, "clerk.w", lang)
    visit("/awards/?show=all", "unit-list")
    visit(f"/awards/apply?round_id={seeded['round']}&person_id={seeded['林美玲']}", "apply")
    page.click("main form[action='/awards/apply'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    shoot(page, "unit-list-applied", lang, found)
    page = signed_in(browser, url, "sector.tpe", lang, page)
    visit("/awards/review", "sector-review")
    visit(page.locator("td a[href^='/awards/applications/']").first.get_attribute("href"), "application")
    visit("/awards/paper?q=陳", "paper-search")
    visit(f"/awards/paper/enter?round_id={seeded['round']}&unit_id={seeded['unit']}&person_id={seeded['陳志明']}",
          "paper-enter")
    page = signed_in(browser, url, "mohw", lang, page)
    visit("/awards/rounds", "rounds")
    visit("/awards/rounds/new", "round-new")
    page.fill("#year", "1999")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    shoot(page, "round-errors", lang, found)
    visit("/awards/review?status=", "ministry-review")
    page = signed_in(browser, url, "vol.lin", lang, page)
    visit("/awards/mine", "mine")
    page.context.close()
    assert {k: v for k, v in found.items() if v} == {}
