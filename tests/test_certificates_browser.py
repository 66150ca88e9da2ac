"""Real browser: the supervisor countersigns a batch and the progress page updates itself by htmx
polling, without a reload; the public verification page switches language."""
import time
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from portal.auth.operations import create_user
from portal.certificates import batch
from portal.certificates.operations import prepare_all_eligible
from portal.documents.operations import issue_document
from portal.hours.models import HourEntry
from portal.platform.extensions import db
from portal.registry.models import Membership, Person
from portal.registry.operations import create_unit
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def prepared_batch(live_server):
    with live_server.app.app_context():
        unit = create_unit("TPE-W", "萬華社區服務協會", "TPE", "social", "private", name_en="Wanhua Association")
        clerk = create_user("clerk.w", PASSWORD, "unit_clerk", unit_id=unit.id, display_name="萬華承辦人")
        create_user("supervisor.w", PASSWORD, "unit_supervisor", unit_id=unit.id, display_name="萬華督導")
        for i, number in enumerate(("A123456789", "B234567890", "C123456780", "D223456781")):
            person = Person(name=f"林志工{i}", id_kind="national", id_number=number)
            person.memberships.append(Membership(unit=unit, field_code="social", joined_on=date(2020, 1, 1)))
            db.session.add(person)
            db.session.flush()
            db.session.add(HourEntry(person_id=person.id, unit_id=unit.id, start_on=date(2021, 1, 1),
                                     end_on=date(2021, 6, 30), half_hours=320, field_code="social"))
        db.session.commit()
        with live_server.app.test_request_context():
            prepare_all_eligible(unit, clerk)
        db.session.commit()
    return "supervisor.w"


def sign_in(page, url, username):
    page.goto(url + "/login")
    page.get_by_label("帳號").fill(username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()


def test_batch_progress_updates_by_polling(page: Page, live_server, prepared_batch, monkeypatch):
    def slow_stand_in(prepared):
        time.sleep(0.8)
        return b"%PDF-1.4 " + prepared.short_code.encode()
    monkeypatch.setattr(batch, "render_document", slow_stand_in)
    sign_in(page, live_server.url, prepared_batch)
    page.goto(live_server.url + "/documents/")
    page.get_by_role("button", name="會簽並核發全部 4 份").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("批次")
    page.evaluate("window.__notReloaded = true")
    status = page.locator("#job-progress [role=status]")
    expect(status).to_contain_text("處理中", timeout=5000)
    expect(status).to_contain_text("已完成：核發 4 份文件", timeout=15000)
    assert page.evaluate("window.__notReloaded === true"), "the page reloaded instead of polling"
    expect(page.locator("#job-progress")).not_to_have_attribute("hx-trigger", "every 1s")


def test_verification_page_switches_language(page: Page, live_server, prepared_batch):
    with live_server.app.app_context():
        person = db.session.scalar(db.select(Person).where(Person.name == "林志工1"))
        document = issue_document("performance", person, {"name": person.name, "total_half_hours": 320},
                                  person.memberships[0].unit, render=lambda p: b"%PDF-1.4")
        db.session.commit()
        token = document.token
    page.goto(f"{live_server.url}/verify/{token}")
    expect(page.locator("#verify-status")).to_have_text("有效")
    expect(page.locator("section[aria-labelledby=verify-status]")).to_contain_text("林○○1")
    page.get_by_role("button", name="English").click()
    expect(page.locator("#verify-status")).to_have_text("Valid")
    expect(page.locator("section[aria-labelledby=verify-status]")).to_contain_text("Wanhua Association")
    expect(page.locator("body")).not_to_contain_text("林志工1")
