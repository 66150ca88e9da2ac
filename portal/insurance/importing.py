"""The insurer's roster (the "insurer_roster" kind of the import pipeline): the list of insured volunteers an
insurer sends for a policy (被保險人名冊), matched by ID number and reconciled with the portal's enrolments
(docs/rules/insurance.md#i8).

Every row must name a policy of the importing unit (or county authority) and a valid ID number and dates;
any bad row refuses the whole file, like every import. A valid file records each roster line and each
enrolment it lacks as an insurance_roster_lines row: matched, other dates, extra, missing. Enrolments are
not changed: the unit decides what to correct.
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.imports.pipeline import ImportKind, Plan
from portal.imports.reading import Column, Format, Table
from portal.imports.values import MESSAGES, Refused, read_date, same_name, short_text
from portal.platform import access, audit
from portal.platform.exports import csv_bytes
from portal.platform.extensions import db
from portal.registry.identity import IdNumberError, classify, mask_id, mask_name
from portal.registry.models import Person

from .models import EnrolmentStatus, InsuranceEnrolment, InsurancePolicy, PolicyStatus, RosterCheck, RosterLine
from .rules import RosterRow, reconcile

COLUMNS = (
    Column("policy_no", "保單號碼", ("保險單號", "Policy number")),
    Column("name", "被保險人姓名", ("姓名", "Name")),
    Column("id_number", "身分證字號", ("被保險人身分證字號", "身分證統一編號", "ID number")),
    Column("birth_date", "出生日期", ("出生年月日", "Date of birth"), required=False),
    Column("starts_on", "保險起日", ("生效日", "加保日", "保險始期", "Cover starts on")),
    Column("ends_on", "保險迄日", ("終止日", "退保日", "保險終期", "Cover ends on")),
)
ROSTER = Format("insurer_roster", _l("Insurer's roster of insured volunteers"), COLUMNS)

ROSTER_MESSAGES = {
    "policy": lambda: _("No policy with this number is recorded for you. Record the policy first, or check the "
                        "number against the policy."),
    "date_order": lambda: _("The cover cannot end before it starts."),
    "twice": lambda: _("This ID number appears twice for the same policy with different dates."),
}


def _problem(table, row, key, value, code, masked=False, **params):
    message = ROSTER_MESSAGES.get(code) or (lambda: MESSAGES[code](**params))
    return table.problem(row, key, value, code, message, masked)


def _policies(ctx) -> dict[str, InsurancePolicy]:
    """The active policies the importing unit or county authority holds, by number (the latest if repeated)."""
    holder = (InsurancePolicy.unit_id == ctx.unit.id if ctx.unit is not None
              else InsurancePolicy.authority_id == ctx.authority.id)
    rows = db.session.scalars(select(InsurancePolicy).where(holder, InsurancePolicy.status == PolicyStatus.ACTIVE)
                              .order_by(InsurancePolicy.ends_on, InsurancePolicy.id))
    return {p.policy_no.upper(): p for p in rows}


def _date(table, number, key, value, problems):
    if value in (None, "") or not str(value).strip():
        problems.append(_problem(table, number, key, value, "required"))
        return None
    try:
        return read_date(value)
    except Refused as exc:
        problems.append(table.problem(number, key, value, exc.code,
                                      lambda e=exc: MESSAGES[e.key or e.code](**e.params)))
        return None


def _read(table: Table, number: int, cells: list, policies: dict, problems: list) -> dict:
    cell, values = table.cell, {}
    policy_no = str(cell(cells, "policy_no") or "").strip().upper()
    values["policy"] = policies.get(policy_no)
    if values["policy"] is None:
        problems.append(_problem(table, number, "policy_no", policy_no, "required" if not policy_no else "policy"))
    try:
        values["name"] = short_text(str(cell(cells, "name") or "").strip(), 60, single_line=True)
        if not values["name"]:
            raise Refused("required")
    except Refused as exc:
        problems.append(table.problem(number, "name", cell(cells, "name"), exc.code,
                                      lambda e=exc: MESSAGES[e.code](**e.params)))
    raw_id = str(cell(cells, "id_number") or "")
    try:
        values["id_number"] = classify(raw_id)[1]
    except IdNumberError as exc:
        code = "checksum" if exc.reason == "checksum" else ("required" if not raw_id.strip() else "id_format")
        problems.append(_problem(table, number, "id_number", raw_id, code, masked=True))
    values["starts_on"] = _date(table, number, "starts_on", cell(cells, "starts_on"), problems)
    values["ends_on"] = _date(table, number, "ends_on", cell(cells, "ends_on"), problems)
    if values["starts_on"] and values["ends_on"] and values["ends_on"] < values["starts_on"]:
        problems.append(_problem(table, number, "ends_on", values["ends_on"], "date_order"))
    return values


def validate(table: Table, ctx) -> Plan:
    plan, policies = Plan(), _policies(ctx)
    rows, seen = [], {}
    for number, cells in table.rows:
        plan.rows += 1
        problems = []
        values = _read(table, number, cells, policies, problems)
        key = (values["policy"].id, values["id_number"]) if not problems else None
        if key in seen:
            if (seen[key]["starts_on"], seen[key]["ends_on"]) == (values["starts_on"], values["ends_on"]):
                plan.duplicates += 1
                continue
            problems.append(_problem(table, number, "id_number", values["id_number"], "twice", masked=True))
        plan.problems += problems
        if not problems:
            seen[key] = values
            rows.append((number, values))
    people = {p.id_number: p for p in db.session.scalars(
        select(Person).where(Person.id_number.in_([v["id_number"] for _n, v in rows])))}
    by_policy: dict[int, list[RosterRow]] = {}
    for number, values in rows:
        person = people.get(values["id_number"])
        if person is not None and not same_name(person.name, values["name"]):
            registered = mask_name(person.name)
            plan.problems.append(table.problem(number, "name", values["name"], "name_mismatch",
                                               lambda n=registered: MESSAGES["name_mismatch"](name=n)))
            continue
        by_policy.setdefault(values["policy"].id, []).append(RosterRow(
            number, person.id if person else None, mask_id(values["id_number"]), values["name"],
            values["starts_on"], values["ends_on"]))
    enrolments = db.session.scalars(select(InsuranceEnrolment).where(
        InsuranceEnrolment.policy_id.in_(list(by_policy)), InsuranceEnrolment.status == EnrolmentStatus.ACTIVE)
        .order_by(InsuranceEnrolment.id)).all()
    for policy_id, roster in by_policy.items():
        mine = [e for e in enrolments if e.policy_id == policy_id]
        plan.items += [(policy_id, *found) for found in reconcile(roster, mine)]
    plan.summary = {check.value: sum(1 for item in plan.items if item[1] == check) for check in RosterCheck}
    plan.summary["policies"] = len(by_policy)
    return plan


def write(plan: Plan, ctx, batch) -> dict:
    """Keep the reconciliation as found, one audit line per policy reconciled."""
    for policy_id, check, row, enrolment in plan.items:
        db.session.add(RosterLine(
            batch_id=batch.id, policy_id=policy_id, check=check,
            person_id=row.person_id if row else enrolment.person_id, enrolment_id=enrolment.id if enrolment else None,
            masked_id=row.masked_id if row else enrolment.person.masked_id,
            name=row.name if row else enrolment.person.name, sheet_row=row.row if row else None,
            roster_starts_on=row.starts_on if row else None, roster_ends_on=row.ends_on if row else None))
    db.session.flush()
    for policy_id in sorted({item[0] for item in plan.items}):
        counts = {check.value: sum(1 for item in plan.items if item[0] == policy_id and item[1] == check)
                  for check in RosterCheck}
        audit.record("insurance.roster", db.session.get(InsurancePolicy, policy_id), batch_id=batch.id, **counts)
    return {key: value for key, value in plan.summary.items()}


def roster_template():
    return csv_bytes([c.header for c in COLUMNS], []), "insurer-roster-template.csv", "text/csv"


INSURER_ROSTER_KIND = ImportKind(
    key="insurer_roster", label=_l("Insurer's roster (insurance)"),
    roles=frozenset((*access.UNIT_STAFF, access.COUNTY)), formats=(ROSTER,), validate=validate, write=write,
    templates={"insurer-roster-template.csv": (_l("Insurer's roster template (CSV)"), roster_template)},
    page=("insurance.roster_show", "roster_batch_id"),
)
