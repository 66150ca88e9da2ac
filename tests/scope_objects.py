"""For every integer URL parameter, the objects that belong to each scope of the test world.

The access matrix (tests/test_access.py) uses this to call every route with an object inside
and outside each role's scope. A route whose parameter is missing here fails the matrix test:
register new parameters with the ids of one object per unit ("A", "B", "C") and per person
("person:a", "person:b", "person:canary") where that makes sense.
"""
from portal.extensions import db
from portal.volunteers.models import Membership


def _membership_of(person, unit):
    return db.session.scalar(db.select(Membership.id).where(Membership.person_id == person.id,
                                                            Membership.unit_id == unit.id))


def person_ids(w):
    return {"A": w.people["a"].id, "B": w.people["b"].id, "C": w.people["canary"].id}


def membership_ids(w):
    return {"A": _membership_of(w.people["a"], w.units["A"]), "B": _membership_of(w.people["b"], w.units["B"]),
            "C": _membership_of(w.people["canary"], w.units["C"])}


def unit_ids(w):
    return {key: unit.id for key, unit in w.units.items()}


def hour_entry_ids(w):
    from datetime import date

    from portal.hours.models import HourEntry
    entries = {key: HourEntry(person_id=w.people[p].id, unit_id=w.units[key].id, start_on=date(2025, 3, 5),
                              end_on=date(2025, 3, 5), half_hours=6, field_code=w.units[key].field_code)
               for key, p in (("A", "a"), ("B", "b"), ("C", "canary"))}
    db.session.add_all(entries.values())
    db.session.commit()
    return {key: e.id for key, e in entries.items()}


def import_batch_ids(w):
    from portal.imports.models import ImportBatch
    batches = {key: ImportBatch(kind="hours", scope_key=f"unit:{unit.id}", unit_id=unit.id, sha256=key * 64)
               for key, unit in w.units.items()}
    db.session.add_all(batches.values())
    db.session.commit()
    return {key: b.id for key, b in batches.items()}


# parameter name -> function(world) -> {"A"|"B"|"C": id of an object belonging to that unit}
OBJECTS = {
    "person_id": person_ids,
    "membership_id": membership_ids,
    "unit_id": unit_ids,
    "entry_id": hour_entry_ids,
    "batch_id": import_batch_ids,
}

# Which units' objects each persona may NOT reach (the volunteer is person "a", who serves in A).
FOREIGN = {
    "clerk_a": {"B", "C"},
    "supervisor_a": {"B", "C"},
    "clerk_b": {"A", "C"},
    "county_tpe": {"C"},
    "county_khh": {"A", "B"},
    "sector_local": {"B", "C"},
    "sector_central": {"A", "C"},
    "ministry": set(),
    "admin": {"A", "B", "C"},
    "volunteer": {"B", "C"},
}
