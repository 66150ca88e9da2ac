"""Honor-card data import, for county authorities only (docs/rules/honor-cards.md#hc11).

A kind of the shared import pipeline (portal/imports): the same reading, preview, all-or-nothing
commit and idempotency by file hash. Only a county authority may run it: the kind is registered
for the `county` role, and validate() itself refuses any context that is not a county authority
acting in person (or the command line naming a county account), so no route — web form, command
line or a direct call — lets a unit write honor-card data. Every card written records who
imported it and from which file (the import batch, its file name and hash).

Columns (header row, any order; Chinese or English headers):
姓名, 身分證字號, 卡號 (empty: numbered by the portal; the counties' own forms such as 北市榮字第00123號 are kept
as given and compared by their key, docs/rules/honor-cards.md#hc13), 狀態 (初次/換發/補發/註銷; empty: 初次),
審核日期, 有效起日 (empty: the approval date), 有效迄日 (empty: 3 years later),
年資起日, 年資迄日 (the counting window the card used), 採計時數 (hours counted).
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.hours.rules import MESSAGES, half_hours_of
from portal.imports.pipeline import ImportKind, Plan
from portal.imports.reading import Column, Format, RowProblem, Table
from portal.imports.values import Refused, read_date, same_name, short_text
from portal.platform import access, audit
from portal.platform.dates import add_years
from portal.platform.exports import csv_bytes
from portal.platform.extensions import db
from portal.platform.i18n import hours_text
from portal.registry.identity import IdNumberError, classify, mask_name
from portal.registry.models import AuthorityKind, Membership, Person, Unit

from .documents import issue_documents
from .models import CardKind, CardSource, CardStatus, HonorCard
from .numbers import accepted, number_key
from .operations import next_card_number
from .rules import VALID_YEARS
from .scopes import IMPORT_KIND

COLUMNS = (
    Column("name", "姓名", ("Name",)),
    Column("id_number", "身分證字號", ("ID number", "身分證統一編號")),
    Column("number", "卡號", ("Card number", "編號"), required=False),
    Column("status", "狀態", ("Status", "種類"), required=False),
    Column("approved_on", "審核日期", ("Approved on", "核發日期")),
    Column("valid_from", "有效起日", ("Valid from",), required=False),
    Column("valid_to", "有效迄日", ("Valid to",), required=False),
    Column("window_start", "年資起日", ("Window start",), required=False),
    Column("window_end", "年資迄日", ("Window end",), required=False),
    Column("hours", "採計時數", ("Hours counted",), required=False),
)
CARDS = Format("honor_cards", _l("Honor-card template"), COLUMNS)

# 狀態 -> (kind, status) of the card written; a cancelled card is written as a cancelled first issue.
FIRST_VALID = (CardKind.FIRST, CardStatus.VALID)
STATUSES = {"初次": FIRST_VALID, "換發": (CardKind.RENEWAL, CardStatus.VALID),
            "補發": (CardKind.REISSUE, CardStatus.VALID), "註銷": (CardKind.FIRST, CardStatus.CANCELLED),
            "first": FIRST_VALID, "renewal": (CardKind.RENEWAL, CardStatus.VALID),
            "reissue": (CardKind.REISSUE, CardStatus.VALID), "cancelled": (CardKind.FIRST, CardStatus.CANCELLED)}

CARD_MESSAGES = {
    "county_only": lambda: _("Only a county authority may import honor-card data."),
    "not_in_county": lambda: _("This volunteer serves in no unit of your county."),
    "status": lambda: _("Use 初次, 換發, 補發 or 註銷, or leave it empty."),
    "card_number": lambda: _("Write the card number as on the card, e.g. 北市榮字第00123號 or HC-TPE-113-000123 "
                             "(at most 30 characters)."),
    "number_taken": lambda: _("This card number already belongs to another card."),
    "number_twice": lambda: _("This card number appears twice in the file with different details."),
    "valid_order": lambda: _("The card must be valid to a later date than it is valid from."),
    "window_order": lambda: _("The window must end on or after the day it starts."),
    "window_pair": lambda: _("Give both the start and the end of the counting window, or neither."),
    "overlap_card": lambda: _("This card's validity overlaps another valid card of this volunteer."),
}


def _problem(table, row, key, value, code, masked=False):
    message = CARD_MESSAGES.get(code) or (lambda: MESSAGES[code]())
    return table.problem(row, key, value, code, message, masked)


def _refused(table, row, key, value, exc: Refused, masked=False) -> RowProblem:
    return table.problem(row, key, value, exc.code, lambda e=exc: MESSAGES[e.key or e.code](**e.params), masked)


def county_context_problem(ctx) -> RowProblem | None:
    """Refuse anything but a county authority: a unit context, a unit user, or no authority."""
    authority, user = ctx.authority, ctx.user
    if ctx.unit is not None or authority is None or authority.kind != AuthorityKind.COUNTY:
        return RowProblem(None, "", "", "", "county_only", CARD_MESSAGES["county_only"])
    if user is not None and (user.role != access.COUNTY or user.authority_id != authority.id):
        return RowProblem(None, "", "", "", "county_only", CARD_MESSAGES["county_only"])
    return None


def _date(table, row, key, cells, problems, required=False):
    value = table.cell(cells, key)
    if value in (None, "") or not str(value).strip():
        if required:
            problems.append(table.problem(row, key, value, "required", lambda: MESSAGES["required"]()))
        return None
    try:
        return read_date(value)
    except Refused as exc:
        problems.append(_refused(table, row, key, value, exc))
        return None


def _read(table: Table, row: int, cells: list, problems: list) -> dict:
    values = {}
    raw_name = table.cell(cells, "name")
    try:
        values["name"] = short_text(raw_name, 60, single_line=True)
        if not values["name"]:
            raise Refused("required")
    except Refused as exc:
        problems.append(_refused(table, row, "name", raw_name, exc))
    raw_id = table.cell(cells, "id_number")
    try:
        values["id_number"] = classify(str(raw_id or ""))[1]
    except IdNumberError as exc:
        code = "checksum" if exc.reason == "checksum" else ("required" if not str(raw_id or "").strip() else "id_format")
        problems.append(_problem(table, row, "id_number", raw_id, code, masked=True))
    number = str(table.cell(cells, "number") or "").strip()      # kept as given (HC13)
    if number and not accepted(number):
        problems.append(_problem(table, row, "number", number, "card_number"))
    values["number"], values["number_key"] = number, number_key(number) if number else ""
    status = str(table.cell(cells, "status") or "").strip()
    if status and status.lower() not in STATUSES and status not in STATUSES:
        problems.append(_problem(table, row, "status", status, "status"))
    values["kind"], values["status"] = STATUSES.get(status or "初次", STATUSES.get(status.lower(), FIRST_VALID))
    values["approved_on"] = _date(table, row, "approved_on", cells, problems, required=True)
    values["valid_from"] = _date(table, row, "valid_from", cells, problems) or values["approved_on"]
    values["valid_to"] = _date(table, row, "valid_to", cells, problems)
    if values["valid_to"] is None and values["valid_from"]:
        values["valid_to"] = add_years(values["valid_from"], VALID_YEARS)
    if values["valid_from"] and values["valid_to"] and values["valid_to"] <= values["valid_from"]:
        problems.append(_problem(table, row, "valid_to", values["valid_to"], "valid_order"))
    values["window_start"] = _date(table, row, "window_start", cells, problems)
    values["window_end"] = _date(table, row, "window_end", cells, problems)
    if bool(values["window_start"]) != bool(values["window_end"]):
        problems.append(_problem(table, row, "window_end", values["window_end"], "window_pair"))
    elif values["window_start"] and values["window_end"] < values["window_start"]:
        problems.append(_problem(table, row, "window_end", values["window_end"], "window_order"))
    raw_hours = table.cell(cells, "hours")
    values["half_hours"] = None
    if raw_hours not in (None, "") and str(raw_hours).strip():
        try:
            values["half_hours"] = half_hours_of(raw_hours)
        except Refused as exc:
            problems.append(_refused(table, row, "hours", raw_hours, exc))
    return values


def _same_card(a: dict, b: dict) -> bool:
    """Two rows of one number describe the same card when everything but the way the number is written agrees."""
    return {k: v for k, v in a.items() if k != "number"} == {k: v for k, v in b.items() if k != "number"}


def validate(table: Table, ctx) -> Plan:
    body = list(table.rows)     # read once (the pipeline streams rows); a county's card file is small
    plan = Plan(rows=len(body))
    refused = county_context_problem(ctx)
    if refused is not None:
        plan.problems.append(refused)
        return plan
    county = ctx.authority.county_code
    rows, in_file = [], {}
    for number, cells in body:
        problems = []
        values = _read(table, number, cells, problems)
        key = values.get("number_key")      # duplicates are found on the key: 第00123號 and 123 are one number
        if not problems and key and key in in_file:
            if _same_card(in_file[key], values):
                plan.duplicates += 1
                continue
            problems.append(_problem(table, number, "number", values["number"], "number_twice"))
        plan.problems += problems
        if not problems:
            if key:
                in_file[key] = values
            rows.append((number, values))
    ids = {v["id_number"] for _n, v in rows}
    people = {p.id_number: p for p in db.session.scalars(select(Person).where(Person.id_number.in_(ids)))} \
        if ids else {}
    in_county = set(db.session.scalars(select(Membership.person_id).join(Unit, Unit.id == Membership.unit_id).where(
        Membership.person_id.in_([p.id for p in people.values()]), Unit.county_code == county))) if people else set()
    keys = {v["number_key"] for _n, v in rows if v["number_key"]}
    existing = {c.number_key: c for c in db.session.scalars(select(HonorCard).where(HonorCard.number_key.in_(keys)))} \
        if keys else {}
    valid_cards = {}
    if people:
        for card in db.session.scalars(select(HonorCard).where(
                HonorCard.person_id.in_([p.id for p in people.values()]), HonorCard.status == CardStatus.VALID)):
            valid_cards.setdefault(card.person_id, []).append((card.valid_from, card.valid_to, card.number))
    for number, values in rows:
        person = people.get(values["id_number"])
        if person is None:
            plan.problems.append(_problem(table, number, "id_number", values["id_number"], "unknown_volunteer",
                                          masked=True))
            continue
        if not same_name(person.name, values["name"]):
            registered = mask_name(person.name)
            plan.problems.append(table.problem(number, "name", values["name"], "name_mismatch",
                                               lambda n=registered: MESSAGES["name_mismatch"](name=n)))
            continue
        if person.id not in in_county:
            plan.problems.append(_problem(table, number, "id_number", values["id_number"], "not_in_county",
                                          masked=True))
            continue
        card = existing.get(values["number_key"])
        if card is not None:
            if card.person_id == person.id and card.valid_from == values["valid_from"] and \
                    card.valid_to == values["valid_to"]:
                plan.duplicates += 1
            else:
                plan.problems.append(_problem(table, number, "number", values["number"], "number_taken"))
            continue
        if values["status"] == CardStatus.VALID and values["kind"] != CardKind.REISSUE and any(
                a <= values["valid_to"] and values["valid_from"] <= b
                for a, b, _no in valid_cards.get(person.id, [])):
            plan.problems.append(_problem(table, number, "valid_from", values["valid_from"], "overlap_card"))
            continue
        if values["status"] == CardStatus.VALID and values["kind"] != CardKind.REISSUE:
            valid_cards.setdefault(person.id, []).append((values["valid_from"], values["valid_to"], values["number"]))
        plan.items.append((person, values))
    plan.summary = {"cards": len(plan.items)}
    return plan


def write(plan: Plan, ctx, batch) -> dict:
    """Insert the cards (flush). Their e-card documents are issued after the commit (issue_imported)."""
    user, authority = ctx.user, ctx.authority
    for person, values in plan.items:
        card = HonorCard(
            person_id=person.id, person=person, number=values["number"] or next_card_number(
                authority.county_code, values["approved_on"]),
            kind=values["kind"], status=values["status"], county_code=authority.county_code,
            authority_id=authority.id, approved_on=values["approved_on"], valid_from=values["valid_from"],
            valid_to=values["valid_to"], window_start=values["window_start"], window_end=values["window_end"],
            half_hours=values["half_hours"], source=CardSource.IMPORT, import_batch_id=batch.id,
            imported_by_id=getattr(user, "id", None), source_filename=batch.filename or "",
            cancelled_on=values["approved_on"] if values["status"] == CardStatus.CANCELLED else None,
            cancel_reason=_("Imported as cancelled") if values["status"] == CardStatus.CANCELLED else "")
        db.session.add(card)
        db.session.flush()
        audit.record("honor_card.import", card, number=card.number, batch=batch.id, file=batch.filename,
                     sha256=batch.sha256, by_user=getattr(user, "id", None), kind=card.kind, status=card.status,
                     valid=f"{card.valid_from}..{card.valid_to}",
                     hours=hours_text(card.half_hours, grouped=False) if card.half_hours is not None else None)
    return {"cards": len(plan.items)}


def issue_imported(batch, user, today) -> tuple[int, list[str]]:
    """After the import is committed: e-card documents for its cards that are still in force."""
    ids = db.session.scalars(select(HonorCard.id).where(HonorCard.import_batch_id == batch.id)).all()
    return issue_documents(ids, user, valid_on=today)


def template():
    return csv_bytes([c.header for c in COLUMNS], []), "honor-cards-template.csv", "text/csv"


KIND = ImportKind(
    key=IMPORT_KIND, label=_l("Honor cards"), roles=frozenset({access.COUNTY}), formats=(CARDS,),
    validate=validate, write=write, scope="authority",
    templates={"honor-cards-template.csv": (_l("Honor-card template (CSV)"), template)},
    page=("honor_cards.import_show", "card_batch_id"),
)
