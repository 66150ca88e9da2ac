"""Real browser: a responsible body reports progress on its open item, the ministry releases it at the next
meeting, and the meeting's annex shows it, in both languages, at phone and desktop width, axe-core clean.

Set SCREENSHOT_DIR to keep screenshots of each page."""
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from portal.auth.operations import create_user
from portal.platform.extensions import db
from portal.registry.operations import authority_for
from portal.resolutions.operations import create_meeting, create_resolution
from tests.conftest import PASSWORD, sign_in_page
from tests.test_accessibility import checked_at_both_widths as shoot

pytestmark = pytest.mark.browser

TEXT = {
    "zh": {"username": "帳號", "password": "密碼", "sign_in": "登入", "report": "送出辦理情形",
           "reported": "已填報辦理情形", "assess": "記錄管考建議", "assessed": "已記錄管考建議",
           "released": "已解除列管", "close": "解除列管", "progress": "辦理情形"},
    "en": {"username": "Username", "password": "Password", "sign_in": "Sign in", "report": "Report progress",
           "reported": "Progress reported", "assess": "Record the assessment", "assessed": "Assessment recorded",
           "released": "Released from tracking", "close": "Release from tracking", "progress": "Progress"},
}
SUBJECT = "臺北市政府社會局：建議志工保險加保流程於系統中提供線上申請，並請各縣市分處採一致作法。"
PROGRESS = "已於113年8月函請各區公所轉知運用單位，並完成系統測試。"


@pytest.fixture
def tracked(live_server):
    """The 112 meeting's item 112-1 for Taipei's county government, and the 113 meeting that reviews it."""
    with live_server.app.app_context():
        tpe = authority_for("county", "TPE", None)
        create_user("county.tpe", PASSWORD, "county", authority_id=tpe.id, display_name="臺北市政府社會局")
        create_user("ministry", PASSWORD, "ministry", authority_id=authority_for("ministry", None, None).id,
                    display_name="衛福部承辦")
        m112 = create_meeting({"roc_year": 112, "host": "宜蘭縣政府"}, None)
        m113 = create_meeting({"roc_year": 113, "held_on": date(2024, 9, 10), "place": "雲林縣劍湖山渡假大飯店",
                               "chair": "楊雅嵐副司長", "host": "雲林縣政府"}, None)
        item = create_resolution(m112, {"seq": 1, "subject": SUBJECT, "decision": "請臺北市政府研議後於下次會議報告。"},
                                 [tpe.id], None)
        db.session.commit()
        return {"item": item.id, "m113": m113.id}




def sign_in(page: Page, live_server, username: str, lang: str):
    sign_in_page(page, live_server.url, username, lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_body_reports_and_ministry_releases(page: Page, live_server, tracked, lang):
    t = TEXT[lang]
    found = {}
    page.set_viewport_size({"width": 1280, "height": 900})

    # the county opens its open items and reports progress on 112-1
    sign_in(page, live_server, "county.tpe", lang)
    page.goto(live_server.url + "/resolutions/items/?status=open&body=mine")
    expect(page.locator("#results")).to_contain_text("112-1")
    shoot(page, "resolutions-mine", lang, found)
    page.get_by_role("link", name="112-1").click()
    page.locator("#reported_on").fill("113/08/30")
    page.locator("#text").fill(PROGRESS)
    shoot(page, "resolution-body", lang, found)
    page.get_by_role("button", name=t["report"]).click()
    expect(page.locator(".flash-success")).to_contain_text(t["reported"])
    expect(page.locator("#progress-history")).to_contain_text(PROGRESS)
    expect(page.locator("#progress-history")).to_contain_text("113/08/30" if lang == "zh" else "2024-08-30")

    # the ministry releases it at the 113 meeting
    sign_in(page, live_server, "ministry", lang)
    page.goto(f"{live_server.url}/resolutions/items/{tracked['item']}")
    page.locator("#meeting").select_option(str(tracked["m113"]))
    page.locator("input[name=outcome][value=close]").check()
    shoot(page, "resolution-ministry", lang, found)
    page.get_by_role("button", name=t["assess"]).click()
    expect(page.locator(".flash-success")).to_contain_text(t["assessed"])
    expect(page.locator("#item-status")).to_contain_text(t["released"])
    expect(page.locator("#progress-heading ~ form")).to_have_count(0)   # no more reports once released

    # the 113 meeting's annex lists it with its progress and 解除列管
    page.goto(f"{live_server.url}/resolutions/meetings/{tracked['m113']}")
    annex = page.locator("#annex-previous")
    expect(annex).to_contain_text("112-1")
    expect(annex).to_contain_text(PROGRESS)
    expect(annex.locator("tbody tr").first.locator("td").last).to_have_text(t["close"])
    shoot(page, "resolution-meeting", lang, found)
    assert {name: v for name, v in found.items() if v} == {}
