"""Real browser (Playwright + Debian Chromium): sign in, switch language, register a volunteer with
live ID validation through htmx."""
import re

import pytest
from playwright.sync_api import Page, expect

from portal.auth.operations import create_user
from portal.platform.extensions import db
from portal.registry.operations import create_unit
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def clerk(live_server):
    with live_server.app.app_context():
        unit = create_unit("TPE-W", "萬華社區服務協會", "TPE", "social", "private", name_en="Wanhua Association")
        create_user("clerk.w", PASSWORD, "unit_clerk", unit_id=unit.id, display_name="萬華承辦人")
        db.session.commit()
    return "clerk.w"


def test_sign_in_switch_language_and_register_a_volunteer(page: Page, live_server, clerk):
    page.goto(live_server.url + "/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant-TW")
    page.get_by_label("帳號").fill(clerk)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("萬華承辦人")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Register a volunteer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a volunteer")

    page.locator("#name").fill("林美玲")
    id_field = page.get_by_label("ID number")
    id_field.fill("A123456788")
    status = page.locator("#id_number-status")
    expect(status).to_contain_text("The check digit does not match")
    id_field.fill("a123456789")
    expect(status).to_contain_text("The ID number is valid.")
    page.get_by_label("Date of birth").fill("76/04/05")
    page.get_by_label("Joined on").fill("114/03/05")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("林美玲")
    expect(page.locator(".flash-success")).to_contain_text("Volunteer 林美玲 registered.")
    expect(page.locator("dd.mono")).to_have_text("A12345****")
    expect(page.locator("body")).to_contain_text("1987-04-05")
    assert re.search(r"/volunteers/\d+$", page.url)


def test_form_errors_are_announced_and_focused(page: Page, live_server, clerk):
    page.goto(live_server.url + "/login")
    page.get_by_label("帳號").fill(clerk)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.goto(live_server.url + "/volunteers/new")
    page.get_by_role("button", name="儲存").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page.locator("#name")).to_have_attribute("aria-invalid", "true")
    expect(summary).to_contain_text("此欄位是必需的")


def test_roster_filters_as_you_type(page: Page, live_server, clerk):
    with live_server.app.app_context():
        from datetime import date

        from portal.registry.models import Membership, Person, Unit
        unit = db.session.scalar(db.select(Unit).where(Unit.code == "TPE-W"))
        for name, number in (("林美玲", "A123456789"), ("陳志明", "A800000014")):
            person = Person(name=name, id_kind="national", id_number=number)
            person.memberships.append(Membership(unit=unit, field_code="social", joined_on=date(2024, 1, 1)))
            db.session.add(person)
        db.session.commit()
    page.goto(live_server.url + "/login")
    page.get_by_label("帳號").fill(clerk)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.goto(live_server.url + "/volunteers/")
    expect(page.locator("#results")).to_contain_text("陳志明")
    page.locator("#q").press_sequentially("林")
    expect(page.locator("#results")).not_to_contain_text("陳志明")
    expect(page.locator("#results")).to_contain_text("林美玲")
    assert "q=" in page.url            # the filtered list has its own address (back button, sharing)
