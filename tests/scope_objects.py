"""For every integer URL parameter, the objects that belong to each scope of the test world.

The access matrix (tests/test_access.py) uses this to call every route with an object inside
and outside each role's scope. A route whose parameter is missing here fails the matrix test:
register new parameters with the ids of one object per unit ("A", "B", "C") and per person
("person:a", "person:b", "person:canary") where that makes sense.
"""
from portal.platform.extensions import db
from portal.registry.models import Membership


def _membership_of(person, unit):
    return db.session.scalar(db.select(Membership.id).where(Membership.person_id == person.id,
                                                            Membership.unit_id == unit.id))


def person_ids(w):
    return {"A": w.people["a"].id, "B": w.people["b"].id, "C": w.people["canary"].id}


def membership_ids(w):
    return {"A": _membership_of(w.people["a"], w.units["A"]), "B": _membership_of(w.people["b"], w.units["B"]),
            "C": _membership_of(w.people["canary"], w.units["C"])}


def unit_ids(w):
    return {key: unit.id for key, unit in w.units.items()}


def hour_entry_ids(w):
    from datetime import date

    from portal.hours.models import HourEntry
    entries = {key: HourEntry(person_id=w.people[p].id, unit_id=w.units[key].id, start_on=date(2025, 3, 5),
                              end_on=date(2025, 3, 5), half_hours=6, field_code=w.units[key].field_code)
               for key, p in (("A", "a"), ("B", "b"), ("C", "canary"))}
    db.session.add_all(entries.values())
    db.session.commit()
    return {key: e.id for key, e in entries.items()}


def hour_dispute_ids(w):
    """Per unit: an open dispute of an entry of that unit by its volunteer (docs/rules/hours.md#h13)."""
    from datetime import date

    from portal.hours.disputes import HourDispute
    from portal.hours.models import HourEntry
    entries = {key: HourEntry(person_id=w.people[p].id, unit_id=w.units[key].id, start_on=date(2025, 3, 6),
                              end_on=date(2025, 3, 6), half_hours=6, field_code=w.units[key].field_code)
               for key, p in (("A", "a"), ("B", "b"), ("C", "canary"))}
    db.session.add_all(entries.values())
    db.session.flush()
    entries = {key: e.id for key, e in entries.items()}
    disputes = {key: HourDispute(entry_id=entries[key], person_id=w.people[p].id, unit_id=w.units[key].id,
                                 reason="x", status="open", answer="")
                for key, p in (("A", "a"), ("B", "b"), ("C", "canary"))}
    db.session.add_all(disputes.values())
    db.session.commit()
    return {key: d.id for key, d in disputes.items()}


def import_batch_ids(w):
    from portal.imports.models import ImportBatch
    batches = {key: ImportBatch(kind="hours", scope_key=f"unit:{unit.id}", unit_id=unit.id, sha256=key * 64)
               for key, unit in w.units.items()}
    db.session.add_all(batches.values())
    db.session.commit()
    return {key: b.id for key, b in batches.items()}


def insurer_roster_batch_ids(w):
    from portal.imports.models import ImportBatch
    batches = {key: ImportBatch(kind="insurer_roster", scope_key=f"unit:{unit.id}", unit_id=unit.id,
                                sha256=f"ir{key}" * 21 + "0")
               for key, unit in w.units.items()}
    db.session.add_all(batches.values())
    db.session.commit()
    return {key: b.id for key, b in batches.items()}


def _training(w):
    """Per unit: a special-training record with a certificate file, and a lost-certificate case (made once)."""
    if not hasattr(w, "training"):
        import io
        from datetime import date

        from PIL import Image

        from portal.platform.uploads import check_file, store
        from portal.training.operations import attach_files, create_record, file_case
        image = io.BytesIO()
        Image.new("RGB", (40, 30), "white").save(image, "PNG")
        w.training = {}
        for key, person in (("A", w.people["a"]), ("B", w.people["b"]), ("C", w.people["canary"])):
            unit = w.units[key]
            record = create_record(person, unit.id, {"kind": "special", "field_code": unit.field_code,
                                                     "course_name": "特殊訓練", "completed_on": date(2024, 1, 5)}, None)
            stored = store(check_file("證書.png", image.getvalue()), "training_certificate", None)
            attach_files(record, [stored], None)
            case = file_case(person, unit.id, {"kind": "basic", "evidence": "roster"}, None)
            w.training[key] = {"training_id": record.id, "training_file_id": stored.id, "lost_case_id": case.id}
        db.session.commit()
    return w.training


def training_ids(name):
    return lambda w: {key: ids[name] for key, ids in _training(w).items()}


def _documents(w):
    """Per unit: a document issued to its volunteer (stand-in PDF), an open request and a finished batch job."""
    if not hasattr(w, "documents"):
        from datetime import date

        from portal.certificates.models import CertificateRequest
        from portal.documents.operations import issue_document
        from portal.platform.jobs import Job
        w.documents = {}
        for key, person in (("A", w.people["a"]), ("B", w.people["b"]), ("C", w.people["canary"])):
            unit = w.units[key]
            doc = issue_document("performance", person, {"name": person.name, "total_half_hours": 300}, unit,
                                 render=lambda prepared: b"%PDF-1.4 scope fixture")
            req = CertificateRequest(kind="english_certificate", person_id=person.id, unit_id=unit.id,
                                     origin="volunteer", requested_on=date(2025, 3, 1), due_on=date(2025, 3, 8))
            job = Job(kind="certificates.issue_prepared", unit_id=unit.id, status="done", total=1, done=1)
            db.session.add_all([req, job])
            db.session.flush()
            w.documents[key] = {"document_id": doc.id, "request_id": req.id, "job_id": job.id}
        db.session.commit()
    return w.documents


def document_ids(name):
    return lambda w: {key: ids[name] for key, ids in _documents(w).items()}


def user_ids(w):
    """Accounts of each unit (admin screens: only the system admin may open any of them)."""
    from portal.auth.operations import create_user
    if "clerk_c" not in w.users:
        w.users["clerk_c"] = create_user("clerk.c", "not-used-password", "unit_clerk", unit_id=w.units["C"].id)
        db.session.commit()
    return {"A": w.users["clerk_a"].id, "B": w.users["clerk_b"].id, "C": w.users["clerk_c"].id}


def _records(w):
    """Per unit: a record book of its volunteer, a waiting request, an insurance policy and an enrolment."""
    if not hasattr(w, "records"):
        from datetime import date

        from portal.insurance.models import InsuranceEnrolment, InsurancePolicy
        from portal.records.models import RecordBook, RecordBookRequest
        from portal.registry.operations import authority_for
        w.records = {}
        for n, (key, person) in enumerate((("A", w.people["a"]), ("B", w.people["b"]), ("C", w.people["canary"])), 1):
            unit = w.units[key]
            county = authority_for("county", unit.county_code, None)
            book = RecordBook(person_id=person.id, number=f"{unit.county_code}-114-{n:06d}", kind="first",
                              requested_on=date(2025, 3, 1), unit_id=unit.id, issued_on=date(2025, 3, 5),
                              authority_id=county.id)
            req = RecordBookRequest(person_id=person.id, unit_id=unit.id, kind="renewal", reason="lost",
                                    status="pending", requested_on=date(2025, 4, 1))
            policy = InsurancePolicy(unit_id=unit.id, insurer_code="first", insurer_name="第一產物保險",
                                     policy_no=f"P-{key}", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
            enrolment = InsuranceEnrolment(policy=policy, person_id=person.id, unit_id=unit.id,
                                           starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
            db.session.add_all([book, req, policy, enrolment])
            db.session.flush()
            w.records[key] = {"book_id": book.id, "book_request_id": req.id, "policy_id": policy.id,
                              "enrolment_id": enrolment.id}
        db.session.commit()
    return w.records


def record_ids(name):
    return lambda w: {key: ids[name] for key, ids in _records(w).items()}


def _honor_cards(w):
    """Per unit: the unit's application (with a letter) and card for its volunteer, a venue and an
    honor-card import batch of the unit's county (made once)."""
    if not hasattr(w, "honor_cards"):
        import io
        from datetime import date

        import pikepdf

        from portal.honor_cards.documents import issue_card_document
        from portal.honor_cards.models import HonorCard, HonorCardApplication, Venue
        from portal.imports.models import ImportBatch
        from portal.platform.uploads import check_file, store
        from portal.registry.operations import authority_for
        letter = io.BytesIO()
        with pikepdf.new() as doc:
            doc.add_blank_page()
            doc.save(letter)
        w.honor_cards = {}
        for key, person in (("A", w.people["a"]), ("B", w.people["b"]), ("C", w.people["canary"])):
            unit = w.units[key]
            county = authority_for("county", unit.county_code, None)
            stored = store(check_file("公文.pdf", letter.getvalue()), "honor_card_letter", None)
            application = HonorCardApplication(person_id=person.id, unit_id=unit.id, applied_on=date(2025, 3, 1),
                                               letter_file_id=stored.id)
            card = HonorCard(person_id=person.id, number=f"HC-SCOPE-{key}", county_code=unit.county_code,
                             authority_id=county.id, approved_on=date(2025, 3, 1), valid_from=date(2025, 3, 1),
                             valid_to=date(2028, 3, 1))
            venue = Venue(name=f"場館{key}", county_code=unit.county_code, authority_id=county.id)
            batch = ImportBatch(kind="honor_cards", scope_key=f"authority:{county.id}", authority_id=county.id,
                                sha256=f"hc{key}" * 16)
            venue_batch = ImportBatch(kind="honor_card_venues", scope_key=f"authority:{county.id}",
                                      authority_id=county.id, sha256=f"hv{key}" * 16)
            db.session.add_all([application, card, venue, batch, venue_batch])
            db.session.flush()
            issue_card_document(card, county, None, render=lambda prepared: b"%PDF-1.4 scope fixture")
            w.honor_cards[key] = {"application_id": application.id, "card_id": card.id, "venue_id": venue.id,
                                  "card_batch_id": batch.id, "venue_batch_id": venue_batch.id}
        db.session.commit()
    return w.honor_cards


def honor_card_ids(name):
    return lambda w: {key: ids[name] for key, ids in _honor_cards(w).items()}


def _awards(w):
    """Per unit: an award round (current year general / health-and-welfare, last year general), the unit's
    open application for its volunteer in the first round, and an award of that volunteer (made once)."""
    if not hasattr(w, "awards"):
        from datetime import timedelta

        from portal.awards.models import Award, AwardApplication, AwardRound
        from portal.platform.timeutil import today_taipei
        today = today_taipei()
        w.awards = {}
        for key, scheme, year in (("A", "general", today.year), ("B", "health_welfare", today.year),
                                  ("C", "general", today.year - 1)):
            award_round = AwardRound(scheme=scheme, year=year, cutoff_on=today - timedelta(days=30),
                                     unit_deadline=today + timedelta(days=30),
                                     review_deadline=today + timedelta(days=60),
                                     ministry_deadline=today + timedelta(days=90))
            db.session.add(award_round)
            w.awards[key] = {"round": award_round}
        first = w.awards["A"]["round"]
        for key, person in (("A", w.people["a"]), ("B", w.people["b"]), ("C", w.people["canary"])):
            application = AwardApplication(round=first, person_id=person.id, unit_id=w.units[key].id, tier="bronze",
                                           half_hours=6000, merit="服務認真")
            award = Award(person_id=person.id, scheme="health_welfare", tier="bronze", year=today.year - 2,
                          awarded_on=today - timedelta(days=400), half_hours=3000, issuer="衛生福利部")
            db.session.add_all([application, award])
            db.session.flush()
            w.awards[key].update(award_application_id=application.id, award_id=award.id,
                                 round_id=w.awards[key]["round"].id)
        db.session.commit()
    return w.awards


def award_ids(name):
    return lambda w: {key: ids[name] for key, ids in _awards(w).items()}


def _resolutions(w):
    """Per unit: a liaison meeting (ROC 111, 112, 113) with one item whose responsible body is the unit's
    county (A: Taipei, C: Kaohsiung) or, for B, the central education authority; its assignment (made once)."""
    if not hasattr(w, "resolutions"):
        from portal.registry.operations import authority_for
        from portal.resolutions.operations import create_meeting, create_resolution
        bodies = {"A": authority_for("county", "TPE", None), "B": authority_for("sector_central", None, "education"),
                  "C": authority_for("county", "KHH", None)}
        w.resolutions = {}
        for year, key in ((111, "A"), (112, "B"), (113, "C")):
            meeting = create_meeting({"roc_year": year}, None)
            item = create_resolution(meeting, {"seq": 1, "subject": "案由", "decision": "決議"}, [bodies[key].id], None)
            w.resolutions[key] = {"meeting_id": meeting.id, "resolution_id": item.id,
                                  "assignment_id": item.bodies[0].id}
        db.session.commit()
    return w.resolutions


def resolution_ids(name):
    return lambda w: {key: ids[name] for key, ids in _resolutions(w).items()}


def _notifications(w):
    """Per unit: a notification in the inbox of one account (A: the volunteer of A, B: clerk B, C: a clerk of C
    who is no persona: an inbox is its owner's only) and an outbox message (made once)."""
    if not hasattr(w, "notifications"):
        from portal.notifications.models import Notification, OutboxMessage
        owners = {"A": w.users["volunteer"].id, "B": w.users["clerk_b"].id, "C": user_ids(w)["C"]}
        w.notifications = {}
        for key, owner in owners.items():
            note = Notification(user_id=owner, event="certificates.requested", params={"person": key}, link="/")
            message = OutboxMessage(channel="email", address=f"{key.lower()}@example.org", subject="s", body="b",
                                    user_id=owner, purpose="certificates.requested", status="failed", attempts=12)
            db.session.add_all([note, message])
            db.session.flush()
            w.notifications[key] = {"notification_id": note.id, "message_id": message.id}
        db.session.commit()
    return w.notifications


def notification_ids(name):
    return lambda w: {key: ids[name] for key, ids in _notifications(w).items()}


def unit_registration_ids(w):
    """Per unit: an application of a new unit in the unit's county and main field (A: Taipei social, B: Taipei
    education, C: Kaohsiung social), decided by that county or the local sector authority of that field."""
    if not hasattr(w, "unit_registrations"):
        import io

        import pikepdf

        from portal.platform.uploads import check_file, store
        from portal.unit_registration.models import UnitApplication
        plan = io.BytesIO()
        with pikepdf.new() as doc:
            doc.add_blank_page()
            doc.save(plan)
        w.unit_registrations = {}
        for key, unit in w.units.items():
            stored = store(check_file("計畫.pdf", plan.getvalue()), "unit_plan", None)
            application = UnitApplication(reference=f"UR-SCOPE-{key}", name=f"新單位{key}", county_code=unit.county_code,
                                          field_code=unit.field_code, sector="private", contact_name="聯絡人",
                                          contact_email=f"{key.lower()}@example.org", contact_phone="02-1234-5678",
                                          plan_file_id=stored.id)
            db.session.add(application)
            db.session.flush()
            w.unit_registrations[key] = application.id
        db.session.commit()
    return w.unit_registrations


def passkey_ids(w):
    """Per unit: a passkey of its clerk (a passkey is its own account's alone)."""
    if not hasattr(w, "passkeys"):
        from portal.auth.models import Passkey
        owners = {"A": w.users["clerk_a"].id, "B": w.users["clerk_b"].id, "C": user_ids(w)["C"]}
        w.passkeys = {}
        for key, owner in owners.items():
            passkey = Passkey(user_id=owner, credential_id=f"scope-{key}", public_key=b"-", user_handle=f"h-{key}",
                              name=f"key {key}")
            db.session.add(passkey)
            db.session.flush()
            w.passkeys[key] = passkey.id
        db.session.commit()
    return w.passkeys


# parameter name -> function(world) -> {"A"|"B"|"C": id of an object belonging to that unit}
def api_client_ids(w):
    """Per unit: an API client acting for an account there (A, B: the unit's clerk; C: the Kaohsiung county)."""
    from portal.api.operations import register_client
    owners = {"A": w.users["clerk_a"], "B": w.users["clerk_b"], "C": w.users["county_khh"]}
    ids = {key: register_client(f"client {key}", owner, ["volunteers:status"], None).client.id
           for key, owner in owners.items()}
    db.session.commit()
    return ids


OBJECTS = {
    "person_id": person_ids,
    "membership_id": membership_ids,
    "unit_id": unit_ids,
    "training_id": training_ids("training_id"),
    "training_file_id": training_ids("training_file_id"),
    "lost_case_id": training_ids("lost_case_id"),
    "document_id": document_ids("document_id"),
    "request_id": document_ids("request_id"),
    "job_id": document_ids("job_id"),
    "entry_id": hour_entry_ids,
    "dispute_id": hour_dispute_ids,
    "batch_id": import_batch_ids,
    "roster_batch_id": insurer_roster_batch_ids,
    "book_id": record_ids("book_id"),
    "book_request_id": record_ids("book_request_id"),
    "policy_id": record_ids("policy_id"),
    "enrolment_id": record_ids("enrolment_id"),
    "user_id": user_ids,
    "application_id": honor_card_ids("application_id"),
    "card_id": honor_card_ids("card_id"),
    "venue_id": honor_card_ids("venue_id"),
    "card_batch_id": honor_card_ids("card_batch_id"),
    "venue_batch_id": honor_card_ids("venue_batch_id"),
    "award_application_id": award_ids("award_application_id"),
    "round_id": award_ids("round_id"),
    "channel_round_id": award_ids("round_id"),
    "award_id": award_ids("award_id"),
    "meeting_id": resolution_ids("meeting_id"),
    "resolution_id": resolution_ids("resolution_id"),
    "assignment_id": resolution_ids("assignment_id"),
    "registration_id": unit_registration_ids,
    "api_client_id": api_client_ids,
    "notification_id": notification_ids("notification_id"),
    "message_id": notification_ids("message_id"),
    "passkey_id": passkey_ids,
}

# Which units' objects each persona may NOT reach (the volunteer is person "a", who serves in A).
FOREIGN = {
    "clerk_a": {"B", "C"},
    "supervisor_a": {"B", "C"},
    "clerk_b": {"A", "C"},
    "county_tpe": {"C"},
    "county_khh": {"A", "B"},
    "sector_local": {"B", "C"},
    "sector_central": {"A", "C"},
    "ministry": set(),
    "admin": {"A", "B", "C"},
    "volunteer": {"B", "C"},
}

def string_params(w) -> dict:
    """Values for the non-integer URL parameters, so that every page can be opened in tests."""
    return {"kind": "performance", "name": "hours-template.xlsx", "token": _token_of_a(w),
            "code": "TPE",     # the dashboards (stats): unit A's county
            "key": f"unit-{w.units['A'].id}",     # the credential status list of unit A's documents
            "national_id": w.people["a"].id_number}     # the API's status lookup (a token route)


def _token_of_a(w):
    from portal.documents.models import Document
    return db.session.get(Document, _documents(w)["A"]["document_id"]).token


# Exceptions by URL parameter: the system admin manages every account but sees no volunteer data.
# Award applications go to the unit's sector authority: unit B (Taipei, education) has a local one, so the
# central education authority reviews none of the world's units.
FOREIGN_BY_PARAM = {("admin", "user_id"): set(), ("sector_central", "award_application_id"): {"A", "B", "C"}}
# The accounts of user_ids are clerks: only the admin and the clerk's own unit supervisor manage them
# (docs/rules/accounts.md#am1); to every authority they answer 404 like a missing account.
FOREIGN_BY_PARAM.update({(p, "user_id"): {"A", "B", "C"}
                         for p in ("county_tpe", "county_khh", "sector_local", "sector_central", "ministry")})
# Award rounds are national: every authority opens any round's channel statistics (counting only its own units).
FOREIGN_BY_PARAM.update({(p, "channel_round_id"): set()
                         for p in ("county_tpe", "county_khh", "sector_local", "sector_central")})

# Liaison meetings' minutes are public: every authority reads every meeting and item. Progress is posted by
# the item's own body only (A: Taipei county, B: the central education authority, C: Kaohsiung county).
FOREIGN_BY_PARAM.update({(p, name): set() for p in ("county_tpe", "county_khh", "sector_local", "sector_central")
                         for name in ("meeting_id", "resolution_id")})
FOREIGN_BY_PARAM.update({("county_tpe", "assignment_id"): {"B", "C"}, ("sector_local", "assignment_id"): {"A", "B", "C"},
                         ("ministry", "assignment_id"): {"A", "B", "C"}})

# Notifications are their owner's alone (another user's id answers 404); the outbox is the system admin's.
FOREIGN_BY_PARAM.update({(p, "notification_id"): {"A", "B", "C"} for p in FOREIGN})
FOREIGN_BY_PARAM.update({("volunteer", "notification_id"): {"B", "C"}, ("clerk_b", "notification_id"): {"A", "C"}})
FOREIGN_BY_PARAM[("admin", "message_id")] = set()

# A passkey is its account's alone: clerk A owns A's, clerk B owns B's, nobody else any.
FOREIGN_BY_PARAM.update({(p, "passkey_id"): {"A", "B", "C"} for p in FOREIGN})
FOREIGN_BY_PARAM.update({("clerk_a", "passkey_id"): {"B", "C"}, ("clerk_b", "passkey_id"): {"A", "C"}})


def foreign(persona: str, params) -> set:
    for name in params:
        if (persona, name) in FOREIGN_BY_PARAM:
            return FOREIGN_BY_PARAM[(persona, name)]
    return FOREIGN[persona]
