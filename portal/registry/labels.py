"""Translated labels for codes stored in the database (roles, statuses, sectors, sex)."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.platform import access
from portal.platform.i18n import localized

from .catalog import COUNTY_BY_CODE, FIELD_BY_CODE
from .models import MembershipStatus

ROLE_LABELS = {
    access.VOLUNTEER: _l("Volunteer"),
    access.UNIT_CLERK: _l("Unit clerk"),
    access.UNIT_SUPERVISOR: _l("Volunteer supervisor"),
    access.SECTOR_LOCAL: _l("Local sector authority"),
    access.COUNTY: _l("County authority"),
    access.SECTOR_CENTRAL: _l("Central sector authority"),
    access.MINISTRY: _l("Ministry"),
    access.ADMIN: _l("System administrator"),
}
STATUS_LABELS = {MembershipStatus.ACTIVE: _l("Serving"), MembershipStatus.PAUSED: _l("Paused"),
                 MembershipStatus.TRAINEE: _l("Trainee"), MembershipStatus.LEFT: _l("Left")}
SECTOR_LABELS = {"public": _l("Public sector"), "private": _l("Private sector")}
SEX_LABELS = {"F": _l("Female"), "M": _l("Male"), "X": _l("Other")}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def sector_label(sector: str) -> str:
    return str(SECTOR_LABELS.get(sector, sector))


def sex_label(sex: str | None) -> str:
    return str(SEX_LABELS.get(sex, _("Not given"))) if sex else _("Not given")


def field_entry(code: str):
    return FIELD_BY_CODE.get(code)


def scope_label(user) -> str:
    """What the account can see, in words: its unit, county, field or the whole country."""
    if user.unit is not None:
        return localized(user.unit)
    if user.authority is not None:
        return localized(user.authority)
    if user.role == access.VOLUNTEER:
        return _("My own record")
    return _("Accounts and settings")


JINJA_GLOBALS = {
    "role_label": role_label, "status_label": status_label, "sector_label": sector_label,
    "sex_label": sex_label, "field_entry": field_entry, "scope_label": scope_label,
    "county_entry": COUNTY_BY_CODE.get,
}
