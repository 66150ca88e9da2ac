"""Destructive actions ask first, with the consequence in words, and two of them can be undone for 7 days
(docs/rules/platform.md#pl9): ending a membership and voiding an hour entry. The undo is audited, the history
shows both, and an undone void leaves the hour summaries exactly as a recomputation from the entries."""
from datetime import date, datetime, timedelta, timezone

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from portal.hours.models import HourEntry
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.undo import UNDO_WINDOW, undo_open
from portal.registry.models import Membership
from tests.conftest import login
from tests.test_hours import add_entry
from tests.test_summaries import recomputed, stored

# 10:00 in Taipei; the test's own freeze_time takes over from a PORTAL_TEST_CLOCK run.
ACTED_AT = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)


def audit_actions(object_type: str, object_id: int) -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).where(
        AuditLog.object_type == object_type, AuditLog.object_id == object_id).order_by(AuditLog.id)))


def staff_client(app, user, lang="zh_TW"):
    """A fresh signed-in client: moving the clock by days would end an old client's session as idle."""
    client = app.test_client()
    login(client, user)
    client.post("/language", data={"lang": lang})
    return client


@pytest.mark.parametrize("offset,open_", [(-MINUTE, False), (timedelta(0), True), (UNDO_WINDOW - MINUTE, True),
                                          (UNDO_WINDOW, False), (UNDO_WINDOW + MINUTE, False)])
def test_the_undo_window_is_seven_times_24_hours(offset, open_):
    done = datetime(2026, 12, 2, 2, 0)
    assert undo_open(done, done + offset) is open_
    assert undo_open(None, done) is False


def test_ending_a_membership_asks_first_and_says_what_changes(world, app):
    person, unit = world.people["a"], world.units["A"]
    membership = person.memberships[0]
    add_entry(person, unit, start=date(2025, 7, 2), half=4)      # served after the leaving day below
    data = {"left_on": "114/06/30", "version": membership.version}
    client = staff_client(app, world.users["clerk_a"])
    asked = client.post(f"/volunteers/memberships/{membership.id}/end", data=data)
    body = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "服務年資計算至 114/06/30" in body and "臺北甲協會" in body
    assert "1 筆" in body and "將不再於任何單位服務" in body        # the later entry; no other unit
    assert 'name="confirm" value="1"' in body and 'name="left_on" value="114/06/30"' in body
    db.session.expire_all()
    assert membership.status == "active" and "membership.end" not in audit_actions("Membership", membership.id)

    english = staff_client(app, world.users["clerk_a"], "en")
    body = english.post(f"/volunteers/memberships/{membership.id}/end", data=data).get_data(as_text=True)
    assert "Service years in Test Unit 1 count until 2025-06-30." in body     # the unit's English name
    assert "1 hour entry of Test Unit 1 is dated after 2025-06-30" in body

    done = client.post(f"/volunteers/memberships/{membership.id}/end", data=data | {"confirm": "1"})
    assert done.status_code == 302
    db.session.expire_all()
    assert (membership.status, membership.left_on) == ("left", date(2025, 6, 30))


def test_an_ended_membership_can_be_undone_for_seven_days_not_longer(world, app):
    person = world.people["shared"]
    membership = next(m for m in person.memberships if m.unit_id == world.units["A"].id)
    clerk, other_unit = world.users["clerk_a"], world.users["clerk_b"]
    url = f"/volunteers/memberships/{membership.id}"

    with freeze_time(ACTED_AT) as clock:
        client = staff_client(app, clerk)
        client.post(f"{url}/end", data={"left_on": "115/11/30", "version": membership.version, "confirm": "1"})
        db.session.expire_all()
        assert membership.status == "left"
        page = client.get(f"/volunteers/{person.id}").get_data(as_text=True)
        assert "復原結束服務" in page and "可復原至 115/12/09 10:00" in page

        clock.move_to(ACTED_AT + UNDO_WINDOW - MINUTE)            # 7 days minus one minute: still possible
        refused = staff_client(app, other_unit).post(f"{url}/undo-end", data={"version": membership.version})
        assert refused.status_code == 404                         # another unit's staff: not theirs to undo
        client = staff_client(app, clerk)
        assert client.post(f"{url}/undo-end", data={"version": membership.version}).status_code == 302
        db.session.expire_all()
        assert (membership.status, membership.left_on) == ("active", None)

        client.post(f"{url}/end", data={"left_on": "115/12/08", "version": membership.version, "confirm": "1"})
        clock.move_to(ACTED_AT + UNDO_WINDOW - MINUTE + UNDO_WINDOW)   # 7 days exactly after the second end
        client = staff_client(app, clerk)
        assert "/undo-end" not in client.get(f"/volunteers/{person.id}").get_data(as_text=True)
        late = client.post(f"{url}/undo-end", data={"version": membership.version}, follow_redirects=True)
        assert "已無法復原" in late.get_data(as_text=True)
    db.session.expire_all()
    assert (membership.status, membership.left_on) == ("left", date(2026, 12, 8))
    assert audit_actions("Membership", membership.id) == [
        "membership.end", "membership.end_undo", "membership.end"]
    assert db.session.get(Membership, membership.id) is not None


def test_a_void_asks_first_and_its_undo_restores_the_entry_and_the_summaries(world, app):
    person, unit = world.people["a"], world.units["A"]
    add_entry(person, unit, start=date(2025, 3, 4), half=10)
    entry = add_entry(person, unit, start=date(2025, 3, 5), half=6)
    before = stored()
    assert before == recomputed()
    url = f"/hours/{entry.id}"

    with freeze_time(ACTED_AT) as clock:
        client = staff_client(app, world.users["clerk_a"])
        asked = client.post(f"{url}/void", data={"reason": "重複登錄", "version": entry.version})
        body = asked.get_data(as_text=True)
        assert asked.status_code == 200 and "從 8 小時變為 5 小時" in body and "115/12/09 10:00" in body
        db.session.expire_all()
        assert entry.status == "active" and stored() == before

        client.post(f"{url}/void", data={"reason": "重複登錄", "version": entry.version, "confirm": "1"})
        db.session.expire_all()
        assert entry.status == "void" and stored() == recomputed() != before

        clock.move_to(ACTED_AT + UNDO_WINDOW - MINUTE)
        client = staff_client(app, world.users["clerk_a"])
        assert f'action="{url}/undo-void"' in client.get(url).get_data(as_text=True)
        assert client.post(f"{url}/undo-void", data={"version": entry.version}).status_code == 302
        db.session.expire_all()
        assert entry.status == "active" and stored() == recomputed() == before
        history = client.get(url).get_data(as_text=True)
        assert "作廢" in history and "已復原作廢" in history and "重複登錄" in history

        client.post(f"{url}/void", data={"reason": "再次作廢", "version": entry.version, "confirm": "1"})
        clock.move_to(ACTED_AT + 2 * UNDO_WINDOW - MINUTE)        # 7 days exactly after the second void
        client = staff_client(app, world.users["clerk_a"])
        assert "/undo-void" not in client.get(url).get_data(as_text=True)
        client.post(f"{url}/undo-void", data={"version": entry.version})
    db.session.expire_all()
    assert entry.status == "void" and stored() == recomputed()
    assert [c.action for c in entry.changes] == ["void", "restore", "void"]
    assert audit_actions("HourEntry", entry.id)[-3:] == ["hours.void", "hours.void_undo", "hours.void"]


def test_an_undone_void_still_obeys_the_hour_rules(world, app):
    person, unit = world.people["a"], world.units["A"]
    entry = add_entry(person, unit, start=date(2025, 3, 5), half=6)
    client = staff_client(app, world.users["clerk_a"])
    client.post(f"/hours/{entry.id}/void", data={"reason": "誤植", "version": entry.version, "confirm": "1"})
    add_entry(person, unit, start=date(2025, 3, 5), half=6)       # the same entry typed again meanwhile
    db.session.expire_all()
    refused = client.post(f"/hours/{entry.id}/undo-void", data={"version": entry.version}, follow_redirects=True)
    assert "無法再次採計" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert entry.status == "void" and stored() == recomputed()
    assert db.session.scalar(select(HourEntry.status).where(HourEntry.id == entry.id)) == "void"
