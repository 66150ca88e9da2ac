"""Disputes of hour entries (docs/rules/hours.md#h13): the volunteer disputes, the unit sees it on its work list
and answers by keeping (with a reason) or correcting, the volunteer is told in their language, all audited, one
open dispute per entry, the states on the entry's history."""
from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.hours.disputes import DisputeStatus, HourDispute
from portal.hours.models import HourEntry
from portal.main.worklist import work_list
from portal.notifications.events import inbox_text
from portal.notifications.models import Notification
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from tests.conftest import login

DAY = date(2025, 3, 5)


def add_entry(person, unit, half=6, status="active"):
    entry = HourEntry(person_id=person.id, unit_id=unit.id, start_on=DAY, end_on=DAY, half_hours=half,
                      field_code=unit.field_code, status=status)
    db.session.add(entry)
    db.session.commit()
    return entry


def english(client):
    client.post("/language", data={"lang": "en"})


def audits(action):
    return db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == action))


def notices(event, user):
    return db.session.scalars(select(Notification).where(Notification.event == event,
                                                         Notification.user_id == user.id)).all()


def worklist_keys(app, user):
    with app.test_request_context():
        return {i.key: (i.count, i.url) for i in work_list(user, today_taipei())}


def test_dispute_kept_with_a_reason_round_trip(app, world, client):
    entry = add_entry(world.people["a"], world.units["A"])
    volunteer, clerk = world.users["volunteer"], world.users["clerk_a"]
    login(client, volunteer)
    english(client)
    page = client.get(f"/hours/{entry.id}").get_data(as_text=True)
    assert "Dispute this entry" in page
    assert client.post(f"/hours/{entry.id}/dispute", data={"reason": ""}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(HourDispute)) == 0     # a reason is required
    assert client.post(f"/hours/{entry.id}/dispute", data={"reason": "那天我服務了4小時"}).status_code == 302
    # One open dispute per entry: the form is gone and a second post is refused.
    page = client.get(f"/hours/{entry.id}").get_data(as_text=True)
    assert "Dispute this entry" not in page and "waiting for the unit's answer" in page
    client.post(f"/hours/{entry.id}/dispute", data={"reason": "again"})
    [dispute] = db.session.scalars(select(HourDispute)).all()
    assert dispute.status == DisputeStatus.OPEN and dispute.reason == "那天我服務了4小時"
    assert audits("hours.dispute_open") == 1 and len(notices("hours.dispute_opened", clerk)) == 1
    # The unit's work list counts it and links to the list; the list links to the entry.
    assert worklist_keys(app, clerk)["disputes"] == (1, "/hours/disputes")
    login(client, clerk)
    english(client)
    listing = client.get("/hours/disputes").get_data(as_text=True)
    assert "那天我服務了4小時" in listing and f"/hours/{entry.id}#disputes-heading" in listing
    assert client.post(f"/hours/disputes/{dispute.id}/keep", data={"reason": "", "version": dispute.version}) \
        .status_code == 302
    db.session.expire_all()
    assert dispute.status == DisputeStatus.OPEN                                          # a reason is required
    assert client.post(f"/hours/disputes/{dispute.id}/keep",
                       data={"reason": "簽到表記載3小時", "version": dispute.version}).status_code == 302
    db.session.expire_all()
    assert dispute.status == DisputeStatus.KEPT and dispute.answer == "簽到表記載3小時"
    assert dispute.answered_by_id == clerk.id and audits("hours.dispute_answer") == 1
    assert "disputes" not in worklist_keys(app, clerk)
    # The volunteer is told, in their language.
    [notice] = notices("hours.dispute_answered", volunteer)
    assert notice.params["outcome"] == "kept"
    with force_locale("en"):
        title, text = inbox_text(notice.event, notice.params)
    assert title == "Your dispute of an hour entry was answered: the entry stays as it is"
    assert "Reason: 簽到表記載3小時" in text
    with force_locale("zh_TW"):
        title, _text = inbox_text(notice.event, notice.params)
    assert "申訴" in title
    # The history shows the answer; the volunteer may dispute again once it is answered.
    login(client, volunteer)
    english(client)
    page = client.get(f"/hours/{entry.id}").get_data(as_text=True)
    assert "the entry stays as it is" in page and "簽到表記載3小時" in page and "Dispute this entry" in page


def test_a_correction_answers_the_open_dispute(world, client):
    entry = add_entry(world.people["a"], world.units["A"])
    login(client, world.users["volunteer"])
    client.post(f"/hours/{entry.id}/dispute", data={"reason": "少算半小時"})
    login(client, world.users["clerk_a"])
    english(client)
    page = client.get(f"/hours/{entry.id}").get_data(as_text=True)
    assert "Answer the dispute" in page and f"/hours/{entry.id}/correct" in page
    response = client.post(f"/hours/{entry.id}/correct", data={
        "start_on": DAY.isoformat(), "hours": "3.5", "field_code": "social", "reason": "補登半小時",
        "version": entry.version})
    assert response.status_code == 302
    [dispute] = db.session.scalars(select(HourDispute)).all()
    assert dispute.status == DisputeStatus.CORRECTED and dispute.answer == "補登半小時"
    [notice] = notices("hours.dispute_answered", world.users["volunteer"])
    assert notice.params["outcome"] == "corrected"


def test_who_may_dispute_and_answer(world, client):
    mine = add_entry(world.people["a"], world.units["A"])
    voided = add_entry(world.people["a"], world.units["A"], half=4, status="void")
    others = add_entry(world.people["b"], world.units["B"])
    login(client, world.users["volunteer"])
    assert client.post(f"/hours/{others.id}/dispute", data={"reason": "x"}).status_code == 404
    client.post(f"/hours/{voided.id}/dispute", data={"reason": "x"})      # only counted entries
    assert db.session.scalar(select(func.count()).select_from(HourDispute)) == 0
    client.post(f"/hours/{mine.id}/dispute", data={"reason": "x"})
    dispute = db.session.scalar(select(HourDispute))
    assert client.post(f"/hours/disputes/{dispute.id}/keep", data={"reason": "y"}).status_code == 403
    login(client, world.users["clerk_b"])                                  # another unit: as if it did not exist
    assert client.post(f"/hours/disputes/{dispute.id}/keep", data={"reason": "y", "version": 1}).status_code == 404
    english(client)
    assert "No disputes are waiting for an answer." in client.get("/hours/disputes").get_data(as_text=True)


def test_the_database_keeps_one_open_dispute_per_entry(world):
    entry = add_entry(world.people["a"], world.units["A"])
    person, unit = world.people["a"].id, world.units["A"].id
    db.session.add(HourDispute(entry_id=entry.id, person_id=person, unit_id=unit, reason="a", status="kept", answer=""))
    db.session.add(HourDispute(entry_id=entry.id, person_id=person, unit_id=unit, reason="b", status="open", answer=""))
    db.session.commit()
    db.session.add(HourDispute(entry_id=entry.id, person_id=person, unit_id=unit, reason="c", status="open", answer=""))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
