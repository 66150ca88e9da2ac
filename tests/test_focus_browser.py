"""Focus never lost, in a real browser (issue 14, part 2): the batch grid starts on its first cell; after a
check with an error focus is on the error summary and its link moves focus to the bad cell; after a
successful htmx swap focus is on the region's heading and the live region says what changed; the focus ring
contrasts at least 3:1 with the backgrounds it is drawn on (computed from the computed styles); a bulk list's
checkboxes and buttons are at least 24 × 24 px and its select-all checks every row. Then the confirmation page
of a void, with its consequences. One browser context for everything (cheap)."""
from datetime import date

import pytest
from playwright.sync_api import expect

from portal.auth.operations import create_user
from portal.hours.models import HourEntry
from portal.platform.extensions import db
from portal.registry.models import Membership, Person
from portal.registry.operations import create_unit
from tests.conftest import PASSWORD
from tests.test_accessibility import checked_at_both_widths

pytestmark = pytest.mark.browser

# WCAG relative luminance and contrast of two CSS colours "rgb(r, g, b)" / "rgba(r, g, b, a)", in the page.
CONTRAST_JS = """([selector]) => {
  const el = document.querySelector(selector);
  const parse = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = (c) => { const [r, g, b] = parse(c).slice(0, 3).map((v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  let back = el.parentElement, bg = "rgb(255, 255, 255)";
  while (back) { const c = getComputedStyle(back).backgroundColor;
    if (c && !c.startsWith("rgba(0, 0, 0, 0)") && c !== "transparent") { bg = c; break; } back = back.parentElement; }
  const style = getComputedStyle(el);
  return {visible: el.matches(":focus-visible"), width: parseFloat(style.outlineWidth), outline: style.outlineColor,
          background: bg, ratio: contrast(style.outlineColor, bg)};
}"""


@pytest.fixture
def seeded(live_server):
    with live_server.app.app_context():
        unit = create_unit("TPE-FO", "臺北焦點協會", "TPE", "social", "private", name_en="Taipei Focus Association")
        people = []
        for name, number in (("林美玲", "A223456781"), ("陳志明", "A123456789"), ("王小華", "B123456780")):
            person = Person(name=name, id_kind="national", id_number=number)
            person.memberships.append(Membership(unit=unit, field_code="social", joined_on=date(2020, 1, 1)))
            db.session.add(person)
            people.append(person)
        db.session.flush()
        for person, day in ((people[1], 2), (people[2], 3)):       # two claims waiting: a bulk list
            db.session.add(HourEntry(person_id=person.id, unit_id=unit.id, start_on=date(2025, 4, day),
                                     end_on=date(2025, 4, day), half_hours=6, field_code="social", status="pending",
                                     source="claim", content="園遊會"))
        entry = HourEntry(person_id=people[0].id, unit_id=unit.id, start_on=date(2025, 3, 4), end_on=date(2025, 3, 4),
                          half_hours=8, field_code="social", status="active", source="unit", content="陪伴長者")
        db.session.add(entry)
        create_user("clerk.fo", PASSWORD, "unit_clerk", unit_id=unit.id, display_name="焦點承辦人")
        db.session.commit()
        return entry.id


def test_focus_follows_every_swap_and_is_visible(browser, live_server, seeded):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    url = live_server.url
    page.goto(url + "/login")
    page.fill("#username", "clerk.fo")
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")

    # The grid starts on its first cell; the row ✕ buttons are out of the Tab order.
    page.goto(url + "/hours/batch")
    expect(page.locator("#cell-1-volunteer")).to_be_focused()
    assert page.locator("#grid button[value^=remove-]").evaluate_all(
        "buttons => buttons.every(b => b.tabIndex === -1)")

    # A check with an error: focus on the error summary, whose link moves focus to the bad cell.
    page.fill("#cell-1-volunteer", "陳志明")
    page.fill("#cell-1-start_on", "2025-02-30")
    page.fill("#cell-1-hours", "3")
    page.click("#grid .actions button[value=check]")
    expect(page.locator("#grid .error-summary")).to_be_focused()
    link = page.locator("#grid .error-summary a[href='#cell-1-start_on']")
    expect(link).to_contain_text("Row 1, Service date")
    link.click()
    expect(page.locator("#cell-1-start_on")).to_be_focused()
    checked_at_both_widths(page, "grid-with-errors", "en", {})

    # A successful save: focus on the region's heading, the live region says what changed.
    page.fill("#cell-1-start_on", "2025-03-08")
    page.click("#grid .actions button[value=save]")
    expect(page.locator("#grid .flash-success")).to_contain_text("1 entry saved")
    expect(page.locator("main h1")).to_be_focused()          # the grid's heading: the page's, just above it
    expect(page.locator("main h1")).to_have_text("Batch entry")
    expect(page.locator("#swap-announcer")).to_contain_text("1 entry saved")

    # The focus ring: keyboard focus on a control of a white panel, a pale page and the dark header.
    page.keyboard.press("Shift")
    for selector in ("#cell-1-volunteer", "main .page-head a.button", "header .brand a"):
        page.focus(selector)
        ring = page.evaluate(CONTRAST_JS, [selector])
        assert ring["visible"] and ring["width"] >= 3 and ring["ratio"] >= 3, (selector, ring)

    # A bulk list: 24 px targets and a select-all that checks every row.
    page.goto(url + "/hours/claims")
    boxes = page.locator("#claims tbody input[type=checkbox]")
    expect(boxes).to_have_count(2)
    for target in boxes.all() + page.locator("#claims button").all() + [page.locator("[data-select-all]")]:
        box = target.bounding_box()
        assert box and box["width"] >= 24 and box["height"] >= 24, box
    page.locator("[data-select-all]").check()
    assert boxes.evaluate_all("boxes => boxes.every(b => b.checked)")
    boxes.first.uncheck()
    assert page.locator("[data-select-all]").evaluate("b => b.indeterminate && !b.checked")

    # Voiding asks first, with the consequence in words; nothing is voided until confirmed. The grid with its
    # errors and the confirmation page at 360 px and desktop in both languages (screenshots with SCREENSHOT_DIR).
    for lang, void, heading, hours in (("en", "Void this entry", "What will happen", "from 4 to 0"),
                                       ("zh", "作廢此筆紀錄", "執行後會發生什麼", "從 4 小時變為 0 小時")):
        if lang == "zh":
            page.get_by_role("button", name="中文").click()
            page.wait_for_load_state("networkidle")
            page.goto(url + "/hours/batch")
            page.fill("#cell-1-volunteer", "查無此人")
            page.fill("#cell-2-hours", "25")
            page.click("#grid .actions button[value=check]")
            expect(page.locator("#grid .error-summary")).to_be_focused()
            checked_at_both_widths(page, "grid-with-errors", lang, {})
        page.goto(url + f"/hours/{seeded}")
        page.fill("#void-reason", "重複登錄")
        page.get_by_role("button", name=void).click()
        expect(page.locator("main h2").first).to_contain_text(heading)
        expect(page.locator(".consequences")).to_contain_text(hours)
        checked_at_both_widths(page, "void-confirm", lang, {})
    with live_server.app.app_context():
        assert db.session.get(HourEntry, seeded).status == "active"
    assert errors == []
    context.close()
