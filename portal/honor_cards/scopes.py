"""Which applications, cards, venues and import batches a user may see or change.

Out-of-scope objects answer 404 exactly like missing ones; a write loader refuses (404) objects
that the user may read but not change.
"""
from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, false, or_, select, true

from portal.imports.models import ImportBatch
from portal.platform import access
from portal.platform.extensions import db
from portal.registry.models import Membership, Person, Unit
from portal.registry.scopes import visible_unit_ids, writable_unit_ids

from .models import HonorCard, HonorCardApplication, Venue

IMPORT_KIND = "honor_cards"
VENUE_IMPORT_KIND = "honor_card_venues"
VENUE_KEEPERS = (access.COUNTY, access.MINISTRY)

NAV = [("honor_cards.mine", _l("My honor card")), ("honor_cards.eligibility", _l("Who is eligible")),
       ("honor_cards.applications", _l("Applications")), ("honor_cards.review", _l("Review queue")),
       ("honor_cards.cards", _l("Issued cards")), ("honor_cards.import_upload", _l("Import honor-card data")),
       ("honor_cards.venues", _l("Venues and discounts"))]


def nav_items(user) -> list:
    """The honor-card sub-menu: only the items the user's role may open (the import: counties only)."""
    return [(endpoint, label) for endpoint, label in NAV if access.may_call(endpoint, user.role)]


def start_endpoint(user) -> str:
    """Each role starts where its work is: volunteers at their card, unit staff at the eligibility list,
    counties at the review queue, other authorities at the applications, anyone else at the venues."""
    if user.role == access.VOLUNTEER:
        return "honor_cards.mine"
    if user.role in access.UNIT_STAFF:
        return "honor_cards.eligibility"
    if user.role == access.COUNTY:
        return "honor_cards.review"
    if user.role in access.RECORD_READERS:
        return "honor_cards.applications"
    return "honor_cards.venues"


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


def may_apply(user) -> bool:
    """Unit staff apply, for volunteers serving in their own unit; authorities choose a unit to look at."""
    return user.role in access.UNIT_STAFF


def listed_unit(user, units: list, chosen: str | None):
    """The unit whose eligibility list is shown: unit staff their own, others the visible unit they chose."""
    if may_apply(user):
        return user.unit
    return next((u for u in units if str(u.id) == (chosen or "")), None)


def unit_people(user, person_ids) -> list:
    """Of these people, those that currently serve in the user's unit (others are ignored)."""
    return db.session.scalars(select(Person).join(Membership).where(
        Person.id.in_(person_ids), Membership.unit_id == user.unit_id, Membership.is_current)
        .distinct().order_by(Person.name, Person.id)).all()


def may_cancel(user, application) -> bool:
    """The applying unit's staff cancel an application until the county has reviewed it."""
    return application.is_open and may_apply(user) and application.unit_id == user.unit_id


def may_review(user, application) -> bool:
    """The county authority of the applying unit decides an open application."""
    return application.is_open and db.session.scalar(select(HonorCardApplication.id).where(
        HonorCardApplication.id == application.id, reviewable_scope(user))) is not None


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


def may_change_card(user, card) -> bool:
    """Only the county that issued a valid card cancels or reissues it."""
    county = _county(user)
    return card.is_valid and county is not None and county == card.county_code


def keeps_venues(user) -> bool:
    return user.is_authenticated and user.role in VENUE_KEEPERS


def venue_county(user) -> str | None:
    """The one county whose venues a county authority keeps; None for the ministry (every county)."""
    return None if user.role == access.MINISTRY else user.authority.county_code


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


def venue_batch_scope(user):
    """Venue imports belong to the authority (ministry or county) that made them; the ministry, whose scope is the
    whole country, also sees the counties' imports."""
    if user.role == access.MINISTRY:
        return ImportBatch.kind == VENUE_IMPORT_KIND
    if user.role in VENUE_KEEPERS and user.authority_id:
        return (ImportBatch.authority_id == user.authority_id) & (ImportBatch.kind == VENUE_IMPORT_KIND)
    return false()


def get_venue_batch_or_404(batch_id: int, user) -> ImportBatch:
    batch = db.session.scalar(select(ImportBatch).where(ImportBatch.id == batch_id, venue_batch_scope(user)))
    if batch is None:
        abort(404)
    return batch
