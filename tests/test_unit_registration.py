"""Unit registration (docs/rules/unit-registration.md): a unit applies without an account with a real PDF plan;
its county (or the local sector authority of its main field) approves — the unit and its first supervisor, who
signs in, changes the password and creates a clerk — or returns with a reason; scope, versions, rate limit."""
import io
import re
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from sqlalchemy import func, select

from portal import create_app
from portal.auth.models import User
from portal.auth.operations import create_user
from portal.notifications.models import Notification, OutboxMessage
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.uploads import StoredFile
from portal.registry.models import Unit
from portal.registry.operations import authority_for, create_unit
from portal.unit_registration.models import UnitApplication
from portal.unit_registration.rules import fields_of, may_decide, reference_number, supervisor_username, unit_code
from tests.conftest import PASSWORD, base_config, login, pg_database, reset_database, sign_in_page


def pdf_bytes(pages=1) -> bytes:
    out = io.BytesIO()
    with pikepdf.new() as doc:
        for _ in range(pages):
            doc.add_blank_page()
        doc.save(out)
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(out, "PNG")
    return out.getvalue()


FORM = {"name": "萬華新希望協會", "name_en": "Wanhua New Hope Association", "county": "TPE", "field_code": "social",
        "further_fields": ["health", "social"], "sector": "private", "contact_name": "林志明",
        "contact_email": "lin@example.org", "contact_phone": "02-2301-1234"}


def apply(client, plan=None, filename="計畫.pdf", **changes):
    data = FORM | changes
    data["plan"] = (io.BytesIO(pdf_bytes() if plan is None else plan), filename)
    return client.post("/unit-registration/apply", data=data, content_type="multipart/form-data")


def application(reference=None) -> UnitApplication:
    query = select(UnitApplication).order_by(UnitApplication.id.desc())
    if reference:
        query = query.where(UnitApplication.reference == reference)
    return db.session.scalars(query).first()


def audited(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def mails_to(address):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.address == address)
                              .order_by(OutboxMessage.id)).all()


# --- rules ---------------------------------------------------------------------------------------------

def test_who_decides():
    assert may_decide("county", "TPE", None, "TPE", "education")
    assert not may_decide("county", "KHH", None, "TPE", "education")
    assert may_decide("sector_local", "TPE", "education", "TPE", "education")
    assert not may_decide("sector_local", "TPE", "social", "TPE", "education")
    assert not may_decide("sector_local", "KHH", "education", "TPE", "education")
    for role in ("sector_central", "ministry", "unit_supervisor", "admin"):
        assert not may_decide(role, "TPE", "education", "TPE", "education")


def test_numbers_and_derived_names():
    assert reference_number("TPE", 115, 1) == "UR-TPE-115-00001"
    assert unit_code("KHH", 115, 12) == "KHH-115-0012"
    assert supervisor_username("TPE-115-0001") == "tpe-115-0001.supervisor"
    assert fields_of("social", ["health", "social", "health", ""]) == ["social", "health"]
    assert fields_of("social", None) == ["social"]


# --- applying --------------------------------------------------------------------------------------------

def test_a_unit_applies_without_an_account_with_a_real_pdf(world, client):
    assert client.get("/unit-registration/apply").status_code == 200
    response = apply(client)
    assert response.status_code == 302 and response.headers["Location"] == "/unit-registration/submitted"
    app_row = application()
    assert re.fullmatch(r"UR-TPE-\d{3}-00001", app_row.reference)
    assert (app_row.status, app_row.fields, app_row.sector) == ("submitted", ["social", "health"], "private")
    assert app_row.plan.kind == "pdf" and app_row.plan.purpose == "unit_plan"
    assert app_row.reference in client.get("/unit-registration/submitted").get_data(as_text=True)
    [row] = audited("unit_registration.submit")
    assert row.actor_id is None and row.object_id == app_row.id
    [mail] = mails_to("lin@example.org")
    assert app_row.reference in mail.subject and app_row.reference in mail.body
    # Both deciding bodies are told: the county and the local social-welfare authority of Taipei.
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.event == "unit_registration.submitted")))
    assert told == {world.users["county_tpe"].id, world.users["sector_local"].id}


@pytest.mark.parametrize("content,name,words", [
    (b"%PDF-1.4\nthis is not really a pdf\n", "計畫.pdf", "damaged"),
    (png_bytes(), "計畫.png", "must be a PDF"),
    (png_bytes(), "計畫.pdf", "content is a PNG"),
    (b"MZ\x90\x00 program", "計畫.pdf", "not a PDF"),
    (b"", "計畫.pdf", "empty"),
])
def test_a_plan_that_is_not_a_real_pdf_is_refused(world, client, content, name, words):
    response = client.post("/unit-registration/apply", data=FORM | {"plan": (io.BytesIO(content), name)},
                           content_type="multipart/form-data", headers={"Accept-Language": "en"})
    assert response.status_code == 422 and words in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(UnitApplication)) == 0
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_the_plan_and_the_contact_are_required(world, client):
    response = client.post("/unit-registration/apply", data=FORM, content_type="multipart/form-data")
    assert response.status_code == 422
    assert apply(client, contact_email="not-an-address").status_code == 422
    assert apply(client, sector="").status_code == 422
    assert apply(client, county="XXX").status_code == 422
    assert apply(client, name="<b>x</b>").status_code == 422
    assert db.session.scalar(select(func.count()).select_from(UnitApplication)) == 0


def test_applications_are_rate_limited_per_address(backend, tmp_path):
    uri = "sqlite://" if backend == "sqlite" else pg_database("test")
    app = create_app(base_config(tmp_path, uri) | {"RATELIMIT_ENABLED": True,
                                                    "UNIT_REGISTRATION_RATE_LIMIT": "2 per minute"})
    with app.app_context():
        reset_database()
        client = app.test_client()
        codes = [apply(client).status_code for _ in range(3)]
        assert client.get("/unit-registration/apply").status_code == 200   # reading the form is not limited
        db.session.remove()
        db.engine.dispose()
    assert codes == [302, 302, 429]


# --- deciding --------------------------------------------------------------------------------------------

def approve(client, app_row, **data):
    return client.post(f"/unit-registration/applications/{app_row.id}/approve",
                       data={"version": app_row.version} | data)


def test_the_county_approves_and_the_new_supervisor_signs_in_and_creates_a_clerk(world, app, client):
    apply(app.test_client())
    app_row = application()
    login(client, world.users["county_tpe"])
    listing = client.get("/unit-registration/applications").get_data(as_text=True)
    assert app_row.reference in listing
    page = client.get(f"/unit-registration/applications/{app_row.id}").get_data(as_text=True)
    assert "萬華新希望協會" in page and "lin@example.org" in page
    plan = client.get(f"/unit-registration/applications/{app_row.id}/plan")
    assert plan.status_code == 200 and plan.data.startswith(b"%PDF") and plan.mimetype == "application/pdf"

    response = approve(client, app_row)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    shown = response.get_data(as_text=True)
    password = re.search(r'id="new-password">([^<]+)<', shown).group(1)
    db.session.expire_all()
    unit = db.session.scalar(select(Unit).where(Unit.id == app_row.unit_id))
    assert re.fullmatch(r"TPE-\d{3}-0001", unit.code)
    assert (unit.name, unit.name_en, unit.county_code, unit.field_codes, unit.sector) == (
        "萬華新希望協會", "Wanhua New Hope Association", "TPE", ["social", "health"], "private")
    supervisor = app_row.supervisor
    assert supervisor.username == supervisor_username(unit.code) and supervisor.role == "unit_supervisor"
    assert (supervisor.unit_id, supervisor.email, supervisor.must_change_password) == (unit.id, "lin@example.org", True)
    assert (app_row.status, app_row.decided_by_id) == ("approved", world.users["county_tpe"].id)
    assert {a.action for a in db.session.scalars(select(AuditLog))} >= {
        "unit.create", "user.create", "unit_registration.approve"}
    decision = mails_to("lin@example.org")[-1]
    assert supervisor.username in decision.body and password not in decision.body + decision.subject

    # The first supervisor: signs in, must choose a password, then creates the unit's first clerk.
    newcomer = app.test_client()
    assert newcomer.post("/login", data={"username": supervisor.username, "password": password}).status_code == 302
    assert newcomer.get("/admin/users").headers["Location"] == "/password"
    newcomer.post("/password", data={"current": password, "new": "lin-own-password-7", "confirm": "lin-own-password-7"})
    created = newcomer.post("/admin/users/new", data={"username": "wanhua.clerk", "display_name": "王承辦",
                                                      "email": "clerk@example.org", "active": "y",
                                                      "password": "clerk-initial-pass-3"})
    assert created.status_code == 302
    clerk = db.session.scalar(select(User).where(User.username == "wanhua.clerk"))
    assert (clerk.role, clerk.unit_id, clerk.must_change_password) == ("unit_clerk", unit.id, True)


def test_unit_codes_follow_the_county_sequence_and_skip_codes_in_use(world, client):
    anonymous = client.application.test_client()
    apply(anonymous)
    apply(anonymous, name="第二協會")
    first, second = db.session.scalars(select(UnitApplication).order_by(UnitApplication.id)).all()
    login(client, world.users["county_tpe"])
    assert approve(client, first).status_code == 200
    year = db.session.get(Unit, application(first.reference).unit_id).code.split("-")[1]
    create_unit(f"TPE-{year}-0002", "手動建立", "TPE", "social", "private")   # made by `flask units add`
    db.session.commit()
    assert approve(client, second).status_code == 200
    db.session.expire_all()
    assert db.session.get(Unit, application(second.reference).unit_id).code == f"TPE-{year}-0003"


def test_the_authority_may_choose_the_code_and_the_username(world, client):
    apply(client.application.test_client())
    app_row = application()
    login(client, world.users["county_tpe"])
    taken = approve(client, app_row, unit_code="tpe-a")
    assert taken.status_code == 422 and "TPE-A" in taken.get_data(as_text=True)
    taken = approve(client, app_row, username="clerk.a")
    assert taken.status_code == 422 and db.session.scalar(select(func.count()).select_from(Unit)) == 3
    assert approve(client, app_row, unit_code="TPE-WH-01", username="lin.wanhua").status_code == 200
    db.session.expire_all()
    assert (app_row.unit.code, app_row.supervisor.username) == ("TPE-WH-01", "lin.wanhua")


def test_return_with_a_reason_tells_the_applicant(world, client):
    apply(client.application.test_client())
    app_row = application()
    login(client, world.users["county_tpe"])
    empty = client.post(f"/unit-registration/applications/{app_row.id}/return",
                        data={"version": app_row.version, "reason": "  "})
    assert empty.status_code == 422
    response = client.post(f"/unit-registration/applications/{app_row.id}/return",
                           data={"version": app_row.version, "reason": "計畫書缺少經費概算表"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (app_row.status, app_row.return_reason, app_row.unit_id) == ("returned", "計畫書缺少經費概算表", None)
    assert "計畫書缺少經費概算表" in mails_to("lin@example.org")[-1].body
    [row] = audited("unit_registration.return")
    assert row.actor_id == world.users["county_tpe"].id
    # Decided once: approving the returned application is refused, nothing is created.
    again = approve(client, app_row)
    assert again.status_code == 422 and db.session.scalar(select(func.count()).select_from(Unit)) == 3
    assert app_row.reference in client.get("/unit-registration/applications?status=returned").get_data(as_text=True)
    assert app_row.reference not in client.get("/unit-registration/applications").get_data(as_text=True)


def test_a_stale_decision_answers_409_and_changes_nothing(world, client):
    apply(client.application.test_client())
    app_row = application()
    login(client, world.users["county_tpe"])
    stale = {"version": app_row.version - 1}
    assert client.post(f"/unit-registration/applications/{app_row.id}/approve", data=stale).status_code == 409
    assert client.post(f"/unit-registration/applications/{app_row.id}/return",
                       data=stale | {"reason": "x"}).status_code == 409
    db.session.expire_all()
    assert app_row.status == "submitted" and db.session.scalar(select(func.count()).select_from(Unit)) == 3


def test_applications_are_seen_by_their_county_and_sector_authority_only(world, client):
    anonymous = client.application.test_client()
    apply(anonymous)                                        # Taipei, social welfare
    apply(anonymous, name="臺北教育協會", field_code="education", further_fields=[])
    apply(anonymous, name="高雄協會", county="KHH")
    social, education, kaohsiung = db.session.scalars(select(UnitApplication).order_by(UnitApplication.id)).all()
    cases = {"county_tpe": {social, education}, "sector_local": {social}, "county_khh": {kaohsiung}}
    for persona, visible in cases.items():
        login(client, world.users[persona])
        listing = client.get("/unit-registration/applications").get_data(as_text=True)
        for app_row in (social, education, kaohsiung):
            status = client.get(f"/unit-registration/applications/{app_row.id}").status_code
            assert (status == 200) is (app_row in visible), (persona, app_row.reference)
            assert (app_row.reference in listing) is (app_row in visible)
            if app_row not in visible:
                assert status == 404
                assert client.get(f"/unit-registration/applications/{app_row.id}/plan").status_code == 404
                assert approve(client, app_row).status_code == 404
    for persona in ("clerk_a", "supervisor_a", "sector_central", "ministry", "admin", "volunteer"):
        login(client, world.users[persona])
        assert client.get("/unit-registration/applications").status_code == 403, persona
        assert client.get(f"/unit-registration/applications/{social.id}").status_code == 403, persona
    db.session.expire_all()
    assert social.status == "submitted"


def test_the_local_sector_authority_may_decide_its_fields_applications(world, client):
    apply(client.application.test_client())
    app_row = application()
    login(client, world.users["sector_local"])
    assert approve(client, app_row).status_code == 200
    db.session.expire_all()
    assert app_row.decided_by_id == world.users["sector_local"].id


def test_the_menu_offers_the_registrations_to_the_deciders_and_the_form_to_visitors(world, client):
    for persona, shown in (("county_tpe", True), ("sector_local", True), ("ministry", False), ("clerk_a", False)):
        login(client, world.users[persona])
        assert ('href="/unit-registration/applications"' in client.get("/").get_data(as_text=True)) is shown
    anonymous = client.application.test_client()
    assert 'href="/unit-registration/apply"' in anonymous.get("/").get_data(as_text=True)


def test_the_applicant_s_mails_arrive_through_smtp(world, app, client, smtp_server):
    apply(app.test_client())
    app_row = application()
    [received] = smtp_server.wait_for(1)
    assert received["To"] == "lin@example.org" and app_row.reference in received["Subject"]
    assert app_row.reference in received.get_content()
    login(client, world.users["county_tpe"])
    password = re.search(r'id="new-password">([^<]+)<', approve(client, app_row).get_data(as_text=True)).group(1)
    decision = smtp_server.wait_for(2)[-1]
    body = decision.get_content()
    assert decision["To"] == "lin@example.org" and "萬華新希望協會" in body
    assert supervisor_username(application().unit.code) in body and password not in body + decision["Subject"]
    apply(app.test_client(), name="第二協會")
    returned = application()
    client.post(f"/unit-registration/applications/{returned.id}/return",
                data={"version": returned.version, "reason": "缺少經費概算表"})
    mail = smtp_server.wait_for(4)[-1]
    assert mail["To"] == "lin@example.org" and "缺少經費概算表" in mail.get_content()
    assert len(smtp_server.messages) == 4   # nobody else has an address here: nothing more was sent


# --- in the browser ---------------------------------------------------------------------------------------

AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text()


def axe_violations(page):
    """Serious and critical WCAG 2.1 A/AA violations of the page (as tests/test_accessibility.py checks)."""
    page.evaluate(AXE)
    # resultTypes: every node of a violation as before, one node of each passed rule (tests/test_accessibility.py)
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, "
                           "resultTypes: ['violations']})", ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    assert len(result["passes"]) > 10
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


BROWSER_TEXT = {
    "zh": {"name": "單位名稱（中文）", "county": "縣市", "field": "主要服務類別", "health": "衛生保健",
           "private": "私部門", "contact": "聯絡人", "email": "聯絡電子郵件", "phone": "聯絡電話",
           "plan": "志願服務計畫（PDF）", "send": "送出申請", "approve": "核准並登錄單位",
           "change": "變更密碼", "sign_in": "登入", "save": "儲存"},
    "en": {"name": "Name of the unit (Chinese)", "county": "County or city", "field": "Main service field",
           "health": "Health care", "private": "Private sector", "contact": "Contact person",
           "email": "Contact e-mail", "phone": "Contact phone", "plan": "Volunteer service plan (PDF)",
           "send": "Send the application", "approve": "Approve and register the unit",
           "change": "Change password", "sign_in": "Sign in", "save": "Save"},
}


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_unit_registers_the_county_approves_and_the_supervisor_creates_a_clerk(live_server, page, lang):
    text = BROWSER_TEXT[lang]
    with live_server.app.app_context():
        create_user("county.tpe", PASSWORD, "county", display_name="臺北市社會局",
                    authority_id=authority_for("county", "TPE", None).id, email="county@example.org")
        db.session.commit()
    found = {}
    page.goto(live_server.url + "/")
    if lang == "en":
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="Register a using unit" if lang == "en" else "申請登錄運用單位").click()
    page.wait_for_selector("#name")
    found["apply"] = axe_violations(page)
    page.get_by_role("button", name=text["send"]).click()       # empty: errors in words, in the language
    page.wait_for_selector(".error-summary")
    found["apply with errors"] = axe_violations(page)
    page.get_by_label(text["name"]).fill("萬華新希望協會")
    page.get_by_label(text["county"]).select_option("TPE")
    page.get_by_label(text["field"]).select_option("social")
    page.get_by_label(text["health"]).check()
    page.get_by_label(text["private"]).check()
    page.get_by_label(text["contact"]).fill("林志明")
    page.get_by_label(text["email"]).fill("lin@example.org")
    page.get_by_label(text["phone"]).fill("02-2301-1234")
    page.get_by_label(text["plan"]).set_input_files(
        {"name": "志願服務計畫.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(2)})
    page.get_by_role("button", name=text["send"]).click()
    page.wait_for_selector("#reference")
    reference = page.locator("#reference").inner_text()
    found["submitted"] = axe_violations(page)

    sign_in_page(page, live_server.url, "county.tpe", lang)
    page.goto(live_server.url + "/unit-registration/applications")
    found["list"] = axe_violations(page)
    page.get_by_role("link", name=reference).click()
    page.wait_for_selector("#unit_code")
    found["application"] = axe_violations(page)
    page.get_by_role("button", name=text["approve"]).click()
    page.wait_for_selector("#new-password")
    found["approved"] = axe_violations(page)
    username = page.locator("#new-username").inner_text()
    password = page.locator("#new-password").inner_text()

    # The new supervisor: first sign-in, own password, then the unit's first clerk.
    page.goto("about:blank")
    page.context.clear_cookies()
    page.goto(live_server.url + "/login")
    if lang == "en":
        page.get_by_role("button", name="English").click()
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_role("button", name=text["sign_in"]).click()
    page.wait_for_selector("#confirm")
    page.fill("#current", password)
    page.fill("#new", "lin-own-password-7")
    page.fill("#confirm", "lin-own-password-7")
    page.get_by_role("button", name=text["change"]).click()
    page.wait_for_load_state("networkidle")
    page.goto(live_server.url + "/admin/users/new")
    page.wait_for_selector("#username")
    assert page.locator("#unit_code").count() == 0 and page.locator("#role").count() == 0
    found["new clerk"] = axe_violations(page)
    page.fill("#username", "wanhua.clerk")
    page.fill("#display_name", "王承辦")
    page.fill("#email", "clerk@example.org")
    page.fill("#password", "clerk-initial-pass-3")
    page.get_by_role("button", name=text["save"]).click()
    page.wait_for_selector("text=wanhua.clerk")
    found["accounts"] = axe_violations(page)
    assert {k: v for k, v in found.items() if v} == {}
    with live_server.app.app_context():
        clerk = db.session.scalar(select(User).where(User.username == "wanhua.clerk"))
        unit = db.session.scalar(select(Unit).where(Unit.name == "萬華新希望協會"))
        assert (clerk.role, clerk.unit_id, clerk.must_change_password) == ("unit_clerk", unit.id, True)
        assert unit.field_codes == ["social", "health"]
