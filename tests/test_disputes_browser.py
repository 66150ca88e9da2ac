"""In a real browser, in both languages: a volunteer disputes an hour entry from its page; the clerk finds it on
the work list, opens it and keeps the entry with a reason; the volunteer reads the answer in the inbox and on
the entry's history (docs/rules/hours.md#h13), then opens My data and sees the clerk's reveal of their ID
number on the page of who saw their data (docs/rules/my-data.md#md2). Every page axe-checked at 360 px and
desktop; set SCREENSHOT_DIR to keep screenshots."""
from datetime import date

import pytest
from playwright.sync_api import expect

from portal.auth.operations import create_user
from portal.hours.models import HourEntry
from portal.platform.extensions import db
from portal.registry.models import Membership, Person
from portal.registry.operations import create_unit
from tests.conftest import PASSWORD, sign_in_page
from tests.test_accessibility import checked_at_both_widths as shoot

pytestmark = pytest.mark.browser

TEXT = {
    "zh": {"dispute": "對這筆紀錄提出申訴", "sent": "您的申訴已送交", "work": "待回覆的服務時數申訴",
           "keep": "維持紀錄", "kept": "已回覆：紀錄維持不變", "state": "紀錄維持不變",
           "inbox": "您對服務時數的申訴已獲回覆：紀錄維持不變", "seen": "查看了您的完整身分證號"},
    "en": {"dispute": "Dispute this entry", "sent": "Your dispute was sent to", "work": "Disputed hour entries to answer",
           "keep": "Keep the entry", "kept": "Answered: the entry stays as it is", "state": "the entry stays as it is",
           "inbox": "Your dispute of an hour entry was answered: the entry stays as it is",
           "seen": "Saw your full ID number"},
}


@pytest.fixture
def seeded(live_server):
    with live_server.app.app_context():
        unit = create_unit("TPE-DS", "臺北申訴協會", "TPE", "social", "private", name_en="Taipei Dispute Association")
        person = Person(name="林美玲", id_kind="national", id_number="A223456781")
        person.memberships.append(Membership(unit=unit, field_code="social", joined_on=date(2020, 1, 1)))
        db.session.add(person)
        db.session.flush()
        entry = HourEntry(person_id=person.id, unit_id=unit.id, start_on=date(2025, 4, 2), end_on=date(2025, 4, 2),
                          half_hours=6, field_code="social", content="園遊會")
        db.session.add(entry)
        create_user("clerk.ds", PASSWORD, "unit_clerk", unit_id=unit.id, display_name="申訴承辦人")
        create_user("vol.ds", PASSWORD, "volunteer", person_id=person.id, display_name="林美玲")
        db.session.commit()
        return {"entry": entry.id, "person": person.id}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dispute_round_trip(browser, live_server, seeded, lang):
    text, url, found = TEXT[lang], live_server.url, {}
    context = browser.new_context(locale="zh-TW")     # sign_in_page switches to English on the sign-in page
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    entry_page = f"{url}/hours/{seeded['entry']}"

    sign_in_page(page, url, "vol.ds", lang)
    page.goto(entry_page)
    page.fill("#dispute-reason", "那天我服務了4小時")
    shoot(page, "dispute-form", lang, found)
    page.get_by_role("button", name=text["dispute"]).click()
    expect(page.locator(".flash-success")).to_contain_text(text["sent"])

    sign_in_page(page, url, "clerk.ds", lang)
    page.get_by_role("link", name=text["work"]).click()
    expect(page.locator("main table")).to_contain_text("那天我服務了4小時")
    shoot(page, "disputes-list", lang, found)
    page.locator("main table a").first.click()
    page.fill("#keep-reason", "簽到表記載3小時")
    shoot(page, "dispute-answer", lang, found)
    page.get_by_role("button", name=text["keep"]).click()
    expect(page.locator(".flash-success")).to_contain_text(text["kept"])
    page.goto(f"{url}/volunteers/{seeded['person']}/edit")                  # reveals the full ID number

    sign_in_page(page, url, "vol.ds", lang)
    page.goto(url + "/notifications/")
    expect(page.locator("main")).to_contain_text(text["inbox"])
    page.goto(entry_page)
    expect(page.locator("#disputes-heading + ol")).to_contain_text(text["state"])
    expect(page.locator("#disputes-heading + ol")).to_contain_text("簽到表記載3小時")
    shoot(page, "dispute-history", lang, found)
    page.goto(url + "/volunteers/me/data")
    shoot(page, "my-data", lang, found)
    page.locator("main a[href$='/volunteers/me/seen']").click()
    expect(page.locator("main table")).to_contain_text(text["seen"])
    shoot(page, "my-viewers", lang, found)
    assert not errors
    assert not any(found.values()), found
    context.close()
