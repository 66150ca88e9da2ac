"""Pure decisions of the notifications: which channels a user gets for an event, and when a failed
delivery is tried again or given up (docs/notifications.md)."""
from collections.abc import Mapping
from datetime import timedelta

from .models import ALL_EVENTS, Channel

# Without a preference row: e-mail for every event, no SMS (one-time codes are queue_message, not bound
# to preferences). The inbox always gets the row.
DEFAULTS = {Channel.EMAIL: True, Channel.SMS: False}


def channel_enabled(event: str, channel: str, preferences: Mapping[tuple[str, str], bool], *,
                    always: tuple[str, ...] = ()) -> bool:
    """Whether `channel` carries `event` for a user whose preference rows are
    {(event or "*", channel): enabled}. The event's own row wins over the "*" row, which wins over
    the default. Channels in `always` (security e-mails) go whatever the preferences say."""
    if channel in always:
        return True
    if (event, channel) in preferences:
        return preferences[(event, channel)]
    if (ALL_EVENTS, channel) in preferences:
        return preferences[(ALL_EVENTS, channel)]
    return DEFAULTS.get(channel, False)


def backoff(attempts: int, cap_minutes: int = 60) -> timedelta:
    """The wait after the `attempts`-th failed try: 1, 2, 4, 8 ... minutes, at most `cap_minutes`."""
    attempts = max(1, attempts)
    minutes = 2 ** min(attempts - 1, 20)   # 2**20 minutes is far past any cap; keeps the number small
    return timedelta(minutes=min(minutes, cap_minutes))


def gives_up(attempts: int, max_attempts: int) -> bool:
    """After the `attempts`-th failed try: failed for good (True) or queued again (False)."""
    return attempts >= max_attempts
