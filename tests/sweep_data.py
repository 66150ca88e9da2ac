"""What the persona sweep's demo site holds besides the demo set, so that every page of every persona has
something to show (tests/test_persona_sweep.py): documents, an honor card with its e-card, an application with
its official letter, venues, a training record with a certificate file, a lost-certificate case, requests and a
finished print job, a unit's registration, a recovery link, and imports with problems (through the import pages
themselves, as a clerk and a county officer upload them). PDFs are stand-ins: the pages are checked, not the
documents (tests/test_pdf.py and the documents' own tests render them)."""
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

import pikepdf
import sqlalchemy as sa
from PIL import Image

from portal.accounts.operations import link_digest, request_recovery
from portal.auth.models import User
from portal.awards.models import AwardRound
from portal.certificates.models import CertificateRequest
from portal.documents.operations import issue_document
from portal.honor_cards.documents import issue_card_document
from portal.honor_cards.models import HonorCard, HonorCardApplication, Venue
from portal.hours.disputes import open_dispute
from portal.hours.models import HourEntry
from portal.platform.extensions import db
from portal.platform.jobs import Job
from portal.platform.timeutil import today_taipei
from portal.platform.uploads import check_file, store
from portal.records.models import RecordBookRequest
from portal.registry.models import Membership, Person, Unit
from portal.registry.operations import authority_for
from portal.training.operations import attach_files, create_record, file_case
from portal.unit_registration.operations import submit

RECOVERY_TOKEN = "sweep-recovery-link-token-0123456789abcdef"
ROOT_FIXTURES = "tests/fixtures/imports"


@dataclass
class Seeded:
    """Ids and values the sweep needs to reach pages that no link of the portal leads to (a recovery link is
    mailed, a unit's reference is shown once after its form)."""
    recovery_token: str = RECOVERY_TOKEN
    reference: str = ""
    verify_urls: list = field(default_factory=list)
    selections: dict = field(default_factory=dict)   # persona -> pages that volunteers ticked on a list lead to
    made: list = field(default_factory=list)


def blank_pdf() -> bytes:
    out = io.BytesIO()
    with pikepdf.new() as doc:
        doc.add_blank_page()
        doc.save(out, deterministic_id=True)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "PNG")
    return out.getvalue()


def seed(app) -> Seeded:
    """Add the objects (one commit), then the imports through their pages. Fails loudly: a seed that stopped
    working would otherwise only show as pages the sweep no longer reaches."""
    seeded = Seeded()
    with app.test_request_context("/"):     # notifications and mails build the links they carry
        volunteer = db.session.scalar(sa.select(User).where(User.username == "volunteer"))
        clerk = db.session.scalar(sa.select(User).where(User.username == "clerk.tpe-sw-01"))
        person = db.session.get(Person, volunteer.person_id)
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == "TPE-SW-01"))
        county = authority_for("county", unit.county_code, None)
        pdf, today = blank_pdf(), today_taipei()
        stub = lambda prepared: pdf  # noqa: E731 - the stand-in renderer

        # Documents: a performance certificate (its page, download, revocation form and public verification).
        document = issue_document("performance", person, {"name": person.name, "total_half_hours": 300}, unit, render=stub)
        db.session.add_all([
            CertificateRequest(kind="english_certificate", person_id=person.id, unit_id=unit.id, origin="volunteer",
                               requested_on=today, due_on=today + timedelta(days=7)),
            Job(kind="certificates.issue_prepared", unit_id=unit.id, status="done", total=1, done=1),
            RecordBookRequest(person_id=person.id, unit_id=unit.id, kind="renewal", reason="lost", status="pending",
                              requested_on=today)])

        # The honor card in force with its e-card, an application with its official letter, a venue.
        letter = store(check_file("公文.pdf", pdf), "honor_card_letter", None)
        db.session.add(HonorCardApplication(person_id=person.id, unit_id=unit.id, applied_on=today,
                                            letter_file_id=letter.id))
        card = HonorCard(person_id=person.id, number="HC-TPE-115-000777", county_code=unit.county_code,
                         authority_id=county.id, approved_on=today, valid_from=today,
                         valid_to=date(today.year + 3, 1, 31))
        db.session.add_all([card, Venue(name="臺北市立動物園", name_en="Taipei Zoo", county_code=unit.county_code,
                                        address="臺北市文山區新光路二段30號", authority_id=county.id)])
        db.session.flush()
        ecard = issue_card_document(card, county, None, render=stub)
        card.document_id = ecard.id
        seeded.verify_urls = [f"/verify/{document.token}", f"/verify/{ecard.token}"]

        # Training: a special-training record with its certificate (preview, download, edit), a lost case.
        record = create_record(person, unit.id, {"kind": "special", "field_code": unit.field_code,
                                                 "course_name": "特殊訓練", "completed_on": today - timedelta(days=30)},
                               clerk)
        attach_files(record, [store(check_file("證書.png", png()), "training_certificate", None)], clerk)
        file_case(person, unit.id, {"kind": "special", "field_code": "environment", "evidence": "roster"}, clerk)

        # A unit's registration waiting for the county, with its plan.
        plan = store(check_file("服務計畫.pdf", pdf), "unit_plan", None)
        seeded.reference = submit({"name": "臺北市大安社區關懷協會", "name_en": "Da'an Community Care Association",
                                   "county_code": "TPE", "field_code": "social", "sector": "private",
                                   "further_fields": "", "contact_name": "王大明",
                                   "contact_email": "daan@example.org", "contact_phone": "02-2700-1234"},
                                  plan, "zh_TW", today=today).reference

        # A dispute of one of the volunteer's entries, waiting for the unit.
        entry = db.session.scalar(sa.select(HourEntry).where(HourEntry.person_id == person.id,
                                                             HourEntry.status == "active").order_by(HourEntry.id))
        open_dispute(entry, "這天我只服務了半天", volunteer)

        # What a selection leads to (no demo volunteer is eligible, so the lists offer no box to tick): the
        # clerk's honor-card application for a member, the sector authority's paper award entry.
        members = list(db.session.scalars(sa.select(Membership.person_id).where(
            Membership.unit_id == unit.id, Membership.is_current)))
        hospital = db.session.scalar(sa.select(Unit).where(Unit.code == "TPE-SW-02"))
        patient = db.session.scalar(sa.select(Membership.person_id).where(Membership.unit_id == hospital.id,
                                                                         Membership.is_current))
        open_round = next(r for r in db.session.scalars(sa.select(AwardRound).order_by(AwardRound.id)) if r.is_open)
        # (The unit's eligibility list shows volunteers within 3 months of eligibility: with the card seeded above
        # the demo volunteer is not among them, so the link to one volunteer's checklist is not there either.)
        seeded.selections = {"clerk": [f"/honor-cards/apply?person_id={members[0]}",
                                       f"/honor-cards/people/{members[0]}/eligibility"],
                             "sector": [f"/awards/paper/enter?round_id={open_round.id}&unit_id={hospital.id}"
                                        f"&person_id={patient}"]}

        # A recovery link as mailed to the clerk (the token is known: the mail is not read here).
        recovery = request_recovery(clerk.username, "email")
        recovery.link_hash = link_digest(RECOVERY_TOKEN)
        # A second step to enter: the ministry's account has its authenticator (the county's still sets it up).
        ministry = db.session.scalar(sa.select(User).where(User.username == "ministry"))
        ministry.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership)) > 0
    return seeded


def upload_imports(post):
    """Imports with problems, uploaded through their pages (the error report, its CSV, the batch page):
    `post(username, path, data)` posts a form as that account."""
    with open(f"{ROOT_FIXTURES}/hours-with-errors.xlsx", "rb") as f:
        post("clerk.tpe-sw-01", "/imports/", {"kind": "hours", "encoding": "",
                                              "file": (io.BytesIO(f.read()), "hours-with-errors.xlsx")})
    cards = "姓名,身分證字號,卡號,審核日期\n王小明,A123456789,HC-X,115/13/01\n"
    post("county.tpe", "/honor-cards/import", {"encoding": "",
                                               "file": (io.BytesIO(cards.encode()), "honor-cards.csv")})
    insured = "保單號碼,被保險人姓名,身分證字號,保險起日,保險迄日\nP-1,王小明,A123456789,115/13/01,\n"
    post("clerk.tpe-sw-01", "/insurance/roster", {"encoding": "",
                                                  "file": (io.BytesIO(insured.encode()), "insured.csv")})
    venues = "縣市別,風景區(場館)名稱,優惠方式,可使用之榮譽卡形式\n臺北市,,免費,\n"
    post("county.tpe", "/honor-cards/venues/import", {"encoding": "",
                                                      "file": (io.BytesIO(venues.encode()), "venues.csv")})
    awards = "身分證號,姓名,獎項名稱\nA123456789,王小明,\n"
    post("county.tpe", "/awards/other-import", {"encoding": "",
                                                "file": (io.BytesIO(awards.encode()), "other-awards.csv")})
