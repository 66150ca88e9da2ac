"""The roster: one row per membership with training, record book, insurance and this year's hours.

A page is two queries whatever the roster's size: the page's memberships by keyset (unit code, name, id),
then the yes/no columns and the hours of those (at most 25) memberships only. The name is the membership's
own copy (Membership.sort_name, kept equal to the person's by registry.sort_names), so one unit's roster is
a range of the index (unit_id, sort_name, id): a page reads its own rows, page 100 as fast as page 1. The yes/no conditions
join the first query only when the user filters on them; this year's hours come from the hour summaries
(hours.summaries.HourMonth), never from the raw entries. The export reads every row in one streamed
query with the same columns."""
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, case, exists, func, not_, or_, select
from sqlalchemy.orm import aliased, contains_eager
from sqlalchemy.sql.visitors import replacement_traverse

from portal.hours.summaries import HourMonth
from portal.insurance.facts import covered
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.pagination import KeysetPage, asc, bounded_count, keyset
from portal.records.operations import valid_book_exists
from portal.registry.identity import normalise
from portal.registry.models import Membership, Person, PhotoStatus, Unit
from portal.registry.scopes import membership_scope
from portal.training.facts import verified_basic, verified_special

ORDER = (asc(Unit.code), asc(Membership.sort_name), asc(Membership.id))
# One unit's roster in the same order without the (constant) unit code: the index range
# ix_memberships_unit_sort in its own order, stopping after a page (PostgreSQL cannot tell that the code
# is constant once the unit is, and would sort all of a big unit's members).
ONE_UNIT_ORDER = ORDER[1:]
FLAGS = ("training", "book", "insured")
# Counting stops here: above every unit's size (the largest has about 8,000 volunteers), so a unit's
# roster shows its exact count; an authority's whole roster shows "10,000+". A filter on a yes/no
# column makes each counted row cost three index probes, so it counts less.
COUNT_CAP, FLAG_COUNT_CAP = 10_000, 1_000
ID_CHARACTERS = re.compile(r"[A-Z0-9]+")


def conditions(today: date) -> dict:
    """SQL conditions on the membership row for the yes/no columns."""
    return {
        "training": and_(verified_basic(Membership.person_id),
                         verified_special(Membership.person_id, Membership.field_code)),
        "book": valid_book_exists(Membership.person_id),
        "insured": covered(Membership.person_id, today, Membership.unit_id),
    }


def hours_this_year(today: date):
    """The membership's active half-hours starting this calendar year, in the unit (every field)."""
    return (select(func.coalesce(func.sum(HourMonth.half_hours), 0))
            .where(HourMonth.person_id == Membership.person_id, HourMonth.unit_id == Membership.unit_id,
                   HourMonth.year == today.year)
            .correlate(Membership).scalar_subquery())


@dataclass
class RosterRow:
    membership: Membership
    training: bool
    book: bool
    insured: bool
    half_hours: int

    @property
    def person(self):
        return self.membership.person

    @property
    def unit(self):
        return self.membership.unit


def flag_filters(form) -> dict:
    """The yes/no columns the user filters on: {key: wanted (True for 'yes')}."""
    return {key: getattr(form, key).data == "yes" for key in FLAGS if getattr(form, key).data in ("yes", "no")}


def matches(text: str):
    """The search: the name contains the text, or the ID number starts with it. ID numbers are letters and
    digits only (registry.identity), so a text with anything else (a Chinese name) searches names alone,
    and the query then needs no people row: the membership's copy of the name answers."""
    name = Membership.sort_name.contains(text, autoescape=True)
    number = normalise(text)
    if not ID_CHARACTERS.fullmatch(number):
        return name
    return or_(name, Person.id_number.startswith(number, autoescape=True))


def searches_people(form) -> bool:
    """Whether the search needs the people row (an ID number may match)."""
    return bool(form.q.data) and ID_CHARACTERS.fullmatch(normalise(form.q.data)) is not None


def filtered(query, form, user, today: date):
    """The roster's scope and filters on a query over memberships (joined to people when searching)."""
    query = query.where(membership_scope(user))
    if form.q.data:
        query = query.where(matches(form.q.data))
    if form.unit.data:
        query = query.where(Membership.unit_id == int(form.unit.data))
    if form.field.data:
        query = query.where(Membership.field_code == form.field.data)
    if form.status.data:
        query = query.where(Membership.status == form.status.data)
    if form.photo.data == PhotoStatus.PENDING:   # photos the unit has to accept (the home page's work list)
        waiting = aliased(Person)   # never correlated with the Person the list joins
        query = query.where(exists().where(waiting.id == Membership.person_id,
                                           waiting.photo_status == PhotoStatus.PENDING))
    flags = conditions(today)
    for key, wanted in flag_filters(form).items():
        flag = per_row(flags[key])
        query = query.where(flag if wanted else not_(flag))
    return query


def per_row(condition):
    """`condition` with each of its EXISTS sub-selects given OFFSET 0, which keeps PostgreSQL from planning
    them as a hashed sub-plan or a semi-join: both read every verified training record of the country into
    a hash table first (1 s on 200,000 volunteers), while the page walks the unit's memberships in order and
    needs a few index probes per row, stopping after a page. Same rows; SQLite ignores it."""
    return replacement_traverse(condition, {}, lambda element: element.offset(0) if isinstance(element, Select)
                                else None)


def roster_query(form, user, today: date):
    """The filtered memberships, their person and unit loaded, unordered (ORDER orders them)."""
    return filtered(select(Membership).join(Membership.person).join(Membership.unit)
                    .options(contains_eager(Membership.person), contains_eager(Membership.unit)),
                    form, user, today)


def count_query(form, user, today: date):
    """The same rows for counting: memberships alone, people only when the search needs them."""
    query = select(Membership.id)
    if searches_people(form):
        query = query.join(Membership.person)
    return filtered(query, form, user, today)


def facts_of(membership_ids: list[int], today: date) -> dict[int, tuple]:
    """The yes/no columns and this year's half-hours of these memberships: {id: (training, book, insured,
    half_hours)}, one query."""
    if not membership_ids:
        return {}
    flags = conditions(today)
    rows = db.session.execute(
        select(Membership.id, *[case((flags[k], 1), else_=0) for k in FLAGS], hours_this_year(today))
        .where(Membership.id.in_(membership_ids)))
    return {mid: (bool(t), bool(b), bool(i), int(h or 0)) for mid, t, b, i, h in rows}


def order_of(form, user) -> tuple:
    """ONE_UNIT_ORDER for one unit's roster (a search too: the unit's index range is walked in order and
    tested, stopping after a page), ORDER across units."""
    one_unit = form.unit.data or user.role in access.UNIT_STAFF
    return ONE_UNIT_ORDER if one_unit else ORDER


def roster_page(form, user, today: date, cursor: str | None, per_page: int) -> KeysetPage:
    page = keyset(roster_query(form, user, today), order_of(form, user), cursor, per_page, count=False)
    facts = facts_of([m.id for m in page.items], today)
    page.items = [RosterRow(m, *facts[m.id]) for m in page.items]
    cap = FLAG_COUNT_CAP if flag_filters(form) else COUNT_CAP
    page.total, page.more = bounded_count(count_query(form, user, today), cap)
    return page


# --- the export -------------------------------------------------------------------------------------

@dataclass
class ExportRow:
    """A roster row as the export reads it: plain columns, no ORM objects (they cost more than the
    file for a unit of thousands)."""
    unit_code: str
    unit_name: str
    unit_name_en: str
    name: str
    id_number: str
    field_code: str
    status: str
    joined_on: date
    left_on: date | None
    birth_date: date | None
    training: bool
    book: bool
    insured: bool
    half_hours: int


def export_query(form, user, today: date):
    flags = conditions(today)
    query = (select(Unit.code, Unit.name, Unit.name_en, Person.name, Person.id_number, Membership.field_code,
                    Membership.status, Membership.joined_on, Membership.left_on, Person.birth_date,
                    *[case((flags[k], 1), else_=0) for k in FLAGS], hours_this_year(today))
             .select_from(Membership).join(Membership.person).join(Membership.unit))
    return filtered(query, form, user, today).order_by(*[k.column for k in ORDER])


def export_rows(connection, form, user, today: date, batch: int = 2000) -> Iterator[ExportRow]:
    """Every roster row in order, read through a server-side cursor `batch` rows at a time."""
    # Options on the statement, not the connection: Connection.execution_options changes the connection
    # in place, and the audit INSERT that follows on it must not go through a server-side cursor.
    result = connection.execute(export_query(form, user, today).execution_options(yield_per=batch))
    for row in result:
        yield ExportRow(*row[:10], bool(row[10]), bool(row[11]), bool(row[12]), int(row[13] or 0))
