"""The hours lists (own, a person's, the unit's, an authority's): a page of entries newest first by keyset,
the totals of the filter, and the rows of the export.

Totals without counting raw rows where the filter allows it: with no name search, counted entries only,
and dates on month boundaries (or none), the count and hours are the hour summaries' months
(hours.summaries) plus the entries that start before the first day and end on or after it (an entry is
summarised in the month it starts, but the list shows it from its first to its last day). Other filters
count at most COUNT_CAP rows ("more than 1,000 entries", no hours)."""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import DateTime, cast, func, literal_column, or_, select, true, tuple_
from sqlalchemy.orm import contains_eager

from portal.platform import access
from portal.platform.dates import month_end
from portal.platform.extensions import db
from portal.platform.i18n import is_chinese
from portal.platform.pagination import KeysetPage, desc, keyset
from portal.platform.params import id_or_none
from portal.registry.identity import mask_id, normalise
from portal.registry.models import Person
from portal.registry.scopes import in_unit_scope

from .models import EntryStatus, HourEntry
from .rules import MAX_RANGE_DAYS
from .scopes import entry_scope, writable_entry_scope
from .spreadsheets import mohw_row, portal_row
from .summaries import HourMonth, HourUnitMonth, HourUnitYear

ORDER = (desc(HourEntry.start_on), desc(HourEntry.id))
# A person's entries are few (a very active volunteer has a few thousand): counted exactly; a unit's or an
# authority's up to 1,000.
COUNT_CAP, PERSON_COUNT_CAP = 1_000, 100_000


def filtered(query, form):
    if form.q.data:
        query = query.where(or_(Person.name.contains(form.q.data, autoescape=True),
                                Person.id_number.startswith(normalise(form.q.data).rstrip("*"), autoescape=True)))
    if form.start.data:
        query = query.where(HourEntry.end_on >= form.start.data)
    if form.end.data:
        query = query.where(HourEntry.start_on <= form.end.data)
    if form.field.data:
        query = query.where(HourEntry.field_code == form.field.data)
    if form.status.data:
        query = query.where(HourEntry.status == form.status.data)
    if unit_filter(form) is not None:
        query = query.where(HourEntry.unit_id == unit_filter(form))
    return query


def unit_filter(form) -> int | None:
    return id_or_none(form.unit.data)


def entries_query(form, user, person_id: int | None = None):
    """The filtered entries in the user's scope (of one person), person and unit loaded, unordered."""
    query = (select(HourEntry).join(HourEntry.person).join(HourEntry.unit)
             .options(contains_eager(HourEntry.person), contains_eager(HourEntry.unit))
             .where(entry_scope(user)))
    if person_id is not None:
        query = query.where(HourEntry.person_id == person_id)
    return filtered(query, form)


def entries_page(form, user, cursor: str | None, person_id: int | None = None, per_page: int = 25) -> KeysetPage:
    return keyset(entries_query(form, user, person_id), ORDER, cursor, per_page, count=False)


# --- totals --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Totals:
    """Entries and half-hours of a filter; with `more`, at least `entries` entries and hours unknown."""
    entries: int
    half_hours: int | None
    more: bool = False


def summarised(form) -> bool:
    """The filter's totals can come from the monthly summaries."""
    start, end = form.start.data, form.end.data
    return (not form.q.data and form.status.data == EntryStatus.ACTIVE
            and (start is None or start.day == 1) and (end is None or end == month_end(end)))


def filter_totals(form, user, person_id: int | None = None) -> Totals:
    """The totals of the list `entries_page` pages, in at most two queries."""
    if summarised(form):
        return _summary_totals(form, user, person_id)
    counted = select(HourEntry.half_hours).join(HourEntry.person).where(entry_scope(user))
    if person_id is not None:
        counted = counted.where(HourEntry.person_id == person_id)
    personal = person_id is not None or user.role == access.VOLUNTEER
    cap = PERSON_COUNT_CAP if personal else COUNT_CAP
    rows = filtered(counted, form).limit(cap + 1).subquery()
    entries, half = db.session.execute(select(func.count(), func.coalesce(func.sum(rows.c.half_hours), 0))).one()
    if entries > cap:
        return Totals(cap, None, True)
    return Totals(entries, int(half))


def _months(table, form):
    """Conditions on a summary table's (year, month) for the filter's dates."""
    conditions = []
    if form.start.data:
        conditions.append(tuple_(table.year, table.month) >= (form.start.data.year, form.start.data.month))
    if form.end.data:
        conditions.append(tuple_(table.year, table.month) <= (form.end.data.year, form.end.data.month))
    return conditions


def _summary_totals(form, user, person_id: int | None) -> Totals:
    personal = person_id if person_id is not None else (user.person_id if user.role == access.VOLUNTEER else None)
    if user.role == access.VOLUNTEER and not user.person_id:
        return Totals(0, 0)
    if personal is not None:
        table = HourMonth
    elif form.start.data or form.end.data:
        table = HourUnitMonth
    else:  # all of history, the county's and ministry's first view: years, a twelfth of the month rows
        table = HourUnitYear
    query = select(func.coalesce(func.sum(table.entries), 0), func.coalesce(func.sum(table.half_hours), 0))
    if table is not HourUnitYear:
        query = query.where(*_months(table, form))
    if personal is not None:
        query = query.where(HourMonth.person_id == personal)
    if user.role != access.VOLUNTEER:
        query = query.where(in_unit_scope(table.unit_id, user))
    if unit_filter(form) is not None:
        query = query.where(table.unit_id == unit_filter(form))
    if form.field.data:
        query = query.where(table.field_code == form.field.data)
    entries, half = db.session.execute(query).one()
    if form.start.data:
        extra_entries, extra_half = _straddling(form, user, personal)
        entries, half = entries + extra_entries, half + extra_half
    return Totals(int(entries), int(half))


def crosses_month():
    """SQL: the entry's first and last days lie in different months (on PostgreSQL; SQLite keeps every
    candidate, which the caller's other conditions bound). Written in the date_trunc form a partial index
    on such entries would need; that index is not created yet (issue 11's note)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return true()
    month = literal_column("'month'")
    return (func.date_trunc(month, cast(HourEntry.start_on, DateTime))
            != func.date_trunc(month, cast(HourEntry.end_on, DateTime)))


def _straddling(form, user, person_id: int | None) -> tuple[int, int]:
    """Entries the list shows from the first day but the summaries count in an earlier month: they start
    before it and end on or after it (a range is at most MAX_RANGE_DAYS long, which bounds the search)."""
    start: date = form.start.data
    query = (select(func.count(), func.coalesce(func.sum(HourEntry.half_hours), 0))
             .where(entry_scope(user), HourEntry.start_on < start,
                    HourEntry.start_on >= start - timedelta(days=MAX_RANGE_DAYS + 1), crosses_month()))
    if person_id is not None:
        query = query.where(HourEntry.person_id == person_id)
    entries, half = db.session.execute(filtered(query, form)).one()
    return int(entries), int(half)


def pending_claims(user) -> int:
    """Claims waiting for the unit staff's decision (few: they are decided within days)."""
    if user.role not in access.UNIT_STAFF:
        return 0
    return db.session.scalar(select(func.count(HourEntry.id)).where(
        writable_entry_scope(user), HourEntry.status == EntryStatus.PENDING)) or 0


# --- the export ----------------------------------------------------------------------------------

class ExportPerson:
    """The person columns a spreadsheet row reads (as Person has them), without an ORM object."""
    __slots__ = ("name", "id_number")

    def __init__(self, name: str, id_number: str):
        self.name, self.id_number = name, id_number

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)


EXPORT_COLUMNS = ("id", "start_on", "end_on", "half_hours", "field_code", "content", "persons_served", "remarks",
                  "item_code", "content_code", "transport_fee", "meal_fee", "area_code", "served_abroad",
                  "served_domestic")


class ExportEntry:
    """The entry columns a spreadsheet row reads (spreadsheets.portal_row, mohw_row), from a plain row: the
    ORM costs more than the whole file at 400,000 rows."""
    __slots__ = (*EXPORT_COLUMNS, "person")

    def __init__(self, row):
        (self.id, self.start_on, self.end_on, self.half_hours, self.field_code, self.content, self.persons_served,
         self.remarks, self.item_code, self.content_code, self.transport_fee, self.meal_fee, self.area_code,
         self.served_abroad, self.served_domestic, name, id_number) = row
        self.person = ExportPerson(name, id_number)


def export_query(form, user):
    columns = [getattr(HourEntry, name) for name in EXPORT_COLUMNS]
    query = select(*columns, Person.name, Person.id_number).join(HourEntry.person).where(entry_scope(user))
    return filtered(query, form).order_by(*[k.column.desc() for k in ORDER])


def export_rows(connection, form, user, layout: str, full_id: bool, batch: int = 5000):
    """The export's rows in the list's order, read through a server-side cursor `batch` rows at a time."""
    make_row = mohw_row if layout == "mohw" else portal_row
    # The language once: asking Flask-Babel for it three times a row was 45 % of a 300,000-row export.
    chinese = is_chinese()
    # Options on the statement: Connection.execution_options would change the connection for the audit
    # INSERT that follows on it.
    result = connection.execute(export_query(form, user).execution_options(yield_per=batch))
    for rows in result.partitions():     # a batch at a time: fetching row by row cost a fifth of the export
        for row in rows:
            yield make_row(ExportEntry(row), full_id, chinese)
