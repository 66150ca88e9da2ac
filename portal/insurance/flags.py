"""Kept flags (docs/rules/insurance.md#i6): the hour entries on a day without the unit's cover, stored in
`hour_cover_flags` and kept in the same transaction as every write that can change them, so that the unit's
and county's lists and counts read an index instead of finding the gaps in every member's cover at read time
(62 s for the county's work-list count on the national set).

How, and why this way:
- **Database triggers mark, the session settles.** Triggers on `hour_entries`, `insurance_enrolments`,
  `insurance_policies` (status) and `memberships` write the (person, unit) pairs a write touched into
  `hour_cover_dirty`, whatever path wrote (ORM, the imports' 1,000-row Core inserts, API batches, claim
  decisions, disputes' corrections, roster imports, merges, a future path): nobody has to remember a call,
  and portal.hours never imports portal.insurance (the floors). Before each commit a session hook
  (flag_hooks.py, installed by create_app) recomputes the flags of the marked pairs set-based (`apply`) and
  empties the table. The gap logic is cover.py's (a window over each pair's cover), generalised from one year
  to every year in which the pair has an entry. Doing the recomputation itself in triggers would mean writing
  that window twice (PL/pgSQL and SQLite) and running it once per statement instead of once per transaction.
- **Only the sessions that wrote pay.** The hook adds no query to a commit unless the session flushed an
  object of those tables or ran an insert, update, delete or textual statement (flag_hooks.py); then one
  DELETE ... RETURNING, and two statements per 1,000 marked pairs.
- **Concurrent writers of the same pair are serialised** by the dirty row's primary key on PostgreSQL: the
  second transaction's marking waits until the first commits (its dirty row, inserted and deleted, stays
  locked until then), so its recomputation, later, sees the first one's rows. Without that, two transactions
  (one adding an entry, one adding the cover) could each recompute from a snapshot without the other's row.
- **Counts are kept too.** `hour_cover_counts` (unit, year, entries) follows `hour_cover_flags` by triggers,
  so the county's work-list count sums a few hundred rows. The flags change only where they differ from the
  recomputation (no delete-and-insert of unchanged rows), so an ordinary hour write does not touch the counter
  row of its unit.
- A load that bypasses the triggers (`suspended`, portal.synth) runs `rebuild` afterwards; so does
  `flask --app wsgi cover-flags rebuild` by hand (`--check` compares only), and migration 0026 for existing
  data. tests/test_insurance_flags.py proves the flags equal the read-time computation (cover.recomputed_in_year)
  after any sequence of writes, on SQLite and PostgreSQL.
"""
from collections import defaultdict
from contextlib import contextmanager
from datetime import date

from sqlalchemy import DDL, and_, case, delete, event, exists, func, insert, or_, select, true, union, union_all

from portal.hours.models import EntryStatus, HourEntry
from portal.platform.extensions import db
from portal.registry.models import Membership

from .days import next_day, prev_day, year_end, year_start
from .models import (
    EnrolmentStatus,
    HourCoverCount,
    HourCoverDirty,
    HourCoverFlag,
    InsuranceEnrolment,
    InsurancePolicy,
    PolicyStatus,
)

# Claims waiting for approval are flagged too: the unit sees the problem before it approves them.
FLAGGED_STATUSES = (EntryStatus.ACTIVE, EntryStatus.PENDING)
# Entries from the year records had to be kept online (public units 2025, private 2026; docs/rules/insurance.md#i6)
# are looked at. Cover recorded in the portal starts with the first policies entered in it, so earlier years would
# flag nearly every entry (measured on a 20,000-volunteer set: 1.28 M of 1.63 M entries since 2022), which
# reports records that were never asked for, not uninsured service, and would be tens of millions of rows nationally.
FLAGGED_FROM = date(2025, 1, 1)
CHUNK = 1000      # marked pairs recomputed per statement pair
_FLAGGED_SQL = ", ".join(f"'{s.value}'" for s in FLAGGED_STATUSES)


# -- the recomputation ----------------------------------------------------------------------------

def _pairs_clause(person_col, unit_col, pairs):
    """SQL: (person, unit) is one of `pairs` (grouped by unit: one IN list per unit)."""
    if pairs is None:
        return true()
    by_unit = defaultdict(list)
    for person_id, unit_id in pairs:
        by_unit[unit_id].append(person_id)
    return or_(*[and_(unit_col == unit_id, person_col.in_(sorted(people)))
                 for unit_id, people in sorted(by_unit.items())])


def gaps(keys):
    """Subquery (person_id, unit_id, ys, gap_start, gap_end): for each key (person, unit, first and last day
    of a year: ys, ye), the days of that year without active cover for the unit's service. cover.gaps_in_year
    for one year and the units in scope; here for the years of each pair's entries: a pair with cover in the
    year has its gaps before, between and after its cover periods, one without cover but with a membership of
    the unit the whole year, one with neither nothing (I5, I6)."""
    e, p, k = InsuranceEnrolment, InsurancePolicy, keys.c
    cover = (select(k.person_id, k.unit_id, k.ys, k.ye,
                    case((e.starts_on < k.ys, k.ys), else_=e.starts_on).label("s"),
                    case((e.ends_on > k.ye, k.ye), else_=e.ends_on).label("t"))
             .select_from(keys)
             .join(e, and_(e.person_id == k.person_id, e.unit_id == k.unit_id, e.starts_on <= k.ye,
                           e.ends_on >= k.ys))
             .join(p, p.id == e.policy_id)
             .where(e.status == EnrolmentStatus.ACTIVE, p.status == PolicyStatus.ACTIVE).cte("cover"))
    c = cover.c
    before = func.max(c.t).over(partition_by=(c.person_id, c.unit_id, c.ys), order_by=(c.s, c.t), rows=(None, -1))
    ordered = select(c.person_id, c.unit_id, c.ys, c.s, before.label("before")).subquery()
    o = ordered.c
    inside = select(o.person_id, o.unit_id, o.ys,
                    case((o.before.is_(None), o.ys), else_=next_day(o.before)).label("gap_start"),
                    prev_day(o.s).label("gap_end")).where(or_(and_(o.before.is_(None), o.s > o.ys),
                                                              o.s > next_day(o.before)))
    after = (select(c.person_id, c.unit_id, c.ys, next_day(func.max(c.t)).label("gap_start"), c.ye.label("gap_end"))
             .group_by(c.person_id, c.unit_id, c.ys, c.ye).having(func.max(c.t) < c.ye))
    never = (select(k.person_id, k.unit_id, k.ys, k.ys.label("gap_start"), k.ye.label("gap_end"))
             .where(exists().where(Membership.person_id == k.person_id, Membership.unit_id == k.unit_id),
                    ~exists().where(c.person_id == k.person_id, c.unit_id == k.unit_id, c.ys == k.ys)))
    return union_all(inside, after, never).subquery("gaps")


def flagged(pairs=None):
    """select(id, unit_id, person_id, start_on) of the entries that must be flagged, of `pairs` (a list of
    (person_id, unit_id); None: every entry). Same rule as cover.recomputed_in_year for every year: counted or
    waiting, from FLAGGED_FROM, on at least one day of a gap of the year the entry starts in."""
    h = HourEntry
    mine = _pairs_clause(h.person_id, h.unit_id, pairs)
    keys = (select(h.person_id, h.unit_id, year_start(h.start_on).label("ys"), year_end(h.start_on).label("ye"))
            .where(h.status.in_(FLAGGED_STATUSES), h.start_on >= FLAGGED_FROM, mine).distinct().cte("keys"))
    g = gaps(keys)
    return select(h.id, h.unit_id, h.person_id, h.start_on).where(
        h.status.in_(FLAGGED_STATUSES), h.start_on >= FLAGGED_FROM, mine,
        exists().where(g.c.person_id == h.person_id, g.c.unit_id == h.unit_id, g.c.ys <= h.start_on,
                       h.start_on <= year_end(g.c.ys), h.start_on <= g.c.gap_end, h.end_on >= g.c.gap_start))


def _recompute(connection, pairs) -> None:
    """Make the flags of `pairs` equal the recomputation, changing only the rows that differ (an entry moved
    to another pair loses its old row here too: it is found by its id)."""
    f, fresh = HourCoverFlag, flagged(pairs).subquery("fresh")
    # The flags of the pairs, and those of the pairs' entries still filed under another pair, as one list of
    # ids: an OR of the two conditions kept PostgreSQL from using either index, so every hour write scanned
    # the whole flags table (1.1-2.7 s per hours POST on the 200,000-volunteer set, 2.95 M flags).
    of_pairs = f.hour_entry_id.in_(union_all(
        select(f.hour_entry_id).where(_pairs_clause(f.person_id, f.unit_id, pairs)),
        select(HourEntry.id).where(_pairs_clause(HourEntry.person_id, HourEntry.unit_id, pairs))))
    connection.execute(delete(f).where(of_pairs, ~exists().where(
        fresh.c.id == f.hour_entry_id, fresh.c.unit_id == f.unit_id, fresh.c.person_id == f.person_id,
        fresh.c.start_on == f.start_on)))
    connection.execute(insert(f).from_select(
        ["hour_entry_id", "unit_id", "person_id", "start_on"],
        select(fresh.c.id, fresh.c.unit_id, fresh.c.person_id, fresh.c.start_on)
        .where(~exists().where(f.hour_entry_id == fresh.c.id)).order_by(fresh.c.id)))


def _with_rows(connection, pairs) -> list:
    """The pairs that have an hour entry or a flag. A pair with neither (a new member, the cover of someone
    without hours) has nothing to flag or unflag: its two recomputing statements are skipped, which was a third
    of a commit that registers a volunteer."""
    h, f = HourEntry, HourCoverFlag
    found = connection.execute(union(
        select(h.person_id, h.unit_id).where(_pairs_clause(h.person_id, h.unit_id, pairs)).distinct(),
        select(f.person_id, f.unit_id).where(_pairs_clause(f.person_id, f.unit_id, pairs)).distinct()))
    return sorted(tuple(r) for r in found)


def apply(connection) -> int:
    """Take the marked pairs out of hour_cover_dirty and recompute their flags; the number of pairs."""
    d = HourCoverDirty
    pairs = sorted(tuple(r) for r in connection.execute(delete(d).returning(d.person_id, d.unit_id)))
    for start in range(0, len(pairs), CHUNK):
        if busy := _with_rows(connection, pairs[start:start + CHUNK]):
            _recompute(connection, busy)
    return len(pairs)


def rebuild(connection) -> int:
    """Every flag recomputed from the raw rows (after a load that bypassed the triggers, in a migration, or by
    hand); the number of flagged entries. The counts follow by their triggers."""
    connection.execute(delete(HourCoverDirty))
    connection.execute(delete(HourCoverFlag))
    connection.execute(delete(HourCoverCount))
    fresh = flagged().subquery()
    connection.execute(insert(HourCoverFlag).from_select(
        ["hour_entry_id", "unit_id", "person_id", "start_on"],
        select(fresh.c.id, fresh.c.unit_id, fresh.c.person_id, fresh.c.start_on).order_by(fresh.c.unit_id)))
    return connection.execute(select(func.count()).select_from(HourCoverFlag)).scalar_one()


def _year(value) -> int:
    return int(str(value)[:4])


def differences(connection) -> int:
    """Flags and counts that differ from a recomputation (0 when the triggers and the hook did their work)."""
    f = HourCoverFlag
    stored = {(r[0], r[1], r[2], str(r[3])) for r in connection.execute(
        select(f.hour_entry_id, f.unit_id, f.person_id, f.start_on))}
    fresh = {(r[0], r[1], r[2], str(r[3])) for r in connection.execute(flagged())}
    counts = defaultdict(int)
    for _id, unit_id, _person, start_on in fresh:
        counts[(unit_id, _year(start_on))] += 1
    kept = {(r.unit_id, r.year): r.entries for r in connection.execute(select(HourCoverCount))}
    return len(stored ^ fresh) + len(set(kept.items()) ^ set(counts.items()))


# -- the triggers -----------------------------------------------------------------------------------

# (table, the columns whose change can change a flag, the statuses of the table's rows that can matter)
_MARKED = (
    ("hour_entries", ("person_id", "unit_id", "start_on", "end_on", "status")),
    ("insurance_enrolments", ("person_id", "unit_id", "starts_on", "ends_on", "status", "policy_id")),
    ("memberships", ("person_id", "unit_id")),
)
_MARK = "INSERT OR IGNORE INTO hour_cover_dirty (person_id, unit_id) VALUES ({r}.person_id, {r}.unit_id);"
_POLICY_SQLITE = ("INSERT OR IGNORE INTO hour_cover_dirty (person_id, unit_id) SELECT person_id, unit_id "
                  "FROM insurance_enrolments WHERE policy_id = NEW.id;")
_YEAR_SQLITE = "CAST(strftime('%Y', {r}.start_on) AS INTEGER)"


def _sqlite() -> list[str]:
    out = []
    for table, columns in _MARKED:
        short = table.split("_")[-1]
        # An entry's removal changes no other entry's flag (its own goes by ON DELETE CASCADE); an entry
        # neither counted nor waiting cannot be flagged.
        when_new = f" WHEN NEW.status IN ({_FLAGGED_SQL})" if table == "hour_entries" else ""
        when_both = (f" WHEN OLD.status IN ({_FLAGGED_SQL}) OR NEW.status IN ({_FLAGGED_SQL})"
                     if table == "hour_entries" else "")
        out.append(f"CREATE TRIGGER IF NOT EXISTS hour_cover_mark_{short}_insert AFTER INSERT ON {table}"
                   f"{when_new} BEGIN {_MARK.format(r='NEW')} END")
        out.append(f"CREATE TRIGGER IF NOT EXISTS hour_cover_mark_{short}_update AFTER UPDATE OF "
                   f"{', '.join(columns)} ON {table}{when_both} BEGIN {_MARK.format(r='OLD')} "
                   f"{_MARK.format(r='NEW')} END")
        if table != "hour_entries":
            out.append(f"CREATE TRIGGER IF NOT EXISTS hour_cover_mark_{short}_delete AFTER DELETE ON {table} "
                       f"BEGIN {_MARK.format(r='OLD')} END")
    out.append("CREATE TRIGGER IF NOT EXISTS hour_cover_mark_policies_update AFTER UPDATE OF status ON "
               f"insurance_policies WHEN OLD.status IS NOT NEW.status BEGIN {_POLICY_SQLITE} END")
    out.append("CREATE TRIGGER IF NOT EXISTS hour_cover_count_insert AFTER INSERT ON hour_cover_flags BEGIN "
               "INSERT INTO hour_cover_counts (unit_id, year, entries) "
               f"SELECT NEW.unit_id, {_YEAR_SQLITE.format(r='NEW')}, 1 WHERE true "
               "ON CONFLICT (unit_id, year) DO UPDATE SET entries = entries + 1; END")
    where = f"unit_id = OLD.unit_id AND year = {_YEAR_SQLITE.format(r='OLD')}"
    out.append("CREATE TRIGGER IF NOT EXISTS hour_cover_count_delete AFTER DELETE ON hour_cover_flags BEGIN "
               f"UPDATE hour_cover_counts SET entries = entries - 1 WHERE {where}; "
               f"DELETE FROM hour_cover_counts WHERE {where} AND entries <= 0; END")
    return out


SQLITE_TRIGGER_NAMES = tuple(s.split()[5] for s in _sqlite())

_INTO_DIRTY = "INSERT INTO hour_cover_dirty (person_id, unit_id) "
_NO_CONFLICT = " ORDER BY 1, 2 ON CONFLICT DO NOTHING;"   # key order: two writers lock the same rows alike


def _pg_mark_function(table: str, columns: tuple) -> str:
    flagged = table == "hour_entries"
    only = f" WHERE status IN ({_FLAGGED_SQL})" if flagged else ""
    changed = (f"({', '.join('o.' + c for c in columns)}) IS DISTINCT FROM ({', '.join('n.' + c for c in columns)})")
    if flagged:
        changed += f" AND (o.status IN ({_FLAGGED_SQL}) OR n.status IN ({_FLAGGED_SQL}))"
    update = (f"WITH c AS (SELECT o.person_id AS op, o.unit_id AS ou, n.person_id AS np, n.unit_id AS nu "
              f"FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed}) "
              f"{_INTO_DIRTY}SELECT op, ou FROM c UNION SELECT np, nu FROM c{_NO_CONFLICT}")
    delete_ = f"{_INTO_DIRTY}SELECT DISTINCT person_id, unit_id FROM old_rows{_NO_CONFLICT}"
    return (f"CREATE OR REPLACE FUNCTION hour_cover_mark_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'INSERT' THEN {_INTO_DIRTY}SELECT DISTINCT person_id, unit_id FROM new_rows{only}"
            f"{_NO_CONFLICT} ELSIF TG_OP = 'UPDATE' THEN {update} "
            f"ELSE {'NULL;' if flagged else delete_} END IF; RETURN NULL; END $$")


_PG_POLICIES = (
    "CREATE OR REPLACE FUNCTION hour_cover_mark_insurance_policies() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"{_INTO_DIRTY}SELECT DISTINCT e.person_id, e.unit_id FROM insurance_enrolments e "
    "JOIN new_rows n ON n.id = e.policy_id JOIN old_rows o ON o.id = n.id WHERE o.status IS DISTINCT FROM n.status"
    f"{_NO_CONFLICT} RETURN NULL; END $$")
_PG_COUNT = (
    "CREATE OR REPLACE FUNCTION hour_cover_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'INSERT' THEN "
    "INSERT INTO hour_cover_counts AS c (unit_id, year, entries) SELECT unit_id, "
    "extract(year FROM start_on)::smallint, count(*) FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2 "
    "ON CONFLICT (unit_id, year) DO UPDATE SET entries = c.entries + excluded.entries; "
    "ELSE "
    "UPDATE hour_cover_counts c SET entries = c.entries - d.n FROM (SELECT unit_id, "
    "extract(year FROM start_on)::smallint AS year, count(*) AS n FROM old_rows GROUP BY 1, 2) d "
    "WHERE c.unit_id = d.unit_id AND c.year = d.year; "
    "DELETE FROM hour_cover_counts c WHERE c.entries <= 0 AND (c.unit_id, c.year) IN (SELECT unit_id, "
    "extract(year FROM start_on)::smallint FROM old_rows); "
    "END IF; RETURN NULL; END $$")

# (trigger, table, event, function): statement triggers with transition tables (an import's 1,000 rows mark
# their pairs in one statement)
PG_TRIGGERS = tuple(
    [(f"hour_cover_mark_{t.split('_')[-1]}_{ev.lower()}", t, ev, f"hour_cover_mark_{t}")
     for t, _ in _MARKED for ev in ("INSERT", "UPDATE", "DELETE") if (t, ev) != ("hour_entries", "DELETE")]
    + [("hour_cover_mark_policies_update", "insurance_policies", "UPDATE", "hour_cover_mark_insurance_policies"),
       ("hour_cover_count_insert", "hour_cover_flags", "INSERT", "hour_cover_count"),
       ("hour_cover_count_delete", "hour_cover_flags", "DELETE", "hour_cover_count")])
PG_FUNCTIONS = tuple(sorted({f for *_, f in PG_TRIGGERS}))
_REFERENCING = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
                "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}


def _pg() -> list[str]:
    out = [_pg_mark_function(t, columns) for t, columns in _MARKED] + [_PG_POLICIES, _PG_COUNT]
    out += [f"CREATE OR REPLACE TRIGGER {name} AFTER {ev} ON {table} REFERENCING {_REFERENCING[ev]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()" for name, table, ev, function in PG_TRIGGERS]
    return out


def trigger_statements(dialect: str) -> list[str]:
    """The DDL that marks pairs and keeps the counts on `dialect` (create_all and migration 0026); repeatable."""
    return {"postgresql": _pg, "sqlite": _sqlite}.get(dialect, list)()


def drop_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return ([f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table, _, _ in PG_TRIGGERS]
                + [f"DROP FUNCTION IF EXISTS {name}()" for name in PG_FUNCTIONS])
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGER_NAMES]
    return []


@contextmanager
def suspended(connection):
    """Marking and counting off for a bulk load on `connection`; the caller runs `rebuild(connection)` after."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        for name, table, _, _ in PG_TRIGGERS:
            connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
    else:
        for sql in drop_statements(dialect):
            connection.exec_driver_sql(sql)
    try:
        yield
    finally:
        if dialect == "postgresql":
            for name, table, _, _ in PG_TRIGGERS:
                connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {name}")
        else:
            for sql in trigger_statements(dialect):
                connection.exec_driver_sql(sql)


for _dialect in ("sqlite", "postgresql"):
    # After the whole schema (the triggers span five tables); the statements are repeatable.
    for _sql in trigger_statements(_dialect):
        event.listen(db.metadata, "after_create", DDL(_sql.replace("%", "%%")).execute_if(dialect=_dialect))
