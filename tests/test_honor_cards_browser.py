"""Real browser: the unit applies for two volunteers and cancels one, the county approves the other,
the volunteer sees the e-card and its QR code verifies."""
import re

import pytest
from playwright.sync_api import Page, expect

from portal.auth.operations import create_user
from portal.platform import pdf
from portal.platform.extensions import db
from portal.registry.models import Membership, Person
from portal.registry.operations import authority_for, create_unit
from tests.conftest import PASSWORD, complete_second_step
from tests.test_honor_cards import make_ready

pytestmark = pytest.mark.browser


@pytest.fixture
def people(live_server):
    with live_server.app.app_context():
        unit = create_unit("TPE-W", "萬華社區服務協會", "TPE", "social", "private", name_en="Wanhua Association")
        names = {}
        for name, number in (("林美玲", "A223456781"), ("陳志明", "A123456789")):
            person = Person(name=name, id_kind="national", id_number=number)
            person.memberships.append(Membership(unit=unit, field_code="social", joined_on=unit.created_at.date(),
                                                 status="active"))
            db.session.add(person)
            db.session.commit()
            make_ready(person, unit)
            names[name] = person.id
        create_user("clerk.w", PASSWORD, "unit_clerk", unit_id=unit.id, display_name="萬華承辦人")
        create_user("county.tpe", PASSWORD, "county", authority_id=authority_for("county", "TPE", None).id,
                    display_name="臺北市社會局")
        create_user("vol.lin", PASSWORD, "volunteer", person_id=names["林美玲"], display_name="林美玲")
        db.session.commit()
    return names


def sign_in(page: Page, url: str, username: str):
    page.goto(url + "/login")
    page.get_by_label("帳號").fill(username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    complete_second_step(page, url, username)
    expect(page.get_by_role("button", name="登出")).to_be_visible()


def sign_out(page: Page):
    page.get_by_role("button", name="登出").click()
    expect(page.get_by_role("button", name="登入")).to_be_visible()


def test_apply_cancel_approve_and_verify_the_e_card(page: Page, live_server, people):
    url = live_server.url
    sign_in(page, url, "clerk.w")
    page.get_by_role("link", name="榮譽卡").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("誰符合榮譽卡資格")
    page.get_by_label("選取 林美玲").check()
    page.get_by_label("選取 陳志明").check()
    expect(page.get_by_label("選取 陳志明")).to_be_checked()
    page.get_by_role("button", name="為勾選的志工申請…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("申請榮譽卡")
    page.get_by_role("button", name="送出申請給縣市政府").click()
    expect(page.locator(".flash-success")).to_contain_text("2")
    row = page.get_by_role("row").filter(has_text="陳志明")
    row.get_by_role("button", name="取消").click()
    expect(page.locator(".flash-success")).to_contain_text("陳志明")
    expect(page.get_by_role("row").filter(has_text="陳志明")).to_have_count(0)
    sign_out(page)

    sign_in(page, url, "county.tpe")
    page.get_by_role("link", name="榮譽卡").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("榮譽卡審核")
    expect(page.get_by_role("row").filter(has_text="陳志明")).to_have_count(0)
    page.get_by_label("選取 林美玲").check()
    page.get_by_role("button", name="核准勾選的申請").click()
    expect(page.locator(".flash-success")).to_contain_text("1")
    sign_out(page)

    sign_in(page, url, "vol.lin")
    page.get_by_role("link", name="榮譽卡").first.click()
    card_link = page.locator(".hc-card-list a").first
    number = card_link.inner_text()
    assert re.fullmatch(r"HC-TPE-\d{3}-000001", number)
    card_link.click()
    card = page.locator(".honor-card")
    expect(card).to_contain_text(number)
    expect(card).to_contain_text("林美玲")
    expect(card).to_contain_text("臺北市")
    expect(card.locator(".hc-photo img")).to_be_visible()
    verify_url = page.locator("a.hc-verify-link").get_attribute("href")
    assert card.locator(".hc-qr img").get_attribute("src") == pdf.qr_data_uri(verify_url)
    assert card.bounding_box()["width"] > 300

    page.goto(verify_url)
    expect(page.locator("#verify-status")).to_have_text("有效")
    expect(page.locator("section[aria-labelledby=verify-status]")).to_contain_text("林○玲")
    expect(page.locator("section[aria-labelledby=verify-status]")).to_contain_text("榮譽卡")


def test_the_e_card_prints_at_card_size(page: Page, live_server, people):
    url = live_server.url
    sign_in(page, url, "clerk.w")
    page.goto(url + "/honor-cards/eligibility")
    page.get_by_label("選取 林美玲").check()
    page.get_by_role("button", name="為勾選的志工申請…").click()
    page.get_by_role("button", name="送出申請給縣市政府").click()
    sign_out(page)
    sign_in(page, url, "county.tpe")
    page.goto(url + "/honor-cards/review")
    page.get_by_label("選取 林美玲").check()
    page.get_by_role("button", name="核准勾選的申請").click()
    expect(page.locator(".flash-success")).to_be_visible()
    sign_out(page)
    sign_in(page, url, "vol.lin")
    page.goto(url + "/honor-cards/mine")
    page.goto(url + page.locator(".hc-card-list a").first.get_attribute("href"))
    content = page.pdf(prefer_css_page_size=True, print_background=True)
    import io

    import pikepdf
    with pikepdf.open(io.BytesIO(content)) as doc:
        assert len(doc.pages) == 1
        width, height = (float(v) for v in doc.pages[0].mediabox[2:])
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (86, 54)


@pytest.mark.parametrize("lang", ["zh-TW", "en-US"])
def test_honor_card_pages_have_no_serious_accessibility_violations(browser, live_server, people, lang):
    from tests.test_accessibility import violations
    context = browser.new_context(locale=lang)
    page = context.new_page()
    url, found = live_server.url, {}

    def visit(path, name=None):
        page.goto(url + path)
        found[name or path] = violations(page)

    def login(username):
        page.goto(url + "/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_load_state("networkidle")
        complete_second_step(page, url, username, on_setup_page=lambda p: found.update(mfa_setup=violations(p)))

    login("clerk.w")
    visit("/honor-cards/eligibility?within=all")
    visit(f"/honor-cards/apply?person_id={people['林美玲']}")
    page.click("form[action='/honor-cards/apply'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    visit("/honor-cards/applications")
    page.goto("about:blank")        # no request of the last page may set its session again
    page.context.clear_cookies()
    login("county.tpe")
    visit("/honor-cards/review")
    page.locator("input[name=application_id]").first.check()
    page.click("button[value=approve]")
    page.wait_for_load_state("networkidle")
    visit("/honor-cards/import")
    visit("/honor-cards/venues/new")
    page.goto("about:blank")        # no request of the last page may set its session again
    page.context.clear_cookies()
    login("vol.lin")
    visit("/honor-cards/mine")
    visit(page.locator(".hc-card-list a").first.get_attribute("href"), "card")
    visit("/honor-cards/venues")
    context.close()
    assert {k: v for k, v in found.items() if v} == {}
