"""Writing hour entries, corrections, voids and claim decisions (flush, never commit), and totals."""
import json
import logging
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import extract, func, insert, select

from portal.notifications.events import path_for
from portal.notifications.operations import notify
from portal.notifications.recipients import volunteer_accounts
from portal.platform import audit
from portal.platform.extensions import db
from portal.platform.i18n import hours_text
from portal.platform.timeutil import utcnow
from portal.registry.models import Unit
from portal.registry.operations import lock_people

from .disputes import settle_by_change
from .facts import entry_checker
from .models import ChangeAction, EntrySource, EntryStatus, HourChange, HourEntry
from .rules import Draft, unit_fields, window_of
from .summaries import HourMonth, HourUnitMonth, HourUnitYear

log = logging.getLogger(__name__)

# Values a correction may change; each change keeps the old and the new value.
CORRECTABLE = ("start_on", "end_on", "half_hours", "field_code", "content", "persons_served")


def _user_id(user) -> int | None:
    return getattr(user, "id", None)


def record_entry(draft: Draft, user, source: str = EntrySource.UNIT, status: str = EntryStatus.ACTIVE,
                 **values) -> HourEntry:
    """One entry from the form, the grid or a claim, with its audit row."""
    entry = HourEntry(person_id=draft.person_id, unit_id=draft.unit_id, start_on=draft.start_on, end_on=draft.end_on,
                      half_hours=draft.half_hours, field_code=draft.field_code, status=status, source=source,
                      entered_by_id=_user_id(user), entered_at=utcnow(), **values)
    db.session.add(entry)
    db.session.flush()
    audit.record("hours.claim" if source == EntrySource.CLAIM else "hours.create", entry, person_id=entry.person_id,
                 unit_id=entry.unit_id, start_on=entry.start_on, end_on=entry.end_on, hours=entry.hours,
                 field=entry.field_code, status=status)
    log.info("hour entry %s (%s) by user %s", entry.id, source, _user_id(user))
    return entry


def insert_imported(rows: list[tuple], columns: tuple, batch_id: int, user, chunk: int = 5000) -> int:
    """Bulk insert of validated import rows: Core inserts of a few thousand rows, no ORM objects.

    RETURNING makes SQLAlchemy send one multi-row INSERT per 1,000 rows ("insertmanyvalues") instead of one
    statement per row: on PostgreSQL the summary triggers run once per statement, and 1,000 single-row
    statements took 10 times as long as one (22 s against 2 s for 1,000 rows on a loaded machine). The rows
    stay parameters, so the completeness hook (records.summary_hooks) still sees their people."""
    table = HourEntry.__table__
    now, user_id = utcnow(), _user_id(user)
    fixed = {"status": EntryStatus.ACTIVE, "source": EntrySource.IMPORT, "import_batch_id": batch_id,
             "entered_by_id": user_id, "entered_at": now, "version": 1}
    for start in range(0, len(rows), chunk):
        db.session.execute(insert(table).returning(table.c.id),
                           [dict(zip(columns, row, strict=True), **fixed) for row in rows[start:start + chunk]])
    return len(rows)


def _shown(key, value):
    return value.isoformat() if isinstance(value, date) else value


def _change(entry: HourEntry, action: str, user, reason: str, before: dict, after: dict) -> HourChange:
    change = HourChange(entry=entry, action=action, actor_id=_user_id(user), at=utcnow(), reason=reason,
                        before=json.dumps({k: _shown(k, v) for k, v in before.items()}, ensure_ascii=False),
                        after=json.dumps({k: _shown(k, v) for k, v in after.items()}, ensure_ascii=False))
    db.session.add(change)
    return change


def _tell_volunteer(entry: HourEntry, event: str, **params):
    """The volunteer's account hears of a decision on or a change to their entry, in this transaction."""
    notify(volunteer_accounts([entry.person_id]), event, link=path_for("hours.show", entry_id=entry.id),
           unit=entry.unit.name, date=entry.start_on, hours=hours_text(entry.half_hours), **params)


def correct_entry(entry: HourEntry, values: dict, reason: str, user) -> HourChange | None:
    """Change dates, hours, field or content; the old and new values, who and why are kept."""
    before, after = {}, {}
    for key in CORRECTABLE:
        if key in values and getattr(entry, key) != values[key]:
            before[key], after[key] = getattr(entry, key), values[key]
            setattr(entry, key, values[key])
    if not after:
        return None
    change = _change(entry, ChangeAction.CORRECT, user, reason, before, after)
    db.session.flush()
    audit.record("hours.correct", entry, reason=reason, before={k: _shown(k, v) for k, v in before.items()},
                 after={k: _shown(k, v) for k, v in after.items()})
    _tell_volunteer(entry, "hours.entry_changed", change="corrected", reason=reason)
    settle_by_change(entry, "correct", reason, user)   # docs/rules/hours.md#h13: a correction answers a dispute
    return change


def void_entry(entry: HourEntry, reason: str, user) -> HourChange:
    change = _change(entry, ChangeAction.VOID, user, reason, {"status": entry.status}, {"status": EntryStatus.VOID})
    entry.status = EntryStatus.VOID
    db.session.flush()
    audit.record("hours.void", entry, reason=reason, hours=entry.hours)
    _tell_volunteer(entry, "hours.entry_changed", change="voided", reason=reason)
    settle_by_change(entry, "void", reason, user)
    return change


def last_void(entry: HourEntry) -> HourChange | None:
    """The change that voided the entry, when the entry is void and that void was the entry's last change."""
    if entry.status != EntryStatus.VOID or not entry.changes or entry.changes[-1].action != ChangeAction.VOID:
        return None
    return entry.changes[-1]


def undo_void(entry: HourEntry, void: HourChange, user) -> HourChange:
    """Count a voided entry again (the undo of `void`, within the undo window the view checks). The status goes
    back through the ORM like every hour write, so the summary triggers add the hours back exactly; the void and
    its undo both stay in the history and the audit trail."""
    change = _change(entry, ChangeAction.RESTORE, user, "", {"status": EntryStatus.VOID},
                     {"status": EntryStatus.ACTIVE})
    entry.status = EntryStatus.ACTIVE
    db.session.flush()
    audit.record("hours.void_undo", entry, undoes=void.id, hours=entry.hours)
    _tell_volunteer(entry, "hours.entry_changed", change="restored", reason="")
    return change


def decide_claim(entry: HourEntry, approve: bool, reason: str, user) -> HourChange:
    new_status = EntryStatus.ACTIVE if approve else EntryStatus.DECLINED
    change = _change(entry, ChangeAction.APPROVE if approve else ChangeAction.DECLINE, user, reason,
                     {"status": EntryStatus.PENDING}, {"status": new_status})
    entry.status = new_status
    db.session.flush()
    audit.record("hours.claim_approve" if approve else "hours.claim_decline", entry, reason=reason,
                 hours=entry.hours, person_id=entry.person_id)
    _tell_volunteer(entry, "hours.claim_decided", decision="approved" if approve else "rejected", reason=reason)
    return change


def decide_claims(chosen: list[HourEntry], approve: bool, reason: str, user, today: date) -> dict[int, list[str]]:
    """Decide the chosen claims; approvals go through every entry rule first. Returns the refused ones
    (claim id -> the rules' messages); the others are decided."""
    refused = {}
    if approve:
        lock_people(c.person_id for c in chosen)
        drafts = [draft_of(c) for c in chosen]
        units = db.session.scalars(select(Unit).where(Unit.id.in_({c.unit_id for c in chosen}))).all()
        checker = entry_checker({d.person_id for d in drafts}, window_of(drafts), today, unit_fields=unit_fields(units))
        for claim_entry, draft in zip(chosen, drafts, strict=True):
            problems = checker.refusals(draft)
            if problems:
                refused[claim_entry.id] = [p.message for p in problems]
                continue
            checker.accept(draft, entry_id=claim_entry.id)
    for claim_entry in chosen:
        if claim_entry.id not in refused:
            decide_claim(claim_entry, approve, reason, user)
    return refused


def draft_of(entry: HourEntry, **changes) -> Draft:
    values = {k: getattr(entry, k) for k in ("person_id", "unit_id", "start_on", "end_on", "half_hours",
                                             "field_code")}
    values.update(changes)
    return Draft(**values)


# -- totals: one grouped query per screen ---------------------------------------------------

@dataclass(frozen=True)
class UnitLabel:
    id: int
    code: str
    name: str
    name_en: str


@dataclass
class PersonTotals:
    total: int
    by_unit: list[tuple]   # (unit, half-hours), biggest first
    by_field: list[tuple]  # (field code, half-hours), within the units whose rows the viewer may see
    by_year: list[tuple]   # (year, half-hours), idem
    hidden_units: int      # how many units appear only as a total
    unit_years: dict = field(default_factory=dict)   # (unit, year) -> half-hours, idem

    def year_by_unit(self, year: int) -> list[tuple]:
        """(unit, half-hours) of one year, biggest first: "how many hours this year, in which units"."""
        return sorted(((unit, half) for (unit, yr), half in self.unit_years.items() if yr == year),
                      key=lambda item: (-item[1], item[0].code))


def person_totals(person_id: int, row_unit_ids: set[int] | None, start: date | None = None,
                  end: date | None = None) -> PersonTotals:
    """Totals of one volunteer: all units, by unit, by field and by year, in one grouped query of the
    hour summaries (a few rows per month served, not every entry). An entry counts in the year it starts.

    `row_unit_ids`: units whose breakdown the viewer may see (None = all, for the volunteer
    and the ministry); other units contribute only their total per unit.
    `start`, `end`: only the active entries that touch those days, as the hours list filters them; grouped
    the same way from the volunteer's own entries (the summaries hold whole months, a filter may cut one).
    """
    unit_columns = (Unit.id, Unit.code, Unit.name, Unit.name_en)
    if start is None and end is None:
        query = (select(*unit_columns, HourMonth.field_code, HourMonth.year, func.sum(HourMonth.half_hours))
                 .join(Unit, Unit.id == HourMonth.unit_id).where(HourMonth.person_id == person_id)
                 .group_by(*unit_columns, HourMonth.field_code, HourMonth.year))
    else:
        year = extract("year", HourEntry.start_on)
        query = (select(*unit_columns, HourEntry.field_code, year, func.sum(HourEntry.half_hours))
                 .join(Unit, Unit.id == HourEntry.unit_id)
                 .where(HourEntry.person_id == person_id, HourEntry.status == EntryStatus.ACTIVE,
                        *([HourEntry.end_on >= start] if start else []), *([HourEntry.start_on <= end] if end else []))
                 .group_by(*unit_columns, HourEntry.field_code, year))
    units, fields, years, unit_years = {}, {}, {}, {}
    for unit_id, code, name, name_en, field_code, yr, half in db.session.execute(query):
        unit = UnitLabel(unit_id, code, name, name_en)
        units[unit] = units.get(unit, 0) + half
        if row_unit_ids is None or unit.id in row_unit_ids:
            fields[field_code] = fields.get(field_code, 0) + half
            years[int(yr)] = years.get(int(yr), 0) + half
            unit_years[unit, int(yr)] = unit_years.get((unit, int(yr)), 0) + half
    hidden = sum(1 for u in units if row_unit_ids is not None and u.id not in row_unit_ids)
    return PersonTotals(total=sum(units.values()),
                        by_unit=sorted(units.items(), key=lambda item: (-item[1], item[0].code)),
                        by_field=sorted(fields.items(), key=lambda item: -item[1]),
                        by_year=sorted(years.items(), reverse=True), hidden_units=hidden, unit_years=unit_years)


def unit_yearly_totals(unit_id: int) -> list:
    """(year, entries, half-hours) of one unit, newest year first, from hour_unit_years (a few rows per year)."""
    y = HourUnitYear
    return db.session.execute(
        select(y.year, func.sum(y.entries).label("entries"), func.sum(y.half_hours).label("half_hours"))
        .where(y.unit_id == unit_id).group_by(y.year).order_by(y.year.desc())).all()


def unit_monthly_totals(unit_id: int, year: int | None = None) -> list:
    """(year, month, entries, volunteers, half-hours) for one unit, newest month first, one query of the
    summaries: entries and hours from hour_unit_months, volunteers counted distinct in hour_months (its
    index on unit, year, month, person answers that without the table)."""
    totals = (select(HourUnitMonth.year, HourUnitMonth.month, func.sum(HourUnitMonth.entries).label("entries"),
                     func.sum(HourUnitMonth.half_hours).label("half_hours"))
              .where(HourUnitMonth.unit_id == unit_id).group_by(HourUnitMonth.year, HourUnitMonth.month))
    people = (select(HourMonth.year, HourMonth.month, func.count(func.distinct(HourMonth.person_id)).label("people"))
              .where(HourMonth.unit_id == unit_id).group_by(HourMonth.year, HourMonth.month))
    if year:
        totals, people = totals.where(HourUnitMonth.year == year), people.where(HourMonth.year == year)
    totals, people = totals.subquery(), people.subquery()
    return db.session.execute(
        select(totals.c.year, totals.c.month, totals.c.entries, people.c.people, totals.c.half_hours)
        .join(people, (people.c.year == totals.c.year) & (people.c.month == totals.c.month))
        .order_by(totals.c.year.desc(), totals.c.month.desc())).all()
