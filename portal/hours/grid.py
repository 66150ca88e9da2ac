"""The batch-entry grid: many rows typed at once, checked together, saved all or nothing."""
from dataclasses import dataclass, field

from portal.imports.values import Refused, read_date, short_text
from portal.platform.timeutil import today_taipei
from portal.registry.catalog import find_field

from .facts import entry_checker
from .roster import RosterIndex, person_label, roster_people
from .rules import (
    Draft,
    Problem,
    check_day,
    field_names,
    half_hours_of,
    problem_of,
    unit_fields,
    whole_number,
    window_of,
)

COLUMNS = ("volunteer", "start_on", "end_on", "hours", "field_code", "content", "persons_served")
MAX_ROWS = 100
# Copied into a new row from the row above: one activity day, many volunteers, is the common case.
CARRY_OVER = ("start_on", "end_on", "hours", "field_code", "content")


@dataclass
class GridRow:
    values: dict
    errors: dict = field(default_factory=dict)
    label: str = ""
    draft: Draft | None = None
    extra: dict = field(default_factory=dict)

    @property
    def blank(self) -> bool:
        return not any((self.values.get(c) or "").strip() for c in COLUMNS if c != "field_code")

    def add_error(self, column: str, message: str):
        self.errors.setdefault(column, []).append(message)


def empty_row(unit, previous: GridRow | None = None) -> GridRow:
    values = {c: "" for c in COLUMNS}
    values["field_code"] = unit.field_code
    if previous is not None:
        values.update({c: previous.values.get(c, "") for c in CARRY_OVER})
    return GridRow(values)


def rows_from_form(form, unit) -> list[GridRow]:
    columns = {c: form.getlist(c) for c in COLUMNS}
    count = min(max((len(v) for v in columns.values()), default=0), MAX_ROWS)
    rows = []
    for i in range(count):
        values = {c: (columns[c][i] if i < len(columns[c]) else "") for c in COLUMNS}
        rows.append(GridRow({k: (v or "")[:200] for k, v in values.items()}))
    return rows or [empty_row(unit)]


def _read_row(row: GridRow, number: int, unit, roster: RosterIndex, today):
    v = row.values
    person, problem = roster.resolve(v["volunteer"])
    if problem:
        row.add_error("volunteer", problem.message)
    else:
        row.label = person_label(person.name, person.id_number)
    dates = {}
    for column in ("start_on", "end_on"):
        if column == "end_on" and not v[column].strip():
            dates[column] = dates.get("start_on")
            continue
        try:
            dates[column] = read_date(v[column])
            check_day(dates[column], today)
        except Refused as exc:
            row.add_error(column, problem_of(exc, column).message)
            dates[column] = None
    if dates["start_on"] and dates["end_on"] and dates["end_on"] < dates["start_on"]:
        row.add_error("end_on", problem_of(Refused("end_before_start"), "end_on").message)
    half = None
    try:
        half = half_hours_of(v["hours"])
    except Refused as exc:
        row.add_error("hours", problem_of(exc, "hours").message)
    field_entry = find_field(v["field_code"])
    if field_entry is None or field_entry.code not in unit.field_codes:
        row.add_error("field_code", Problem("field", "field_code",
                                            {"fields": field_names(unit.field_codes)}).message)
    try:
        row.extra = {"content": short_text(v["content"], 200), "persons_served": whole_number(v["persons_served"])}
    except Refused as exc:
        column = "content" if exc.code in ("too_long", "markup") else "persons_served"
        row.add_error(column, problem_of(exc, column).message)
    if not row.errors:
        row.draft = Draft(person.id, unit.id, dates["start_on"], dates["end_on"], half, field_entry.code, ref=number)


def check_rows(rows: list[GridRow], unit) -> list[Draft]:
    """Fill each row's errors; the drafts to save when every non-blank row is valid, else []."""
    today = today_taipei()
    roster = RosterIndex(roster_people(unit.id))
    filled = [(n, row) for n, row in enumerate(rows, start=1) if not row.blank]
    for number, row in filled:
        _read_row(row, number, unit, roster, today)
    drafts = [row.draft for _n, row in filled if row.draft]
    checker = entry_checker({d.person_id for d in drafts}, window_of(drafts), today, unit_fields=unit_fields([unit]))
    for _number, row in filled:
        d = row.draft
        if d is None:
            continue
        problems = checker.refusals(d)
        for problem in problems:
            column = {"person": "volunteer", "hours": "hours", "field_code": "field_code"}.get(problem.field, "start_on")
            row.add_error(column, problem.message)
        if problems:
            row.draft = None
        else:
            checker.accept(d)
    if any(row.errors for _n, row in filled) or not filled:
        return []
    return [row.draft for _n, row in filled]
