"""Words and badges of the resolution pages, the PDF and the spreadsheet (no database)."""
from flask_babel import gettext as _

from portal.platform.dates import ROC_OFFSET
from portal.platform.i18n import format_date, is_chinese, localized

from .models import OUTCOME_LABELS, STATUS_LABELS, Meeting, Status

BADGES = {Status.OPEN: "badge-pending", Status.CLOSED: "badge-valid", Status.WITHDRAWN: "badge-superseded"}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def status_badge(status: str) -> str:
    return BADGES.get(status, "")


def outcome_label(outcome: str | None) -> str:
    return str(OUTCOME_LABELS.get(outcome, "")) if outcome else ""


def meeting_title(meeting: Meeting) -> str:
    """113年全國志願服務聯繫會報 / 2024 National Volunteer Service Liaison Meeting."""
    year = meeting.roc_year if is_chinese() else meeting.roc_year + ROC_OFFSET
    return _("%(year)s National Volunteer Service Liaison Meeting", year=year)


def meeting_line(meeting: Meeting) -> str:
    """Date and place in one line, leaving out what is not known."""
    separator = "　" if is_chinese() else " · "   # an ideographic space is a gap only between Chinese words
    return separator.join(part for part in (format_date(meeting.held_on, "long"), meeting.place) if part)


def bodies_text(authorities) -> str:
    return "、".join(localized(a) for a in authorities) if is_chinese() else "; ".join(localized(a) for a in authorities)


JINJA = {"resolution_status_label": status_label, "resolution_badge": status_badge,
         "outcome_label": outcome_label, "meeting_title": meeting_title, "meeting_line": meeting_line,
         "bodies_text": bodies_text}
