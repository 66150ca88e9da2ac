"""Real browser: the public verification page of a document shows its credential's state and what it asserts, in
both languages, on a phone and on a desktop (docs/rules/credentials.md#vc7); the pasted-credential check answers.
SCREENSHOT_DIR=… keeps the screenshots."""
import json
import os
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.credentials.models import Credential
from portal.documents.operations import issue_document, revoke_document
from portal.platform.extensions import db
from portal.registry.models import Membership, Person
from portal.registry.operations import create_unit
from tests.test_accessibility import violations

pytestmark = pytest.mark.browser

TEXT = {"zh": {"valid": "可驗證憑證：有效", "revoked": "可驗證憑證：已撤銷", "hours": "150.5", "check": "有效"},
        "en": {"valid": "Verifiable credential: Valid", "revoked": "Verifiable credential: Revoked", "hours": "150.5",
               "check": "Valid"}}
SIZES = {"phone": {"width": 360, "height": 640}, "desktop": {"width": 1366, "height": 768}}


@pytest.fixture
def documents(live_server):
    """A valid English certificate and a revoked performance certificate of one volunteer."""
    live_server.app.config["PUBLIC_BASE_URL"] = live_server.url   # as in production: credentials name this host
    with live_server.app.app_context():
        unit = create_unit("TPE-VC", "臺北市大安區志願服務協會", "TPE", "social", "private",
                           name_en="Taipei Da'an Volunteer Association")
        person = Person(name="王小明", id_kind="national", id_number="A123456789", name_latin="WANG, HSIAO-MING")
        person.memberships.append(Membership(unit=unit, field_code="social", joined_on=date(2020, 1, 1)))
        db.session.add(person)
        db.session.commit()
        payload = {"name": person.name, "name_latin": person.name_latin, "total_half_hours": 301}
        valid, revoked = (issue_document(kind, person, payload, unit, render=lambda p: b"%PDF-1.4 stand-in")
                          for kind in ("english_certificate", "performance"))
        revoke_document(revoked, "issued in error")
        db.session.commit()
        credential = db.session.query(Credential).filter_by(document_id=valid.id).one().credential
        return {"valid": valid.token, "revoked": revoked.token, "credential": credential}


def shoot(page, name):
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_verification_page_shows_the_credential(browser, live_server, documents, lang):
    context = browser.new_context(locale="zh-TW" if lang == "zh" else "en-US")
    page = context.new_page()
    t = TEXT[lang]
    page.goto(f"{live_server.url}/verify/{documents['revoked']}")
    expect(page.locator("#vc-status")).to_have_text(t["revoked"])
    shoot(page, f"credential-verify-revoked-desktop-{lang}")
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.goto(f"{live_server.url}/verify/{documents['valid']}")
        expect(page.locator("#vc-status")).to_have_text(t["valid"])
        expect(page.locator(".verify-result").last).to_contain_text(t["hours"])
        shoot(page, f"credential-verify-valid-{size}-{lang}")
    assert violations(page) == []
    page.goto(f"{live_server.url}/verify/credential")
    page.fill("textarea", json.dumps(documents["credential"]))
    page.locator("form button[type=submit]").last.click()
    expect(page.locator("#check-status")).to_have_text(t["check"])
    shoot(page, f"credential-check-{lang}")
    context.close()
