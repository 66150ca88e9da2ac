"""axe-core (WCAG 2.1 A/AA rules) on the main pages in both languages, including a form with
errors: no serious or critical violations (docs/rules/platform.md#pl3)."""
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

from portal.auth.operations import create_user
from portal.platform.extensions import db
from portal.registry.models import Membership, Person
from portal.registry.operations import create_unit
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text()
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def seeded(live_server):
    with live_server.app.app_context():
        unit = create_unit("TPE-AX", "無障礙測試協會", "TPE", "social", "private", name_en="Accessibility Association")
        person = Person(name="林美玲", id_kind="national", id_number="A123456789", name_latin="LIN, MEI-LING")
        from datetime import date
        person.memberships.append(Membership(unit=unit, field_code="social", joined_on=date(2024, 1, 1)))
        db.session.add(person)
        create_user("clerk.ax", PASSWORD, "unit_clerk", unit_id=unit.id, display_name="承辦人")
        db.session.commit()
        return person.id


def violations(page: Page):
    # A boosted navigation (htmx) keeps the window and the axe-core it was given: its 580 kB are parsed once per
    # document, not once per check. resultTypes ["violations"]: axe reports every node of a violation as before,
    # and of the rules that passed (or need review) one node each instead of all of them, which it no longer
    # has to serialise for every element of the page (the findings and the count of passed rules are the same).
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, "
                           "resultTypes: ['violations']})", TAGS)
    assert len(result["passes"]) > 10  # the rules really ran
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


def checked_at_both_widths(page: Page, name: str, lang: str, found: dict):
    """axe-core (found[name-lang]: the serious or critical violations), no sideways scrolling at 360 px or at
    desktop width, and a full-page screenshot of each when SCREENSHOT_DIR is set."""
    found[f"{name}-{lang}"] = violations(page)
    folder = os.environ.get("SCREENSHOT_DIR")
    for width, height, suffix in ((360, 780, "360"), (1280, 900, "desktop")):
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name} is wider than the {width}px screen by {overflow}px"
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}-{lang}-{suffix}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("lang", ["zh-TW", "en-US"])
def test_main_pages_have_no_serious_violations(browser, live_server, seeded, lang):
    context = browser.new_context(locale=lang)
    page = context.new_page()
    found = {}
    page.goto(live_server.url + "/login")
    found["login"] = violations(page)
    for path in ["/accounts/activate", "/accounts/activate/code", "/accounts/forgot", "/accounts/recover"]:
        page.goto(live_server.url + path)
        found[path] = violations(page)
    page.click("main form button[type=submit]")  # the code page of recovery, with its errors
    page.wait_for_load_state("networkidle")
    found["recovery code with errors"] = violations(page)
    page.goto(live_server.url + "/login")
    page.fill("#username", "clerk.ax")
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    for path in ["/", "/volunteers/", f"/volunteers/{seeded}", f"/volunteers/{seeded}/edit", "/units/",
                 f"/accounts/activation-code/{seeded}"]:
        page.goto(live_server.url + path)
        found[path] = violations(page)
    page.click("main form button[type=submit]")  # the printed activation code
    page.wait_for_load_state("networkidle")
    found["printed activation code"] = violations(page)
    page.goto(live_server.url + "/volunteers/new")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    found["form with errors"] = violations(page)
    context.close()
    assert {k: v for k, v in found.items() if v} == {}
