"""What notifications does when auth reports an account event (portal/auth/signals.py): the account is told,
in its inbox and by e-mail. Security e-mails go whatever the preferences say (events.py: always).
Receivers only add rows (flushed); the sign-in or password change commits them with its own change."""
from portal.auth import signals
from portal.platform.timeutil import utcnow

from .events import path_for
from .operations import notify

DEVICE_CHARS = 120   # a user agent can be long; the message names the browser, not its every token


def password_changed(user, how: str = "change", **_extra):
    notify([user], "accounts.password_changed", link=path_for("auth.change_password"), how=how)


def signed_in(user, new_device: bool = False, user_agent: str = "", **_extra):
    if new_device:
        notify([user], "accounts.new_device", link=path_for("auth.change_password"),
               device=(user_agent or "?")[:DEVICE_CHARS], when=utcnow().isoformat(timespec="seconds"))


def connect():
    """Connect once (weak=False: module functions live as long as the process; connecting twice is a no-op)."""
    signals.password_changed.connect(password_changed, weak=False)
    signals.signed_in.connect(signed_in, weak=False)
