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


# parameter name -> function(world) -> {"A"|"B"|"C": id of an object belonging to that unit}
OBJECTS = {
    "person_id": person_ids,
    "membership_id": membership_ids,
    "unit_id": unit_ids,
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
