"""The training template as a kind of the import pipeline (portal/imports/).

This module has no side effects: it builds TRAINING_KIND from the plain functions in
importing.py; portal/kinds.py lists it with the other import kinds.
"""
from flask_babel import lazy_gettext as _l

from portal.platform import access
from portal.platform.exports import csv_bytes
from portal.imports.pipeline import Column, Format, ImportKind, Plan, Table
from . import importing

COLUMNS = tuple(Column(key, title, (english,), required=key not in ("field", "hours", "provider", "effective_on"))
                for title, key, english in importing.COLUMNS)
TRAINING_FORMAT = Format("training", _l("Training template"), COLUMNS)


def validate(table: Table, ctx) -> Plan:
    numbered = list(table.rows)  # the pipeline streams rows; training files are small
    plan = Plan(rows=len(numbered))
    rows = [{key: table.cell(cells, key) for key in table.columns} for _number, cells in numbered]
    records, errors = importing.validate(rows, ctx.unit.id, row_numbers=[number for number, _cells in numbered])
    for error in errors:
        plan.problems.append(table.problem(error.row, error.key, error.value, "training",
                                           lambda e=error: str(e.message)))
    plan.items = records
    plan.summary = {"training_records": len(records)}
    return plan


def write(plan: Plan, ctx, batch) -> dict:
    written = importing.write(plan.items, ctx.unit.id, ctx.user)
    return {"training_records": len(written)}


def template():
    return csv_bytes(importing.TEMPLATE_HEADER, [importing.TEMPLATE_EXAMPLE]), "training-template.csv", "text/csv"


TRAINING_KIND = ImportKind(
    key="training", label=_l("Training records"), roles=frozenset(access.UNIT_STAFF), formats=(TRAINING_FORMAT,),
    validate=validate, write=write,
    templates={"training-template.csv": (_l("Training template (CSV)"), template)},
)
