"""Translated labels of the unit registration templates."""
from flask_babel import lazy_gettext as _l

from .models import ApplicationStatus

STATUS_LABELS = {ApplicationStatus.SUBMITTED: _l("Waiting for a decision"), ApplicationStatus.APPROVED: _l("Approved"),
                 ApplicationStatus.RETURNED: _l("Returned")}


def registration_status(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))
