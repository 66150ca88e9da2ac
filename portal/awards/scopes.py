"""Which award rounds, applications and awards a user may see, review or change.

Out-of-scope objects answer 404 exactly like missing ones. A sector authority sees and reviews
the applications of the units it is the sector authority of (Unit.sector_authority_id); the
county reads its units' applications; the ministry sees everything and decides last; a
volunteer reads their own.
"""
from flask import abort
from sqlalchemy import and_, exists, false, or_, select, true

from portal.platform import access
from portal.platform.extensions import db
from portal.registry.models import Unit
from portal.registry.scopes import unit_scope, visible_unit_ids
from portal.registry.models import Membership
from .models import Award, AwardApplication, AwardRound

SECTOR_ROLES = (access.SECTOR_LOCAL, access.SECTOR_CENTRAL)
REVIEWERS = SECTOR_ROLES + (access.MINISTRY,)


def reviewed_units(user):
    """Units whose applications this sector authority checks and forwards to the ministry.

    Units without a local sector authority go to the central authority of their field (Act Art. 4).
    """
    authority = getattr(user, "authority", None)
    if user.role not in SECTOR_ROLES or authority is None:
        return false()
    mine = Unit.sector_authority_id == authority.id
    if user.role == access.SECTOR_CENTRAL:
        return or_(mine, and_(Unit.sector_authority_id.is_(None), Unit.field_code == authority.field_code))
    return mine


def reviewed_unit_ids(user):
    return select(Unit.id).where(reviewed_units(user))


def application_scope(user):
    role = user.role
    if role == access.VOLUNTEER:
        return AwardApplication.person_id == user.person_id if user.person_id else false()
    if role in access.UNIT_STAFF:
        return AwardApplication.unit_id == user.unit_id
    if role in SECTOR_ROLES:
        return AwardApplication.unit_id.in_(reviewed_unit_ids(user))
    if role == access.COUNTY:
        return AwardApplication.unit_id.in_(select(Unit.id).where(unit_scope(user)))
    if role == access.MINISTRY:
        return true()
    return false()


def review_scope(user):
    """Applications this user decides on (at the stage that is theirs: see views.stage_of)."""
    if user.role in SECTOR_ROLES or user.role == access.MINISTRY:
        return application_scope(user)
    return false()


def get_application_or_404(application_id: int, user, for_write: bool = False,
                           for_review: bool = False) -> AwardApplication:
    """for_write: the applying unit's staff; for_review: the sector authority or the ministry."""
    if for_review:
        condition = review_scope(user)
    elif for_write:
        condition = AwardApplication.unit_id == user.unit_id if user.role in access.UNIT_STAFF else false()
    else:
        condition = application_scope(user)
    application = db.session.scalar(select(AwardApplication).where(AwardApplication.id == application_id,
                                                                   condition))
    if application is None:
        abort(404)
    return application


def round_scope(user):
    """Rounds are kept by the ministry only."""
    return true() if user.role == access.MINISTRY else false()


def get_round_or_404(round_id: int, user) -> AwardRound:
    award_round = db.session.scalar(select(AwardRound).where(AwardRound.id == round_id, round_scope(user)))
    if award_round is None:
        abort(404)
    return award_round


def award_scope(user):
    """The volunteer's own awards; awards of people serving in a visible unit; all for the ministry."""
    if user.role == access.VOLUNTEER:
        return Award.person_id == user.person_id if user.person_id else false()
    if user.role == access.MINISTRY:
        return true()
    if user.role not in access.RECORD_READERS:
        return false()
    return exists().where(Membership.person_id == Award.person_id, Membership.unit_id.in_(visible_unit_ids(user)))


def get_award_or_404(award_id: int, user, for_write: bool = False) -> Award:
    """for_write: only the ministry revokes awards."""
    condition = (true() if user.role == access.MINISTRY else false()) if for_write else award_scope(user)
    award = db.session.scalar(select(Award).where(Award.id == award_id, condition))
    if award is None:
        abort(404)
    return award
