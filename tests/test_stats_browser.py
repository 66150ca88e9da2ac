"""Real browser: the ministry drills down its dashboard, country → county → unit → the unit's volunteers, in
both languages, at a phone's 360 px and at desktop width, with axe-core clean on every page.

Set SCREENSHOT_DIR to keep the screenshots."""
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal.auth.operations import create_user
from portal.awards.models import AwardApplication, AwardRound
from portal.hours.models import HourEntry
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.registry.models import Membership, Person
from portal.registry.operations import authority_for, create_unit
from tests.conftest import PASSWORD, complete_second_step
from tests.test_accessibility import violations

pytestmark = pytest.mark.browser

TEXT = {
    "zh": {"username": "帳號", "password": "密碼", "sign_in": "登入", "county": "臺北市", "unit": "萬華社區關懷協會",
           "people": "志工", "heading": "統計儀表板"},
    "en": {"username": "Username", "password": "Password", "sign_in": "Sign in", "county": "Taipei City",
           "unit": "Wanhua Community Care", "people": "volunteers", "heading": "Dashboard"},
}
WIDTHS = {"desktop": 1200, "phone": 360}


@pytest.fixture
def country(live_server):
    """Two counties, three units, a dozen volunteers with hours, an award round; the ministry's account."""
    today = today_taipei()
    with live_server.app.app_context():
        units = [create_unit("TPE-SW", "萬華社區關懷協會", "TPE", "social", "private", name_en="Wanhua Community Care"),
                 create_unit("TPE-ED", "龍山國小", "TPE", "education", "public", name_en="Longshan Elementary School"),
                 create_unit("KHH-HL", "鹽埕長青中心", "KHH", "health", "public", name_en="Yancheng Senior Centre")]
        award_round = AwardRound(scheme="general", year=today.year, cutoff_on=today, unit_deadline=today,
                                 review_deadline=today, ministry_deadline=today)
        db.session.add(award_round)
        for n in range(12):
            unit = units[n % 3]
            person = Person(name=f"志工{n:02d}", id_kind="passport", id_number=f"P{n:08d}",
                            birth_date=date(1950 + 2 * n, 3, 1))
            person.memberships = [Membership(unit=unit, field_code=unit.field_code,
                                             joined_on=date(today.year - (n % 2), 2, 1))]
            db.session.add(person)
            db.session.flush()
            for back in (1, 2, 13):
                day = (today.replace(day=1) - timedelta(days=28 * back)).replace(day=3)
                db.session.add(HourEntry(person_id=person.id, unit_id=unit.id, start_on=day, end_on=day,
                                         half_hours=4 + n, field_code=unit.field_code))
            if n < 5:
                db.session.add(AwardApplication(round=award_round, person_id=person.id, unit_id=unit.id, tier="bronze",
                                                channel="paper" if n % 2 else "online"))
        create_user("ministry.stats", PASSWORD, "ministry", authority_id=authority_for("ministry", None, None).id,
                    display_name="衛生福利部")
        db.session.commit()


def look(page: Page, name: str, lang: str, found: dict):
    """axe-core at both widths, and the screenshots if asked (the whole page: the tables are long)."""
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        found[f"{name}-{label}"] = violations(page)
        folder = os.environ.get("SCREENSHOT_DIR")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"stats-{name}-{lang}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_ministry_drills_down_to_a_units_volunteers(page: Page, live_server, country, lang):
    t = TEXT[lang]
    found = {}
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})
    page.goto(live_server.url + "/login")
    if lang == "en":
        page.get_by_role("button", name="English").click()
    page.get_by_label(t["username"]).fill("ministry.stats")
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["sign_in"]).click()
    complete_second_step(page, live_server.url, "ministry.stats")
    page.get_by_role("link", name=t["heading"], exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(t["heading"])
    expect(page.locator("svg[role=img]").first).to_be_visible()
    look(page, "country", lang, found)
    page.locator("#h-counties").scroll_into_view_if_needed()
    page.get_by_role("link", name=t["county"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(t["county"])
    expect(page.locator("#units")).to_contain_text(t["unit"])
    look(page, "county", lang, found)
    page.locator("#units").get_by_role("link", name=t["unit"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(t["unit"])
    # The way back up names the country and the county.
    expect(page.get_by_role("navigation", name="儀表板層級" if lang == "zh" else "Dashboard levels")) \
        .to_contain_text(t["county"])
    look(page, "unit", lang, found)
    page.get_by_role("link", name="運用單位的志工及其資料" if lang == "zh" else "The unit's volunteers and their records").click()
    expect(page.locator("table.data").last).to_contain_text("志工00")
    found["people"] = violations(page)
    assert {name: v for name, v in found.items() if v} == {}
