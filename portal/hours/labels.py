"""Template helpers of the hours screens: hours, statuses, ROC years and months, history values."""
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.platform.dates import roc_year
from portal.platform.i18n import format_date, is_chinese, localized
from portal.registry.labels import role_label
from portal.registry.catalog import FIELD_BY_CODE
from portal.registry.identity import mask_id

ENTRY_STATUS = {"active": _l("Counted"), "pending": _l("Claim pending"), "declined": _l("Claim declined"),
                "void": _l("Voided")}
CHANGE_LABELS = {"correct": _l("Corrected"), "void": _l("Voided"), "approve": _l("Claim approved"),
                 "decline": _l("Claim declined")}
VALUE_LABELS = {"start_on": _l("Service date"), "end_on": _l("Until"), "half_hours": _l("Hours"),
                "field_code": _l("Service field"), "content": _l("Service content"),
                "persons_served": _l("Persons served"), "status": _l("Status")}


def half_hours(half) -> str:
    half = int(half or 0)
    return f"{half // 2:,}" if half % 2 == 0 else f"{half // 2:,}.5"


def entry_status(status: str) -> str:
    return str(ENTRY_STATUS.get(status, status))


def year_label(year: int) -> str:
    return _("ROC year %(roc)s (%(year)s)", roc=roc_year(date(int(year), 1, 1)), year=year) if is_chinese() \
        else str(year)


def month_label(year, month) -> str:
    year, month = int(year), int(month)
    if is_chinese():
        return f"{roc_year(date(year, 1, 1))}/{month:02d}"
    return f"{year}-{month:02d}"


def who(user) -> str:
    if user is None:
        return _("the command-line import")
    return f"{user.display_name or user.username} ({role_label(user.role)})"


def change_label(action: str) -> str:
    return str(CHANGE_LABELS.get(action, action))


def value_label(key: str) -> str:
    return str(VALUE_LABELS.get(key, key))


def shown_value(key: str, value) -> str:
    if value is None:
        return ""
    if key in ("start_on", "end_on"):
        return format_date(date.fromisoformat(value))
    if key == "half_hours":
        return half_hours(value)
    if key == "field_code":
        return localized(FIELD_BY_CODE.get(value)) or value
    if key == "status":
        return entry_status(value)
    return str(value)


FILTERS = {"half_hours": half_hours, "hours_masked": mask_id}
GLOBALS = {"entry_status": entry_status, "year_label": year_label, "month_label": month_label, "who": who,
           "change_label": change_label, "value_label": value_label, "shown_value": shown_value}
