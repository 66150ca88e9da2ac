"""Words and badges the award pages show for rounds, deadlines and statuses (no database)."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from portal.platform.i18n import year_label

from .models import (
    APPLICATION_STATUS_LABELS,
    AWARD_STATUS_LABELS,
    SCHEME_LABELS,
    ApplicationStatus,
    AwardRound,
    AwardStatus,
)

# The awards sub-menu, in order; scopes.nav_items keeps the items the user may open.
NAV = [("awards.mine", _l("My awards")), ("awards.index", _l("Apply for awards")),
       ("awards.review", _l("Applications")), ("awards.paper", _l("Paper applications")),
       ("awards.rounds", _l("Award rounds")), ("awards.channels_latest", _l("Online and paper applications")),
       ("awards.other_import", _l("Import award data"))]

APPLICATION_BADGES = {ApplicationStatus.SUBMITTED: "badge-pending", ApplicationStatus.FORWARDED: "badge-pending",
                      ApplicationStatus.APPROVED: "badge-valid", ApplicationStatus.RETURNED: "badge-rejected",
                      ApplicationStatus.WITHDRAWN: "badge-superseded"}


def round_label(award_round: AwardRound) -> str:
    """The year (ROC on Chinese pages: 115年度) and the scheme."""
    return f"{year_label(award_round.year)} {SCHEME_LABELS.get(award_round.scheme, '')}"


def deadline_note(day, today) -> str:
    if day is None:
        return ""
    days = (day - today).days
    if days < 0:
        return _("deadline passed")
    if days == 0:
        return _("ends today")
    return ngettext("%(num)d day left", "%(num)d days left", days)


def application_badge(status: str) -> str:
    return APPLICATION_BADGES.get(status, "")


def application_status_label(status: str) -> str:
    return str(APPLICATION_STATUS_LABELS.get(status, status))


def award_badge(status: str) -> str:
    return "badge-valid" if status == AwardStatus.VALID else "badge-revoked"


def award_status_label(status: str) -> str:
    return str(AWARD_STATUS_LABELS.get(status, status))
