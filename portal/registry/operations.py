"""Creating units and finding (or creating) the authority that anchors a role's scope.

Registering volunteers and their memberships, with an audit row for each change.
"""
import json
from datetime import date

from sqlalchemy import select

from portal.platform import audit
from portal.platform.audit import AuditLog
from portal.platform.extensions import db

from .catalog import COUNTIES, COUNTY_BY_CODE, FIELD_BY_CODE
from .identity import mask_id
from .models import Authority, AuthorityKind, Membership, MembershipStatus, Person, Unit, UnitField

MINISTRY_NAME = ("衛生福利部", "Ministry of Health and Welfare")


def reference_authorities() -> list[dict]:
    """The ministry and the 22 county/city governments, present in every database."""
    rows = [{"kind": "ministry", "name": MINISTRY_NAME[0], "name_en": MINISTRY_NAME[1],
             "county_code": None, "field_code": None}]
    rows += [{"kind": "county", "name": f"{c.name}政府", "name_en": f"{c.name_en} Government",
              "county_code": c.code, "field_code": None} for c in COUNTIES]
    return rows


def seed_reference_data():
    existing = {(a.kind, a.county_code) for a in db.session.scalars(select(Authority))}
    for row in reference_authorities():
        if (row["kind"], row["county_code"]) not in existing:
            db.session.add(Authority(**row))
    db.session.flush()


def authority_for(kind: str, county_code: str | None, field_code: str | None) -> Authority:
    """The authority of `kind` for the county and/or field; sector authorities are created on first use."""
    if kind == AuthorityKind.MINISTRY:
        county_code = field_code = None
    elif kind == AuthorityKind.COUNTY:
        field_code = None
    elif kind == AuthorityKind.SECTOR_CENTRAL:
        county_code = None
    found = db.session.scalar(select(Authority).where(
        Authority.kind == kind, Authority.county_code.is_(county_code) if county_code is None
        else Authority.county_code == county_code,
        Authority.field_code.is_(field_code) if field_code is None else Authority.field_code == field_code))
    if found:
        return found
    if kind in ("ministry", "county"):
        seed_reference_data()
        return authority_for(kind, county_code, field_code)
    field = FIELD_BY_CODE[field_code]
    if kind == AuthorityKind.SECTOR_LOCAL:
        county = COUNTY_BY_CODE[county_code]
        name, name_en = f"{county.name}{field.name}主管機關", f"{county.name_en} {field.name_en} Authority"
    else:
        name, name_en = f"中央{field.name}主管機關", f"Central {field.name_en} Authority"
    authority = Authority(kind=kind, name=name, name_en=name_en, county_code=county_code, field_code=field_code)
    db.session.add(authority)
    db.session.flush()
    return authority


def create_unit(code, name, county_code, field_code, sector, name_en="", extra_fields=()) -> Unit:
    """A using unit, its sector authority (local for the county and field) and further fields."""
    unit = Unit(code=code, name=name, name_en=name_en, county_code=county_code, field_code=field_code,
                sector=sector, sector_authority=authority_for("sector_local", county_code, field_code))
    unit.extra_fields = [UnitField(field_code=f) for f in dict.fromkeys(extra_fields) if f != field_code]
    db.session.add(unit)
    db.session.flush()
    return unit


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
    """End a membership; the audit row keeps the status and leaving date before, so that
    `undo_end_membership` can put them back within the undo window (docs/rules/platform.md#pl9)."""
    status_before, left_on_before = membership.status, membership.left_on
    membership.left_on = left_on
    membership.status = MembershipStatus.LEFT
    db.session.flush()
    audit.record("membership.end", membership, person_id=membership.person_id, unit_id=membership.unit_id,
                 left_on=left_on, status_before=status_before, left_on_before=left_on_before)


def serves_there_again(membership: Membership) -> bool:
    """The volunteer has another current membership in the same unit and field (joined again after this one
    ended): undoing this end would give two."""
    return any(m.id != membership.id and m.unit_id == membership.unit_id and m.field_code == membership.field_code
               and m.is_current for m in membership.person.memberships)


def last_end(membership: Membership) -> AuditLog | None:
    """The audit row of the membership's end when that end is the membership's latest end-or-undo and the
    membership is still ended, else None (one indexed read: audit_log by object)."""
    if membership.status != MembershipStatus.LEFT:
        return None
    row = db.session.scalar(
        select(AuditLog).where(AuditLog.object_type == "Membership", AuditLog.object_id == membership.id,
                               AuditLog.action.in_(("membership.end", "membership.end_undo")))
        .order_by(AuditLog.id.desc()).limit(1))
    return row if row is not None and row.action == "membership.end" else None


def undo_end_membership(membership: Membership, ended: AuditLog):
    """Take back an end (`ended`, from `last_end`): the membership is current again with its status and leaving
    date from before; the end's audit row stays and this undo writes its own."""
    before = json.loads(ended.detail)
    membership.status = before.get("status_before") or MembershipStatus.ACTIVE
    membership.left_on = date.fromisoformat(before["left_on_before"]) if before.get("left_on_before") else None
    db.session.flush()
    audit.record("membership.end_undo", membership, person_id=membership.person_id, unit_id=membership.unit_id,
                 undoes=ended.id, left_on_undone=before.get("left_on"), status=membership.status)


def has_current_membership(person: Person, unit_id: int) -> bool:
    return any(m.unit_id == unit_id and m.is_current for m in person.memberships)


def log_id_reveal(person: Person, purpose: str):
    audit.record("person.reveal_id", person, purpose=purpose)


def lock_people(person_ids):
    """Serialise writers per volunteer so two requests cannot both pass the 24-hour check.

    SQLite already holds the write lock (BEGIN IMMEDIATE); PostgreSQL locks the people rows.
    """
    ids = sorted(set(person_ids))
    if ids and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Person.id).where(Person.id.in_(ids)).order_by(Person.id).with_for_update())
