"""Template helpers of the hours screens: hours, statuses, ROC years and months, history values.

They are app-wide template names: the volunteer pages and the record book use them too."""
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.platform.i18n import format_date, hours_text, localized
from portal.registry.catalog import FIELD_BY_CODE
from portal.registry.identity import mask_id
from portal.registry.labels import role_label

from .models import ChangeAction, EntryStatus

ENTRY_STATUS = {EntryStatus.ACTIVE: _l("Counted"), EntryStatus.PENDING: _l("Claim pending"),
                EntryStatus.DECLINED: _l("Claim declined"), EntryStatus.VOID: _l("Voided")}
CHANGE_LABELS = {ChangeAction.CORRECT: _l("Corrected"), ChangeAction.VOID: _l("Voided"),
                 ChangeAction.APPROVE: _l("Claim approved"), ChangeAction.DECLINE: _l("Claim declined"),
                 ChangeAction.RESTORE: _l("Void undone, counted again")}
VALUE_LABELS = {"start_on": _l("Service date"), "end_on": _l("Until"), "half_hours": _l("Hours"),
                "field_code": _l("Service field"), "content": _l("Service content"),
                "persons_served": _l("Persons served"), "status": _l("Status")}

# Hour totals per year read "ROC year 115 (2026)" in Chinese, months "115/10".


def entry_status(status: str) -> str:
    return str(ENTRY_STATUS.get(status, status))


def who(user) -> str:
    """The person who entered or changed a row; rows written by an import run on the server have none."""
    if user is None:
        return _("an import file")
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
        return hours_text(value)
    if key == "field_code":
        return localized(FIELD_BY_CODE.get(value)) or value
    if key == "status":
        return entry_status(value)
    return str(value)


FILTERS = {"hours_masked": mask_id}
GLOBALS = {"entry_status": entry_status, "who": who,
           "change_label": change_label, "value_label": value_label, "shown_value": shown_value}
