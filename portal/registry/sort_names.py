"""`memberships.sort_name`: the person's name copied onto each membership, kept equal by the database.

Why: a unit's roster is sorted by name and paged. With the name only on `people`, PostgreSQL either walks
every person in name order (1.2 M at national size) keeping the unit's members, or sorts all of a big
unit's members for every page. With the name on the membership, the index
`ix_memberships_unit_sort (unit_id, sort_name, id)` holds the unit's roster in its own order: a page reads
its 26 rows, page 100 as fast as page 1 (portal/volunteers/roster.py).

Kept by triggers, whatever path writes (ORM, bulk import, a merge that moves memberships, a future API):
a new or moved membership takes its person's name; a changed name is copied to every membership of the
person, in the same transaction. `rebuild` sets them all (after a load that switched the triggers off,
`suspended`), `differences` counts the memberships whose copy is wrong (`flask summaries rebuild --check`),
and tests/test_sort_names.py proves they stay equal after any sequence of writes.

Plain SQL over the table names, no models: registry.models installs the triggers with the tables.
"""
from contextlib import contextmanager

PG_FUNCTION_NAMES = ("memberships_take_sort_name", "people_copy_sort_name")
PG_TRIGGERS = (("memberships_sort_name", "memberships"), ("people_sort_name", "people"))
SQLITE_TRIGGER_NAMES = ("memberships_sort_name_insert", "memberships_sort_name_move", "people_sort_name")

_PG = [
    "CREATE OR REPLACE FUNCTION memberships_take_sort_name() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "NEW.sort_name := (SELECT name FROM people WHERE id = NEW.person_id); RETURN NEW; END $$",
    "CREATE TRIGGER memberships_sort_name BEFORE INSERT OR UPDATE OF person_id, sort_name ON memberships "
    "FOR EACH ROW EXECUTE FUNCTION memberships_take_sort_name()",
    "CREATE OR REPLACE FUNCTION people_copy_sort_name() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE memberships SET sort_name = NEW.name WHERE person_id = NEW.id AND sort_name IS DISTINCT FROM NEW.name; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER people_sort_name AFTER UPDATE OF name ON people FOR EACH ROW "
    "WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION people_copy_sort_name()",
]

# SQLite cannot assign NEW in a trigger: the row is corrected right after it is written (recursive
# triggers are off, so the correction does not fire the update trigger again).
_TAKE = "UPDATE memberships SET sort_name = (SELECT name FROM people WHERE id = NEW.person_id) WHERE id = NEW.id;"
_SQLITE = [
    f"CREATE TRIGGER memberships_sort_name_insert AFTER INSERT ON memberships BEGIN {_TAKE} END",
    f"CREATE TRIGGER memberships_sort_name_move AFTER UPDATE OF person_id, sort_name ON memberships BEGIN {_TAKE} END",
    "CREATE TRIGGER people_sort_name AFTER UPDATE OF name ON people WHEN OLD.name IS NOT NEW.name BEGIN "
    "UPDATE memberships SET sort_name = NEW.name WHERE person_id = NEW.id; END",
]


def trigger_statements(dialect: str) -> list[str]:
    """The DDL that keeps sort_name on `dialect` (create_all and migration 0024)."""
    return {"postgresql": _PG, "sqlite": _SQLITE}.get(dialect, [])


def drop_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return ([f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in PG_TRIGGERS]
                + [f"DROP FUNCTION IF EXISTS {name}()" for name in PG_FUNCTION_NAMES])
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGER_NAMES]
    return []


def rebuild(connection) -> int:
    """Copy every person's name onto their memberships where it differs; the number of memberships set."""
    if connection.dialect.name == "postgresql":
        sql = ("UPDATE memberships m SET sort_name = p.name FROM people p "
               "WHERE p.id = m.person_id AND m.sort_name IS DISTINCT FROM p.name")
    else:
        sql = ("UPDATE memberships SET sort_name = (SELECT name FROM people WHERE id = memberships.person_id) "
               "WHERE sort_name IS NOT (SELECT name FROM people WHERE id = memberships.person_id)")
    return connection.exec_driver_sql(sql).rowcount


def differences(connection) -> int:
    """Memberships whose sort_name is not their person's name (0 when the triggers did their work)."""
    return connection.exec_driver_sql(
        "SELECT count(*) FROM memberships m JOIN people p ON p.id = m.person_id "
        "WHERE m.sort_name <> p.name").scalar_one()


@contextmanager
def suspended(connection):
    """The triggers off for a bulk load on `connection` that writes sort_name itself (PostgreSQL; on SQLite
    they stay: its loads are small)."""
    if connection.dialect.name != "postgresql":
        yield
        return
    for name, table in PG_TRIGGERS:
        connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
    try:
        yield
    finally:
        for name, table in PG_TRIGGERS:
            connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {name}")
