"""Creating units and finding (or creating) the authority that anchors a role's scope."""
from sqlalchemy import select

from portal.platform.extensions import db
from .catalog import COUNTIES, COUNTY_BY_CODE, FIELD_BY_CODE
from .models import Authority, Unit, UnitField

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
    if kind == "ministry":
        county_code = field_code = None
    elif kind == "county":
        field_code = None
    elif kind == "sector_central":
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
    if kind == "sector_local":
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
