"""Hour imports: the MOHW 17-column template and the portal's own template, through the shared pipeline.

Every row passes the same rules as a typed entry (rules.EntryChecker): 0.5-hour steps, ≤ 24 h a
day across units, no overlapping ranges in the unit, dates from 2001-01-20 to today, the 2026
training gate. A row that equals a stored entry (volunteer, unit, dates, field, hours) is a
duplicate: reported and skipped, never doubled.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import access
from ..extensions import db
from ..imports.pipeline import Format, ImportKind, Plan, Table
from ..imports.registry import register
from ..units.catalog import find_field
from ..volunteers.identity import IdNumberError, classify, mask_name
from ..volunteers.models import Person
from .operations import insert_imported, lock_people
from .rules import (MESSAGES, Draft, EntryChecker, Problem, Refused, check_day, code_value, field_names,
                    half_hours_of, parse_number, read_date, same_name, short_text, unit_fields, whole_number,
                    window_of)
from .spreadsheets import MOHW_COLUMNS, PORTAL_COLUMNS, mohw_template, portal_template

MOHW = Format("mohw", _l("MOHW 17-column template"), tuple(MOHW_COLUMNS))
PORTAL = Format("portal", _l("Portal hours template"), tuple(PORTAL_COLUMNS))
# Where a rule's problem is shown, per format (the MOHW file has no service-field column).
PROBLEM_COLUMNS = {
    "mohw": {"person": "id_number", "start_on": "start_on", "end_on": "end_on", "hours": "hours",
             "field_code": "start_on"},
    "portal": {"person": "id_number", "start_on": "start_on", "end_on": "end_on", "hours": "hours",
               "field_code": "field"},
}


class _Row:
    """One row's readable values and problems."""
    __slots__ = ("number", "cells", "values", "problems")

    def __init__(self, number, cells):
        self.number, self.cells, self.values, self.problems = number, cells, {}, []


class _Reader:
    """Reads cells into values; repeated dates and ID numbers are parsed once per file."""

    def __init__(self, table: Table, ctx):
        self.table, self.today = table, ctx.today
        self.dates, self.ids = {}, {}

    def refuse(self, row: _Row, key: str, value, exc: Refused, masked: bool = False):
        problem = Problem(exc.code, key, exc.params, exc.key)
        row.problems.append(self.table.problem(row.number, key, value, exc.code, lambda: problem.message, masked))

    def date(self, row: _Row, key: str, value, required: bool = True):
        cache_key = (type(value), value)
        if cache_key not in self.dates:
            try:
                day = read_date(value)
                check_day(day, self.today)
                self.dates[cache_key] = day
            except Refused as exc:
                self.dates[cache_key] = exc
        result = self.dates[cache_key]
        if isinstance(result, Refused):
            if result.code == "required" and not required:
                return None
            self.refuse(row, key, value, result)
            return None
        return result

    def id_number(self, row: _Row, value):
        raw = "" if value is None else str(value)
        if raw not in self.ids:
            try:
                self.ids[raw] = classify(raw)[1]
            except IdNumberError as exc:
                self.ids[raw] = Refused("checksum" if exc.reason == "checksum" else
                                        ("required" if not raw.strip() else "id_format"))
        result = self.ids[raw]
        if isinstance(result, Refused):
            self.refuse(row, "id_number", value, result, masked=True)
            return None
        return result

    def value(self, row: _Row, key: str, value, parse, *args):
        try:
            return parse(value, *args)
        except Refused as exc:
            self.refuse(row, key, value, exc)
            return None


def _mohw_half_hours(reader: _Reader, row: _Row, hours_cell, minutes_cell):
    try:
        hours = parse_number(hours_cell)
    except Refused as exc:
        reader.refuse(row, "hours", hours_cell, exc)
        return None
    try:
        minutes = parse_number(minutes_cell) if str(minutes_cell or "").strip() else 0
    except Refused as exc:
        reader.refuse(row, "minutes", minutes_cell, exc)
        return None
    if minutes not in (0, 30):
        reader.refuse(row, "minutes", minutes_cell, Refused("quarter_hour", key="minutes"))
        return None
    doubled = hours * 2
    if doubled != doubled.to_integral_value():
        reader.refuse(row, "hours", hours_cell, Refused("quarter_hour"))
        return None
    half = int(doubled) + (1 if minutes == 30 else 0)
    if half == 0:
        reader.refuse(row, "hours", hours_cell, Refused("zero"))
        return None
    return half


def _read_mohw(reader: _Reader, table: Table, number: int, cells: list, unit) -> _Row:
    row, cell = _Row(number, cells), table.cell
    v = row.values
    v["name"] = str(cell(cells, "name") or "").strip()
    if not v["name"]:
        reader.refuse(row, "name", "", Refused("required"))
    v["id_number"] = reader.id_number(row, cell(cells, "id_number"))
    v["start_on"] = reader.date(row, "start_on", cell(cells, "start_on"))
    if cell(cells, "end_on") == cell(cells, "start_on"):
        v["end_on"] = v["start_on"]  # a single day: one problem, not the same one twice
    else:
        v["end_on"] = reader.date(row, "end_on", cell(cells, "end_on"))
    if v["start_on"] and v["end_on"] and v["end_on"] < v["start_on"]:
        reader.refuse(row, "end_on", cell(cells, "end_on"), Refused("end_before_start"))
    v["half_hours"] = _mohw_half_hours(reader, row, cell(cells, "hours"), cell(cells, "minutes"))
    for key in ("item_code", "content_code", "area_code"):
        v[key] = reader.value(row, key, cell(cells, key), code_value)
    for key in ("persons_served", "served_abroad", "served_domestic"):
        v[key] = reader.value(row, key, cell(cells, key), whole_number, "count")
    for key in ("transport_fee", "meal_fee"):
        v[key] = reader.value(row, key, cell(cells, key), whole_number, "money")
    v["remarks"] = reader.value(row, "remarks", cell(cells, "remarks"), short_text, 200)
    v["sequence_no"] = reader.value(row, "sequence_no", cell(cells, "sequence_no"), short_text, 20)
    if "action" in table.columns:
        action = str(cell(cells, "action") or "").strip().upper()
        if action != "A":
            reader.refuse(row, "action", cell(cells, "action"), Refused("action"))
    v["field_code"], v["content"] = unit.field_code, ""
    return row


def _read_portal(reader: _Reader, table: Table, number: int, cells: list, unit) -> _Row:
    row, cell = _Row(number, cells), table.cell
    v = row.values
    v["name"] = str(cell(cells, "name") or "").strip()
    if not v["name"]:
        reader.refuse(row, "name", "", Refused("required"))
    v["id_number"] = reader.id_number(row, cell(cells, "id_number"))
    v["start_on"] = reader.date(row, "start_on", cell(cells, "start_on"))
    end = reader.date(row, "end_on", cell(cells, "end_on"), required=False)
    v["end_on"] = end or v["start_on"]
    if v["start_on"] and end and end < v["start_on"]:
        reader.refuse(row, "end_on", cell(cells, "end_on"), Refused("end_before_start"))
    v["half_hours"] = reader.value(row, "hours", cell(cells, "hours"), half_hours_of)
    field_text = str(cell(cells, "field") or "").strip()
    found = find_field(field_text) if field_text else None
    v["field_code"] = found.code if found else unit.field_code
    if field_text and (found is None or found.code not in unit.field_codes):
        problem = Problem("field", "field", {"fields": field_names(unit.field_codes)})
        row.problems.append(table.problem(number, "field", field_text, "field", lambda: problem.message))
    v["content"] = reader.value(row, "content", cell(cells, "content"), short_text, 200)
    v["persons_served"] = reader.value(row, "persons_served", cell(cells, "persons_served"), whole_number, "count")
    v["remarks"] = reader.value(row, "remarks", cell(cells, "remarks"), short_text, 200)
    return row


ENTRY_COLUMNS = ("start_on", "end_on", "half_hours", "field_code", "content", "persons_served", "item_code",
                 "content_code", "area_code", "transport_fee", "meal_fee", "served_abroad", "served_domestic",
                 "sequence_no", "remarks")


def people_by_number(numbers: set[str]) -> dict:
    found, numbers = {}, sorted(numbers)
    for start in range(0, len(numbers), 5000):
        chunk = numbers[start:start + 5000]
        for person_id, number, name in db.session.execute(
                select(Person.id, Person.id_number, Person.name).where(Person.id_number.in_(chunk))):
            found[number] = (person_id, name)
    return found


def validate(table: Table, ctx) -> Plan:
    unit, plan = ctx.unit, Plan(rows=len(table.rows))
    reader = _Reader(table, ctx)
    read_row = _read_mohw if table.fmt.key == "mohw" else _read_portal
    rows = [read_row(reader, table, number, cells, unit) for number, cells in table.rows]
    people = people_by_number({r.values["id_number"] for r in rows if r.values.get("id_number")})
    drafts = []
    for row in rows:
        v = row.values
        if v.get("id_number") and v["id_number"] not in people:
            row.problems.append(table.problem(row.number, "id_number", v["id_number"], "unknown_volunteer",
                                              MESSAGES["unknown_volunteer"], masked=True))
        elif v.get("id_number") and v["name"] and not same_name(people[v["id_number"]][1], v["name"]):
            registered = mask_name(people[v["id_number"]][1])
            row.problems.append(table.problem(row.number, "name", v["name"], "name_mismatch",
                                              lambda n=registered: MESSAGES["name_mismatch"](name=n)))
        if not row.problems:
            drafts.append((row, Draft(people[v["id_number"]][0], unit.id, v["start_on"], v["end_on"],
                                      v["half_hours"], v["field_code"], ref=row.number)))
    lock_people(d.person_id for _row, d in drafts)
    checker = EntryChecker({d.person_id for _r, d in drafts}, window_of(d for _r, d in drafts), ctx.today,
                           unit_fields=unit_fields([unit]))
    columns = PROBLEM_COLUMNS[table.fmt.key]
    for row, draft in drafts:
        if checker.duplicate_of(draft) is not None:
            plan.duplicates += 1
            continue
        problems = checker.check(draft)
        if problems:
            for p in problems:
                key = columns.get(p.field, "start_on")
                row.problems.append(table.problem(row.number, key, table.cell(row.cells, key), p.code,
                                                  lambda p=p: p.message, masked=key == "id_number"))
            continue
        checker.accept(draft)
        values = row.values
        plan.items.append({"person_id": draft.person_id, "unit_id": unit.id,
                           **{k: values.get(k) if values.get(k) is not None else _DEFAULTS.get(k) for k in ENTRY_COLUMNS}})
        plan.half_hours += draft.half_hours
    plan.problems = [p for row in rows for p in row.problems]
    plan.summary = {"people": len({item["person_id"] for item in plan.items})}
    return plan


_DEFAULTS = {"content": "", "persons_served": 0, "item_code": "", "content_code": "", "area_code": "",
             "transport_fee": 0, "meal_fee": 0, "served_abroad": 0, "served_domestic": 0, "sequence_no": "",
             "remarks": ""}


def write(plan: Plan, ctx, batch) -> dict:
    return {"entries": insert_imported(plan.items, batch.id, ctx.user)}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

HOURS = register(ImportKind(
    key="hours", label=_l("Service hours"), roles=frozenset(access.UNIT_STAFF), formats=(MOHW, PORTAL),
    validate=validate, write=write,
    templates={"hours-template.xlsx": (_l("Hours template with instructions (Excel)"),
                                       lambda: (portal_template(), "hours-template.xlsx", XLSX)),
               "hours-mohw-template.xlsx": (_l("MOHW 17-column template (Excel)"),
                                            lambda: (mohw_template(), "hours-mohw-template.xlsx", XLSX))},
))
