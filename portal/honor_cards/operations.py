"""Honor-card applications, the county's review and the cards: every state change with its audit line.

Each function flushes and never commits (the view commits). Eligibility is decided by rules.py on
the facts that facts.py loads; a card's e-card document is issued through documents.py.
"""
from datetime import date
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal.notifications.events import path_for
from portal.notifications.operations import notify
from portal.notifications.recipients import unit_staff, volunteer_accounts
from portal.platform import audit
from portal.platform.extensions import db
from portal.platform.i18n import hours_text
from portal.platform.numbering import next_in_sequence
from portal.platform.timeutil import utcnow
from portal.platform.uploads import UploadRefused, check_file, store

from .documents import issue_card_document, revoke_card_document
from .facts import eligibility, eligibility_of
from .models import ApplicationStatus, CardKind, CardSource, CardStatus, HonorCard, HonorCardApplication, Venue
from .rules import validity


class HonorCardError(ValueError):
    """The rules refuse the action; str() is the message in the user's language."""


def _user_id(user) -> int | None:
    return getattr(user, "id", None)


def open_application_of(person_id: int):
    return db.session.scalar(select(HonorCardApplication).where(
        HonorCardApplication.person_id == person_id, HonorCardApplication.status == ApplicationStatus.SUBMITTED))


def apply_for(people: list, unit, user, *, on: date, letter=None, note: str = "") -> list:
    """Applications of `unit` for each person (Person objects serving in the unit) eligible on `on`.

    All or nothing: HonorCardError lists every volunteer who cannot be applied for, and why.
    """
    results = eligibility([p.id for p in people], on)
    problems = []
    for person in people:
        result = results.get(person.id)
        if open_application_of(person.id) is not None:
            problems.append(_("%(name)s already has an application waiting for the county.", name=person.name))
        elif result is None or not result.eligible:
            reasons = "; ".join(c.message for c in result.missing) if result else ""
            problems.append(_("%(name)s is not eligible: %(reasons)s", name=person.name, reasons=reasons))
    if problems:
        raise HonorCardError(" ".join(problems))
    applications = []
    for person in people:
        result = results[person.id]
        application = HonorCardApplication(
            person_id=person.id, unit_id=unit.id, kind=result.kind, applied_on=on, applied_by_id=_user_id(user),
            window_start=result.window_start, window_end=result.window_end, half_hours=result.half_hours,
            letter_file_id=getattr(letter, "id", None), note=note or "")
        db.session.add(application)
        applications.append(application)
    db.session.flush()
    for application, person in zip(applications, people, strict=True):
        audit.record("honor_card.apply", application, person=person.id, unit=unit.id, kind=application.kind,
                     window=f"{application.window_start}..{application.window_end}",
                     hours=hours_text(application.half_hours, grouped=False), letter=application.letter_file_id)
    return applications


def store_letter(upload, user):
    """The official letter (公文) sent with the applications: a PDF, or UploadRefused; None when none was sent."""
    if not upload or not getattr(upload, "filename", ""):
        return None
    checked = check_file(upload.filename, upload.read())
    if checked.kind != "pdf":
        raise UploadRefused(checked.display_name, _("The official letter must be a PDF file."))
    return store(checked, "honor_card_letter", user.id)


def cancel_application(application, user):
    if not application.is_open:
        raise HonorCardError(_("Only an application that the county has not reviewed yet can be cancelled."))
    application.status, application.cancelled_at = ApplicationStatus.CANCELLED, utcnow()
    application.cancelled_by_id = _user_id(user)
    db.session.flush()
    audit.record("honor_card.cancel_application", application, person=application.person_id)


def return_application(application, reason: str, user):
    if not application.is_open:
        raise HonorCardError(_("This application has already been decided or cancelled."))
    reason = (reason or "").strip()
    if not reason:
        raise HonorCardError(_("Please give the reason for returning the application."))
    application.status, application.return_reason = ApplicationStatus.RETURNED, reason[:300]
    application.decided_at, application.decided_by_id = utcnow(), _user_id(user)
    db.session.flush()
    audit.record("honor_card.return", application, person=application.person_id, reason=application.return_reason)
    # The volunteer on their card page; the applying unit's staff on the application, where they may apply again.
    params = {"card_kind": application.kind, "reason": application.return_reason}
    notify(volunteer_accounts([application.person_id]), "honor_cards.returned", link=path_for("honor_cards.mine"),
           **params)
    notify(unit_staff([application.unit_id]), "honor_cards.returned",
           link=path_for("honor_cards.show_application", application_id=application.id), **params)


class Decision(StrEnum):
    """The county's decision on an application (the bulk form posts these values as `action`)."""
    APPROVE = "approve"
    RETURN = "return"


DECISIONS = tuple(Decision)


def decide(application, action: str, reason: str, authority, user, *, on: date):
    """Approve (the card, numbered) or return one application; HonorCardError when the rules refuse."""
    if action == Decision.APPROVE:
        return approve_application(application, authority, user, on=on)
    return return_application(application, reason, user)


def decide_applications(applications, action: str, reason: str, authority, user, *, on: date) -> tuple[list, list[str]]:
    """Decide each application in its own savepoint: (what was done, the messages of those refused)."""
    done, refused = [], []
    for application in applications:
        name = application.person.name
        try:
            with db.session.begin_nested():
                done.append(decide(application, action, reason, authority, user, on=on))
        except HonorCardError as exc:
            refused.append(str(exc))
        except (StaleDataError, IntegrityError):
            refused.append(_("%(name)s: someone changed this application at the same moment; reload the queue and "
                             "try again.", name=name))
    return done, refused


def next_card_number(county_code: str, on: date) -> str:
    """HC-<county>-<ROC year>-<6-digit sequence per county and year>, e.g. HC-TPE-115-000001."""
    roc, number = next_in_sequence("honor_card", county_code, on)
    return f"HC-{county_code}-{roc:03d}-{number:06d}"


def latest_card(person_id: int):
    """The person's latest card that is not cancelled (a replaced card counts by its reissue)."""
    return db.session.scalar(select(HonorCard).where(HonorCard.person_id == person_id,
                                                     HonorCard.status == CardStatus.VALID)
                             .order_by(HonorCard.valid_to.desc(), HonorCard.id.desc()).limit(1))


def approve_application(application, authority, user, *, on: date):
    """Approve: re-check eligibility on the application day, number the card and set its validity
    (3 years from the later of today and the previous card's expiry). The caller commits, then
    issues the e-card with documents.issue_documents() (the PDF is rendered outside the transaction)."""
    if not application.is_open:
        raise HonorCardError(_("This application has already been decided or cancelled."))
    result = eligibility_of(application.person_id, application.applied_on)
    if result is None or not result.eligible:
        reasons = "; ".join(c.message for c in result.missing) if result else ""
        raise HonorCardError(_("%(name)s is no longer eligible: %(reasons)s Return the application instead.",
                               name=application.person.name, reasons=reasons))
    previous = latest_card(application.person_id)
    valid_from, valid_to = validity(on, previous.valid_to if previous else None)
    card = HonorCard(person_id=application.person_id, number=next_card_number(authority.county_code, on),
                     kind=CardKind.RENEWAL if previous else CardKind.FIRST, county_code=authority.county_code,
                     authority_id=authority.id, application_id=application.id, approved_on=on,
                     valid_from=valid_from, valid_to=valid_to, window_start=result.window_start,
                     window_end=result.window_end, half_hours=result.half_hours, source=CardSource.APPLICATION,
                     issued_by_id=_user_id(user))
    db.session.add(card)
    application.status, application.decided_at = ApplicationStatus.APPROVED, utcnow()
    application.decided_by_id = _user_id(user)
    application.window_start, application.window_end = result.window_start, result.window_end
    application.half_hours = result.half_hours
    db.session.flush()
    audit.record("honor_card.approve", application, person=application.person_id, card=card.number)
    audit.record("honor_card.issue", card, person=card.person_id, number=card.number, kind=card.kind,
                 valid=f"{card.valid_from}..{card.valid_to}", window=f"{card.window_start}..{card.window_end}",
                 hours=hours_text(card.half_hours or 0, grouped=False))
    notify(volunteer_accounts([card.person_id]), "honor_cards.approved", link=path_for("honor_cards.mine"),
           card_kind=card.kind)
    return card


def cancel_card(card, reason: str, user, *, on: date):
    """註銷: the card stops being valid at once, and so does its verification page."""
    if not card.is_valid:
        raise HonorCardError(_("Only a valid card can be cancelled."))
    reason = (reason or "").strip()
    if not reason:
        raise HonorCardError(_("Please give the reason for cancelling the card."))
    card.status, card.cancelled_on, card.cancel_reason = CardStatus.CANCELLED, on, reason[:300]
    card.cancelled_by_id = _user_id(user)
    db.session.flush()
    audit.record("honor_card.cancel", card, number=card.number, reason=card.cancel_reason)
    revoke_card_document(card, reason, user)


def reissue_card(card, authority, user, *, on: date, render=None):
    """補發: a new card number with the same validity, window and hours; the old card is replaced."""
    if not card.is_valid:
        raise HonorCardError(_("Only a valid card can be reissued."))
    new = HonorCard(person_id=card.person_id, number=next_card_number(card.county_code, on), kind=CardKind.REISSUE,
                    county_code=card.county_code, authority_id=authority.id, approved_on=on,
                    valid_from=card.valid_from, valid_to=card.valid_to, window_start=card.window_start,
                    window_end=card.window_end, half_hours=card.half_hours, replaces_id=card.id, source=CardSource.REISSUE,
                    issued_by_id=_user_id(user))
    card.status = CardStatus.REPLACED
    db.session.add(new)
    db.session.flush()
    audit.record("honor_card.reissue", new, number=new.number, replaces=card.number)
    issue_card_document(new, authority, user, render=render, replaces=card)
    return new


# --- venues ------------------------------------------------------------------------------------

VENUE_FIELDS = ("name", "name_en", "county_code", "address", "discount", "discount_note", "conditions",
                "card_forms", "website", "active")


def save_venue(venue: Venue, values: dict, user, action: str):
    """Write the changed fields (empty texts as ""), with who changed them; the audit line lists old and new."""
    changes = {}
    for key in VENUE_FIELDS:
        new = values[key]
        if isinstance(new, str):
            new = new or ""
        if getattr(venue, key) != new:
            changes[key] = [str(getattr(venue, key)), str(new)]
            setattr(venue, key, new)
    venue.authority_id, venue.updated_by_id = user.authority_id, user.id
    db.session.add(venue)
    db.session.flush()
    audit.record(action, venue, **changes)
