"""How long an action can be undone: ending a membership and voiding an hour entry can be taken back by
the same unit's staff for 7 × 24 hours after the action (docs/rules/platform.md#pl9). Pure functions of
two instants (stored naive UTC), tested on both sides of the edge."""
from datetime import datetime, timedelta

from flask_babel import gettext

from .i18n import format_datetime

UNDO_WINDOW = timedelta(days=7)


def undo_deadline(done_at: datetime) -> datetime:
    """The first instant at which the action can no longer be undone."""
    return done_at + UNDO_WINDOW


def undo_open(done_at: datetime | None, now: datetime) -> bool:
    """The action done at `done_at` can still be undone at `now`: 7 days minus a minute yes, 7 days exactly no."""
    return done_at is not None and done_at <= now < undo_deadline(done_at)


def undo_note(done_at: datetime) -> str:
    """The sentence that tells until when an action done at `done_at` can be undone (Taipei time)."""
    return gettext("Your unit's staff can undo this until %(deadline)s (7 days).",
                   deadline=format_datetime(undo_deadline(done_at)))
