"""Registering volunteers and their memberships, with an audit row for each change."""
from datetime import date

from sqlalchemy import select

from portal.platform import audit
from portal.platform.extensions import db
from .identity import mask_id
from .models import Membership, Person

PERSON_FIELDS = ("name", "name_latin", "id_kind", "id_number", "sex", "birth_date", "phone", "email", "address")


def _shown(key: str, value) -> str:
    """How a value goes into the audit trail: IDs masked, everything else as text."""
    if value is None:
        return ""
    return mask_id(value) if key == "id_number" else str(value)


def find_person_by_id_number(number: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.id_number == number))


def register_person(values: dict) -> Person:
    person = Person(**{k: values.get(k) or ("" if k in ("name_latin", "phone", "email", "address") else None)
                       for k in PERSON_FIELDS})
    db.session.add(person)
    db.session.flush()
    audit.record("person.create", person, **{k: _shown(k, getattr(person, k)) for k in PERSON_FIELDS})
    return person


def update_person(person: Person, values: dict) -> dict:
    """Apply changed values; returns {field: (old, new)} (masked) and writes one audit row."""
    changes = {}
    for key in PERSON_FIELDS:
        if key in values and getattr(person, key) != values[key]:
            changes[key] = [_shown(key, getattr(person, key)), _shown(key, values[key])]
            setattr(person, key, values[key])
    if changes:
        db.session.flush()
        audit.record("person.update", person, **changes)
    return changes


def add_membership(person: Person, unit_id: int, field_code: str, joined_on: date, status: str) -> Membership:
    membership = Membership(person=person, unit_id=unit_id, field_code=field_code, joined_on=joined_on, status=status)
    db.session.add(membership)
    db.session.flush()
    audit.record("membership.create", membership, person_id=person.id, unit_id=unit_id, field=field_code,
                 joined_on=joined_on, status=status)
    return membership


def end_membership(membership: Membership, left_on: date):
    membership.left_on = left_on
    membership.status = "left"
    db.session.flush()
    audit.record("membership.end", membership, person_id=membership.person_id, unit_id=membership.unit_id,
                 left_on=left_on)


def has_current_membership(person: Person, unit_id: int) -> bool:
    return any(m.unit_id == unit_id and m.is_current for m in person.memberships)


def log_id_reveal(person: Person, purpose: str):
    audit.record("person.reveal_id", person, purpose=purpose)
