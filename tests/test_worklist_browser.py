"""Real browser: the work list on the staff home pages in both languages. The county opens the waiting
record-book request from its home page, issues it, and the item is gone from the home page; the unit's
home page lists its waiting work (one of them overdue) as cards at phone and desktop width. axe-core clean.

Screenshots go to SCREENSHOT_DIR when it is set."""
import os
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal.auth.operations import create_user
from portal.certificates.models import CertificateRequest
from portal.hours.models import HourEntry
from portal.insurance.models import InsuranceEnrolment, InsurancePolicy
from portal.platform import uploads
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei, utcnow
from portal.records.models import RecordBookRequest
from portal.registry.models import Membership, Person
from portal.registry.operations import authority_for, create_unit
from portal.registry.photos import prepare_photo
from portal.training.models import TrainingRecord
from tests.conftest import PASSWORD
from tests.test_accessibility import violations
from tests.test_records_browser import jpeg, sign_in

pytestmark = pytest.mark.browser

TEXT = {
    "zh": {"work": "待辦事項", "books": "待核發的服務紀錄冊申請", "waiting": "1 件待辦", "issue_all": "核發全部 1 件",
           "nothing": "目前沒有等待您處理的事項", "overdue": "1 件已逾期", "claims": "待審核的時數申報",
           "prepare": "待備妥的績效證明書", "missing": "缺少教育訓練的志工"},
    "en": {"work": "Waiting for you", "books": "Record-book requests to issue", "waiting": "1 waiting",
           "issue_all": "Issue all 1 waiting", "nothing": "Nothing is waiting for you right now.",
           "overdue": "1 overdue", "claims": "Hours claims to decide", "prepare": "Performance certificates to prepare",
           "missing": "Volunteers missing training"},
}
PHONE, DESKTOP = {"width": 360, "height": 800}, {"width": 1200, "height": 900}


@pytest.fixture
def waiting(live_server):
    """A unit in Taipei with its clerk and the county; a trained volunteer whose record book the unit asked
    for; a volunteer's claim, an overdue certificate request and an untrained volunteer for the unit."""
    with live_server.app.app_context():
        unit = create_unit("TPE-SW", "萬華社區關懷協會", "TPE", "social", "private", name_en="Wanhua Community Care")
        create_user("clerk.sw", PASSWORD, "unit_clerk", unit_id=unit.id, display_name="萬華承辦人")
        create_user("county.tpe", PASSWORD, "county", authority_id=authority_for("county", "TPE", None).id,
                    display_name="臺北市社會局")
        person = Person(name="林美玲", id_kind="national", id_number="A223456781", sex="F",
                        birth_date=date(1958, 4, 5))
        person.memberships = [Membership(unit=unit, field_code="social", joined_on=date(2021, 3, 1))]
        newcomer = Person(name="陳志明", id_kind="national", id_number="A123456789", sex="M",
                          birth_date=date(1990, 1, 2))
        newcomer.memberships = [Membership(unit=unit, field_code="social", joined_on=date(2025, 9, 1))]
        db.session.add_all([person, newcomer])
        db.session.flush()
        for kind, field in (("basic", None), ("special", "social")):
            db.session.add(TrainingRecord(person_id=person.id, unit_id=unit.id, kind=kind, field_code=field,
                                          status="verified", hours=6, completed_on=date(2021, 2, 20)))
        stored = uploads.store(prepare_photo("photo.jpg", jpeg()), "person_photo", None)
        person.photo_file_id, person.photo_status = stored.id, "accepted"
        today = today_taipei()
        # Insured all year: the claim below is not on a day without cover (I6), which the county's list would show.
        policy = InsurancePolicy(unit_id=unit.id, insurer_code="shinkong", insurer_name="新光人壽", policy_no="SW-1",
                                 starts_on=date(today.year, 1, 1), ends_on=date(today.year, 12, 31))
        db.session.add(policy)
        db.session.flush()
        db.session.add(InsuranceEnrolment(policy_id=policy.id, person_id=person.id, unit_id=unit.id,
                                          starts_on=policy.starts_on, ends_on=policy.ends_on))
        db.session.add_all([
            RecordBookRequest(person_id=person.id, unit_id=unit.id, requested_on=today - timedelta(days=3)),
            HourEntry(person_id=person.id, unit_id=unit.id, start_on=today - timedelta(days=5),
                      end_on=today - timedelta(days=5), half_hours=6, field_code="social", status="pending",
                      source="claim", entered_at=utcnow() - timedelta(days=2)),
            CertificateRequest(kind="performance", person_id=person.id, unit_id=unit.id, origin="volunteer",
                               requested_on=today - timedelta(days=9), due_on=today - timedelta(days=2),
                               requested_at=datetime.now()),
        ])
        db.session.commit()


def shoot(page: Page, name: str, lang: str, found: dict):
    found[f"{name}-{lang}"] = violations(page)
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}-{lang}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_county_follows_a_waiting_request_to_its_decision(page: Page, live_server, waiting, lang):
    t, found = TEXT[lang], {}

    # the unit's home page: its waiting work as cards, the overdue certificate first and said in words
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "clerk.sw", lang)
    work = page.get_by_role("region", name=t["work"])
    cards = work.get_by_role("listitem")
    expect(cards).to_have_count(3)      # the claim is insured (the fixture): no "hours without insurance" card
    expect(cards.first).to_contain_text(t["prepare"])
    expect(cards.first).to_contain_text(t["overdue"])
    expect(work).to_contain_text(t["claims"])
    expect(work).to_contain_text(t["missing"])
    shoot(page, "home-unit-360", lang, found)
    page.set_viewport_size(DESKTOP)
    shoot(page, "home-unit-desktop", lang, found)

    # the county: one record-book request waits; its card leads to the list where the county issues it
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "county.tpe", lang)
    work = page.get_by_role("region", name=t["work"])
    card = work.get_by_role("link", name=t["books"])
    expect(card).to_contain_text(t["waiting"])
    shoot(page, "home-county-360", lang, found)
    page.set_viewport_size(DESKTOP)
    shoot(page, "home-county-desktop", lang, found)
    card.click()
    expect(page).to_have_url(re.compile(r"/records/$"))
    page.get_by_role("button", name=t["issue_all"]).click()
    expect(page.locator(".flash-success")).to_contain_text("TPE-")

    # back home: nothing waits any more
    page.goto(live_server.url + "/")
    work = page.get_by_role("region", name=t["work"])
    expect(work).to_contain_text(t["nothing"])
    expect(work.get_by_role("link", name=t["books"])).to_have_count(0)
    shoot(page, "home-county-done", lang, found)
    assert {name: v for name, v in found.items() if v} == {}
