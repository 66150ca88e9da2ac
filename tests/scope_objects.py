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


def _training(w):
    """Per unit: a special-training record with a certificate file, and a lost-certificate case (made once)."""
    if not hasattr(w, "training"):
        import io
        from datetime import date

        from PIL import Image

        from portal.training.operations import attach_files, create_record, file_case
        from portal.uploads import check_file, store
        image = io.BytesIO()
        Image.new("RGB", (40, 30), "white").save(image, "PNG")
        w.training = {}
        for key, person in (("A", w.people["a"]), ("B", w.people["b"]), ("C", w.people["canary"])):
            unit = w.units[key]
            record = create_record(person, unit.id, {"kind": "special", "field_code": unit.field_code,
                                                     "course_name": "特殊訓練", "completed_on": date(2024, 1, 5)}, None)
            stored = store(check_file("證書.png", image.getvalue()), "training_certificate", None)
            attach_files(record, [stored], None)
            case = file_case(person, unit.id, {"kind": "basic", "evidence": "roster"}, None)
            w.training[key] = {"training_id": record.id, "training_file_id": stored.id, "lost_case_id": case.id}
        db.session.commit()
    return w.training


def training_ids(name):
    return lambda w: {key: ids[name] for key, ids in _training(w).items()}


def user_ids(w):
    """Accounts of each unit (admin screens: only the system admin may open any of them)."""
    from portal.auth.operations import create_user
    if "clerk_c" not in w.users:
        w.users["clerk_c"] = create_user("clerk.c", "not-used-password", "unit_clerk", unit_id=w.units["C"].id)
        db.session.commit()
    return {"A": w.users["clerk_a"].id, "B": w.users["clerk_b"].id, "C": w.users["clerk_c"].id}


# parameter name -> function(world) -> {"A"|"B"|"C": id of an object belonging to that unit}
OBJECTS = {
    "person_id": person_ids,
    "membership_id": membership_ids,
    "unit_id": unit_ids,
    "training_id": training_ids("training_id"),
    "training_file_id": training_ids("training_file_id"),
    "lost_case_id": training_ids("lost_case_id"),
    "entry_id": hour_entry_ids,
    "batch_id": import_batch_ids,
    "user_id": user_ids,
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

# Exceptions by URL parameter: the system admin manages every account but sees no volunteer data.
FOREIGN_BY_PARAM = {("admin", "user_id"): set()}


def foreign(persona: str, params) -> set:
    for name in params:
        if (persona, name) in FOREIGN_BY_PARAM:
            return FOREIGN_BY_PARAM[(persona, name)]
    return FOREIGN[persona]
