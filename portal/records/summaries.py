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

from sqlalchemy import Date, Index, SmallInteger, Text, and_, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from portal.hours.models import ACTIVE as HOURS_ACTIVE
from portal.hours.models import HourEntry
from portal.insurance.models import EnrolmentStatus, InsuranceEnrolment, InsurancePolicy, PolicyStatus
from portal.platform.dates import add_months
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.registry.models import Membership, Person

from . import serving
from .completeness import COUNTS, STATIC_ITEMS, static_conditions
from .serving import ServingCount

BASE = date(1, 1, 1)           # the base row's day: before every change
ALL_STATIC = (1 << len(STATIC_ITEMS)) - 1
CHUNK = 1000                   # people per refresh query (IN lists stay short)


class CompletenessPair(db.Model):
    """What decides one current (person, unit) pair's items."""
    __tablename__ = "completeness_pairs"
    __table_args__ = (Index("ix_completeness_pairs_unit", "unit_id", "person_id"),)

    person_id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(primary_key=True)
    flags: Mapped[int] = mapped_column(SmallInteger)   # bit i: STATIC_ITEMS[i] present
    hours_until: Mapped[date | None]                   # the hours item is present on days before this
    cover: Mapped[str] = mapped_column(Text, default="")   # "start/end,start/end" (ISO days, merged)


class CompletenessDay(db.Model):
    """The change of one unit's counts on `day` (the base row, BASE, holds all changes up to its last fold)."""
    __tablename__ = "completeness_days"

    unit_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    people: Mapped[int] = mapped_column(default=0)
    id_number: Mapped[int] = mapped_column(default=0)
    birth_date: Mapped[int] = mapped_column(default=0)
    photo: Mapped[int] = mapped_column(default=0)
    training: Mapped[int] = mapped_column(default=0)
    record_book: Mapped[int] = mapped_column(default=0)
    hours: Mapped[int] = mapped_column(default=0)
    insurance: Mapped[int] = mapped_column(default=0)
    complete: Mapped[int] = mapped_column(default=0)


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
        return {"person_id": person_id, "unit_id": unit_id, "flags": self.flags, "hours_until": self.hours_until,
                "cover": ",".join(f"{a.isoformat()}/{b.isoformat()}" for a, b in self.cover)}

    @classmethod
    def from_row(cls, row) -> "Pair":
        cover = tuple((date.fromisoformat(a), date.fromisoformat(b))
                      for a, b in (part.split("/") for part in row.cover.split(",") if part))
        return cls(row.flags, row.hours_until, cover)


# --- facts of many pairs, in three queries -----------------------------------------------------

def _static_flags(run, people: Callable) -> dict[tuple[int, int], int]:
    """Flags of every current pair of the people matched by `people(person_id column)`."""
    m = (select(Membership.person_id, Membership.unit_id)
         .where(Membership.is_current, people(Membership.person_id)).distinct().subquery())
    conditions = static_conditions(m.c.person_id, m.c.unit_id)
    bits = [case((conditions[item], 1 << i), else_=0) for i, item in enumerate(STATIC_ITEMS)]
    flags = bits[0]
    for bit in bits[1:]:
        flags = flags + bit
    return {(p, u): f for p, u, f in run(select(m.c.person_id, m.c.unit_id, flags))}


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
    return {key: Pair(f, hours_until(ends.get(key)), merged(cover.get(key, ()))) for key, f in flags.items()}


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


def _add_days(connection, rows: list[dict]):
    _add(connection, CompletenessDay.__table__, ("unit_id", "day"), COUNTS, rows)


def _add_serving(connection, changes: dict[tuple[str, int], int]):
    table = ServingCount.__table__
    _add(connection, table, ("scope", "shard"), ("people",),
         [{"scope": k, "shard": n, "people": v} for (k, n), v in changes.items()])
    if changes:
        connection.execute(delete(table).where(table.c.scope.in_(sorted({k for k, _n in changes})), table.c.people == 0))


def _row(unit_id: int, day: date, counts) -> dict:
    return {"unit_id": unit_id, "day": day, **dict(zip(COUNTS, counts, strict=True))}


def apply_changes(connection, changes: dict[tuple[int, date], list[int]], today: date):
    """Write per-(unit, day) changes: days up to today into the base row, later ones to their days; fold the
    touched units' passed days into their base rows; drop rows left at zero."""
    base, later = defaultdict(lambda: [0] * len(COUNTS)), {}
    for (unit_id, day), counts in changes.items():
        if day <= today:
            base[unit_id] = [a + b for a, b in zip(base[unit_id], counts, strict=True)]
        elif any(counts):
            later[(unit_id, day)] = counts
    units = sorted(set(base) | {u for u, _d in later})
    if not units:
        return
    table = CompletenessDay.__table__
    # Base rows first (they exist afterwards, locked by this transaction), then the passed days, then later ones.
    _add_days(connection, [_row(u, BASE, base[u]) for u in units])
    passed = connection.execute(select(table).where(table.c.unit_id.in_(units), table.c.day > BASE,
                                                    table.c.day <= today)
                                .order_by(table.c.unit_id, table.c.day).with_for_update()).all()
    if passed:
        folded = defaultdict(lambda: [0] * len(COUNTS))
        for row in passed:
            folded[row.unit_id] = [a + getattr(row, c) for a, c in zip(folded[row.unit_id], COUNTS, strict=True)]
        connection.execute(delete(table).where(table.c.unit_id.in_(units), table.c.day > BASE, table.c.day <= today))
        _add_days(connection, [_row(u, BASE, counts) for u, counts in folded.items()])
    _add_days(connection, [_row(u, d, counts) for (u, d), counts in later.items()])
    connection.execute(delete(table).where(table.c.unit_id.in_(units), *[table.c[c] == 0 for c in COUNTS]))


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


def _units_of(pairs: dict, people: Iterable[int]) -> dict[int, set[int]]:
    """person -> the units of their pairs, for these people."""
    out = {p: set() for p in people}
    for person_id, unit_id in pairs:
        if person_id in out:
            out[person_id].add(unit_id)
    return out


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
        apply_changes(connection, _differences({k: old[k] for k in changed if k in old},
                                               {k: fresh[k] for k in changed if k in fresh}), today)
        people = sorted({k[0] for k in changed})
        _add_serving(connection, serving.changes(run, _units_of(old, full), _units_of(fresh, full)))
        run(delete(pairs).where(pairs.c.person_id.in_(people)))
        rows = [pair.stored(*key) for key, pair in sorted(fresh.items()) if key[0] in people]
        if rows:
            run(pairs.insert(), rows)


# --- rebuilding and folding --------------------------------------------------------------------

def _lock_tables(connection):
    if connection.dialect.name == "postgresql":
        # Pages keep reading the old rows; refreshers wait (they read the pairs FOR UPDATE) and then
        # apply their change to the rebuilt rows.
        connection.exec_driver_sql("LOCK TABLE completeness_pairs, completeness_days, serving_counts IN EXCLUSIVE MODE")


def rebuild(connection=None, today: date | None = None, step: int = 20_000, progress=None) -> int:
    """Recompute both tables from the raw tables in the caller's transaction; the number of pairs."""
    connection = connection or db.session.connection()
    today = today or today_taipei()
    run = connection.execute
    _lock_tables(connection)
    for table in (CompletenessPair, CompletenessDay, ServingCount):
        run(delete(table.__table__))
    top = run(select(func.max(Membership.person_id))).scalar() or 0
    totals: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0] * len(COUNTS))
    people_in: dict[tuple[str, int], int] = defaultdict(int)
    written = 0
    for low in range(0, top + 1, step):
        def people(column, low=low):
            return and_(column >= low, column < low + step)
        pairs = load_pairs(run, people)
        for (unit_id, day), counts in _differences({}, pairs).items():
            day = BASE if day <= today else day
            totals[(unit_id, day)] = [a + b for a, b in zip(totals[(unit_id, day)], counts, strict=True)]
        for key, n in serving.counted(run, _units_of(pairs, {p for p, _u in pairs})).items():
            people_in[key] += n
        if pairs:
            run(CompletenessPair.__table__.insert(), [pair.stored(*key) for key, pair in sorted(pairs.items())])
        written += len(pairs)
        if progress:
            progress(written)
    rows = [_row(u, d, counts) for (u, d), counts in sorted(totals.items()) if any(counts)]
    for start in range(0, len(rows), 10_000):
        run(CompletenessDay.__table__.insert(), rows[start:start + 10_000])
    _add_serving(connection, people_in)
    return written


def fold(connection=None, today: date | None = None, batch: int = 500) -> int:
    """Fold every unit's passed days into its base row (the sums stay the same); the units folded."""
    connection = connection or db.session.connection()
    today = today or today_taipei()
    table = CompletenessDay.__table__
    units = connection.execute(select(table.c.unit_id).where(table.c.day > BASE, table.c.day <= today)
                               .distinct().order_by(table.c.unit_id)).scalars().all()
    for start in range(0, len(units), batch):
        apply_changes(connection, {(u, BASE): [0] * len(COUNTS) for u in units[start:start + batch]}, today)
    return len(units)
