"""Hour imports: the MOHW 17-column template and the portal's own template, through the shared pipeline.

Every row passes the same rules as a typed entry (rules.EntryChecker): 0.5-hour steps, ≤ 24 h a
day across units, no overlapping ranges in the unit, dates from 2001-01-20 to today, the 2026
training gate. A row that equals a stored entry (volunteer, unit, dates, field, hours) is a
duplicate: reported and skipped, never doubled.
"""
from flask_babel import lazy_gettext as _l

from portal.imports.pipeline import ImportKind, Plan
from portal.imports.reading import Format, Table
from portal.imports.values import Refused, read_date, same_name, short_text
from portal.platform import access
from portal.registry.catalog import find_field
from portal.registry.identity import IdNumberError, classify, mask_name
from portal.registry.operations import lock_people

from .facts import entry_checker, people_by_number
from .operations import insert_imported
from .rules import (
    MESSAGES,
    Draft,
    Problem,
    check_day,
    code_value,
    field_names,
    half_hours_of,
    parse_number,
    problem_of,
    unit_fields,
    whole_number,
    window_of,
)
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
    __slots__ = ("number", "values", "problems")

    def __init__(self, number):
        self.number, self.values, self.problems = number, {}, []


class _Reader:
    """Reads cells into values; repeated dates and ID numbers are parsed once per file."""

    def __init__(self, table: Table, ctx):
        self.table, self.today = table, ctx.today
        self.dates, self.ids = {}, {}
        self.width = len(table.header)
        self.indexes = tuple(table.columns.get(key, -1) for key in MOHW_KEYS)

    def refuse(self, row: _Row, key: str, value, exc: Refused, masked: bool = False):
        problem = problem_of(exc, key)
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
    if type(hours_cell) is float and hours_cell >= 0 and (hours_cell * 2).is_integer() \
            and minutes_cell in (0.0, 30.0, "", None) and (hours_cell or minutes_cell):
        return int(hours_cell * 2) + (1 if minutes_cell == 30.0 else 0)  # numeric cells: the common case
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


MOHW_KEYS = ("name", "id_number", "start_on", "end_on", "item_code", "content_code", "hours", "minutes",
             "persons_served", "transport_fee", "meal_fee", "area_code", "remarks", "action", "sequence_no",
             "served_abroad", "served_domestic")


def _read_mohw(reader: _Reader, table: Table, number: int, cells: list, unit) -> _Row:
    # Missing optional columns read the "" appended at the end of the row (index -1).
    index = reader.indexes
    cells = list(cells[:reader.width]) + [""] * (reader.width - len(cells)) + [""]
    (name, id_number, start, end, item, content_code, hours, minutes, served, transport, meal, area, remarks, action,
     sequence, abroad, domestic) = (cells[i] for i in index)
    row = _Row(number)
    v = row.values
    v["name"] = str(name or "").strip()
    if not v["name"]:
        reader.refuse(row, "name", "", Refused("required"))
    v["id_number"] = reader.id_number(row, id_number)
    v["start_on"] = reader.date(row, "start_on", start)
    v["end_on"] = v["start_on"] if end == start else reader.date(row, "end_on", end)  # a single day: one problem
    if v["start_on"] and v["end_on"] and v["end_on"] < v["start_on"]:
        reader.refuse(row, "end_on", end, Refused("end_before_start"))
    v["half_hours"] = _mohw_half_hours(reader, row, hours, minutes)
    for key, value in (("item_code", item), ("content_code", content_code), ("area_code", area)):
        v[key] = reader.value(row, key, value, code_value)
    for key, value in (("persons_served", served), ("served_abroad", abroad), ("served_domestic", domestic)):
        v[key] = reader.value(row, key, value, whole_number, "count")
    for key, value in (("transport_fee", transport), ("meal_fee", meal)):
        v[key] = reader.value(row, key, value, whole_number, "money")
    v["remarks"] = reader.value(row, "remarks", remarks, short_text, 200)
    v["sequence_no"] = reader.value(row, "sequence_no", sequence, short_text, 20)
    if "action" in table.columns and str(action or "").strip().upper() != "A":
        reader.refuse(row, "action", action, Refused("action"))
    v["field_code"], v["content"] = unit.field_code, ""
    return row


def _read_portal(reader: _Reader, table: Table, number: int, cells: list, unit) -> _Row:
    row, cell = _Row(number), table.cell
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


ENTRY_COLUMNS = ("person_id", "unit_id", "start_on", "end_on", "half_hours", "field_code", "content", "persons_served",
                 "item_code", "content_code", "area_code", "transport_fee", "meal_fee", "served_abroad",
                 "served_domestic", "sequence_no", "remarks")
_EXTRAS = ("content", "persons_served", "item_code", "content_code", "area_code", "transport_fee", "meal_fee",
           "served_abroad", "served_domestic", "sequence_no", "remarks")
_DEFAULTS = {"content": "", "persons_served": 0, "item_code": "", "content_code": "", "area_code": "",
             "transport_fee": 0, "meal_fee": 0, "served_abroad": 0, "served_domestic": 0, "sequence_no": "",
             "remarks": ""}


class _Valid:
    """A readable row kept small until the rules have seen it: 100,000 of them must fit in memory."""
    __slots__ = ("number", "id_number", "name", "start_on", "end_on", "half_hours", "field_code", "extras", "raw")

    def __init__(self, row: _Row, raw: dict):
        v = row.values
        self.number, self.id_number, self.name = row.number, v["id_number"], v["name"]
        self.start_on, self.end_on, self.half_hours, self.field_code = (v["start_on"], v["end_on"], v["half_hours"],
                                                                       v["field_code"])
        self.extras = tuple(v.get(k) if v.get(k) is not None else _DEFAULTS[k] for k in _EXTRAS)
        self.raw = raw


def validate(table: Table, ctx) -> Plan:
    """Read every row, then check the readable ones against people, stored entries and each other."""
    unit, plan = ctx.unit, Plan()
    reader = _Reader(table, ctx)
    read_row = _read_mohw if table.fmt.key == "mohw" else _read_portal
    shown = PROBLEM_COLUMNS[table.fmt.key]
    valid = []
    for number, cells in table.rows:
        plan.rows += 1
        row = read_row(reader, table, number, cells, unit)
        if row.problems:
            plan.problems += row.problems
        else:
            # Cells a later rule may need to quote in its message (ID, dates, hours, field).
            raw = {key: table.cell(cells, key) for key in set(shown.values())}
            valid.append(_Valid(row, raw))
    people = people_by_number({r.id_number for r in valid})
    drafts = []
    for r in valid:
        known = people.get(r.id_number)
        if known is None:
            plan.problems.append(table.problem(r.number, "id_number", r.id_number, "unknown_volunteer",
                                               MESSAGES["unknown_volunteer"], masked=True))
        elif not same_name(known[1], r.name):
            registered = mask_name(known[1])
            plan.problems.append(table.problem(r.number, "name", r.name, "name_mismatch",
                                               lambda n=registered: MESSAGES["name_mismatch"](name=n)))
        else:
            drafts.append((r, Draft(known[0], unit.id, r.start_on, r.end_on, r.half_hours, r.field_code,
                                    ref=r.number)))
    lock_people(d.person_id for _r, d in drafts)
    checker = entry_checker({d.person_id for _r, d in drafts}, window_of(d for _r, d in drafts), ctx.today,
                            unit_fields=unit_fields([unit]))
    for r, draft in drafts:
        if checker.duplicate_of(draft) is not None:
            plan.duplicates += 1
            continue
        problems = checker.check(draft)
        if problems:
            for p in problems:
                key = shown.get(p.field, "start_on")
                plan.problems.append(table.problem(r.number, key, r.raw.get(key), p.code, lambda p=p: p.message,
                                                   masked=key == "id_number"))
            continue
        checker.accept(draft)
        plan.items.append((draft.person_id, unit.id, draft.start_on, draft.end_on, draft.half_hours,
                           draft.field_code, *r.extras))
        plan.half_hours += draft.half_hours
    plan.problems.sort(key=lambda p: p.row or 0)
    plan.summary = {"people": len({item[0] for item in plan.items})}
    return plan


def write(plan: Plan, ctx, batch) -> dict:
    return {"entries": insert_imported(plan.items, ENTRY_COLUMNS, batch.id, ctx.user)}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

HOURS = ImportKind(
    key="hours", label=_l("Service hours"), roles=frozenset(access.UNIT_STAFF), formats=(MOHW, PORTAL),
    validate=validate, write=write,
    templates={"hours-template.xlsx": (_l("Hours template with instructions (Excel)"),
                                       lambda: (portal_template(), "hours-template.xlsx", XLSX)),
               "hours-mohw-template.xlsx": (_l("MOHW 17-column template (Excel)"),
                                            lambda: (mohw_template(), "hours-mohw-template.xlsx", XLSX))},
)
