"""Hour summaries: totals of active entries kept by the database itself, so that no page sums raw rows.

Three tables, keyed by the month (or year) of an entry's first day (the hours screens count an entry in
the year and month it starts, docs/rules/hours.md):
- `hour_months`: per person × unit × field × month — a volunteer's totals, a roster's hours this year,
  the eligibility engines;
- `hour_unit_months`: per unit × field × month — a unit's months, county and ministry totals of a month;
- `hour_unit_years`: per unit × field × year — the authorities' hours per year (the ministry's years are
  ~25,000 rows each instead of twelve times that);
- `hour_person_years`: per person × field × year, every unit together — a volunteer's hours up to a past
  year's end in a few rows instead of every month (the award lists: ~7 rows per volunteer, not ~45).

Database triggers on `hour_entries` keep both in the same transaction as every write, correction, void,
import and claim decision, whatever path made it (ORM, Core bulk insert, a future API): nobody has to
remember to call anything. On PostgreSQL the triggers are per statement with transition tables, so a
100,000-row import updates each summary row once, not once per entry; on SQLite they are per row.
A bulk load may switch them off (`suspended`) and `rebuild` afterwards; `flask summaries rebuild` does
the same by hand, and `tests/test_summaries.py` proves the tables equal a recomputation after any
sequence of writes.
"""
from contextlib import contextmanager

from sqlalchemy import DDL, Index, SmallInteger, String, delete, event, extract, func, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.platform.extensions import db

from .models import EntryStatus, HourEntry


class HourMonth(db.Model):
    """Active hours of one volunteer in one unit and field, in one month."""
    __tablename__ = "hour_months"
    __table_args__ = (
        Index("ix_hour_months_unit_month", "unit_id", "year", "month", "person_id", "half_hours"),
        # A volunteer's months in one field, read without the table (index-only) by the eligibility lists.
        Index("ix_hour_months_person", "person_id", "field_code", "year", "month",
              postgresql_include=["half_hours", "entries"]),
    )

    person_id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(primary_key=True)
    field_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    month: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    half_hours: Mapped[int]
    entries: Mapped[int]


class HourUnitMonth(db.Model):
    """Active hours entered for one unit in one field, in one month (every volunteer together)."""
    __tablename__ = "hour_unit_months"
    # Totals of a period over many units (county, ministry) without the table.
    __table_args__ = (Index("ix_hour_unit_months_month", "year", "month", "unit_id",
                            postgresql_include=["field_code", "entries", "half_hours"]),)

    unit_id: Mapped[int] = mapped_column(primary_key=True)
    field_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    month: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    half_hours: Mapped[int]
    entries: Mapped[int]


class HourUnitYear(db.Model):
    """Active hours entered for one unit in one field, in one year."""
    __tablename__ = "hour_unit_years"
    # A year over many units (county, ministry) without the table.
    __table_args__ = (Index("ix_hour_unit_years_year", "year", "unit_id",
                            postgresql_include=["field_code", "entries", "half_hours"]),)

    unit_id: Mapped[int] = mapped_column(primary_key=True)
    field_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    half_hours: Mapped[int]
    entries: Mapped[int]


class HourPersonYear(db.Model):
    """Active hours of one volunteer in one field, in one year, in every unit together."""
    __tablename__ = "hour_person_years"

    person_id: Mapped[int] = mapped_column(primary_key=True)
    field_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    half_hours: Mapped[int]
    entries: Mapped[int]


# -- the triggers ------------------------------------------------------------------------------

_PERSON_KEY = ("person_id", "unit_id", "field_code", "year", "month")
_UNIT_KEY = ("unit_id", "field_code", "year", "month")
_UNIT_YEAR_KEY = ("unit_id", "field_code", "year")
_PERSON_YEAR_KEY = ("person_id", "field_code", "year")
# Older migrations pass the first tables only (those that existed at their revision): add new ones at the end.
TABLE_KEYS = (("hour_months", _PERSON_KEY), ("hour_unit_months", _UNIT_KEY), ("hour_unit_years", _UNIT_YEAR_KEY),
              ("hour_person_years", _PERSON_YEAR_KEY))


def _sqlite_apply(row: str, sign: str, tables=TABLE_KEYS) -> list[str]:
    """Statements adding (sign '+') or taking away (sign '-') one entry `row` (NEW or OLD) to every table;
    a summary row whose last entry went is deleted, so that the tables hold exactly what a recomputation
    would give."""
    year, month = (f"CAST(strftime('%{p}', {row}.start_on) AS INTEGER)" for p in ("Y", "m"))
    values = {"person_id": f"{row}.person_id", "unit_id": f"{row}.unit_id", "field_code": f"{row}.field_code",
              "year": year, "month": month}
    out = []
    for table, key in tables:
        where = " AND ".join(f"{k} = {values[k]}" for k in key)
        if sign == "+":
            # "WHERE true" keeps SQLite's parser from reading ON CONFLICT as part of the SELECT.
            out.append(f"INSERT INTO {table} ({', '.join(key)}, half_hours, entries) "
                       f"SELECT {', '.join(values[k] for k in key)}, {row}.half_hours, 1 WHERE true "
                       f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET half_hours = half_hours + excluded.half_hours, "
                       f"entries = entries + 1;")
        else:
            out.append(f"UPDATE {table} SET half_hours = half_hours - {row}.half_hours, entries = entries - 1 "
                       f"WHERE {where};")
            out.append(f"DELETE FROM {table} WHERE {where} AND entries <= 0;")
    return out


def _sqlite_triggers(tables=TABLE_KEYS) -> list[str]:
    active_new, active_old = "NEW.status = 'active'", "OLD.status = 'active'"
    return [
        "CREATE TRIGGER hour_summaries_insert AFTER INSERT ON hour_entries "
        f"WHEN {active_new} BEGIN {' '.join(_sqlite_apply('NEW', '+', tables))} END",
        "CREATE TRIGGER hour_summaries_delete AFTER DELETE ON hour_entries "
        f"WHEN {active_old} BEGIN {' '.join(_sqlite_apply('OLD', '-', tables))} END",
        # Two update triggers: SQLite runs a trigger's statements unconditionally, so each side has its own WHEN.
        "CREATE TRIGGER hour_summaries_update_old AFTER UPDATE ON hour_entries "
        f"WHEN {active_old} BEGIN {' '.join(_sqlite_apply('OLD', '-', tables))} END",
        "CREATE TRIGGER hour_summaries_update_new AFTER UPDATE ON hour_entries "
        f"WHEN {active_new} BEGIN {' '.join(_sqlite_apply('NEW', '+', tables))} END",
    ]


SQLITE_TRIGGER_NAMES = ("hour_summaries_insert", "hour_summaries_delete", "hour_summaries_update_old",
                        "hour_summaries_update_new")


def _pg_apply(delta: str, table: str, key: tuple, deletes: bool) -> str:
    """The net change of the statement's entries (`delta`, a query over the transition tables) to `table`,
    in key order so that two transactions touching the same summary rows lock them in the same order;
    then, when entries went away, the rows left empty. A CTE, not a temporary table: creating one per
    transaction would churn the catalog at every hour entry."""
    cols = ", ".join(key)
    upsert = (
        f"WITH delta AS ({delta}) INSERT INTO {table} AS t ({cols}, half_hours, entries) "
        f"SELECT {cols}, sum(half_hours), sum(entries) FROM delta GROUP BY {cols} "
        f"HAVING sum(half_hours) <> 0 OR sum(entries) <> 0 ORDER BY {cols} "
        f"ON CONFLICT ({cols}) DO UPDATE SET half_hours = t.half_hours + excluded.half_hours, "
        f"entries = t.entries + excluded.entries;")
    if not deletes:
        return upsert
    return upsert + (
        f" WITH delta AS ({delta}) DELETE FROM {table} t USING (SELECT DISTINCT {cols} FROM delta) d "
        f"WHERE {' AND '.join(f't.{k} = d.{k}' for k in key)} AND t.entries <= 0;")


def _pg_side(name: str, sign: int) -> str:
    return (f"SELECT person_id, unit_id, field_code, extract(year FROM start_on)::smallint AS year, "
            f"extract(month FROM start_on)::smallint AS month, {sign} * half_hours AS half_hours, "
            f"{sign} AS entries FROM {name} WHERE status = 'active'")


def pg_function(tables=TABLE_KEYS) -> str:
    """The PostgreSQL trigger function (CREATE OR REPLACE: a migration adding a table re-runs it alone)."""
    def both(delta: str, deletes: bool) -> str:
        return " ".join(_pg_apply(delta, table, key, deletes) for table, key in tables)
    added, removed = _pg_side("new_rows", 1), _pg_side("old_rows", -1)
    return (
        "CREATE OR REPLACE FUNCTION hour_summaries_apply() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {both(added, False)} "
        f"ELSIF TG_OP = 'DELETE' THEN {both(removed, True)} "
        f"ELSE {both(added + ' UNION ALL ' + removed, True)} "
        "END IF; RETURN NULL; END $$"
    )


PG_TRIGGER_NAMES = ("hour_summaries_insert", "hour_summaries_update", "hour_summaries_delete")


def _pg_triggers(tables=TABLE_KEYS) -> list[str]:
    return [
        pg_function(tables),
        "CREATE TRIGGER hour_summaries_insert AFTER INSERT ON hour_entries REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION hour_summaries_apply()",
        "CREATE TRIGGER hour_summaries_update AFTER UPDATE ON hour_entries "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hour_summaries_apply()",
        "CREATE TRIGGER hour_summaries_delete AFTER DELETE ON hour_entries REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION hour_summaries_apply()",
    ]


def trigger_statements(dialect: str, tables=TABLE_KEYS) -> list[str]:
    """The DDL that installs the maintenance of `tables` on `dialect` (used by create_all and by the
    migrations; an older migration passes the tables that existed at its revision)."""
    if dialect not in ("sqlite", "postgresql"):
        return []
    return (_sqlite_triggers if dialect == "sqlite" else _pg_triggers)(tables)


for _dialect in ("sqlite", "postgresql"):
    for _sql in trigger_statements(_dialect):
        event.listen(HourEntry.__table__, "after_create", DDL(_sql.replace("%", "%%")).execute_if(dialect=_dialect))


@contextmanager
def suspended(connection):
    """Maintenance off for a bulk load on `connection` (its transaction), back on afterwards; the caller
    runs `rebuild(connection)` once the rows are in."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql("ALTER TABLE hour_entries DISABLE TRIGGER " + ", DISABLE TRIGGER ".join(PG_TRIGGER_NAMES))
    elif dialect == "sqlite":
        for name in SQLITE_TRIGGER_NAMES:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    try:
        yield
    finally:
        if dialect == "postgresql":
            connection.exec_driver_sql("ALTER TABLE hour_entries ENABLE TRIGGER " + ", ENABLE TRIGGER ".join(PG_TRIGGER_NAMES))
        elif dialect == "sqlite":
            for sql in _sqlite_triggers():
                connection.exec_driver_sql(sql)


# -- recomputation ------------------------------------------------------------------------------

def recomputed_months():
    """hour_months as a query over the raw entries: what the table must always equal."""
    year, month = extract("year", HourEntry.start_on), extract("month", HourEntry.start_on)
    return (select(HourEntry.person_id, HourEntry.unit_id, HourEntry.field_code, year.label("year"),
                   month.label("month"), func.sum(HourEntry.half_hours).label("half_hours"),
                   func.count().label("entries"))
            .where(HourEntry.status == EntryStatus.ACTIVE)
            .group_by(HourEntry.person_id, HourEntry.unit_id, HourEntry.field_code, year, month))


def recomputed_unit_months():
    """hour_unit_months over the raw entries."""
    year, month = extract("year", HourEntry.start_on), extract("month", HourEntry.start_on)
    return (select(HourEntry.unit_id, HourEntry.field_code, year.label("year"), month.label("month"),
                   func.sum(HourEntry.half_hours).label("half_hours"), func.count().label("entries"))
            .where(HourEntry.status == EntryStatus.ACTIVE)
            .group_by(HourEntry.unit_id, HourEntry.field_code, year, month))


def recomputed_unit_years():
    """hour_unit_years over the raw entries."""
    year = extract("year", HourEntry.start_on)
    return (select(HourEntry.unit_id, HourEntry.field_code, year.label("year"),
                   func.sum(HourEntry.half_hours).label("half_hours"), func.count().label("entries"))
            .where(HourEntry.status == EntryStatus.ACTIVE)
            .group_by(HourEntry.unit_id, HourEntry.field_code, year))


def recomputed_person_years():
    """hour_person_years over the raw entries."""
    year = extract("year", HourEntry.start_on)
    return (select(HourEntry.person_id, HourEntry.field_code, year.label("year"),
                   func.sum(HourEntry.half_hours).label("half_hours"), func.count().label("entries"))
            .where(HourEntry.status == EntryStatus.ACTIVE)
            .group_by(HourEntry.person_id, HourEntry.field_code, year))


def roll_up_person_years(connection=None):
    """hour_person_years from hour_months (empty before): no raw entry read."""
    month = HourMonth
    (connection or db.session).execute(insert(HourPersonYear).from_select(
        ["person_id", "field_code", "year", "half_hours", "entries"],
        select(month.person_id, month.field_code, month.year, func.sum(month.half_hours), func.sum(month.entries))
        .group_by(month.person_id, month.field_code, month.year)))


def roll_up_years(connection=None):
    """hour_unit_years from hour_unit_months (empty before): a twelfth of the rows, no raw entry read."""
    month = HourUnitMonth
    (connection or db.session).execute(insert(HourUnitYear).from_select(
        ["unit_id", "field_code", "year", "half_hours", "entries"],
        select(month.unit_id, month.field_code, month.year, func.sum(month.half_hours), func.sum(month.entries))
        .group_by(month.unit_id, month.field_code, month.year)))


def rebuild(connection=None, years: bool = True) -> int:
    """Recompute every table from hour_entries (in the caller's transaction); the number of person rows.
    `years=False` leaves hour_unit_years and hour_person_years alone (migration 0006 ran before they existed)."""
    run = (connection or db.session).execute
    run(delete(HourMonth))
    run(delete(HourUnitMonth))
    if years:
        run(delete(HourUnitYear))
        run(delete(HourPersonYear))
    run(insert(HourMonth).from_select(
        ["person_id", "unit_id", "field_code", "year", "month", "half_hours", "entries"], recomputed_months()))
    # The unit rollup from the person rows: a tenth of the work of a second pass over the entries.
    run(insert(HourUnitMonth).from_select(
        ["unit_id", "field_code", "year", "month", "half_hours", "entries"],
        select(HourMonth.unit_id, HourMonth.field_code, HourMonth.year, HourMonth.month,
               func.sum(HourMonth.half_hours), func.sum(HourMonth.entries))
        .group_by(HourMonth.unit_id, HourMonth.field_code, HourMonth.year, HourMonth.month)))
    if years:
        roll_up_years(connection)
        roll_up_person_years(connection)
    return run(select(func.count()).select_from(HourMonth)).scalar_one()
