"""Completeness summaries (docs/rules/record-book.md#b9): every unit's counts kept by the writes that change
them, so that the county and ministry pages read a few rows per unit instead of testing seven conditions
for every one of a million memberships.

Two tables:
- `completeness_pairs`: one row per current (person, unit) pair with what decides its items — the five
  items that do not depend on the day (bit flags), the first day the "hours up to last month" item is
  missing (`hours_until`), and the merged periods the pair is insured for the unit's service (`cover`).
- `completeness_days`: per unit, how its counts change on a day. A unit's counts on day D are the sum of
  its rows with day <= D. Two items depend on the day (hours on the month, insurance on the day), so a
  pair adds a timeline, not a number: everything up to the day it was written goes to the unit's base
  row, later changes already known (cover ending, the last hours turning too old) to rows of their days.
  Nothing has to run at midnight: the sum moves when the day comes. Rows whose day has passed are
  folded into the base row by the next write for the unit (`fold` does all units; a daily cron keeps
  the table small, and the sums are right without it).

Every write through the ORM session (objects, or insert/update/delete statements on the watched tables)
marks the people whose facts changed; the session events of summary_hooks.py `refresh` their pairs and
the unit rows in the same transaction, under the people-row lock the hours and records writers already
take. Raw SQL and bulk loads (COPY) do not pass there: run `flask completeness rebuild` after them.
`tests/test_records_completeness.py` proves the summary equals the recomputation of completeness.py after
any sequence of writes.
"""
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import chain

from sqlalchemy import and_, case, delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from portal.hours.models import ACTIVE as HOURS_ACTIVE
from portal.hours.models import HourEntry
from portal.insurance.models import EnrolmentStatus, InsuranceEnrolment, InsurancePolicy, PolicyStatus
from portal.platform.dates import add_months
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.registry.models import Membership, Person, Unit

from .completeness import COUNTS, STATIC_ITEMS, static_conditions
from .models import BASE, CompletenessCountyDay, CompletenessDay, CompletenessPair

ALL_STATIC = (1 << len(STATIC_ITEMS)) - 1
CHUNK = 1000                   # people per refresh query (IN lists stay short)
SHARDS = 16                    # rows per county in completeness_county_days (two units' writers rarely share one)


# --- one pair ----------------------------------------------------------------------------------

def hours_until(last_end: date | None) -> date | None:
    """The first day on which hours ending on `last_end` are no longer "up to last month" (an entry counts
    while it ends on or after the first day of last month: until the month after next begins)."""
    return add_months(last_end, 2) if last_end else None


def merged(periods: Iterable[tuple[date, date]]) -> tuple[tuple[date, date], ...]:
    """Periods joined where they overlap or touch (cover is by the day)."""
    out: list[list[date]] = []
    for start, end in sorted(periods):
        if out and start <= out[-1][1] + timedelta(days=1):
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return tuple((a, b) for a, b in out)


@dataclass(frozen=True)
class Pair:
    flags: int
    hours_until: date | None
    cover: tuple[tuple[date, date], ...]
    name: str = ""      # not items: the person's name for the unit's list by name, the unit's county for
    county: str = ""    # the county rows

    def counts_on(self, day: date) -> tuple[int, ...]:
        """This pair's part of its unit's COUNTS on `day`."""
        static = tuple((self.flags >> i) & 1 for i in range(len(STATIC_ITEMS)))
        hours = int(self.hours_until is not None and day < self.hours_until)
        insured = int(any(a <= day <= b for a, b in self.cover))
        return (1, *static, hours, insured, int(self.flags == ALL_STATIC and hours and insured))

    def timeline(self) -> dict[date, tuple[int, ...]]:
        """The pair's counts before any change (at BASE), then how they change on each later day."""
        days = {self.hours_until} if self.hours_until else set()
        for start, end in self.cover:
            days.add(start)
            if end < date.max:
                days.add(end + timedelta(days=1))
        before = self.counts_on(BASE)
        out = {BASE: before}
        for day in sorted(d for d in days if d > BASE):
            now = self.counts_on(day)
            if now != before:
                out[day] = tuple(n - b for n, b in zip(now, before, strict=True))
                before = now
        return out

    def stored(self, person_id: int, unit_id: int) -> dict:
        return {"person_id": person_id, "unit_id": unit_id, "name": self.name, "county_code": self.county,
                "flags": self.flags,
                "hours_until": self.hours_until,
                "cover": ",".join(f"{a.isoformat()}/{b.isoformat()}" for a, b in self.cover)}

    @classmethod
    def from_row(cls, row) -> "Pair":
        cover = tuple((date.fromisoformat(a), date.fromisoformat(b))
                      for a, b in (part.split("/") for part in row.cover.split(",") if part))
        # Rows of a page may leave out the name and county (no item depends on them).
        return cls(row.flags, row.hours_until, cover, getattr(row, "name", ""), getattr(row, "county_code", ""))


# --- facts of many pairs, in three queries -----------------------------------------------------

def _static_flags(run, people: Callable) -> dict[tuple[int, int], tuple[int, str, str]]:
    """(flags, name, county) of every current pair of the people matched by `people(person_id column)`."""
    m = (select(Membership.person_id, Membership.unit_id)
         .where(Membership.is_current, people(Membership.person_id)).distinct().subquery())
    conditions = static_conditions(m.c.person_id, m.c.unit_id)
    bits = [case((conditions[item], 1 << i), else_=0) for i, item in enumerate(STATIC_ITEMS)]
    flags = bits[0]
    for bit in bits[1:]:
        flags = flags + bit
    return {(p, u): (f, name, county) for p, u, f, name, county in run(
        select(m.c.person_id, m.c.unit_id, flags, Person.name, Unit.county_code)
        .join(Person, Person.id == m.c.person_id).join(Unit, Unit.id == m.c.unit_id))}


def _last_ends(run, people: Callable) -> dict[tuple[int, int], date]:
    return {(p, u): end for p, u, end in run(
        select(HourEntry.person_id, HourEntry.unit_id, func.max(HourEntry.end_on))
        .where(HourEntry.status == HOURS_ACTIVE, people(HourEntry.person_id))
        .group_by(HourEntry.person_id, HourEntry.unit_id))}


def _cover(run, people: Callable) -> dict[tuple[int, int], list]:
    """Active enrolments in active policies (insurance.facts.covered, day by day)."""
    found = defaultdict(list)
    for p, u, start, end in run(
            select(InsuranceEnrolment.person_id, InsuranceEnrolment.unit_id, InsuranceEnrolment.starts_on,
                   InsuranceEnrolment.ends_on)
            .join(InsurancePolicy, InsurancePolicy.id == InsuranceEnrolment.policy_id)
            .where(InsuranceEnrolment.status == EnrolmentStatus.ACTIVE, InsurancePolicy.status == PolicyStatus.ACTIVE,
                   people(InsuranceEnrolment.person_id))):
        found[(p, u)].append((start, end))
    return found


def load_pairs(run, people: Callable) -> dict[tuple[int, int], Pair]:
    """Every current pair of the matched people, from the raw tables."""
    flags = _static_flags(run, people)
    ends = _last_ends(run, people) if flags else {}
    cover = _cover(run, people) if flags else {}
    return {key: Pair(f, hours_until(ends.get(key)), merged(cover.get(key, ())), name, county)
            for key, (f, name, county) in flags.items()}


# --- writing the changes -----------------------------------------------------------------------

def _insert(connection, table):
    return (postgresql if connection.dialect.name == "postgresql" else sqlite).insert(table)


def _add(connection, table, key: tuple, counts: tuple, rows: list[dict]):
    """Add rows of counts to `table` (creating the row or adding to it), in key order so that two
    transactions lock the rows they share in the same order."""
    if not rows:
        return
    statement = _insert(connection, table)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={c: table.c[c] + statement.excluded[c] for c in counts})
    connection.execute(statement, sorted(rows, key=lambda r: tuple(r[k] for k in key)))


def _apply(connection, table, key: tuple[str, ...], changes: dict, today: date, fold=()):
    """Write changes {(key values, day): counts} to a table of days: days up to today into the key's base
    row, later ones to their days, in one statement; then fold the passed days of the touched keys (and of
    `fold`) into their base rows. Rows left at zero stay (they add nothing) until `fold` sweeps them."""
    zero = [0] * len(COUNTS)
    base, later = defaultdict(lambda: list(zero)), {}
    for (values, day), counts in changes.items():
        if day <= today:
            base[values] = [a + b for a, b in zip(base[values], counts, strict=True)]
        elif any(counts):
            later[(values, day)] = counts
    keys = sorted({k for k, counts in base.items() if any(counts)} | {k for k, _d in later} | set(fold))
    if not keys:
        return
    columns = [table.c[k] for k in key]
    match = tuple_(*columns).in_(keys) if len(key) > 1 else columns[0].in_([k[0] for k in keys])

    def rows(items):
        return [{**dict(zip(key, values, strict=True)), "day": day, **dict(zip(COUNTS, counts, strict=True))}
                for (values, day), counts in items]
    # In key order, each key's base row first: every writer takes a key's base row before its other rows, so
    # the base row serialises them and two transactions never wait for each other in a circle.
    _add(connection, table, (*key, "day"), COUNTS, rows([((k, BASE), base[k]) for k in keys] + list(later.items())))
    passed = connection.execute(select(table).where(match, table.c.day > BASE, table.c.day <= today)
                                .order_by(*columns, table.c.day).with_for_update()).all()
    if passed:
        folded = defaultdict(lambda: list(zero))
        for row in passed:
            values = tuple(getattr(row, k) for k in key)
            folded[values] = [a + getattr(row, c) for a, c in zip(folded[values], COUNTS, strict=True)]
        connection.execute(delete(table).where(match, table.c.day > BASE, table.c.day <= today))
        _add(connection, table, (*key, "day"), COUNTS, rows(((k, BASE), c) for k, c in folded.items()))
    if fold:
        connection.execute(delete(table).where(match, *[table.c[c] == 0 for c in COUNTS]))


def apply_changes(connection, changes: dict[tuple[int, date], list[int]], today: date, counties: dict[int, str]):
    """Write per-(unit, day) changes to the unit rows and to their counties' rows (per shard of the unit);
    `counties`: unit id -> county code."""
    by_unit, by_county = {}, defaultdict(lambda: [0] * len(COUNTS))
    for (unit_id, day), counts in changes.items():
        if any(counts):
            by_unit[((unit_id,), day)] = counts
            total = by_county[((counties[unit_id], unit_id % SHARDS), day)]
            for i, n in enumerate(counts):
                total[i] += n
    _apply(connection, CompletenessDay.__table__, ("unit_id",), by_unit, today)
    _apply(connection, CompletenessCountyDay.__table__, ("county_code", "shard"), by_county, today)


def _differences(old: dict, new: dict) -> dict[tuple[int, date], list[int]]:
    changes = defaultdict(lambda: [0] * len(COUNTS))
    for pairs, sign in ((new, 1), (old, -1)):
        for (_person_id, unit_id), pair in pairs.items():
            for day, counts in pair.timeline().items():
                total = changes[(unit_id, day)]
                for i, n in enumerate(counts):
                    total[i] += sign * n
    return changes


FULL, HOURS = "full", "hours"


def refresh(connection, marks: dict[int, str], today: date | None = None):
    """Bring the pairs of the marked people (person id -> FULL or HOURS, what changed) and their units'
    rows up to date with the raw tables, in the caller's transaction."""
    today = today or today_taipei()
    run = connection.execute
    pairs = CompletenessPair.__table__
    ids = sorted(marks)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        if connection.dialect.name == "postgresql":
            # One refresher per person at a time (the hours and records writers already hold these locks).
            run(select(Person.id).where(Person.id.in_(chunk)).order_by(Person.id).with_for_update())
        stored = {(r.person_id, r.unit_id): Pair.from_row(r) for r in run(
            select(pairs).where(pairs.c.person_id.in_(chunk)).order_by(pairs.c.person_id, pairs.c.unit_id)
            .with_for_update())}
        full = [p for p in chunk if marks[p] == FULL]
        fresh = load_pairs(run, lambda column, ids=full: column.in_(ids)) if full else {}
        hours_only = sorted(p for p in chunk if marks[p] == HOURS)
        if hours_only:
            ends = _last_ends(run, lambda column, ids=hours_only: column.in_(ids))
            for key, pair in stored.items():
                if marks[key[0]] == HOURS:
                    fresh[key] = replace(pair, hours_until=hours_until(ends.get(key)))
        old = {k: v for k, v in stored.items() if k in fresh or k[0] in full}
        changed = {k for k in set(old) | set(fresh) if old.get(k) != fresh.get(k)}
        if not changed:
            continue
        counties = {u: pair.county for (_p, u), pair in chain(old.items(), fresh.items())}
        apply_changes(connection, _differences({k: old[k] for k in changed if k in old},
                                               {k: fresh[k] for k in changed if k in fresh}), today, counties)
        gone = sorted(k for k in changed if k not in fresh)
        if gone:
            run(delete(pairs).where(tuple_(pairs.c.person_id, pairs.c.unit_id).in_(gone)))
        rows = [fresh[k].stored(*k) for k in sorted(changed) if k in fresh]
        if rows:
            statement = _insert(connection, pairs)
            run(statement.on_conflict_do_update(
                index_elements=["person_id", "unit_id"],
                set_={c: statement.excluded[c] for c in ("name", "county_code", "flags", "hours_until", "cover")}),
                rows)


# --- rebuilding and folding --------------------------------------------------------------------

def _bulk_insert(connection, table, rows: list[dict]):
    """Many rows at once: COPY on PostgreSQL (six times faster than INSERTs), INSERTs elsewhere."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _lock_tables(connection):
    if connection.dialect.name == "postgresql":
        # Pages keep reading the old rows; refreshers wait (they read the pairs FOR UPDATE) and then
        # apply their change to the rebuilt rows.
        connection.exec_driver_sql("LOCK TABLE completeness_pairs, completeness_days, completeness_county_days "
                                   "IN EXCLUSIVE MODE")


def rebuild(connection=None, today: date | None = None, step: int = 100_000, progress=None) -> int:
    """Recompute the summaries from the raw tables in the caller's transaction; the number of pairs."""
    connection = connection or db.session.connection()
    today = today or today_taipei()
    run = connection.execute
    _lock_tables(connection)
    if connection.dialect.name == "postgresql":
        # The chunk queries are big enough for PostgreSQL to compile them (JIT), which costs more than it saves.
        connection.exec_driver_sql("SET LOCAL jit = off")
    for table in (CompletenessPair, CompletenessDay, CompletenessCountyDay):
        run(delete(table.__table__))
    top = run(select(func.max(Membership.person_id))).scalar() or 0
    totals: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0] * len(COUNTS))   # (unit, day)
    counties: dict[int, str] = {}
    written = 0
    for low in range(0, top + 1, step):
        def people(column, low=low):
            return and_(column >= low, column < low + step)
        pairs = load_pairs(run, people)
        counties.update({u: pair.county for (_p, u), pair in pairs.items()})
        for (unit_id, day), counts in _differences({}, pairs).items():
            day = BASE if day <= today else day
            totals[(unit_id, day)] = [a + b for a, b in zip(totals[(unit_id, day)], counts, strict=True)]
        if pairs:
            _bulk_insert(connection, CompletenessPair.__table__, [pair.stored(*key) for key, pair in sorted(pairs.items())])
        written += len(pairs)
        if progress:
            progress(written)
    apply_changes(connection, totals, today, counties)
    return written


def fold(connection=None, today: date | None = None, batch: int = 500) -> int:
    """Fold every unit's and county's passed days into their base rows and sweep the rows left at zero (the
    sums stay the same); the rows folded away."""
    connection = connection or db.session.connection()
    today = today or today_taipei()
    folded = 0
    for model, key in ((CompletenessDay, ("unit_id",)), (CompletenessCountyDay, ("county_code", "shard"))):
        table = model.__table__
        columns = [table.c[k] for k in key]
        passed = connection.execute(select(*columns).where(table.c.day > BASE, table.c.day <= today)
                                    .order_by(*columns)).all()
        folded += len(passed)
        keys = sorted({tuple(r) for r in passed})
        for start in range(0, len(keys), batch):
            _apply(connection, table, key, {}, today, fold=keys[start:start + batch])
        connection.execute(delete(table).where(*[table.c[c] == 0 for c in COUNTS]))
    return folded
