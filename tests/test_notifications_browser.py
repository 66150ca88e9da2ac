"""Real browser: the inbox (mark one read with the keyboard, focus kept, the header's count follows; mark all
read), the notification settings and the admin's outbox, in both languages, at phone and desktop width,
axe-core clean. Set SCREENSHOT_DIR to keep screenshots of each page."""
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from portal.auth.operations import create_user
from portal.notifications.models import OutboxMessage
from portal.notifications.operations import notify, queue_message
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from portal.registry.operations import create_unit
from tests.conftest import PASSWORD, sign_in_page
from tests.test_accessibility import checked_at_both_widths as shoot

pytestmark = pytest.mark.browser

TEXT = {
    "zh": {"count": "通知（3 則未讀）", "count_after": "通知（2 則未讀）", "mark": "標示為已讀", "read": "已讀",
           "all": "全部標示為已讀", "done": "已標示為已讀的通知：2 則。", "save": "儲存設定", "saved": "您的通知設定已儲存。",
           "retry": "立即重新寄送", "again": "這則訊息將立即重新寄送。", "failed": "寄送失敗"},
    "en": {"count": "Notifications (3 unread)", "count_after": "Notifications (2 unread)", "mark": "Mark as read",
           "read": "Read", "all": "Mark all as read", "done": "Notifications marked as read: 2.", "save": "Save settings",
           "saved": "Your notification settings were saved.", "retry": "Retry now",
           "again": "The message will be sent again now.", "failed": "Failed"},
}


@pytest.fixture
def inbox(live_server):
    with live_server.app.app_context():
        unit = create_unit("TPE-N", "臺北通知協會", "TPE", "social", "private", name_en="Taipei Notice Association")
        clerk = create_user("clerk.n", PASSWORD, "unit_clerk", unit_id=unit.id, display_name="承辦人")
        clerk.email = "clerk.n@example.org"
        create_user("admin.n", PASSWORD, "admin", display_name="系統管理者")
        notify([clerk], "certificates.requested", link="/", person="林美玲", kind="performance")
        notify([clerk], "certificates.due", person="王小明", kind="performance", due_on="2026-12-08")
        notify([clerk], "awards.round_deadline", round="115年度志願服務獎勵", deadline="2026-12-31", days=25)
        failed = queue_message("email", "nobody@example.org", "s", "b")
        failed.status, failed.attempts = "failed", 12
        failed.last_error = "SMTPRecipientsRefused: {'nobody@example.org': (550, b'5.1.1 No such mailbox')}"
        waiting = queue_message("sms", "0912345678", "", "驗證碼 123456")
        waiting.attempts, waiting.last_error = 2, "ProviderDown: timeout"
        waiting.next_attempt_at = utcnow() + timedelta(minutes=2)
        db.session.commit()
        return failed.id




@pytest.mark.parametrize("lang", ["zh", "en"])
def test_inbox_settings_and_outbox(page: Page, live_server, inbox, lang):
    t = TEXT[lang]
    found = {}
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_page(page, live_server.url, "clerk.n", lang)
    link = page.locator("#notifications-link")
    expect(link).to_have_accessible_name(t["count"])
    link.click()
    expect(page.locator(".inbox-item.unread")).to_have_count(3)
    shoot(page, "notifications-inbox", lang, found)

    # mark the newest read with the keyboard: the row updates in place, focus stays on it, the count follows
    first = page.locator(".inbox-item").first
    first.get_by_role("button", name=t["mark"]).focus()
    page.keyboard.press("Enter")
    expect(first.locator(".inbox-read")).to_be_focused()
    expect(first).not_to_have_class("inbox-item unread")
    expect(page.locator("#notifications-link")).to_have_accessible_name(t["count_after"])
    page.get_by_role("button", name=t["all"]).click()
    expect(page.locator("#inbox-results .flash")).to_have_text(t["done"])
    expect(page.locator("#inbox-results .flash")).to_be_focused()
    expect(page.locator(".inbox-item.unread")).to_have_count(0)
    shoot(page, "notifications-inbox-read", lang, found)

    # settings: a checkbox per event and channel, labelled
    page.goto(live_server.url + "/notifications/preferences")
    boxes = page.locator("input[name=on]")
    expect(boxes.first).to_be_visible()
    boxes.first.uncheck()
    shoot(page, "notifications-preferences", lang, found)
    page.get_by_role("button", name=t["save"]).click()
    expect(page.locator(".flash-success")).to_have_text(t["saved"])
    expect(page.locator("input[name=on]").first).not_to_be_checked()

    # the admin's outbox: counts, the failed message's error, retry now
    sign_in_page(page, live_server.url, "admin.n", lang)
    page.goto(live_server.url + "/notifications/outbox")
    expect(page.locator("table.outbox")).to_contain_text("09****678")
    shoot(page, "notifications-outbox", lang, found)
    page.goto(live_server.url + "/notifications/outbox?status=failed")
    expect(page.locator("table.outbox")).to_contain_text("550")
    shoot(page, "notifications-outbox-failed", lang, found)
    page.get_by_role("button", name=t["retry"]).first.click()
    expect(page.locator(".flash-success")).to_have_text(t["again"])
    with live_server.app.app_context():
        assert db.session.get(OutboxMessage, inbox).status == "queued"
    assert {name: v for name, v in found.items() if v} == {}
