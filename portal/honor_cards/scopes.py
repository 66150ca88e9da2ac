"""Which applications, cards, venues and import batches a user may see or change.

Out-of-scope objects answer 404 exactly like missing ones; a write loader refuses (404) objects
that the user may read but not change.
"""
from flask import abort
from sqlalchemy import exists, false, or_, select, true

from portal.platform import access
from portal.platform.extensions import db
from portal.imports.models import ImportBatch
from portal.registry.models import Unit
from portal.registry.scopes import visible_unit_ids, writable_unit_ids
from portal.registry.models import Membership
from .models import HonorCard, HonorCardApplication, Venue

IMPORT_KIND = "honor_cards"


def _county(user) -> str | None:
    authority = getattr(user, "authority", None)
    return authority.county_code if user.role == access.COUNTY and authority is not None else None


def application_scope(user):
    """Units' staff see their unit's applications; authorities those of the units they oversee."""
    if user.role in access.RECORD_READERS:
        return HonorCardApplication.unit_id.in_(visible_unit_ids(user))
    return false()


def reviewable_scope(user):
    """Only the county authority of the applying unit decides."""
    county = _county(user)
    if county is None:
        return false()
    return HonorCardApplication.unit_id.in_(select(Unit.id).where(Unit.county_code == county))


def get_application_or_404(application_id: int, user, for_write: bool = False,
                           for_review: bool = False) -> HonorCardApplication:
    if for_review:
        condition = reviewable_scope(user)
    elif for_write:
        condition = HonorCardApplication.unit_id.in_(writable_unit_ids(user))
    else:
        condition = application_scope(user)
    application = db.session.scalar(select(HonorCardApplication).where(
        HonorCardApplication.id == application_id, condition))
    if application is None:
        abort(404)
    return application


def card_scope(user):
    """The volunteer's own cards; cards of people serving in a visible unit; a county's own cards."""
    if user.role == access.VOLUNTEER:
        return HonorCard.person_id == user.person_id if user.person_id else false()
    if user.role == access.MINISTRY:
        return true()
    if user.role not in access.RECORD_READERS:
        return false()
    serving = exists().where(Membership.person_id == HonorCard.person_id,
                             Membership.unit_id.in_(visible_unit_ids(user)))
    county = _county(user)
    return or_(serving, HonorCard.county_code == county) if county else serving


def get_card_or_404(card_id: int, user, for_write: bool = False) -> HonorCard:
    """for_write: only the county authority that issued the card may change it."""
    if for_write:
        county = _county(user)
        condition = HonorCard.county_code == county if county else false()
    else:
        condition = card_scope(user)
    card = db.session.scalar(select(HonorCard).where(HonorCard.id == card_id, condition))
    if card is None:
        abort(404)
    return card


def venue_write_scope(user):
    """The ministry keeps every venue; a county those in its own county."""
    if user.role == access.MINISTRY:
        return true()
    county = _county(user)
    return Venue.county_code == county if county else false()


def get_venue_or_404(venue_id: int, user) -> Venue:
    venue = db.session.scalar(select(Venue).where(Venue.id == venue_id, venue_write_scope(user)))
    if venue is None:
        abort(404)
    return venue


def card_batch_scope(user):
    """Honor-card imports belong to the county authority that made them."""
    if user.role == access.COUNTY and user.authority_id:
        return (ImportBatch.authority_id == user.authority_id) & (ImportBatch.kind == IMPORT_KIND)
    return false()


def get_card_batch_or_404(batch_id: int, user) -> ImportBatch:
    batch = db.session.scalar(select(ImportBatch).where(ImportBatch.id == batch_id, card_batch_scope(user)))
    if batch is None:
        abort(404)
    return batch
