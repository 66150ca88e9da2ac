"""Which unit applications an authority sees and decides (docs/rules/unit-registration.md#ur2): a county those
of its county, a local sector authority those of its county whose main field is its field. Outside that an
application answers 404 exactly like one that does not exist."""
from flask import abort
from sqlalchemy import and_, false, select

from portal.platform import access
from portal.platform.extensions import db

from .models import UnitApplication


def application_scope(user):
    """A SQL condition on UnitApplication mirroring rules.may_decide."""
    authority = getattr(user, "authority", None)
    role = getattr(user, "role", access.ANONYMOUS)
    if authority is None or authority.county_code is None:
        return false()
    if role == access.COUNTY:
        return UnitApplication.county_code == authority.county_code
    if role == access.SECTOR_LOCAL and authority.field_code:
        return and_(UnitApplication.county_code == authority.county_code,
                    UnitApplication.field_code == authority.field_code)
    return false()


def get_application_or_404(application_id: int, user) -> UnitApplication:
    application = db.session.scalar(select(UnitApplication).where(UnitApplication.id == application_id,
                                                                  application_scope(user)))
    if application is None:
        abort(404)
    return application
