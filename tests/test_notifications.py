"""Notifications (issue 13, docs/notifications.md): inbox and outbox rows in the recipient's language,
preferences, delivery through a real SMTP server (aiosmtpd, the smtp_server fixture), an outage that loses
nothing and duplicates nothing, two deliverers at once, retries and giving up, the pages."""
import json
import logging
import threading
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import func, select, update

from portal.auth import signals
from portal.auth.models import User
from portal.notifications import dispatch, events, rules, sms
from portal.notifications.models import Notification, OutboxMessage, Preference
from portal.notifications.operations import (
    SECRET_WIPED,
    _claim,
    deliver_due,
    mark_all_read,
    notify,
    queue_message,
    retry_message,
    set_preferences,
    unread_count,
)
from portal.notifications.recipients import authority_staff, unit_staff, volunteer_accounts
from portal.platform import jobs
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from tests.conftest import login


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def outbox(*where):
    return list(db.session.scalars(select(OutboxMessage).where(*where).order_by(OutboxMessage.id)))


def make_due():
    """Time passes: every waiting row's retry time has come."""
    db.session.execute(update(OutboxMessage).where(OutboxMessage.status == "queued")
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def advance(minutes: int):
    """Time passes for the outbox: every waiting row's next try comes that much closer (order kept)."""
    for message in outbox(OutboxMessage.status == "queued"):
        message.next_attempt_at -= timedelta(minutes=minutes)
    db.session.commit()


def staff(world, n, unit="A"):
    """n more clerk accounts of a unit with an e-mail address each (no password hashing: fast)."""
    users = [User(username=f"bulk{i}", password_hash="-", role="unit_clerk", unit_id=world.units[unit].id,
                  email=f"bulk{i}@example.org") for i in range(n)]
    db.session.add_all(users)
    db.session.commit()
    return users


@pytest.fixture
def clerk(world):
    user = world.users["clerk_a"]
    user.email = "clerk.a@example.org"
    db.session.commit()
    return user


# --- notify: rows in the recipient's language -----------------------------------------------------

def test_notify_writes_inbox_and_outbox_in_the_recipients_language(app, world, clerk):
    en = world.users["supervisor_a"]
    en.email, en.locale = "supervisor.a@example.org", "en"
    db.session.commit()
    notify([clerk, en], "hours.claim_decided", link="/hours/", unit="臺北甲協會", date="2026-11-30", hours="3",
           decision="approved", reason="")
    db.session.commit()
    assert count(Notification) == 2
    assert {n.user_id for n in db.session.scalars(select(Notification))} == {clerk.id, en.id}
    mail = {m.address: m for m in outbox()}
    zh_mail, en_mail = mail["clerk.a@example.org"], mail["supervisor.a@example.org"]
    assert zh_mail.subject == "您的服務時數申報已核准"
    assert "您於 115/11/30 在臺北甲協會申報的 3 小時服務時數已核准。" in zh_mail.body
    assert en_mail.subject == "Your hour claim was approved"
    assert "Your claim of 3 hours on 2026-11-30 at 臺北甲協會 was approved." in en_mail.body
    assert {m.channel for m in mail.values()} == {"email"} and {m.status for m in mail.values()} == {"queued"}
    assert zh_mail.user_id == clerk.id and zh_mail.purpose == "hours.claim_decided"


def test_the_reason_and_the_link_end_the_message(app, world, clerk):
    app.config["PUBLIC_BASE_URL"] = "https://portal.example.org"
    notify([clerk], "honor_cards.returned", link="/honor-cards/applications/5", card_kind="renewal",
           reason="缺少公文")
    [message] = outbox()
    assert message.subject == "志願服務榮譽卡申請已退回"
    assert "志願服務榮譽卡申請（換發）已退回。 原因：缺少公文" in message.body
    assert "https://portal.example.org/honor-cards/applications/5" in message.body
    assert "https://portal.example.org/notifications/preferences" in message.body


def test_inactive_accounts_repeated_users_and_no_address(app, world, clerk):
    gone = world.users["clerk_b"]
    gone.active, gone.email = False, "gone@example.org"
    no_mail = world.users["supervisor_a"]
    db.session.commit()
    notify([clerk, clerk, gone, no_mail, None], "certificates.requested", person="王小明", kind="performance")
    assert sorted(n.user_id for n in db.session.scalars(select(Notification))) == sorted([clerk.id, no_mail.id])
    assert [m.address for m in outbox()] == ["clerk.a@example.org"]


def test_an_unknown_event_is_refused(app, world, clerk):
    with pytest.raises(KeyError):
        notify([clerk], "hours.claim_decidd")


def test_a_rolled_back_change_tells_nobody(app, world, clerk):
    notify([clerk], "certificates.requested", person="王小明", kind="performance")
    db.session.rollback()
    assert count(Notification) == 0 and count(OutboxMessage) == 0
    db.session.commit()
    assert dispatch.KICK not in g   # nothing to send after this commit


def test_every_event_renders_in_both_languages_with_its_params(app):
    params = {"unit": "甲", "date": "2026-01-02", "hours": "2", "decision": "approved", "change": "voided",
              "reason": "r", "number": "TPE-1", "card_kind": "first", "expires_on": "2027-01-01", "person": "王",
              "kind": "performance", "due_on": "2026-12-08", "round": "115年度", "deadline": "2026-12-31",
              "days": 7, "rows": 10, "status": "committed", "course": "特殊訓練", "how": "reset",
              "device": "Firefox", "when": "2026-12-06T03:00:00", "username": "u", "role": "unit_clerk",
              "unit_name": "新單位", "count": 4, "cap": 75, "insurer": "新光人壽", "policy": "SK-1",
              "outcome": "kept"}
    for key, event in events.EVENTS.items():
        assert set(event.params) <= set(params), key
        zh = events.render_message(key, params, "zh_TW")
        en = events.render_message(key, params, "en")
        assert zh != en, key
        assert "%(" not in zh[0] + zh[1] + en[0] + en[1], key
        assert all(ord(c) < 0x3000 for c in en[0] if c not in "甲王新單位年度特殊訓練"), key


def test_recipients(app, world):
    volunteer = world.users["volunteer"]
    assert volunteer_accounts([world.people["a"].id, world.people["b"].id, None]) == [volunteer]
    assert unit_staff([world.units["A"].id]) == [world.users["clerk_a"], world.users["supervisor_a"]]
    assert unit_staff([world.units["A"].id], roles=("unit_supervisor",)) == [world.users["supervisor_a"]]
    county = world.users["county_tpe"]
    assert authority_staff([county.authority_id]) == [county]
    county.active = False
    db.session.commit()
    assert authority_staff([county.authority_id]) == [] and unit_staff([]) == []


# --- preferences ------------------------------------------------------------------------------------

@pytest.mark.parametrize("rows, email, sms_", [
    ({}, True, False),                                                       # the defaults
    ({("hours.claim_decided", "email"): False}, False, False),
    ({("*", "email"): False}, False, False),
    ({("*", "email"): False, ("hours.claim_decided", "email"): True}, True, False),   # the event's row wins
    ({("hours.claim_decided", "sms"): True}, True, True),
    ({("*", "sms"): True, ("hours.claim_decided", "sms"): False}, True, False),
])
def test_channel_enabled(rows, email, sms_):
    assert rules.channel_enabled("hours.claim_decided", "email", rows) is email
    assert rules.channel_enabled("hours.claim_decided", "sms", rows) is sms_


def test_security_mail_goes_whatever_the_preferences(app):
    rows = {("accounts.password_changed", "email"): False, ("*", "email"): False}
    assert rules.channel_enabled("accounts.password_changed", "email", rows, always=("email",)) is True
    assert rules.channel_enabled("accounts.password_changed", "sms", rows, always=("email",)) is False


def test_preferences_are_honoured_by_notify(app, world):
    volunteer = world.users["volunteer"]
    volunteer.email, volunteer.phone = "vol@example.org", "0912345678"
    db.session.commit()
    set_preferences(volunteer, {("hours.claim_decided", "email"): False, ("hours.claim_decided", "sms"): True})
    db.session.commit()
    notify([volunteer], "hours.claim_decided", unit="甲", date="2026-11-30", hours="3", decision="rejected")
    notify([volunteer], "records.book_issued", unit="甲", number="TPE-1")
    notify([volunteer], "accounts.password_changed", how="change")
    set_preferences(volunteer, {("accounts.password_changed", "email"): False})   # not stored: always sent
    notify([volunteer], "accounts.password_changed", how="change")
    sent = [(m.purpose, m.channel, m.address) for m in outbox()]
    assert sent == [("hours.claim_decided", "sms", "0912345678"), ("records.book_issued", "email", "vol@example.org"),
                    ("accounts.password_changed", "email", "vol@example.org"),
                    ("accounts.password_changed", "email", "vol@example.org")]
    assert count(Notification, Notification.user_id == volunteer.id) == 4   # the inbox gets every one
    sms_body = outbox(OutboxMessage.channel == "sms")[0].body
    assert "退回" in sms_body and "--" not in sms_body


def test_preferences_store_only_changes_and_are_audited(app, world, clerk):
    assert set_preferences(clerk, {("certificates.requested", "email"): True}) == {}   # the default already
    assert count(Preference) == 0
    changes = set_preferences(clerk, {("certificates.requested", "email"): False, ("certificates.due", "sms"): True})
    db.session.commit()
    assert changes == {"certificates.requested:email": False, "certificates.due:sms": True}
    assert count(Preference, Preference.user_id == clerk.id) == 2
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "notifications.preferences"))
    assert json.loads(audit.detail)["changes"] == changes
    set_preferences(clerk, {("certificates.requested", "email"): True})
    db.session.commit()
    assert count(Preference, Preference.user_id == clerk.id) == 2   # updated in place, not added


def test_preferences_page(app, world, client):
    volunteer = world.users["volunteer"]
    login(client, volunteer)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "我的服務時數申報有審核結果" in page and "志工申請證明" not in page   # a volunteer's events only
    assert "一律寄送" in page   # security e-mails
    assert 'value="hours.claim_decided:email" checked' in page
    assert 'value="hours.claim_decided:sms">' in page
    on = [f"{e.key}:email" for e in events.for_role("volunteer") if e.key != "hours.claim_decided"]
    response = client.post("/notifications/preferences", data={"on": on + ["records.book_issued:sms"]})
    assert response.status_code == 302
    stored = {(p.event, p.channel): p.enabled for p in db.session.scalars(select(Preference))}
    assert stored == {("hours.claim_decided", "email"): False, ("records.book_issued", "sms"): True}
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'value="hours.claim_decided:email">' in page and 'value="records.book_issued:sms" checked' in page


# --- delivery ---------------------------------------------------------------------------------------

def test_delivery_through_the_smtp_server(app, world, clerk, smtp_server):
    app.config["PUBLIC_BASE_URL"] = "https://portal.example.org"
    notify([clerk], "certificates.requested", link="/certificates/requests", person="王小明", kind="performance")
    db.session.commit()
    assert deliver_due() == (1, 0)
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "clerk.a@example.org"
    assert message["Subject"] == "有志工申請證明"
    assert "志願服務紀錄入口" in message["From"] and "no-reply@localhost" in message["From"]
    body = message.get_content()
    assert "王小明申請證明：服務績效證明" in body or "王小明申請證明：" in body
    assert "https://portal.example.org/certificates/requests" in body
    [row] = outbox()
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 1
    assert message["Message-ID"] == f"<outbox.{row.id}.{row.created_at:%Y%m%d%H%M%S}@localhost>"
    assert deliver_due() == (0, 0)   # nothing twice
    assert len(smtp_server.messages) == 1


def test_a_one_time_code_leaves_the_outbox_once_sent_and_other_texts_stay(app, world, smtp_server):
    queue_message("email", "mei@example.org", "驗證碼", "您的驗證碼是 482913，10 分鐘內有效。", purpose="code")
    queue_message("email", "mei@example.org", "申請已收到", "收件編號 UR-0001", purpose="unit_registration.submitted")
    db.session.commit()
    assert deliver_due() == (2, 0)
    arrived = {m["Subject"]: m.get_content() for m in smtp_server.wait_for(2)}
    assert "482913" in arrived["驗證碼"]
    rows = {row.purpose: row for row in outbox()}
    assert rows["code"].status == "sent" and "482913" not in rows["code"].body
    assert rows["code"].body == SECRET_WIPED
    assert rows["unit_registration.submitted"].body == "收件編號 UR-0001"


def test_a_code_that_cannot_be_sent_is_wiped_when_given_up(app, world, smtp_server):
    smtp_server.refuse.add("gone@example.org")      # "550 no such mailbox": given up at once
    message = queue_message("email", "gone@example.org", "驗證碼", "您的驗證碼是 482913", purpose="code")
    db.session.commit()
    assert deliver_due() == (0, 1)
    row = db.session.get(OutboxMessage, message.id, populate_existing=True)
    assert row.status == "failed" and row.body == SECRET_WIPED


def test_the_outage_loses_nothing_and_sends_nothing_twice(app, world, smtp_server):
    users = staff(world, 100)
    smtp_server.stop()
    for user in users:
        notify([user], "certificates.due", person="王小明", kind="performance", due_on="2026-12-08")
    db.session.commit()
    assert count(OutboxMessage, OutboxMessage.status == "queued") == 100
    # The server is down: a pass tries one message, counts its attempt, waits 1 minute for it, and leaves
    # the rest in their place (no hammering a dead server with 100 connections).
    before = utcnow()
    assert deliver_due() == (0, 1)
    [tried] = outbox(OutboxMessage.attempts == 1)
    assert tried.status == "queued" and "ConnectionRefused" in tried.last_error
    assert timedelta(seconds=59) < tried.next_attempt_at - before < timedelta(seconds=62)
    # Passes go on, a minute apart, while it is down: the tries go round the rows (the one that failed waits),
    # each row backing off 1, then 2 minutes ...
    for n in range(2, 151):
        advance(minutes=1)
        assert deliver_due() == (0, 1)
        if n == 101:   # every row was tried once; now the first one again
            [again] = outbox(OutboxMessage.attempts == 2)
            assert again.id == tried.id
            assert timedelta(seconds=119) < again.next_attempt_at - utcnow() < timedelta(seconds=121)
    assert count(OutboxMessage, OutboxMessage.status == "queued") == 100
    assert count(OutboxMessage, OutboxMessage.attempts == 2) == 50 and count(OutboxMessage, OutboxMessage.attempts == 1) == 50
    assert smtp_server.messages == []
    smtp_server.start()
    for _ in range(10):
        make_due()
        deliver_due()
        if count(OutboxMessage, OutboxMessage.status != "sent") == 0:
            break
    arrived = smtp_server.wait_for(100)
    assert len(arrived) == 100
    assert len({m["Message-ID"] for m in arrived}) == 100
    assert sorted(m["To"] for m in arrived) == sorted(u.email for u in users)
    assert count(OutboxMessage, OutboxMessage.status == "sent") == 100
    make_due()
    assert deliver_due() == (0, 0)
    assert len(smtp_server.messages) == 100


def test_two_deliverers_at_once_never_send_one_twice(threaded_app, world, smtp_server):
    app = threaded_app
    smtp_server.configure(app)
    for i in range(60):
        queue_message("email", f"r{i}@example.org", f"code {i}", "123456")
    db.session.commit()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        with app.app_context():
            try:
                barrier.wait(10)
                results.append(deliver_due(200))
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(sent for sent, _ in results) == 60 and sum(failed for _, failed in results) == 0
    arrived = smtp_server.wait_for(60)
    assert len(arrived) == 60 and len({m["Message-ID"] for m in arrived}) == 60
    db.session.expire_all()
    assert count(OutboxMessage, OutboxMessage.status == "sent", OutboxMessage.attempts == 1) == 60


def test_a_claim_is_won_once(app):
    message = queue_message("email", "a@example.org", "s", "b")
    db.session.commit()
    now = utcnow()
    assert _claim(message.id, "queued", 0, now) is True
    assert _claim(message.id, "queued", 0, now) is False   # the second deliverer read the same row: it loses


def test_a_claim_whose_deliverer_died_is_taken_again_after_its_lease(app, smtp_server):
    message = queue_message("email", "a@example.org", "s", "b")
    db.session.commit()
    db.session.execute(update(OutboxMessage).values(status="sending", attempts=1,
                                                    next_attempt_at=utcnow() + timedelta(minutes=5)))
    db.session.commit()
    assert deliver_due() == (0, 0)   # the lease still runs
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert deliver_due() == (1, 0)
    db.session.refresh(message)
    assert message.status == "sent" and message.attempts == 2
    assert len(smtp_server.wait_for(1)) == 1


@pytest.mark.parametrize("attempts, wait", [(1, 1), (2, 2), (3, 4), (4, 8), (6, 32), (7, 60), (12, 60)])
def test_backoff(attempts, wait):
    assert rules.backoff(attempts, 60) == timedelta(minutes=wait)


def test_gives_up_after_the_last_attempt():
    assert rules.gives_up(11, 12) is False
    assert rules.gives_up(12, 12) is True


def test_failed_after_max_attempts(app, world, clerk, smtp_server):
    app.config["NOTIFY_MAX_ATTEMPTS"] = 3
    smtp_server.stop()
    message = queue_message("email", "x@example.org", "s", "b")
    db.session.commit()
    for attempt in (1, 2):
        make_due()
        assert deliver_due() == (0, 1)
        db.session.refresh(message)
        assert (message.status, message.attempts) == ("queued", attempt)
    make_due()
    assert deliver_due() == (0, 1)
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("failed", 3)
    smtp_server.start()
    make_due()
    assert deliver_due() == (0, 0)   # a failed message waits for the admin
    assert smtp_server.messages == []


def test_a_refused_recipient_fails_at_once_and_the_others_go(app, smtp_server):
    smtp_server.refuse.add("nobody@example.org")
    queue_message("email", "nobody@example.org", "s", "b")
    queue_message("email", "somebody@example.org", "s", "b")
    db.session.commit()
    assert deliver_due() == (1, 1)
    refused, sent = outbox()
    assert (refused.status, refused.attempts) == ("failed", 1) and "550" in refused.last_error
    assert sent.status == "sent"
    assert [m["To"] for m in smtp_server.wait_for(1)] == ["somebody@example.org"]


def test_without_mail_server_the_mail_is_logged_and_counts_as_sent(app, world, clerk, caplog):
    assert not app.config["MAIL_SERVER"]
    notify([clerk], "certificates.requested", person="王小明", kind="performance")
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="portal.mail"):
        assert deliver_due() == (1, 0)
    logged = [r.getMessage() for r in caplog.records if r.name == "portal.mail"]
    assert len(logged) == 1 and "clerk.a@example.org" in logged[0] and "有志工申請證明" in logged[0]
    assert outbox()[0].status == "sent"
    assert count(Notification) == 1


def test_sms_through_the_console_provider_and_an_unknown_provider(app, caplog):
    queue_message("sms", "0912345678", "", "驗證碼 123456")
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="portal.sms"):
        assert deliver_due() == (1, 0)
    assert any("0912345678" in r.getMessage() and "123456" in r.getMessage() for r in caplog.records)
    app.config["SMS_PROVIDER"] = "carrier-pigeon"
    queue_message("sms", "0912345678", "", "驗證碼 654321")
    queue_message("sms", "0987654321", "", "驗證碼 111111")
    db.session.commit()
    assert deliver_due() == (0, 1)   # the channel is down: the second one keeps its place
    waiting = outbox(OutboxMessage.status == "queued")
    assert [m.attempts for m in waiting] == [1, 0] and "carrier-pigeon" in waiting[0].last_error
    with pytest.raises(ValueError):
        queue_message("fax", "1", "", "")


def test_the_delivery_job_and_no_job_flood(app, world, clerk, smtp_server):
    app.config["NOTIFY_SEND_AFTER_COMMIT"] = "off"
    app.config["JOBS_BACKEND"] = "inline"
    notify([clerk], "certificates.requested", person="王小明", kind="performance")
    db.session.commit()
    job = dispatch.start_delivery()
    db.session.refresh(job)
    assert (job.kind, job.status, job.result) == ("notifications.deliver", "done", {"sent": 1, "failed": 0})
    assert len(smtp_server.wait_for(1)) == 1
    waiting = jobs.Job(kind=dispatch.JOB_KIND, status="queued")
    db.session.add(waiting)
    db.session.commit()
    assert dispatch.start_delivery() is None   # one is waiting to start: it will see the new rows
    assert db.session.scalar(select(func.count()).select_from(jobs.Job)) == 2


def test_a_request_that_queues_mail_sends_it_after_its_commit(app, world, client, smtp_server):
    """smtp_server sets NOTIFY_SEND_AFTER_COMMIT=inline: the admin's retry (a commit that queues) is sent at once."""
    message = queue_message("email", "late@example.org", "稍後寄送", "內容")
    db.session.execute(update(OutboxMessage).values(status="failed", attempts=12, last_error="OSError: down"))
    db.session.commit()
    login(client, world.users["admin"])
    response = client.post(f"/notifications/outbox/{message.id}/retry")
    assert response.status_code == 302
    [arrived] = smtp_server.wait_for(1)
    assert arrived["Subject"] == "稍後寄送"
    db.session.refresh(message)
    assert message.status == "sent" and message.attempts == 1


# --- account events (auth.signals) ------------------------------------------------------------------

def test_password_changed_and_new_device_are_told_to_the_account(app, world, clerk):
    set_preferences(clerk, {("*", "email"): False})
    signals.password_changed.send(clerk, how="reset")
    signals.signed_in.send(clerk, new_device=False, user_agent="Firefox")
    signals.signed_in.send(clerk, new_device=True, user_agent="Mozilla/5.0 (Android 14) Firefox/133.0")
    db.session.commit()
    assert [n.event for n in db.session.scalars(select(Notification).order_by(Notification.id))] == [
        "accounts.password_changed", "accounts.new_device"]
    changed, device = outbox()
    assert changed.subject == "您的密碼已變更" and "由管理人員重設" in changed.body
    assert device.subject == "您的帳號在新裝置登入" and "Android 14" in device.body


# --- pages --------------------------------------------------------------------------------------------

def test_header_count_and_its_words(app, world, client, clerk):
    login(client, clerk)
    assert "通知（" not in client.get("/").get_data(as_text=True)
    notify([clerk], "certificates.requested", person="王", kind="performance")
    notify([clerk], "certificates.requested", person="李", kind="performance")
    notify([clerk], "certificates.requested", person="陳", kind="performance")
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "通知（3 則未讀）" in page and '<span class="notifications-count">3</span>' in page
    clerk.locale = "en"
    db.session.commit()
    assert "Notifications (3 unread)" in client.get("/").get_data(as_text=True)


def test_unread_count_stops_at_its_cap(app, world, clerk):
    db.session.add_all([Notification(user_id=clerk.id, event="digest.daily", params={"count": i}) for i in range(100)])
    db.session.commit()
    assert unread_count(clerk) == 100   # 99 + 1: enough to say "99+"
    db.session.add(Notification(user_id=clerk.id, event="digest.daily", params={}))
    db.session.commit()
    assert unread_count(clerk) == 100


def test_inbox_lists_the_owners_notifications_newest_first(app, world, client, clerk):
    other = world.users["clerk_b"]
    notify([clerk], "certificates.requested", link="/certificates/", person="王小明", kind="performance")
    db.session.flush()
    notify([clerk], "certificates.due", person="李大華", kind="performance", due_on="2026-12-08")
    notify([other], "certificates.requested", person="別人的志工", kind="performance")
    db.session.commit()
    login(client, clerk)
    page = client.get("/notifications/").get_data(as_text=True)
    assert page.index("李大華") < page.index("王小明") and "別人的志工" not in page
    assert page.count("未讀：") == 2


def test_inbox_pages_by_keyset(app, world, client, clerk):
    base = utcnow()
    db.session.add_all([Notification(user_id=clerk.id, event="digest.daily", params={"count": i},
                                     created_at=base - timedelta(minutes=i)) for i in range(30)])
    db.session.commit()
    login(client, clerk)
    first = client.get("/notifications/").get_data(as_text=True)
    assert "待辦清單有 0 件" in first and "待辦清單有 24 件" in first and "待辦清單有 25 件" not in first
    import re
    cursor = re.search(r'href="/notifications/\?cursor=([^"]+)"', first).group(1)
    second = client.get(f"/notifications/?cursor={cursor}").get_data(as_text=True)
    assert "待辦清單有 25 件" in second and "待辦清單有 29 件" in second and "待辦清單有 24 件" not in second


def test_mark_one_read_with_htmx_and_another_users_is_not_found(app, world, client, clerk):
    notify([clerk], "certificates.requested", person="王小明", kind="performance")
    notify([world.users["clerk_b"]], "certificates.requested", person="王小明", kind="performance")
    db.session.commit()
    mine, theirs = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    login(client, clerk)
    response = client.post(f"/notifications/{mine.id}/read", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="notification-{mine.id}"' in body and "autofocus" in body and "標示為已讀" not in body
    assert 'id="notifications-link"' in body and 'hx-swap-oob="true"' in body and "未讀）" not in body
    db.session.refresh(mine)
    assert mine.read_at is not None
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404
    assert client.get(f"/notifications/{theirs.id}/open").status_code == 404
    assert client.post("/notifications/987654/read").status_code == 404
    db.session.refresh(theirs)
    assert theirs.read_at is None


def test_mark_all_read(app, world, client, clerk):
    for person in ("王", "李"):
        notify([clerk], "certificates.requested", person=person, kind="performance")
    notify([world.users["clerk_b"]], "certificates.requested", person="陳", kind="performance")
    db.session.commit()
    login(client, clerk)
    body = client.post("/notifications/read-all", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "已標示為已讀的通知：2 則。" in body and "未讀：" not in body
    assert unread_count(clerk) == 0 and unread_count(world.users["clerk_b"]) == 1
    assert mark_all_read(clerk) == 0


def test_opening_a_notification_marks_it_read_and_follows_only_portal_links(app, world, client, clerk):
    notify([clerk], "certificates.requested", link="/certificates/requests", person="王", kind="performance")
    notify([clerk], "certificates.requested", link="//evil.example/", person="李", kind="performance")
    db.session.commit()
    good, evil = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    login(client, clerk)
    response = client.get(f"/notifications/{good.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/certificates/requests"
    assert client.get(f"/notifications/{evil.id}/open").headers["Location"] == "/notifications/"
    assert unread_count(clerk) == 0


def test_admin_outbox_page_and_retry(app, world, client):
    failed = queue_message("email", "someone@example.org", "s", "b")
    queue_message("email", "waiting@example.org", "s", "b")
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == failed.id)
                       .values(status="failed", attempts=12,
                               last_error="SMTPRecipientsRefused: {'someone@example.org': (550, b'no')}"))
    db.session.commit()
    login(client, world.users["admin"])
    page = client.get("/notifications/outbox").get_data(as_text=True)
    assert "等待寄送" in page and "w***@example.org" in page and "someone@" not in page
    page = client.get("/notifications/outbox?status=failed").get_data(as_text=True)
    assert "s***@example.org" in page and "550" in page and "someone@example.org" not in page
    assert f"/notifications/outbox/{failed.id}/retry" in page
    assert client.post(f"/notifications/outbox/{failed.id}/retry").status_code == 302
    db.session.refresh(failed)
    assert (failed.status, failed.attempts) == ("queued", 0) and failed.next_attempt_at <= utcnow()
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "outbox.retry"))
    assert audit.object_id == failed.id and json.loads(audit.detail)["attempts"] == 12
    assert retry_message(failed, None) is True   # a waiting one: due now again
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == failed.id).values(status="sent"))
    db.session.commit()
    db.session.refresh(failed)
    assert retry_message(failed, None) is False   # sent meanwhile: nothing to retry
    for persona in ("clerk_a", "county_tpe", "volunteer"):
        login(client, world.users[persona])
        assert client.get("/notifications/outbox").status_code == 403
        assert client.post(f"/notifications/outbox/{failed.id}/retry").status_code == 403


def test_cli_send_and_status(app, runner, world, clerk):
    notify([clerk], "certificates.requested", person="王小明", kind="performance")
    db.session.commit()
    result = runner.invoke(args=["notify", "status"])
    assert "queued: 1" in result.output and "oldest waiting" in result.output
    result = runner.invoke(args=["notify", "send"])
    assert result.exit_code == 0 and "1 sent, 0 failed" in result.output
    assert "sent: 1" in runner.invoke(args=["notify", "status"]).output


def test_sms_provider_interface():
    provider = sms.provider_for("")
    assert provider.name == "console"
    with pytest.raises(sms.ProviderDown):
        sms.provider_for("nope")
