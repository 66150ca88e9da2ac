"""Roster import (the "volunteers" kind of the import pipeline): people and their membership of the
unit, from the columns of roster.csv.

A person already registered (by any unit) keeps the details on file and is added to the unit's
roster; the name must match the registered one. A person already serving in the unit in that
field is a duplicate, not an error, so the same roster can be imported twice.
"""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.imports.pipeline import ImportKind, Plan
from portal.imports.reading import Column, Format, Table
from portal.imports.values import MESSAGES, Refused, read_date, same_name, short_text
from portal.platform import access
from portal.platform.exports import csv_bytes
from portal.platform.extensions import db
from portal.registry.catalog import find_field
from portal.registry.identity import IdNumberError, classify, mask_name, sex_from_national_id
from portal.registry.models import Membership, MembershipStatus, Person
from portal.registry.operations import add_membership, register_person

COLUMNS = (
    Column("name", "姓名", ("Name",)),
    Column("id_number", "身分證字號", ("ID number", "身分證統一編號")),
    Column("sex", "性別", ("Sex",), required=False),
    Column("birth_date", "出生日期", ("出生年月日", "Date of birth"), required=False),
    Column("name_latin", "英文姓名", ("Name in Latin script", "English name"), required=False),
    Column("phone", "手機", ("電話", "Phone", "Mobile"), required=False),
    Column("email", "電子郵件", ("Email", "E-mail"), required=False),
    Column("field", "服務類別", ("Service field",), required=False),
    Column("joined_on", "加入日期", ("Joined on",), required=False),
)
ROSTER = Format("roster", _l("Roster template"), COLUMNS)

SEXES = {"男": "M", "m": "M", "male": "M", "女": "F", "f": "F", "female": "F", "其他": "X", "x": "X", "other": "X"}
_PHONE = re.compile(r"^[0-9+()#\- ]{6,30}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_LATIN = re.compile(r"^[A-Za-z][A-Za-z .,'\-]*$")

ROSTER_MESSAGES = {
    "sex": lambda: _("Use 男 or 女 (M or F), or leave it empty."),
    "birth_date": lambda: _("The date of birth cannot be in the future or before 1900."),
    "name_latin": lambda: _("Use Latin letters only, as printed in the passport."),
    "phone": lambda: _("Use digits, spaces, +, - or parentheses, e.g. 0912-345-678."),
    "email": lambda: _("Enter an e-mail address such as name@example.org."),
    "field": lambda: _("Unknown service field. Use one of the 16 fields, e.g. 社會福利 or 教育."),
    "joined_on": lambda: _("The joining date must be between 2001 and today."),
    "twice": lambda: _("This ID number appears twice in the file with different details."),
}


def _problem(table, row, key, value, code, masked=False):
    message = ROSTER_MESSAGES.get(code) or (lambda: MESSAGES[code]())
    return table.problem(row, key, value, code, message, masked)


def _read(table: Table, number: int, cells: list, ctx, problems: list) -> dict:
    cell = table.cell
    text = {key: str(cell(cells, key) or "").strip() for key in ("name", "sex", "name_latin", "phone", "email",
                                                                  "field")}
    values = {}
    try:
        values["name"] = short_text(text["name"], 60, single_line=True)
        if not values["name"]:
            raise Refused("required")
    except Refused as exc:
        problems.append(table.problem(number, "name", text["name"], exc.code,
                                      lambda e=exc: MESSAGES[e.code](**e.params)))
    raw_id = cell(cells, "id_number")
    try:
        kind, values["id_number"] = classify(str(raw_id or ""))
        values["id_kind"] = kind
    except IdNumberError as exc:
        code = "checksum" if exc.reason == "checksum" else ("required" if not str(raw_id or "").strip() else "id_format")
        problems.append(_problem(table, number, "id_number", raw_id, code, masked=True))
    sex = SEXES.get(text["sex"].lower()) if text["sex"] else None
    if text["sex"] and sex is None:
        problems.append(_problem(table, number, "sex", text["sex"], "sex"))
    values["sex"] = sex or (sex_from_national_id(values["id_number"]) if values.get("id_number") else None)
    values["birth_date"] = _date(table, number, "birth_date", cell(cells, "birth_date"), problems,
                                 lambda d: 1900 <= d.year and d <= ctx.today)
    joined = _date(table, number, "joined_on", cell(cells, "joined_on"), problems,
                   lambda d: 2001 <= d.year and d <= ctx.today)
    values["joined_on"] = joined or ctx.today
    for key, pattern in (("name_latin", _LATIN), ("phone", _PHONE), ("email", _EMAIL)):
        values[key] = text[key]
        if text[key] and (not pattern.match(text[key]) or len(text[key]) > 120):
            problems.append(_problem(table, number, key, text[key], key))
    found = find_field(text["field"]) if text["field"] else None
    if text["field"] and found is None:
        problems.append(_problem(table, number, "field", text["field"], "field"))
    values["field_code"] = found.code if found else ctx.unit.field_code
    return values


def _date(table, number, key, value, problems, acceptable):
    if value in (None, "") or not str(value).strip():
        return None
    try:
        day = read_date(value)
    except Refused as exc:
        problems.append(table.problem(number, key, value, exc.code,
                                      lambda e=exc: MESSAGES[e.key or e.code](**e.params)))
        return None
    if not acceptable(day):
        problems.append(_problem(table, number, key, value, key))
        return None
    return day


def validate(table: Table, ctx) -> Plan:
    plan = Plan()
    rows, seen = [], {}
    for number, cells in table.rows:
        plan.rows += 1
        problems = []
        values = _read(table, number, cells, ctx, problems)
        if not problems and values["id_number"] in seen:
            if seen[values["id_number"]] == values:
                plan.duplicates += 1
                continue
            problems.append(_problem(table, number, "id_number", values["id_number"], "twice", masked=True))
        plan.problems += problems
        if not problems:
            seen[values["id_number"]] = values
            rows.append((number, values))
    numbers = [v["id_number"] for _n, v in rows]
    people = {p.id_number: p for p in db.session.scalars(select(Person).where(Person.id_number.in_(numbers)))}
    serving = set(db.session.execute(select(Membership.person_id, Membership.field_code).where(
        Membership.unit_id == ctx.unit.id, Membership.is_current,
        Membership.person_id.in_([p.id for p in people.values()]))).all())
    for number, values in rows:
        person = people.get(values["id_number"])
        if person is not None and not same_name(person.name, values["name"]):
            registered = mask_name(person.name)
            plan.problems.append(table.problem(number, "name", values["name"], "name_mismatch",
                                               lambda n=registered: MESSAGES["name_mismatch"](name=n)))
        elif person is not None and (person.id, values["field_code"]) in serving:
            plan.duplicates += 1
        else:
            plan.items.append((person, values))
    plan.summary = {"volunteers": sum(1 for person, _v in plan.items if person is None),
                    "memberships": len(plan.items)}
    return plan


PERSON_KEYS = ("name", "name_latin", "id_kind", "id_number", "sex", "birth_date", "phone", "email")


def write(plan: Plan, ctx, batch) -> dict:
    created = 0
    for person, values in plan.items:
        if person is None:
            person = register_person({k: values.get(k) for k in PERSON_KEYS})
            created += 1
        add_membership(person, ctx.unit.id, values["field_code"], values["joined_on"], MembershipStatus.ACTIVE)
    return {"volunteers": created, "memberships": len(plan.items)}


def roster_template():
    header = [c.header for c in COLUMNS]
    return csv_bytes(header, []), "roster-template.csv", "text/csv"


ROSTER_KIND = ImportKind(
    key="volunteers", label=_l("Volunteers (roster)"), roles=frozenset(access.UNIT_STAFF), formats=(ROSTER,),
    validate=validate, write=write,
    templates={"roster-template.csv": (_l("Roster template (CSV)"), roster_template)},
)
