"""Issue 13, point 5 on the features' side: who hears of what. Each change of a feature tells exactly its
people (an inbox row each, with a link they may open, nobody else); a rolled-back change tells nobody; the
calendar's reminders go on both sides of their edges and once only; the staff's daily digest."""
import io
from datetime import date, datetime, time, timedelta, timezone

import pytest
from flask import current_app
from sqlalchemy import func, select, update

from portal.awards.models import Award, AwardApplication
from portal.awards.operations import round_name
from portal.certificates.models import CertificateRequest, RequestOrigin, RequestStatus
from portal.documents import operations as document_operations
from portal.honor_cards.models import HonorCard, HonorCardApplication
from portal.honor_cards.operations import apply_for as apply_for_card
from portal.honor_cards.operations import approve_application, return_application
from portal.hours.models import HourEntry
from portal.hours.operations import correct_entry, decide_claim, void_entry
from portal.imports.models import ImportBatch
from portal.kinds import IMPORT_KINDS
from portal.main import reminders
from portal.main.models import ReminderSent
from portal.notifications.events import path_for
from portal.notifications.models import Notification, OutboxMessage
from portal.notifications.operations import deliver_due, notify, set_preferences
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.timeutil import TAIPEI, today_taipei
from portal.records.models import RecordBook
from portal.registry.operations import authority_for
from portal.training.models import LostCertificateCase
from tests.conftest import login
from tests.test_awards import apply_for as apply_for_award
from tests.test_awards import make_ready as award_ready
from tests.test_awards import make_round
from tests.test_honor_cards import make_ready as card_ready
from tests.test_imports import fixture as import_fixture
from tests.test_records import make_ready as book_ready
from tests.test_training import case_fields, multipart

HOURS_DAY = date(2025, 5, 1)


def notified() -> dict[int, list[str]]:
    """{user id: [event, ...]} of every inbox row, oldest first."""
    found = {}
    for note in db.session.scalars(select(Notification).order_by(Notification.id)):
        found.setdefault(note.user_id, []).append(note.event)
    return found


def inbox(user) -> list[Notification]:
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


def ids(*users) -> set[int]:
    return {u.id for u in users}


def opens(user, link: str) -> int:
    """The status of the link for its recipient: the notification must lead where they may go."""
    return login(current_app.test_client(), user).get(link).status_code


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def pending_claim(world, day=HOURS_DAY) -> HourEntry:
    entry = HourEntry(person_id=world.people["a"].id, unit_id=world.units["A"].id, start_on=day, end_on=day,
                      half_hours=8, field_code="social", status="pending", source="claim")
    db.session.add(entry)
    db.session.commit()
    return entry


# --- hours ---------------------------------------------------------------------------------------------

def test_the_volunteer_hears_when_the_clerk_approves_a_claim(app, world, client):
    """The issue's Done-when: the volunteer claims, the clerk approves, the volunteer's inbox shows it."""
    volunteer, clerk = world.users["volunteer"], world.users["clerk_a"]
    login(client, volunteer)
    assert client.post("/hours/claim", data={"unit_id": world.units["A"].id, "start_on": HOURS_DAY.isoformat(),
                                             "hours": "4", "field_code": "social", "content": "活動"}).status_code == 302
    claim = db.session.scalar(select(HourEntry))
    assert notified() == {}
    staff = login(current_app.test_client(), clerk)
    assert staff.post("/hours/claims", data={"action": f"approve:{claim.id}"}).status_code == 302
    assert notified() == {volunteer.id: ["hours.claim_decided"]}
    [note] = inbox(volunteer)
    assert note.params == {"unit": "臺北甲協會", "date": "2025-05-01", "hours": "4", "decision": "approved",
                           "reason": ""}
    assert note.link == f"/hours/{claim.id}"
    page = client.get("/notifications/").get_data(as_text=True)
    assert "您的服務時數申報已核准" in page and "在臺北甲協會申報的 4 小時服務時數已核准" in page
    followed = client.get(f"/notifications/{note.id}/open")
    assert followed.status_code == 302 and followed.headers["Location"] == f"/hours/{claim.id}"
    assert client.get(f"/hours/{claim.id}").status_code == 200
    db.session.expire_all()
    assert note.read_at is not None


def test_a_declined_claim_tells_the_reason_in_english_too(app, world, client):
    volunteer = world.users["volunteer"]
    claim = pending_claim(world)
    login(client, world.users["supervisor_a"])
    client.post("/hours/claims", data={"action": f"decline:{claim.id}", f"reason-{claim.id}": "當天未排班"})
    [note] = inbox(volunteer)
    assert (note.event, note.params["decision"], note.params["reason"]) == ("hours.claim_decided", "rejected",
                                                                          "當天未排班")
    assert opens(volunteer, note.link) == 200
    own = login(current_app.test_client(), volunteer)
    own.post("/language", data={"lang": "en"})
    page = own.get("/notifications/").get_data(as_text=True)
    assert "Your hour claim was declined" in page and "Reason: 當天未排班" in page


def test_a_claim_the_rules_refuse_tells_nobody(app, world, client):
    """Approval runs every entry rule: a claim refused there stays pending and nobody is told."""
    claim = pending_claim(world, day=today_taipei() + timedelta(days=3))   # in the future (H7)
    login(client, world.users["clerk_a"])
    assert client.post("/hours/claims", data={"action": f"approve:{claim.id}"}).status_code == 422
    assert notified() == {} and count(OutboxMessage) == 0


def test_a_rolled_back_decision_leaves_no_notification(app, world):
    world.users["volunteer"].email = "volunteer@example.org"
    db.session.commit()
    claim = pending_claim(world)
    decide_claim(claim, True, "", world.users["clerk_a"])
    assert count(Notification) == 1 and count(OutboxMessage) == 1    # flushed with the change...
    db.session.rollback()
    assert count(Notification) == 0 and count(OutboxMessage) == 0    # ...and gone with it


def test_corrections_and_voids_tell_the_volunteer_only(app, world, make_user):
    volunteer, clerk = world.users["volunteer"], world.users["clerk_a"]
    other = make_user("volunteer.b", "volunteer", person_id=world.people["b"].id)
    entry = HourEntry(person_id=world.people["a"].id, unit_id=world.units["A"].id, start_on=HOURS_DAY,
                      end_on=HOURS_DAY, half_hours=6, field_code="social", status="active", source="unit")
    db.session.add(entry)
    db.session.commit()
    assert correct_entry(entry, {"half_hours": 6}, "沒有變更", clerk) is None   # nothing changed: nothing told
    correct_entry(entry, {"half_hours": 5}, "時數誤植", clerk)
    db.session.commit()
    void_entry(entry, "重複登錄", clerk)
    db.session.commit()
    assert notified() == {volunteer.id: ["hours.entry_changed", "hours.entry_changed"]}
    corrected, voided = inbox(volunteer)
    assert (corrected.params["change"], corrected.params["hours"], corrected.params["reason"]) == (
        "corrected", "2.5", "時數誤植")
    assert (voided.params["change"], voided.params["reason"]) == ("voided", "重複登錄")
    assert opens(volunteer, voided.link) == 200 and opens(other, voided.link) == 404


# --- records -------------------------------------------------------------------------------------------

def test_the_volunteer_hears_that_the_record_book_was_issued(app, world, client):
    volunteer = world.users["volunteer"]
    book_ready(world.people["a"])
    login(client, world.users["clerk_a"])
    client.post("/records/requests", data={"people": [world.people["a"].id], "kind": "first"})
    assert notified() == {}
    county = login(current_app.test_client(), world.users["county_tpe"])
    assert county.post("/records/issue", data={"all_waiting": "y"}).status_code == 302
    book = db.session.scalar(select(RecordBook))
    assert notified() == {volunteer.id: ["records.book_issued"]}
    [note] = inbox(volunteer)
    assert note.params == {"unit": "臺北甲協會", "number": book.number}
    assert note.link == f"/records/books/{book.id}" and opens(volunteer, note.link) == 200


# --- honor cards ---------------------------------------------------------------------------------------

def card_application(world) -> HonorCardApplication:
    person, unit = world.people["a"], world.units["A"]
    card_ready(person, unit)
    [application] = apply_for_card([person], unit, world.users["clerk_a"], on=today_taipei())
    db.session.commit()
    assert notified() == {}
    return application


def test_an_approved_honor_card_tells_the_volunteer(app, world):
    volunteer = world.users["volunteer"]
    application = card_application(world)
    card = approve_application(application, authority_for("county", "TPE", None), world.users["county_tpe"],
                               on=today_taipei())
    db.session.commit()
    assert notified() == {volunteer.id: ["honor_cards.approved"]}
    [note] = inbox(volunteer)
    assert note.params == {"card_kind": card.kind} and card.kind == "first"
    assert note.link == "/honor-cards/mine" and opens(volunteer, note.link) == 200


def test_a_returned_honor_card_application_tells_the_volunteer_and_the_applying_unit(app, world):
    volunteer, clerk, supervisor = (world.users[k] for k in ("volunteer", "clerk_a", "supervisor_a"))
    application = card_application(world)
    return_application(application, "請補公文", world.users["county_tpe"])
    db.session.commit()
    assert set(notified()) == ids(volunteer, clerk, supervisor)     # not unit B's clerk, not the county
    assert all(events == ["honor_cards.returned"] for events in notified().values())
    [own] = inbox(volunteer)
    [staff] = inbox(clerk)
    assert own.params == staff.params == {"card_kind": "first", "reason": "請補公文"}
    assert own.link == "/honor-cards/mine" and opens(volunteer, own.link) == 200
    assert staff.link == f"/honor-cards/applications/{application.id}" and opens(supervisor, staff.link) == 200
    assert opens(world.users["clerk_b"], staff.link) == 404


# --- certificates --------------------------------------------------------------------------------------

@pytest.fixture
def fast_pdf(monkeypatch):
    monkeypatch.setattr(document_operations, "render_document", lambda prepared: b"%PDF-1.4 " +
                        prepared.short_code.encode())


def test_a_certificate_request_tells_the_unit_and_its_issue_the_volunteer(app, world, client, fast_pdf):
    volunteer, clerk, supervisor = (world.users[k] for k in ("volunteer", "clerk_a", "supervisor_a"))
    person, unit = world.people["a"], world.units["A"]
    db.session.add(HourEntry(person_id=person.id, unit_id=unit.id, start_on=date(2022, 1, 15),
                             end_on=date(2022, 12, 20), half_hours=300, field_code="social"))
    db.session.commit()
    login(client, volunteer)
    assert client.post("/documents/request/performance", data={"unit": unit.id}).status_code == 302
    req = db.session.scalar(select(CertificateRequest))
    assert set(notified()) == ids(clerk, supervisor)
    [note] = inbox(clerk)
    assert (note.event, note.params) == ("certificates.requested", {"person": "甲志工", "kind": "performance"})
    assert note.link == f"/documents/requests/{req.id}" and opens(clerk, note.link) == 200
    assert opens(world.users["clerk_b"], note.link) == 404

    login(current_app.test_client(), clerk).post(f"/documents/requests/{req.id}/prepare",
                                                 data={"version": req.version})
    db.session.refresh(req)
    login(current_app.test_client(), supervisor).post(f"/documents/requests/{req.id}/issue",
                                                      data={"version": req.version})
    db.session.refresh(req)
    assert req.status == "issued"
    [issued] = inbox(volunteer)
    assert (issued.event, issued.params) == ("certificates.issued", {"kind": "performance"})
    assert issued.link == f"/documents/{req.document_id}" and opens(volunteer, issued.link) == 200
    assert len(inbox(clerk)) == 1      # the unit's staff were told of the request only


# --- awards --------------------------------------------------------------------------------------------

def test_award_applications_tell_the_next_reviewer_the_unit_and_the_volunteer(app, world, client):
    volunteer, clerk, supervisor, ministry = (world.users[k] for k in ("volunteer", "clerk_a", "supervisor_a",
                                                                      "ministry"))
    award_round = make_round()
    award_ready(world.people["a"], world.units["A"], hours=1500)
    award_ready(world.people["shared"], world.units["A"], hours=2000)
    login(client, clerk)
    assert apply_for_award(client, award_round, world.people["a"], world.people["shared"]).status_code == 302
    by_person = {a.person_id: a for a in db.session.scalars(select(AwardApplication))}
    first, second = by_person[world.people["a"].id], by_person[world.people["shared"].id]
    assert notified() == {}

    sector = login(current_app.test_client(), world.users["sector_local"])
    assert sector.post(f"/awards/applications/{first.id}/forward", data={"version": first.version}
                       ).status_code == 302
    assert notified() == {ministry.id: ["awards.forwarded"]}
    [forwarded] = inbox(ministry)
    # The round in Chinese, like the names of units and people, whatever the language of the reader.
    assert forwarded.params == {"round": round_name(award_round), "person": "甲志工"}
    assert forwarded.params["round"].startswith(f"{award_round.year - 1911}年度 ")
    assert forwarded.link == f"/awards/applications/{first.id}" and opens(ministry, forwarded.link) == 200

    sector.post(f"/awards/applications/{second.id}/return", data={"version": second.version, "reason": "請補事蹟"})
    assert {uid: events[-1] for uid, events in notified().items()} == {
        ministry.id: "awards.forwarded", clerk.id: "awards.returned", supervisor.id: "awards.returned"}
    [returned] = inbox(supervisor)
    assert returned.params["reason"] == "請補事蹟" and opens(supervisor, returned.link) == 200

    db.session.refresh(first)
    minister = login(current_app.test_client(), ministry)
    assert minister.post(f"/awards/applications/{first.id}/approve", data={"version": first.version}
                         ).status_code == 302
    award = db.session.scalar(select(Award))
    [own] = inbox(volunteer)
    assert own.event == "awards.approved" and own.link == f"/awards/{award.id}" and opens(volunteer, own.link) == 200
    assert [n.event for n in inbox(clerk)] == ["awards.returned", "awards.approved"]
    assert inbox(clerk)[-1].link == f"/awards/applications/{first.id}"
    assert world.users["clerk_b"].id not in notified() and world.users["sector_local"].id not in notified()


# --- imports -------------------------------------------------------------------------------------------

def test_a_confirmed_import_tells_the_one_who_started_it(app, world, client):
    clerk, supervisor = world.users["clerk_a"], world.users["supervisor_a"]
    login(client, clerk)
    client.post("/imports/", data={"kind": "volunteers", "file": (io.BytesIO(import_fixture("roster.csv")),
                                                                  "roster.csv")}, content_type="multipart/form-data")
    batch = db.session.scalars(select(ImportBatch)).one()
    assert notified() == {}                       # a preview is not the end of an import
    assert client.post(f"/imports/{batch.id}/confirm", data={"version": batch.version}).status_code == 302
    assert notified() == {clerk.id: ["imports.finished"]} and supervisor.id not in notified()
    [note] = inbox(clerk)
    assert note.params == {"kind": "volunteers", "rows": 40, "status": "committed"}
    assert note.link == f"/imports/{batch.id}" and opens(clerk, note.link) == 200
    page = client.get("/notifications/").get_data(as_text=True)
    assert "志工名冊" in page and "已寫入" in page          # the kind and the status in words, not their keys


def test_every_import_kind_links_to_a_page_its_importers_may_open(app):
    for kind in IMPORT_KINDS:
        endpoint, argument = kind.page
        assert path_for(endpoint, **({argument: 1} if argument else {})).startswith("/")
        assert any(access.may_call(endpoint, role) for role in kind.roles), kind.key


# --- training ------------------------------------------------------------------------------------------

def test_a_decided_lost_certificate_case_tells_the_volunteer_and_the_unit(app, world, client):
    volunteer, clerk, supervisor = (world.users[k] for k in ("volunteer", "clerk_a", "supervisor_a"))
    login(client, clerk)
    client.post(f"/training/people/{world.people['a'].id}/lost/new",
                **multipart(case_fields(kind="basic", field_code="", course_name=""), []))
    case = db.session.scalar(select(LostCertificateCase))
    assert case.status == "filed" and notified() == {}
    county = login(current_app.test_client(), world.users["county_tpe"])
    county.post(f"/training/lost/{case.id}/decide", data={"decision": "refuse", "reason": "查無結訓紀錄",
                                                          "version": case.version})
    assert set(notified()) == ids(volunteer, clerk, supervisor)
    [note] = inbox(volunteer)
    assert note.params == {"course": "基礎訓練", "decision": "refused", "reason": "查無結訓紀錄"}
    assert note.link == f"/training/lost/{case.id}"
    assert opens(volunteer, note.link) == 200 and opens(clerk, note.link) == 200


def test_a_case_the_record_book_rule_decides_at_once_tells_the_volunteer(app, world, client):
    volunteer = world.users["volunteer"]
    login(client, world.users["clerk_a"])
    client.post(f"/training/people/{world.people['a'].id}/lost/new", **multipart(case_fields(
        holds_record_book="y", record_book_no="TPE-105-000123", record_book_issued_on="105/04/01"), []))
    assert db.session.scalar(select(LostCertificateCase.status)) == "accepted"
    assert notified() == {volunteer.id: ["training.case_decided"]}   # the clerk saw the decision on the page
    assert inbox(volunteer)[0].params == {"course": "社福特殊訓練", "decision": "accepted", "reason": ""}


# --- reminders: honor cards expiring --------------------------------------------------------------------

def add_card(person, valid_to: date, status="valid") -> HonorCard:
    card = HonorCard(person_id=person.id, number=f"HC-TPE-115-{person.id:03d}{valid_to:%m%d}{status[:1]}",
                     county_code="TPE", approved_on=valid_to - timedelta(days=1095),
                     valid_from=valid_to - timedelta(days=1095), valid_to=valid_to, status=status)
    db.session.add(card)
    db.session.commit()
    return card


def test_an_honor_card_is_reminded_sixty_days_before_it_ends_once(app, world, make_user):
    today = date(2026, 3, 1)
    a, shared = world.users["volunteer"], make_user("volunteer.shared", "volunteer",
                                                    person_id=world.people["shared"].id)
    add_card(world.people["a"], today + timedelta(days=61))
    card = add_card(world.people["shared"], today + timedelta(days=60))
    assert reminders.honor_cards_expiring(today) == 1
    db.session.commit()
    assert notified() == {shared.id: ["honor_cards.expiring"]}
    [note] = inbox(shared)
    assert note.params == {"expires_on": card.valid_to.isoformat()} and note.link == "/honor-cards/mine"
    assert opens(shared, note.link) == 200
    assert reminders.honor_cards_expiring(today) == 0        # a rerun the same day
    assert reminders.honor_cards_expiring(today + timedelta(days=1)) == 1   # a's card is now 60 days away
    db.session.commit()
    assert notified() == {shared.id: ["honor_cards.expiring"], a.id: ["honor_cards.expiring"]}
    assert reminders.honor_cards_expiring(today + timedelta(days=2)) == 0


def test_cards_are_reminded_in_chunks_of_accounts(app, world, make_user, monkeypatch):
    monkeypatch.setattr(reminders, "CHUNK", 1)
    today = date(2026, 3, 1)
    shared = make_user("volunteer.shared", "volunteer", person_id=world.people["shared"].id)
    add_card(world.people["a"], today + timedelta(days=5))
    add_card(world.people["shared"], today + timedelta(days=6))
    assert reminders.honor_cards_expiring(today) == 2
    assert notified() == {world.users["volunteer"].id: ["honor_cards.expiring"], shared.id: ["honor_cards.expiring"]}


def test_a_renewed_cancelled_or_ended_card_is_not_reminded(app, world, make_user):
    today = date(2026, 3, 1)
    make_user("volunteer.b", "volunteer", person_id=world.people["b"].id)
    make_user("volunteer.shared", "volunteer", person_id=world.people["shared"].id)
    add_card(world.people["a"], today + timedelta(days=30))
    add_card(world.people["a"], today + timedelta(days=30 + 1095))      # the renewal follows it
    add_card(world.people["b"], today + timedelta(days=10), status="cancelled")
    add_card(world.people["shared"], today - timedelta(days=1))         # ended yesterday
    assert reminders.honor_cards_expiring(today) == 0
    assert notified() == {}


# --- reminders: certificates due ------------------------------------------------------------------------

def add_request(person, unit, due_on: date, status=RequestStatus.REQUESTED) -> CertificateRequest:
    req = CertificateRequest(kind="performance", person_id=person.id, unit_id=unit.id, origin=RequestOrigin.VOLUNTEER,
                             status=status, requested_on=due_on - timedelta(days=7), due_on=due_on)
    db.session.add(req)
    db.session.commit()
    return req


def test_a_certificate_due_in_two_days_reminds_its_units_staff_once(app, world):
    today = date(2026, 5, 10)
    clerk_a, supervisor_a, clerk_b = (world.users[k] for k in ("clerk_a", "supervisor_a", "clerk_b"))
    due = add_request(world.people["a"], world.units["A"], today + timedelta(days=2))
    add_request(world.people["b"], world.units["B"], today + timedelta(days=3))
    add_request(world.people["shared"], world.units["A"], today + timedelta(days=1), status=RequestStatus.ISSUED)
    assert reminders.certificates_due(today) == 1
    db.session.commit()
    assert notified() == {clerk_a.id: ["certificates.due"], supervisor_a.id: ["certificates.due"]}
    [note] = inbox(clerk_a)
    assert note.params == {"person": "甲志工", "kind": "performance", "due_on": due.due_on.isoformat()}
    assert note.link == f"/documents/requests/{due.id}" and opens(supervisor_a, note.link) == 200
    assert reminders.certificates_due(today) == 0
    assert reminders.certificates_due(today + timedelta(days=1)) == 1     # unit B's is now 2 days away
    db.session.commit()
    assert notified()[clerk_b.id] == ["certificates.due"] and len(inbox(clerk_a)) == 1


# --- reminders: award round deadlines -------------------------------------------------------------------

@pytest.mark.parametrize("days_left, stage", [(9, None), (8, None), (7, 7), (3, 7), (2, 7), (1, 1), (0, 1),
                                              (-1, None)])
def test_the_round_notice_of_each_day(days_left, stage):
    assert reminders.round_stage(days_left) == stage


def test_round_deadlines_remind_the_units_that_may_apply_seven_and_one_days_before(app, world):
    clerk_a, supervisor_a, clerk_b = (world.users[k] for k in ("clerk_a", "supervisor_a", "clerk_b"))
    award_round = make_round()                       # health and welfare: hours in social or health fields
    award_ready(world.people["a"], world.units["A"], hours=1500)     # bronze reached: unit A may apply
    award_ready(world.people["b"], world.units["B"], hours=1600)     # education hours: unit B may not
    deadline = award_round.unit_deadline
    day = lambda left: deadline - timedelta(days=left)   # noqa: E731

    assert reminders.round_deadlines(day(8)) == 0
    assert reminders.round_deadlines(day(7)) == 1
    db.session.commit()
    assert notified() == {clerk_a.id: ["awards.round_deadline"], supervisor_a.id: ["awards.round_deadline"]}
    [note] = inbox(clerk_a)
    assert note.params["deadline"] == deadline.isoformat() and note.params["days"] == 7
    assert note.params["round"] == round_name(award_round)
    assert note.link == f"/awards/?round={award_round.id}" and opens(clerk_a, note.link) == 200
    assert reminders.round_deadlines(day(7)) == 0     # a rerun the same day
    assert reminders.round_deadlines(day(2)) == 0     # the 7-day notice was given; the 1-day one is not due
    assert reminders.round_deadlines(day(1)) == 1
    db.session.commit()
    assert [n.params["days"] for n in inbox(supervisor_a)] == [7, 1]
    assert reminders.round_deadlines(day(0)) == 0
    assert clerk_b.id not in notified()


def test_a_moved_round_deadline_is_told_again_and_a_round_nobody_can_apply_in_tells_nobody(app, world):
    award_round = make_round()
    award_ready(world.people["a"], world.units["A"], hours=1500)
    today = award_round.unit_deadline - timedelta(days=7)
    assert reminders.round_deadlines(today) == 1
    award_round.unit_deadline += timedelta(days=14)            # the ministry extends the deadline
    db.session.commit()
    assert reminders.round_deadlines(award_round.unit_deadline - timedelta(days=7)) == 1
    db.session.commit()
    assert [n.params["deadline"] for n in inbox(world.users["clerk_a"])] == [
        (award_round.unit_deadline - timedelta(days=14)).isoformat(), award_round.unit_deadline.isoformat()]
    general = make_round(scheme="general", unit=7)             # 1,500 h reach no tier of the general award
    assert reminders.units_that_may_apply(general) == []
    assert reminders.round_deadlines(general.unit_deadline - timedelta(days=7)) == 1
    db.session.commit()
    assert len(inbox(world.users["clerk_a"])) == 2


# --- the staff's daily digest ---------------------------------------------------------------------------

def at_taipei(day: date, hour: int, minute: int = 0) -> datetime:
    """A Taipei wall-clock time as the naive UTC the database stores."""
    return datetime.combine(day, time(hour, minute), tzinfo=TAIPEI).astimezone(timezone.utc).replace(tzinfo=None)


def notify_at(users, when: datetime, read=False, **params):
    """Notifications as if made at `when` (and read then, with `read`)."""
    before = db.session.scalar(select(func.max(Notification.id))) or 0
    notify(users, "certificates.requested", link="/documents/", kind="performance", **params)
    db.session.execute(update(Notification).where(Notification.id > before)
                       .values(created_at=when, read_at=when if read else None))
    db.session.commit()


@pytest.fixture
def digest_world(world):
    """Yesterday: two unread notifications for the clerk (Chinese) and the supervisor (English), one read
    one, one the day before and one today; the county turned the digest off; unit B's clerk has no e-mail."""
    world.today = today = date(2026, 6, 10)
    yesterday = today - timedelta(days=1)
    clerk, supervisor, county = (world.users[k] for k in ("clerk_a", "supervisor_a", "county_tpe"))
    clerk.email, supervisor.email, county.email = "clerk@example.org", "supervisor@example.org", "county@example.org"
    supervisor.locale = "en"
    world.users["volunteer"].email = "volunteer@example.org"
    db.session.commit()
    set_preferences(county, {("digest.daily", "email"): False})
    db.session.commit()
    staff = [clerk, supervisor, county, world.users["clerk_b"], world.users["volunteer"]]
    notify_at(staff, at_taipei(yesterday, 0, 0), person="清晨的志工")
    notify_at(staff, at_taipei(yesterday, 23, 59), person="深夜的志工")
    notify_at(staff, at_taipei(yesterday, 12), read=True, person="已讀的志工")
    notify_at(staff, at_taipei(yesterday - timedelta(days=1), 23, 59), person="前天的志工")
    notify_at(staff, at_taipei(today, 0, 0), person="今天的志工")
    db.session.execute(OutboxMessage.__table__.delete())     # the events' own e-mails are not the digest
    db.session.commit()
    return world


def digests() -> dict[str, OutboxMessage]:
    return {m.address: m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose ==
                                                                                 "digest.daily"))}


def test_the_digest_goes_once_to_staff_with_unread_notifications_of_yesterday(app, digest_world, monkeypatch):
    monkeypatch.setattr(reminders, "CHUNK", 1)      # the accounts' preferences are read in chunks
    assert reminders.send_digests(digest_world.today) == 2
    db.session.commit()
    sent = digests()
    assert set(sent) == {"clerk@example.org", "supervisor@example.org"}   # not the county (off), the volunteer,
    zh, en = sent["clerk@example.org"], sent["supervisor@example.org"]   # nor unit B's clerk (no e-mail)
    assert zh.subject == "每日摘要：2 則新通知" and zh.user_id == digest_world.users["clerk_a"].id
    assert "深夜的志工" in zh.body and "清晨的志工" in zh.body
    assert zh.body.index("深夜的志工") < zh.body.index("清晨的志工")           # newest first
    assert not any(other in zh.body for other in ("已讀的志工", "前天的志工", "今天的志工"))
    assert "有志工申請證明" in zh.body and "115/06/09" in zh.body
    assert en.subject == "Daily summary: 2 new notifications"
    assert "A certificate was requested" in en.body and "2026-06-09" in en.body and "有志工申請證明" not in en.body
    assert "/notifications/preferences" in en.body
    assert reminders.send_digests(digest_world.today) == 0                # a rerun the same day
    assert count(ReminderSent) == 2


def test_the_digest_counts_what_waits_on_the_work_list(app, digest_world):
    pending_claim(digest_world)
    reminders.send_digests(digest_world.today)
    db.session.commit()
    en = digests()["supervisor@example.org"].body
    assert "Waiting on your work list:" in en and "- Hours claims to decide: 1" in en
    assert "- 待審核的時數申報：1" in digests()["clerk@example.org"].body


def test_no_unread_notification_no_digest(app, digest_world):
    db.session.execute(update(Notification).values(read_at=at_taipei(digest_world.today, 8)))
    db.session.commit()
    assert reminders.send_digests(digest_world.today) == 0 and digests() == {}


def test_a_long_digest_lists_twenty_and_counts_the_rest(app, digest_world):
    clerk = digest_world.users["clerk_a"]
    for n in range(25):
        notify_at([clerk], at_taipei(digest_world.today - timedelta(days=1), 9, n), person=f"志工{n:02d}")
    reminders.send_digests(digest_world.today)
    db.session.commit()
    body = digests()["clerk@example.org"].body
    assert digests()["clerk@example.org"].subject == "每日摘要：27 則新通知"
    assert body.count("有志工申請證明") == reminders.DIGEST_MAX_ITEMS and "另有 7 則" in body


def test_the_digest_reaches_the_smtp_server(app, digest_world, smtp_server):
    app.config["PUBLIC_BASE_URL"] = "https://portal.example.org"     # cron has no request to take the host from
    reminders.send_digests(digest_world.today)
    db.session.commit()
    assert deliver_due() == (2, 0)
    messages = {m["To"]: m for m in smtp_server.wait_for(2)}
    body = messages["supervisor@example.org"].get_content()
    assert "Daily summary: 2 new notifications" in str(messages["supervisor@example.org"]["Subject"])
    assert "深夜的志工" in body and "https://portal.example.org/documents/" in body
    assert "Open your inbox: https://portal.example.org/notifications/" in body


# --- the command ----------------------------------------------------------------------------------------

def test_notify_daily_runs_everything_once_a_day(app, world, runner):
    today = today_taipei()
    world.users["clerk_a"].email = "clerk@example.org"
    db.session.commit()
    add_card(world.people["a"], today + timedelta(days=60))
    add_request(world.people["a"], world.units["A"], today + timedelta(days=2))
    first = runner.invoke(args=["notify", "daily", "--date", today.isoformat()])
    assert first.exit_code == 0, first.output
    assert "1 honor cards expiring, 1 certificates due, 0 round deadline notices, 0 insurance age caps, 0 insurance policies ending, 0 digests" in first.output
    assert count(Notification) == 3      # the volunteer; the clerk and the supervisor
    again = runner.invoke(args=["notify", "daily"])
    assert again.exit_code == 0 and "0 honor cards expiring, 0 certificates due" in again.output
    assert count(Notification) == 3
    tomorrow = runner.invoke(args=["notify", "daily", "--date", (today + timedelta(days=1)).isoformat()])
    assert "1 digests" in tomorrow.output      # the clerk's unread reminder of yesterday
    assert runner.invoke(args=["notify", "daily", "--date", "not-a-day"]).exit_code == 2
