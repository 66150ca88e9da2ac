"""Real browser: upload a certificate with a Chinese file name, see its preview, verify it."""
import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from portal.auth.operations import create_user
from portal.platform.extensions import db
from portal.registry.models import Membership, Person
from portal.registry.operations import create_unit
from tests.conftest import PASSWORD
from tests.test_training import pdf, png

pytestmark = pytest.mark.browser


@pytest.fixture
def setup(live_server):
    with live_server.app.app_context():
        unit = create_unit("TPE-T", "大同志工隊", "TPE", "social", "private", name_en="Datong Volunteer Team")
        create_user("super.t", PASSWORD, "unit_supervisor", unit_id=unit.id, display_name="大同督導")
        person = Person(name="陳雅婷", id_kind="national", id_number="A223456781", birth_date=date(1980, 2, 3))
        person.memberships.append(Membership(unit=unit, field_code="social", joined_on=date(2020, 1, 1)))
        db.session.add(person)
        db.session.commit()
        return {"person_id": person.id}


def sign_in(page: Page, live_server, username="super.t"):
    page.goto(live_server.url + "/login")
    page.get_by_label("帳號").fill(username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_upload_a_certificate_with_a_chinese_name_see_the_preview_and_verify_it(page: Page, live_server, setup):
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/training/people/{setup['person_id']}/records/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("新增教育訓練紀錄")
    page.get_by_label("訓練類別", exact=True).select_option("special")
    page.get_by_label("特殊訓練類別").select_option("social")
    page.get_by_label("課程名稱").fill("社會福利類特殊訓練")
    page.get_by_label("時數", exact=True).fill("6")
    page.get_by_label("完訓日期").fill("114/05/20")
    page.get_by_label("證書生效日").fill("114/06/01")
    page.get_by_label("結業證書字號").fill("北市社志字第1140001號")
    page.locator("input[type=file]").set_input_files([
        {"name": "基礎訓練結業證書.pdf", "mimeType": "application/pdf", "buffer": pdf()},
        {"name": "證書背面.png", "mimeType": "image/png", "buffer": png("lightblue")},
    ])
    chosen = page.locator("[data-chosen] li")
    expect(chosen).to_have_count(2)
    expect(chosen.first).to_contain_text("基礎訓練結業證書.pdf")
    expect(chosen.nth(1).locator("img")).to_have_attribute("src", re.compile(r"^data:image/png"))
    page.get_by_role("button", name="儲存").click()

    expect(page.locator(".flash-success").first).to_contain_text("教育訓練紀錄已儲存")
    expect(page.locator("#record-status")).to_contain_text("待審核")
    cards = page.locator(".file-card")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("基礎訓練結業證書.pdf")
    for i in range(2):
        preview = cards.nth(i).locator("img")
        expect(preview).to_be_visible()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=preview.element_handle())
    with page.expect_download() as download:
        cards.first.get_by_role("link", name="基礎訓練結業證書.pdf").click()
    assert download.value.suggested_filename == "基礎訓練結業證書.pdf"

    page.get_by_role("button", name="審核通過").click()
    expect(page.locator("#record-status")).to_contain_text("已審核")
    expect(page.locator("#record-status")).to_contain_text("114/06/01")
    page.goto(f"{live_server.url}/training/people/{setup['person_id']}")
    expect(page.locator("table").first).to_contain_text("自 114/06/01 起")
    assert violations == []


def test_files_dropped_on_the_field_are_listed_before_upload(page: Page, live_server, setup):
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/training/people/{setup['person_id']}/records/new")
    page.evaluate("""() => {
        const box = document.querySelector('.upload-field');
        const data = new DataTransfer();
        data.items.add(new File(['%PDF-1.4'], '掃描檔.pdf', {type: 'application/pdf'}));
        data.items.add(new File(['MZ'], 'virus.exe', {type: 'application/octet-stream'}));
        box.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));
    }""")
    items = page.locator("[data-chosen] li")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("掃描檔.pdf")
    expect(items.nth(1)).to_contain_text("此檔案將被拒收")
    assert page.locator("input[type=file]").evaluate("input => input.files.length") == 2
