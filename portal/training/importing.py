"""Training records from a spreadsheet: TRAINING_KIND, the training kind of the import pipeline
(portal/imports/; portal/kinds.py lists it with the other kinds). Certificate files are matched to
the imported records by certificate number afterwards (operations.match_certificate_files).

The pipeline reads the file and hands over rows as mappings from column title to cell value:

    records, errors = validate(rows, unit_id)      # no writes; every bad row reported
    if not errors:
        write(records, unit_id, user)                # flush only; the caller commits once

Column titles are the Chinese ones of TEMPLATE_HEADER (English keys from COLUMNS work too).
Row numbers count the header as row 1, as a spreadsheet shows them.
"""
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.imports.pipeline import ImportKind, Plan
from portal.imports.reading import Column, Format, Table
from portal.platform import access, audit
from portal.platform.dates import DateFormatError, parse_date
from portal.platform.exports import csv_bytes
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.registry.catalog import find_field
from portal.registry.identity import IdNumberError, classify, mask_id, normalise
from portal.registry.models import Membership, Person

from .models import Basis, Source, TrainingKind, TrainingRecord, TrainingStatus

# (Chinese title, key, English title)
COLUMNS = [
    ("姓名", "name", "Name"),
    ("身分證字號", "id_number", "ID number"),
    ("訓練類別", "kind", "Kind of training"),
    ("特殊訓練類別", "field", "Field of the special training"),
    ("課程名稱", "course_name", "Course name"),
    ("時數", "hours", "Hours"),
    ("培訓單位", "provider", "Training provider"),
    ("完訓日期", "completed_on", "Completion date"),
    ("證書生效日", "effective_on", "Effective date"),
    ("結業證書字號", "certificate_no", "Certificate number"),
]
TEMPLATE_HEADER = [title for title, _key, _en in COLUMNS]
TEMPLATE_EXAMPLE = ["王小明", "A123456789", "特殊訓練", "社會福利", "社會福利類特殊訓練", "6", "臺北市政府社會局",
                    "1140305", "1140305", "北市社志字第1140001號"]
TITLE_OF = {key: title for title, key, _en in COLUMNS}
KEY_OF = {**{title: key for title, key, _en in COLUMNS}, **{key: key for _t, key, _en in COLUMNS},
          **{en.lower(): key for _t, key, en in COLUMNS}}
KIND_WORDS = {"基礎": TrainingKind.BASIC, "基礎訓練": TrainingKind.BASIC, "基礎訓": TrainingKind.BASIC,
              "basic": TrainingKind.BASIC, "特殊": TrainingKind.SPECIAL, "特殊訓練": TrainingKind.SPECIAL,
              "特殊訓": TrainingKind.SPECIAL, "special": TrainingKind.SPECIAL}
EARLIEST = date(1980, 1, 1)
MAX_ROWS = 20_000


@dataclass(frozen=True)
class RowError:
    """One reason a row cannot be imported; `value` is masked where it is an ID number."""
    row: int
    column: str
    value: str
    message: object  # a lazy string: str() gives it in the current language
    key: str = ""


@dataclass
class TrainingRow:
    """A valid row, ready to write."""
    row: int
    person_id: int
    kind: str
    field_code: str | None
    course_name: str
    hours: Decimal | None
    provider: str
    completed_on: date
    effective_on: date
    certificate_no: str


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value)).strip()
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))


def _date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return parse_date(_text(value))


def _keyed(row: Mapping) -> dict:
    return {KEY_OF.get(_text(k), KEY_OF.get(_text(k).lower())): v for k, v in row.items()
            if KEY_OF.get(_text(k)) or KEY_OF.get(_text(k).lower())}


def validate(rows: Iterable[Mapping], unit_id: int, first_row: int = 2,
             row_numbers: list[int] | None = None) -> tuple[list[TrainingRow], list[RowError]]:
    """Check every row without writing: (rows to write, errors). Any error means nothing should be written.

    Rows are numbered from `first_row`, or by `row_numbers` (the sheet row of each) when given.
    """
    raw = [_keyed(r) for r in rows]
    errors: list[RowError] = []
    if len(raw) > MAX_ROWS:
        return [], [RowError(first_row + MAX_ROWS, "", "", _l("The file has more than %(n)d rows.", n=MAX_ROWS))]
    numbers = set()
    for r in raw:
        try:
            numbers.add(classify(_text(r.get("id_number")), allow_passport=True)[1])
        except IdNumberError:
            pass
    people = {p.id_number: p for p in db.session.scalars(select(Person).where(Person.id_number.in_(numbers)))} \
        if numbers else {}
    on_roster = set(db.session.scalars(select(Membership.person_id).where(
        Membership.unit_id == unit_id, Membership.is_current,
        Membership.person_id.in_([p.id for p in people.values()])))) if people else set()
    existing = set(tuple(row) for row in db.session.execute(
        select(TrainingRecord.person_id, TrainingRecord.certificate_no).where(
        TrainingRecord.person_id.in_([p.id for p in people.values()]), TrainingRecord.certificate_no != "",
        TrainingRecord.status != TrainingStatus.REJECTED)).all()) if people else set()
    seen: dict[tuple[int, str], int] = {}
    valid: list[TrainingRow] = []
    today = today_taipei()
    for index, r in enumerate(raw):
        number = row_numbers[index] if row_numbers else first_row + index
        row_errors: list[RowError] = []

        def fail(key, value, message, number=number, row_errors=row_errors):
            shown = mask_id(normalise(_text(value))) if key == "id_number" else _text(value)[:60]
            row_errors.append(RowError(number, TITLE_OF[key], shown, message, key))

        person = None
        id_text = _text(r.get("id_number"))
        try:
            person = people.get(classify(id_text, allow_passport=True)[1])
            if person is None:
                fail("id_number", id_text, _l("No volunteer is registered with this ID number."))
            elif person.id not in on_roster:
                fail("id_number", id_text, _l("This volunteer is not on your unit's roster."))
                person = None
        except IdNumberError:
            fail("id_number", id_text, _l("This is not a valid ID number."))
        name = _text(r.get("name")).replace(" ", "").replace("\u3000", "")
        if person is not None and name != person.name.replace(" ", ""):
            fail("name", r.get("name"), _l("The name does not match the volunteer registered with this ID number."))
        kind = KIND_WORDS.get(_text(r.get("kind")).lower())
        if kind is None:
            fail("kind", r.get("kind"), _l("Write 基礎訓練 (basic) or 特殊訓練 (special)."))
        field_code = None
        field_text = _text(r.get("field"))
        if kind == TrainingKind.SPECIAL:
            entry = find_field(field_text.removesuffix("類"))
            if entry is None:
                fail("field", field_text, _l("Unknown service field; use a field of the Volunteer Service Act "
                                             "art. 4, e.g. 社會福利."))
            else:
                field_code = entry.code
        course = _text(r.get("course_name"))
        if not course:
            fail("course_name", course, _l("The course name is missing."))
        elif len(course) > 120:
            fail("course_name", course, _l("At most %(n)d characters.", n=120))
        hours = None
        hours_text = unicodedata.normalize("NFKC", _text(r.get("hours")))
        if hours_text:
            try:
                hours = Decimal(hours_text)
                if not (Decimal("0.5") <= hours <= 500) or (hours * 2) % 1:
                    raise InvalidOperation
            except InvalidOperation:
                hours = None
                fail("hours", hours_text, _l("Hours must be a number from 0.5 to 500 in steps of 0.5."))
        provider = _text(r.get("provider"))
        if len(provider) > 120:
            fail("provider", provider, _l("At most %(n)d characters.", n=120))
        completed = effective = None
        try:
            completed = _date(r.get("completed_on"))
            if completed > today or completed < EARLIEST:
                fail("completed_on", r.get("completed_on"), _l("The date must lie between 1980 and today."))
        except DateFormatError:
            fail("completed_on", r.get("completed_on"), _l("Enter a date such as 1140305, 114/03/05 or 2025-03-05."))
        if _text(r.get("effective_on")):
            try:
                effective = _date(r.get("effective_on"))
                if effective > today or (completed and effective < completed):
                    fail("effective_on", r.get("effective_on"),
                         _l("The effective date must lie between the completion date and today."))
            except DateFormatError:
                fail("effective_on", r.get("effective_on"),
                     _l("Enter a date such as 1140305, 114/03/05 or 2025-03-05."))
        certificate_no = _text(r.get("certificate_no"))
        if not certificate_no:
            fail("certificate_no", "", _l("The certificate number is missing; it matches the certificate file later."))
        elif len(certificate_no) > 60:
            fail("certificate_no", certificate_no, _l("At most %(n)d characters.", n=60))
        elif person is not None:
            key = (person.id, certificate_no)
            if key in existing:
                fail("certificate_no", certificate_no, _l("This certificate is already recorded for this volunteer."))
            elif key in seen:
                fail("certificate_no", certificate_no, _l("Same certificate as row %(row)d.", row=seen[key]))
            else:
                seen[key] = number
        if row_errors:
            errors.extend(row_errors)
            continue
        valid.append(TrainingRow(number, person.id, kind, field_code, course, hours, provider, completed,
                                 effective or completed, certificate_no))
    return (valid if not errors else []), errors


def write(rows: list[TrainingRow], unit_id: int, user) -> list[TrainingRecord]:
    """Add the validated rows as pending records (verified later, once the certificate file is matched)."""
    records = [TrainingRecord(person_id=r.person_id, unit_id=unit_id, kind=r.kind, field_code=r.field_code,
                              course_name=r.course_name, hours=r.hours, provider=r.provider,
                              completed_on=r.completed_on, effective_on=r.effective_on,
                              certificate_no=r.certificate_no, status=TrainingStatus.PENDING,
                              basis=Basis.CERTIFICATE, source=Source.IMPORT,
                              entered_by_id=getattr(user, "id", None)) for r in rows]
    db.session.add_all(records)
    db.session.flush()
    for r, record in zip(rows, records, strict=True):
        audit.record("training.import", record, row=r.row, person=r.person_id, kind=r.kind,
                     field_code=r.field_code or "", certificate_no=r.certificate_no,
                     effective_on=str(r.effective_on))
    return records


# --- the kind of the import pipeline ------------------------------------------------------

PIPELINE_COLUMNS = tuple(Column(key, title, (english,),
                                required=key not in ("field", "hours", "provider", "effective_on"))
                         for title, key, english in COLUMNS)
TRAINING_FORMAT = Format("training", _l("Training template"), PIPELINE_COLUMNS)


def validate_table(table: Table, ctx) -> Plan:
    numbered = list(table.rows)  # the pipeline streams rows; training files are small
    plan = Plan(rows=len(numbered))
    rows = [{key: table.cell(cells, key) for key in table.columns} for _number, cells in numbered]
    records, errors = validate(rows, ctx.unit.id, row_numbers=[number for number, _cells in numbered])
    for error in errors:
        plan.problems.append(table.problem(error.row, error.key, error.value, "training",
                                           lambda e=error: str(e.message)))
    plan.items = records
    plan.summary = {"training_records": len(records)}
    return plan


def write_plan(plan: Plan, ctx, _batch) -> dict:
    written = write(plan.items, ctx.unit.id, ctx.user)
    return {"training_records": len(written)}


def template():
    return csv_bytes(TEMPLATE_HEADER, [TEMPLATE_EXAMPLE]), "training-template.csv", "text/csv"


TRAINING_KIND = ImportKind(
    key="training", label=_l("Training records"), roles=frozenset(access.UNIT_STAFF), formats=(TRAINING_FORMAT,),
    validate=validate_table, write=write_plan,
    templates={"training-template.csv": (_l("Training template (CSV)"), template)},
)
