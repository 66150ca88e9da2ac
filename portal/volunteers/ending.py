"""Ending a membership safely: the consequence in words before it is ended, and the undo for 7 days after
(docs/rules/platform.md#pl9). The sentences are computed from the real dates and rows, so the clerk reads what
will happen to this volunteer, not a generic warning."""
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from portal.hours.models import EntryStatus, HourEntry
from portal.platform.extensions import db
from portal.platform.i18n import format_date, localized
from portal.platform.timeutil import utcnow
from portal.platform.undo import undo_deadline, undo_open
from portal.registry.models import Membership
from portal.registry.operations import last_end


def end_consequences(membership: Membership, left_on: date) -> list[str]:
    """What ending `membership` on `left_on` changes, one sentence each."""
    unit, when = localized(membership.unit), format_date(left_on)
    sentences = [
        _("Service years in %(unit)s count until %(date)s.", unit=unit, date=when),
        _("Hours served for %(unit)s after %(date)s can no longer be entered; the hours already entered stay on "
          "the record.", unit=unit, date=when),
        _("The hours and service years that the honor card and awards count stop accumulating in %(unit)s.",
          unit=unit),
    ]
    later = db.session.scalar(select(func.count()).select_from(HourEntry).where(
        HourEntry.person_id == membership.person_id, HourEntry.unit_id == membership.unit_id,
        HourEntry.status == EntryStatus.ACTIVE, HourEntry.end_on > left_on))
    if later:
        sentences.append(ngettext(
            "%(num)d hour entry of %(unit)s is dated after %(date)s: correct or void it if it is wrong.",
            "%(num)d hour entries of %(unit)s are dated after %(date)s: correct or void them if they are wrong.",
            later, unit=unit, date=when))
    others = [m for m in membership.person.memberships if m.id != membership.id and m.is_current]
    if not others:
        sentences.append(_("%(name)s will then serve in no unit.", name=membership.person.name))
    return sentences


def undoable_ends(memberships) -> dict[int, datetime]:
    """{membership id: undo deadline} of the ended memberships whose end can still be undone now."""
    now, found = utcnow(), {}
    for membership in memberships:
        ended = last_end(membership)
        if ended is not None and undo_open(ended.at, now):
            found[membership.id] = undo_deadline(ended.at)
    return found
