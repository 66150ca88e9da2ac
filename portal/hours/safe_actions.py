"""What voiding an hour entry changes, in words, for the confirmation page before the void
(docs/rules/platform.md#pl9); computed from the entry and the hour summaries."""
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.platform.extensions import db
from portal.platform.i18n import hours_text, localized

from .models import HourEntry
from .summaries import HourMonth


def void_consequences(entry: HourEntry) -> list[str]:
    name, unit = entry.person.name, localized(entry.unit)
    total = db.session.scalar(select(func.coalesce(func.sum(HourMonth.half_hours), 0)).where(
        HourMonth.person_id == entry.person_id, HourMonth.unit_id == entry.unit_id)) or 0
    return [
        _("These %(hours)s hours stop counting for %(name)s: in the totals, the honor card, awards and "
          "certificates.", hours=hours_text(entry.half_hours), name=name),
        _("%(name)s's hours in %(unit)s go from %(before)s to %(after)s.", name=name, unit=unit,
          before=hours_text(total), after=hours_text(max(total - entry.half_hours, 0))),
        _("The entry is not deleted: it stays in the history with your reason."),
    ]
