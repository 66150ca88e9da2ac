"""In a real browser: a clerk enters hours with the single form and the batch grid (htmx), approves a
volunteer's claim and corrects an entry; the volunteer then sees the correction history."""
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.auth.operations import create_user
from portal.hours.models import HourEntry
from portal.platform.extensions import db
from portal.registry.models import Membership, Person
from portal.registry.operations import create_unit
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(live_server):
    with live_server.app.app_context():
        unit = create_unit("TPE-HR", "臺北時數協會", "TPE", "social", "private", name_en="Taipei Hours Association")
        people = {}
        for name, number in (("林美玲", "A223456781"), ("陳志明", "A123456789"), ("王小華", "B123456780")):
            person = Person(name=name, id_kind="national", id_number=number)
            person.memberships.append(Membership(unit=unit, field_code="social", joined_on=date(2020, 1, 1)))
            db.session.add(person)
            people[name] = person
        db.session.flush()
        claim = HourEntry(person_id=people["王小華"].id, unit_id=unit.id, start_on=date(2025, 4, 2),
                          end_on=date(2025, 4, 2), half_hours=6, field_code="social", status="pending", source="claim",
                          content="園遊會")
        db.session.add(claim)
        create_user("clerk.hr", PASSWORD, "unit_clerk", unit_id=unit.id, display_name="時數承辦人")
        create_user("vol.hr", PASSWORD, "volunteer", person_id=people["林美玲"].id, display_name="林美玲")
        db.session.commit()
        return {"claim": claim.id}


def sign_in(page, url, username):
    page.goto(url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")


def count_entries(server, **where):
    with server.app.app_context():
        query = select(func.count()).select_from(HourEntry)
        for key, value in where.items():
            query = query.where(getattr(HourEntry, key) == value)
        return db.session.scalar(query)


def test_clerk_enters_approves_corrects_and_the_volunteer_sees_the_history(browser, live_server, seeded):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    url = live_server.url
    sign_in(page, url, "clerk.hr")

    # Single form: search as you type, pick, live check, save without a page reload.
    page.goto(url + "/hours/new")
    page.fill("#q", "林美")
    page.locator("#people-results input[type=radio]").first.wait_for()
    page.check("#people-results input[type=radio]")
    page.fill("#start_on", "114/03/05")
    page.fill("#hours", "2.5")
    page.locator("#hours").blur()
    expect(page.locator("#entry-check")).to_contain_text("Looks good")
    page.evaluate("window.notReloaded = true")
    page.click("#entry-form button[value=save]")
    expect(page.locator("#entry-panel .flash-success")).to_contain_text("林美玲")
    expect(page.locator("#recent-entries")).to_contain_text("2.5")
    assert page.evaluate("window.notReloaded") is True
    assert count_entries(live_server, half_hours=5) == 1

    # Batch grid: fill a row, Enter in the last row adds a row (copying the date), save all.
    page.goto(url + "/hours/batch")
    rows = page.locator("#grid tbody tr")
    expect(rows).to_have_count(5)
    page.locator("#grid button[value=remove-4]").click()
    expect(rows).to_have_count(4)
    # One removal at a time, each swapped in before the next click ("networkidle" can be reached before
    # htmx has even sent the request, and a click on the row being replaced is lost).
    for left in (3, 2, 1):
        page.locator("#grid button[value=remove-1]").click()
        expect(rows).to_have_count(left)
    first = rows.nth(0)
    first.locator('input[name="volunteer"]').fill("陳志明")
    first.locator('input[name="start_on"]').fill("2025-03-08")
    first.locator('input[name="hours"]').fill("4")
    first.locator('input[name="hours"]').press("Enter")
    expect(rows).to_have_count(2)
    second = rows.nth(1)
    expect(second.locator('input[name="start_on"]')).to_have_value("2025-03-08")
    expect(second.locator('input[name="volunteer"]')).to_be_focused()
    second.locator('input[name="volunteer"]').fill("B123456780")
    second.locator('input[name="hours"]').fill("3.5")
    page.click("#grid button[value=save]")
    expect(page.locator("#grid .flash-success")).to_contain_text("2 entries saved (7.5 hours)")
    assert count_entries(live_server, source="unit") == 3

    # A volunteer's claim, approved from the claims screen.
    page.goto(url + "/hours/claims")
    page.click(f"button[value='approve:{seeded['claim']}']")
    expect(page.locator("#claims .flash-success")).to_contain_text("1 claim decided")
    assert count_entries(live_server, status="active") == 4

    # Correct the first entry (2.5 h → 3 h) with a reason.
    with live_server.app.app_context():
        entry_id = db.session.scalar(select(HourEntry.id).where(HourEntry.half_hours == 5))
    page.goto(url + f"/hours/{entry_id}")
    page.click("text=Correct")
    page.fill("#hours", "3")
    page.fill("#reason", "簽到表為 3 小時")
    page.click("main form button[type=submit]")
    expect(page.locator(".history")).to_contain_text("簽到表為 3 小時")
    page.click("form.lang-switch button")
    page.wait_for_load_state("networkidle")

    # The volunteer sees who entered the entry and the correction, old and new value.
    page.goto("about:blank")        # no request of the last page may set its session again
    context.clear_cookies()
    sign_in(page, url, "vol.hr")
    page.goto(url + "/hours/")
    page.click(f"a[href='/hours/{entry_id}']")
    history = page.locator(".history")
    expect(history).to_contain_text("時數承辦人")
    expect(history).to_contain_text("Corrected")
    expect(history.locator("del")).to_have_text("2.5")
    expect(history.locator("ins")).to_have_text("3")
    assert errors == []
    context.close()
