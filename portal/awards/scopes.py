"""Which award rounds, applications and awards a user may see, review or change.

Out-of-scope objects answer 404 exactly like missing ones. A sector authority sees and reviews
the applications of the units it is the sector authority of (Unit.sector_authority_id); the
county reads its units' applications; the ministry sees everything and decides last; a
volunteer reads their own.
"""
from flask import abort
from sqlalchemy import and_, exists, false, or_, select, true

from portal.imports.models import ImportBatch
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.params import id_or_none
from portal.registry.models import Membership, Person, Unit
from portal.registry.scopes import unit_scope, visible_unit_ids

from .importing import IMPORT_KIND
from .importing import ROLES as IMPORTERS
from .labels import NAV
from .models import Award, AwardApplication, AwardRound, AwardStatus, RoundStatus
from .rules import SECTOR_ROLES, Step, may_take, waiting_stage

REVIEWERS = SECTOR_ROLES + (access.MINISTRY,)
REVIEW_READERS = SECTOR_ROLES + (access.COUNTY, access.MINISTRY)
# The steps each reviewing role takes on the applications waiting for it (one by one or ticked in a list).
REVIEW_STEPS = {access.SECTOR_LOCAL: (Step.FORWARD, Step.RETURN), access.SECTOR_CENTRAL: (Step.FORWARD, Step.RETURN),
                access.MINISTRY: (Step.APPROVE, Step.RETURN)}


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
    """Applications this user decides on (at the stage that is theirs: rules.waiting_stage)."""
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


def award_batch_scope(user):
    """Award imports belong to the authority that made them."""
    if user.role in IMPORTERS and user.authority_id:
        return (ImportBatch.authority_id == user.authority_id) & (ImportBatch.kind == IMPORT_KIND)
    return false()


def get_award_batch_or_404(batch_id, user) -> ImportBatch:
    batch_id = id_or_none(batch_id)
    if batch_id is None:
        abort(404)
    batch = db.session.scalar(select(ImportBatch).where(ImportBatch.id == batch_id, award_batch_scope(user)))
    if batch is None:
        abort(404)
    return batch


def open_rounds() -> list[AwardRound]:
    """The rounds units apply in (and authorities enter paper applications in), newest first."""
    return db.session.scalars(select(AwardRound).where(AwardRound.status == RoundStatus.OPEN)
                              .order_by(AwardRound.year.desc(), AwardRound.id.desc())).all()


def applying_round(value) -> AwardRound | None:
    """The open round a form names; None when it is unknown or closed."""
    round_id = id_or_none(value)
    award_round = db.session.get(AwardRound, round_id) if round_id else None
    return award_round if award_round is not None and award_round.is_open else None


def serving_people(unit_id: int, name: str | None = None, ids=None) -> list[Person]:
    """The people currently serving in the unit, by name; optionally only those whose name contains
    `name`, or only the chosen ids (anyone else is left out)."""
    query = (select(Person).join(Membership).where(Membership.unit_id == unit_id, Membership.is_current)
             .distinct().order_by(Person.name, Person.id))
    if name:
        query = query.where(Person.name.contains(name, autoescape=True))
    if ids is not None:
        query = query.where(Person.id.in_(ids))
    return db.session.scalars(query).all()


# --- what each role may do on the award pages ---------------------------------------------------

def nav_items(user) -> list:
    """The awards sub-menu: the items the user's role may open (the eligibility list: unit staff only)."""
    unit_staff = user.role in access.UNIT_STAFF
    return [(endpoint, label) for endpoint, label in NAV
            if access.may_call(endpoint, user.role) and (endpoint != "awards.index" or unit_staff)]


def elsewhere(user) -> str | None:
    """Where /awards/ sends a user who has no eligibility list: volunteers to their awards, authorities to
    the applications; None for unit staff, whose list it is."""
    if user.role == access.VOLUNTEER:
        return "awards.mine"
    if user.role not in access.UNIT_STAFF:
        return "awards.review"
    return None


def review_steps(user) -> tuple:
    """The steps this user takes on the applications waiting for them: forward or return (sector
    authority), approve or return (ministry); none for anyone else."""
    return REVIEW_STEPS.get(user.role, ())


def application_steps(user, application: AwardApplication) -> set:
    """The steps this user may take on this application now: the applying unit's staff withdraw it until
    the sector authority handles it; a reviewer decides on it while it waits at their stage."""
    steps = set()
    if (user.role in access.UNIT_STAFF and user.unit_id == application.unit_id
            and may_take(Step.WITHDRAW, application.status)):
        steps.add(Step.WITHDRAW)
    if application.status == waiting_stage(user.role) and db.session.scalar(select(AwardApplication.id).where(
            AwardApplication.id == application.id, review_scope(user))) is not None:
        steps.update(review_steps(user))
    return steps


def may_revoke(user, award: Award) -> bool:
    """Only the ministry revokes, and only a valid award."""
    return user.role == access.MINISTRY and award.status == AwardStatus.VALID
