"""Other-award import (其他獎項匯入): awards of other schemes (MOE, culture, labour...) imported by
the authority that gave them, so the record book shows them (docs/rules/awards.md#a7).

A kind of the shared import pipeline (portal/imports): the same reading, preview, all-or-nothing
commit and idempotency by file hash. Only authorities import award data (sector authorities,
counties, the ministry): units import data they should not, and MOE asked that authorities import
their award lists directly (docs/rules/awards.md#a7). The kind is registered for the authority roles only, and
validate() itself refuses any context that is not an authority account acting for its own
authority, so no route — unit import page, command line or a direct call — lets a unit write
awards. A row's volunteer must serve in a unit within the importer's scope (volunteers/scopes);
one outside it reads "not found", exactly like an unknown ID number, so the file learns nothing
about people it may not see. Every award records the importing account, the batch and the file.

Columns (header row, any order; Chinese or English headers): 身分證號, 姓名, 獎項名稱, 等次
(optional), 頒發機關 (empty: the importing authority), 得獎年度 (ROC 113 or western 2024),
頒發日期 (optional). A row equal to an award already recorded (same volunteer, award name and
year) is a duplicate: counted and skipped, never written twice.
"""
import re
import unicodedata
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.imports.pipeline import ImportKind, Plan
from portal.imports.reading import Column, Format, RowProblem, Table
from portal.imports.values import MESSAGES, Refused, read_date, same_name, short_text
from portal.platform import access, audit
from portal.platform.dates import ROC_OFFSET
from portal.platform.exports import bilingual_rows, xlsx_bytes
from portal.platform.extensions import db
from portal.registry.identity import IdNumberError, classify, mask_name
from portal.registry.models import Person
from portal.registry.operations import lock_people
from portal.registry.scopes import person_scope

from .models import Award, AwardStatus, Scheme
from .operations import record_imported

IMPORT_KIND = "other_awards"
ROLES = frozenset(access.AUTHORITIES)
EARLIEST_YEAR = 2001          # the Volunteer Service Act took effect in 2001
TITLE_MAX, TIER_MAX = 200, 10
ISSUER_MAX = Award.__table__.c.issuer.type.length

COLUMNS = (
    Column("id_number", "身分證號 ID number", ("身分證號", "身分證字號", "身分證統一編號", "ID number", "ID")),
    Column("name", "姓名 Name", ("姓名", "Name")),
    Column("title", "獎項名稱 Award", ("獎項名稱", "獎項", "Award", "Award name")),
    Column("tier", "等次 Tier", ("等次", "等級", "Tier"), required=False),
    Column("issuer", "頒發機關 Issued by", ("頒發機關", "Issued by", "Issuer"), required=False),
    Column("year", "得獎年度 Year", ("得獎年度", "年度", "Year")),
    Column("awarded_on", "頒發日期 Date awarded", ("頒發日期", "Date awarded", "Awarded on"), required=False),
)
AWARDS = Format("other_awards", _l("Other-award template"), COLUMNS)

AWARD_MESSAGES = {
    "authority_only": lambda **p: _("Only an authority (sector authority, county or ministry) may import award "
                                    "data, for itself."),
    "not_found": lambda **p: _("No volunteer with this ID number serves in a unit within your scope."),
    "year": lambda **p: _("Enter the award year as an ROC year such as 113 or a western year such as 2024."),
    "future_year": lambda **p: _("The award year cannot be in the future (this year is %(year)s).",
                                 year=p["year"]),
    "early_year": lambda **p: _("Awards before %(year)s, when the Volunteer Service Act took effect, are not "
                                "accepted.", year=EARLIEST_YEAR),
    "future_award_date": lambda **p: _("The date awarded cannot be in the future."),
    "date_before_year": lambda **p: _("The date awarded is before the award year."),
    "award_conflict": lambda **p: _("This volunteer already has this award for %(year)s with another tier "
                                    "(%(tier)s).", year=p["year"], tier=p["tier"] or "—"),
    "row_twice": lambda **p: _("The same volunteer, award and year are already in row %(row)s with other "
                               "details.", row=p["row"]),
}


def _message(code: str, **params):
    found = AWARD_MESSAGES.get(code) or MESSAGES[code]
    return lambda: found(**params)


def _refused(table, row, key, value, exc: Refused, masked=False) -> RowProblem:
    return table.problem(row, key, value, exc.code, _message(exc.key or exc.code, **exc.params), masked)


def authority_context_problem(ctx) -> RowProblem | None:
    """Refuse anything but an authority account importing for its own authority (never a unit)."""
    authority, user = ctx.authority, ctx.user
    if ctx.unit is not None or authority is None or user is None or not getattr(user, "active", True):
        return RowProblem(None, "", "", "", "authority_only", _message("authority_only"))
    if user.role not in ROLES or user.authority_id != authority.id or authority.kind != user.role:
        return RowProblem(None, "", "", "", "authority_only", _message("authority_only"))
    return None


_YEAR = re.compile(r"^(?:民國)?(\d{1,4})(?:年度?)?$")


def read_year(value, today: date) -> int:
    """An award year written as ROC (113, 民國113年) or western (2024); none in the future or before 2001."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip().replace(" ", "")
    if not text:
        raise Refused("required")
    match = _YEAR.match(text)
    if not match:
        raise Refused("year")
    number = int(match[1])
    year = number if number >= 1000 else number + ROC_OFFSET
    if year > today.year:
        raise Refused("future_year", year=today.year)
    if year < EARLIEST_YEAR:
        raise Refused("early_year")
    return year


def title_key(title: str) -> str:
    """Award names compared with spaces and width variants ignored."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", title or ""))


def _text(table, row, key, cells, limit, problems, required=False) -> str:
    raw = table.cell(cells, key)
    try:
        text = short_text(raw, limit, single_line=True)
        if required and not text:
            raise Refused("required")
        return text
    except Refused as exc:
        problems.append(_refused(table, row, key, raw, exc))
        return ""


def _read(table: Table, row: int, cells: list, ctx, problems: list) -> dict:
    values = {"name": _text(table, row, "name", cells, 60, problems, required=True)}
    raw_id = table.cell(cells, "id_number")
    try:
        values["id_number"] = classify(str(raw_id if raw_id is not None else ""))[1]
    except IdNumberError as exc:
        blank = not str(raw_id or "").strip()
        code = "checksum" if exc.reason == "checksum" else ("required" if blank else "id_format")
        problems.append(table.problem(row, "id_number", raw_id, code, _message(code), masked=True))
    values["title"] = _text(table, row, "title", cells, TITLE_MAX, problems, required=True)
    values["tier"] = _text(table, row, "tier", cells, TIER_MAX, problems)
    values["issuer"] = _text(table, row, "issuer", cells, ISSUER_MAX, problems) or ctx.authority.name
    raw_year = table.cell(cells, "year")
    raw_date = table.cell(cells, "awarded_on")
    values["awarded_on"] = None
    if raw_date not in (None, "") and str(raw_date).strip():
        try:
            values["awarded_on"] = read_date(raw_date)
        except Refused as exc:
            problems.append(_refused(table, row, "awarded_on", raw_date, exc))
    values["year"] = None
    try:
        if (raw_year is None or not str(raw_year).strip()) and values["awarded_on"] is not None:
            values["year"] = read_year(values["awarded_on"].year, ctx.today)   # the year of the date given
        else:
            values["year"] = read_year(raw_year, ctx.today)
    except Refused as exc:
        problems.append(_refused(table, row, "year", raw_year, exc))
    day = values["awarded_on"]
    if day is not None:
        if day > ctx.today:
            problems.append(table.problem(row, "awarded_on", raw_date, "future_award_date",
                                          _message("future_award_date")))
        elif day.year < EARLIEST_YEAR:
            problems.append(table.problem(row, "awarded_on", raw_date, "early_year", _message("early_year")))
        elif values["year"] is not None and day.year < values["year"]:
            problems.append(table.problem(row, "awarded_on", raw_date, "date_before_year",
                                          _message("date_before_year")))
    return values


def _recorded(person_ids) -> dict:
    """(person id, award-name key, year) → tier of the valid awards already recorded."""
    if not person_ids:
        return {}
    rows = db.session.execute(select(Award.person_id, Award.title, Award.year, Award.tier).where(
        Award.person_id.in_(sorted(person_ids)), Award.status == AwardStatus.VALID))
    return {(pid, title_key(title), year): tier or "" for pid, title, year, tier in rows if title}


def validate(table: Table, ctx) -> Plan:
    body = list(table.rows)     # an authority's award list is small; read once (the pipeline streams rows)
    plan = Plan(rows=len(body))
    refused = authority_context_problem(ctx)
    if refused is not None:
        plan.problems.append(refused)
        return plan
    readable = []
    for number, cells in body:
        problems = []
        values = _read(table, number, cells, ctx, problems)
        plan.problems += problems
        if not problems:
            readable.append((number, values))
    ids = {v["id_number"] for _n, v in readable}
    # Only people within the importer's scope are looked up: anyone else is "not found".
    people = {number: (pid, name) for pid, number, name in db.session.execute(
        select(Person.id, Person.id_number, Person.name).where(Person.id_number.in_(ids), person_scope(ctx.user))
    )} if ids else {}
    lock_people(pid for pid, _name in people.values())
    recorded = _recorded({pid for pid, _name in people.values()})
    in_file = {}
    for number, values in readable:
        found = people.get(values["id_number"])
        if found is None:
            plan.problems.append(table.problem(number, "id_number", values["id_number"], "not_found",
                                               _message("not_found"), masked=True))
            continue
        person_id, registered = found
        if not same_name(registered, values["name"]):
            plan.problems.append(table.problem(number, "name", values["name"], "name_mismatch",
                                               _message("name_mismatch", name=mask_name(registered))))
            continue
        key = (person_id, title_key(values["title"]), values["year"])
        if key in recorded:
            if recorded[key] == values["tier"]:
                plan.duplicates += 1
            else:
                plan.problems.append(table.problem(number, "tier", values["tier"], "award_conflict",
                                                   _message("award_conflict", year=values["year"],
                                                            tier=recorded[key])))
            continue
        if key in in_file:
            first_row, first = in_file[key]
            if first == values:
                plan.duplicates += 1
            else:
                plan.problems.append(table.problem(number, "title", values["title"], "row_twice",
                                                   _message("row_twice", row=first_row)))
            continue
        in_file[key] = (number, values)
        plan.items.append((person_id, values))
    plan.problems.sort(key=lambda p: p.row or 0)
    plan.summary = {"awards": len(plan.items), "people": len({pid for pid, _v in plan.items})}
    return plan


def write(plan: Plan, ctx, batch) -> dict:
    """Insert the awards with their provenance (flush); one audit row each."""
    user = ctx.user
    awards = []
    for person_id, values in plan.items:
        awards.append(record_imported(person_id, {
            "scheme": Scheme.OTHER, "title": values["title"], "tier": values["tier"] or None,
            "issuer": values["issuer"], "year": values["year"], "awarded_on": values["awarded_on"]}, batch, user,
            ctx.authority))
    db.session.flush()
    for award in awards:
        audit.record("award.import", award, person_id=award.person_id, title=award.title, tier=award.tier,
                     year=award.year, issuer=award.issuer, batch=batch.id, file=batch.filename, sha256=batch.sha256,
                     by_user=getattr(user, "id", None), authority=ctx.authority.id)
    return {"awards": len(awards), "people": len({a.person_id for a in awards})}


INSTRUCTIONS = [
    _l("How to fill in this template"),
    _l("One row per award a volunteer received. Keep the first row (the column names)."),
    _l("ID number: the national ID or resident certificate number, e.g. A123456789. Name: as registered."),
    _l("Award: the award's own name (at most 200 characters). Tier: optional, e.g. 金質 (at most 10 characters)."),
    _l("Issued by: the body that gave the award; empty means your authority."),
    _l("Year: ROC 113 or western 2024, not in the future and not before 2001. Date awarded: optional, "
       "e.g. 113/11/27, 1131127 or 2024-11-27."),
    _l("The volunteer must serve in a unit within your scope. A row already recorded (same volunteer, award and "
       "year) is skipped."),
    _l("Upload the file on the award import page: nothing is saved until you confirm the preview."),
]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_NAME = "other-awards-template.xlsx"


def template() -> tuple[bytes, str, str]:
    with force_locale("zh_TW"):
        data_title, help_title = _("Awards"), _("Instructions")
    with force_locale("en"):
        data_title, help_title = f"{data_title} {_('Awards')}", f"{help_title} {_('Instructions')}"
    body = xlsx_bytes([(data_title[:31], [c.header for c in COLUMNS], []),
                       (help_title[:31], [], bilingual_rows(INSTRUCTIONS))])
    return body, TEMPLATE_NAME, XLSX


KIND = ImportKind(
    key=IMPORT_KIND, label=_l("Other awards"), roles=ROLES, formats=(AWARDS,), validate=validate, write=write,
    scope="authority", templates={TEMPLATE_NAME: (_l("Other-award template with instructions (Excel)"), template)},
    page=("awards.other_import", None),
)
