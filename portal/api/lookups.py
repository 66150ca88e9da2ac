"""Status lookups for partner systems (docs/rules/api.md#api4): a volunteer's standing within the client's
area, and the machine verification of an issued document. Facts come from the features' own facts
functions, the same ones their pages use; nothing here decides a rule of its own."""
from datetime import date

from flask import current_app
from sqlalchemy import select

from portal.credentials.verify import credential_status
from portal.documents.scopes import document_by_token
from portal.documents.verification import public_facts
from portal.honor_cards.models import CardStatus, HonorCard
from portal.insurance.facts import cover_of
from portal.platform.extensions import db
from portal.registry import scopes as registry_scopes
from portal.registry.identity import mask_id, mask_name, normalise
from portal.registry.models import Membership, Person, Unit
from portal.training import facts as training_facts
from portal.training.rules import special_status

from .auth import Caller
from .problems import Problem


def person_in_area(national_id: str, caller: Caller) -> Person:
    """The person with this identity number serving in the client's area; 404 otherwise, the same answer as
    for a number nobody has (docs/rules/api.md#api3)."""
    number = normalise(national_id)[:20]
    person = db.session.scalar(select(Person).where(Person.id_number == number,
                                                    registry_scopes.person_scope(caller.user))) if number else None
    if person is None:
        raise Problem(404, "not_found")
    return person


def volunteer_status(person: Person, caller: Caller, today: date) -> dict:
    """Active memberships in the area, training complete per field, record book, insured today, honor card
    valid today. No hours, no contact data, the identity number and name masked."""
    memberships = db.session.execute(
        select(Membership, Unit.code).join(Unit, Unit.id == Membership.unit_id)
        .where(Membership.person_id == person.id, Membership.is_current, caller.unit_condition)
        .order_by(Membership.joined_on, Membership.id)).all()
    basic_from, special_from, books = training_facts.training_status([person.id])
    book = books.get(person.id)
    basic = basic_from.get(person.id)
    fields = sorted({m.field_code for m, _code in memberships})
    training = []
    for field_code in fields:
        special = special_status(field_code, special_from.get((person.id, field_code)), book)
        start = special["start"]
        training.append({"field_code": field_code,
                         "basic_complete": basic is not None and basic <= today,
                         "special_complete": start is not None and start <= today,
                         "special_by_record_book": bool(special["by_book"])})
    card = db.session.scalar(select(HonorCard.id).where(
        HonorCard.person_id == person.id, HonorCard.status == CardStatus.VALID,
        HonorCard.valid_from <= today, HonorCard.valid_to >= today).limit(1))
    return {
        "national_id_masked": mask_id(person.id_number),
        "name_masked": mask_name(person.name),
        "as_of": today,
        "memberships": [{"unit_code": code, "field_code": m.field_code, "status": m.status,
                         "joined_on": m.joined_on} for m, code in memberships],
        "training": training,
        "record_book": {"holds": book is not None, "issued_on": book[0] if book else None},
        "insured_today": bool(cover_of(person.id, today)),
        "honor_card_valid": card is not None,
    }


def document_status(token: str, today: date) -> dict:
    """What the public verification page says of a document, as data (docs/rules/certificates.md#v2)."""
    document = document_by_token(token) if len(token) <= 64 else None
    if document is None:
        raise Problem(404, "not_found")
    facts = public_facts(document, today)
    result = {"state": str(facts["state"]), "kind": document.kind, "masked_name": facts["masked_name"],
              "issuer": facts["issuer"], "valid_from": facts["valid_from"], "valid_to": facts["valid_to"],
              "first_issued_on": facts["first_issued_on"], "generated_on": facts["generated_on"],
              "revoked_on": facts["revoked_on"], "superseded_on": facts["superseded_on"]}
    # The document's verifiable credential (docs/rules/credentials.md#vc7), checked as POST /verify/credential
    # checks it; null for a document issued before the credentials existed. portal.credentials sits below the API's
    # floor, so it is imported here directly; the shape is schemas.CredentialStatusSchema.
    result["credential_status"] = credential_status(document)
    return result


def verify_limit() -> str:
    return current_app.config["API_VERIFY_RATE_LIMIT"]
