"""Real browser: the record-book journey in both languages. A unit requests the book, the county
issues every waiting book at once, the volunteer sees their record (chart, totals, entries), opens
the book and downloads the PDF; the unit opens sections of the unified view (htmx).

Set SCREENSHOT_DIR to keep screenshots of each page (docs/screenshots uses them)."""
import io
import os
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from portal.auth.operations import create_user
from portal.hours.models import HourChange, HourEntry
from portal.insurance.models import InsuranceEnrolment, InsurancePolicy
from portal.platform import uploads
from portal.platform.extensions import db
from portal.registry.models import Membership, Person
from portal.registry.operations import authority_for, create_unit
from portal.registry.photos import prepare_photo
from portal.training.models import TrainingRecord
from tests.conftest import PASSWORD, sign_in_page
from tests.test_accessibility import violations

pytestmark = pytest.mark.browser

TEXT = {
    "zh": {"username": "帳號", "password": "密碼", "sign_in": "登入", "request": "為所選志工申請服務紀錄冊",
           "issue_all": "核發全部 1 件", "issued": "服務紀錄冊 TPE-", "open_book": "開啟我的服務紀錄冊",
           "download": "下載 PDF", "insurance": "保險", "insured": "有保險", "my_record": "我的紀錄",
           "upload": "上傳照片", "photo_thanks": "運用單位會檢查並審核您的照片", "chart": "各年度時數"},
    "en": {"username": "Username", "password": "Password", "sign_in": "Sign in",
           "request": "Request record books for the chosen volunteers", "issue_all": "Issue all 1 waiting",
           "issued": "Record book TPE-", "open_book": "Open my record book", "download": "Download as PDF",
           "insurance": "Insurance", "insured": "insured", "my_record": "My record", "upload": "Upload the photo",
           "photo_thanks": "Your unit will check the photo", "chart": "Hours by year"},
}


def jpeg(size=(400, 520), color="#9bb7d4") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def journey(live_server):
    """Two units in Taipei, their clerks, the county, and a trained volunteer serving in both."""
    with live_server.app.app_context():
        a = create_unit("TPE-SW", "萬華社區關懷協會", "TPE", "social", "private", name_en="Wanhua Community Care")
        b = create_unit("TPE-ED", "龍山國小", "TPE", "education", "public", name_en="Longshan Elementary School")
        clerk = create_user("clerk.sw", PASSWORD, "unit_clerk", unit_id=a.id, display_name="萬華承辦人")
        create_user("clerk.ed", PASSWORD, "unit_clerk", unit_id=b.id, display_name="龍山承辦人")
        create_user("county.tpe", PASSWORD, "county", authority_id=authority_for("county", "TPE", None).id,
                    display_name="臺北市社會局")
        person = Person(name="林美玲", name_latin="LIN, MEI-LING", id_kind="national", id_number="A223456781",
                        sex="F", birth_date=date(1958, 4, 5), phone="0912-345-678")
        person.memberships = [Membership(unit=a, field_code="social", joined_on=date(2021, 3, 1)),
                              Membership(unit=b, field_code="education", joined_on=date(2023, 9, 1))]
        db.session.add(person)
        db.session.flush()
        create_user("lin.meiling", PASSWORD, "volunteer", person_id=person.id, display_name="林美玲")
        for kind, field in (("basic", None), ("special", "social")):
            db.session.add(TrainingRecord(person_id=person.id, unit_id=a.id, kind=kind, field_code=field,
                                          status="verified", course_name="基礎訓練" if kind == "basic" else
                                          "社會福利類特殊訓練", hours=6, completed_on=date(2021, 2, 20)))
        stored = uploads.store(prepare_photo("photo.jpg", jpeg()), "person_photo", None)
        person.photo_file_id, person.photo_status = stored.id, "accepted"
        for year, months in ((2023, range(1, 13)), (2024, range(1, 13)), (2025, range(1, 7))):
            for month in months:
                db.session.add(HourEntry(person_id=person.id, unit_id=a.id, start_on=date(year, month, 1),
                                         end_on=date(year, month, 28), half_hours=16 + month, field_code="social",
                                         content="關懷訪視", entered_by_id=clerk.id))
        corrected = HourEntry(person_id=person.id, unit_id=b.id, start_on=date(2025, 3, 4), end_on=date(2025, 3, 4),
                              half_hours=6, field_code="education", content="課後陪讀")
        db.session.add(corrected)
        db.session.flush()
        db.session.add(HourChange(entry_id=corrected.id, action="correct", actor_id=clerk.id, reason="時數誤植",
                                  before='{"half_hours": 8}', after='{"half_hours": 6}'))
        today = date.today()
        policy = InsurancePolicy(unit_id=a.id, insurer_code="first", insurer_name="第一產物保險",
                                 policy_no="FI-114-0007", starts_on=date(today.year, 1, 1),
                                 ends_on=date(today.year, 12, 31))
        db.session.add_all([policy, InsuranceEnrolment(policy=policy, person_id=person.id, unit_id=a.id,
                                                       starts_on=policy.starts_on, ends_on=policy.ends_on)])
        db.session.commit()
        return {"person_id": person.id}


def shoot(page: Page, name: str, lang: str, found: dict | None = None):
    """Check the page with axe-core (no serious or critical violations) and keep a screenshot if asked."""
    if found is not None:
        found[name] = violations(page)
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}-{lang}.png"), full_page=False)


def sign_in(page: Page, live_server, username: str, lang: str):
    sign_in_page(page, live_server.url, username, lang, on_setup_page=lambda p: shoot(p, "mfa-setup", lang))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_record_book_journey(page: Page, live_server, journey, lang, tmp_path):
    t = TEXT[lang]
    person_id = journey["person_id"]
    found = {}
    page.set_viewport_size({"width": 1200, "height": 900})

    # the unit requests the book from its record-book page
    sign_in(page, live_server, "clerk.sw", lang)
    page.goto(live_server.url + "/records/")
    page.locator(f"#req-{person_id}").check()
    shoot(page, "records-unit", lang, found)
    page.get_by_role("button", name=t["request"]).click()
    expect(page.locator(".flash-success")).to_be_visible()

    # the roster answers "who is not insured / has no record book" for the unit, and exports it
    page.goto(live_server.url + "/volunteers/?insured=no")
    expect(page.locator("#results")).not_to_contain_text("林美玲")
    page.goto(live_server.url + "/volunteers/")
    page.locator("#book").select_option("no")
    expect(page.locator("#results")).to_contain_text("林美玲")
    shoot(page, "roster-filters", lang, found)
    page.goto(live_server.url + "/insurance/")
    page.locator("table.data a").first.click()
    shoot(page, "insurance-policy", lang, found)

    # the unified view: sections load with htmx when opened
    page.goto(f"{live_server.url}/volunteers/{person_id}")
    insurance = page.locator("#section-insurance")
    insurance.locator("summary").click()
    expect(insurance.locator(".section-body")).to_contain_text(t["insured"])
    page.locator("#section-hours summary").click()
    expect(page.locator("#section-hours .section-body")).to_contain_text("龍山國小" if lang == "zh" else "Longshan")
    page.locator("#section-photo").scroll_into_view_if_needed()
    shoot(page, "volunteer-unified", lang, found)

    # the county issues every waiting book at once
    sign_in(page, live_server, "county.tpe", lang)
    page.goto(live_server.url + "/records/completeness")
    shoot(page, "completeness-county", lang, found)
    page.goto(live_server.url + "/records/")
    shoot(page, "records-county", lang, found)
    page.get_by_role("button", name=t["issue_all"]).click()
    expect(page.locator(".flash-success")).to_contain_text("TPE-")

    # the volunteer sees their record, opens the book and downloads the PDF
    sign_in(page, live_server, "lin.meiling", lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(t["my_record"])
    expect(page.locator("#year-heading")).to_be_visible()            # this year's hours per unit come first
    page.locator("details.home-entries summary").click()                # every entry loads when asked for
    expect(page.locator("#entries")).to_contain_text("時數誤植")
    expect(page.locator("body")).not_to_contain_text("A223456781")
    shoot(page, "my-record", lang, found)
    page.get_by_role("link", name=t["open_book"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("TPE-")
    shoot(page, "record-book", lang, found)
    with page.expect_download() as download:
        page.get_by_role("link", name=t["download"]).click()
    pdf = tmp_path / "book.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "林美玲" in text and "志願服務紀錄冊" in text and "關懷訪視" in text

    # and uploads a new photo for the unit to accept
    page.goto(live_server.url + "/")
    page.locator("#photo").set_input_files(files=[{"name": "me.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    page.get_by_role("button", name=t["upload"]).click()
    expect(page.locator(".flash-success")).to_contain_text(t["photo_thanks"])
    assert {name: v for name, v in found.items() if v} == {}
