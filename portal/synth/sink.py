"""Writing generated rows into a table as fast as the database takes them, with progress.

PostgreSQL: binary COPY through psycopg on the session's own connection (one transaction for the whole
load). Before a table's COPY its foreign keys and secondary indexes are dropped and afterwards created
again from the definitions the catalog held (so names and definitions stay exactly those of the
migrations), which turns millions of per-row checks and index insertions into one sort and one join
each. SQLite (tests, small sets): bulk Core inserts in chunks.
"""
import time
from collections.abc import Iterable
from contextlib import contextmanager

import click
from sqlalchemy import DateTime, insert, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from portal.platform.extensions import db
from portal.platform.timeutil import utcnow

PG_TYPES = {"INTEGER": "int4", "BIGINT": "int8", "SMALLINT": "int2", "VARCHAR": "varchar", "TEXT": "text",
            "DATE": "date", "TIMESTAMP WITHOUT TIME ZONE": "timestamp", "TIMESTAMP": "timestamp",
            "BOOLEAN": "bool", "NUMERIC": "numeric", "JSON": "json"}
PROGRESS_SECONDS = 5
FREEZE_TABLES = ("hour_entries", "hour_months")
SQLITE_CHUNK = 2_000


class Sink:
    """Loads tables and remembers rows and seconds per table (the manifest and the progress lines)."""

    def __init__(self, connection: Connection, echo=click.echo):
        self.connection, self.echo = connection, echo
        self.started = time.monotonic()
        self.stats: dict[str, dict] = {}
        self.now = utcnow()

    def next_id(self, table: str) -> int:
        return self.connection.execute(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")).scalar_one()

    def columns(self, table: str, given: tuple[str, ...]) -> tuple[tuple[str, ...], tuple]:
        """The given columns plus every other NOT NULL column with a model default, and those defaults."""
        extra, values = [], []
        for column in db.metadata.tables[table].columns:
            if column.name in given or column.nullable or column.default is None:
                continue
            default = column.default
            if default.is_callable:     # one timestamp for the whole load; other callables called once
                value = self.now if isinstance(column.type, DateTime) else default.arg(None)
            else:
                value = str(default.arg) if isinstance(default.arg, str) else default.arg
            values.append(value)
            extra.append(column.name)
        return given + tuple(extra), tuple(values)

    def load(self, table: str, given: tuple[str, ...], rows: Iterable[tuple]) -> int:
        columns, constants = self.columns(table, given)
        started = last = time.monotonic()
        count = 0
        with self._writer(table, columns) as write:
            for row in rows:
                write(row + constants)
                count += 1
                if not count & 0x3FFF and time.monotonic() - last > PROGRESS_SECONDS:
                    last = time.monotonic()
                    self._progress(table, count, last - started, done=False)
        seconds = time.monotonic() - started
        self.stats[table] = {"rows": count, "seconds": round(seconds, 1)}
        self._progress(table, count, seconds, done=True)
        return count

    def _progress(self, table: str, count: int, seconds: float, done: bool):
        rate = count / seconds if seconds > 0 else 0
        self.echo(f"  {table:34} {count:>12,} rows {seconds:8.1f} s {rate:>10,.0f} rows/s"
                  f"   elapsed {time.monotonic() - self.started:7.1f} s{'' if done else ' …'}")

    def step(self, label: str, seconds: float):
        self.stats[label] = {"seconds": round(seconds, 1)}
        self.echo(f"  {label:34} {'':>17} {seconds:8.1f} s {'':>17}   elapsed {time.monotonic() - self.started:7.1f} s")

    @contextmanager
    def timed(self, label: str):
        started = time.monotonic()
        yield
        self.step(label, time.monotonic() - started)

    def _writer(self, table: str, columns: tuple[str, ...]):
        raise NotImplementedError

    @contextmanager
    def bare(self, table: str, keys: bool = False):
        """The table without its indexes while the block runs (PostgreSQL only)."""
        yield

    def finish(self, tables: list[str]):
        """After the rows: sequences past the explicit ids."""


class SqliteSink(Sink):
    @contextmanager
    def _writer(self, table: str, columns: tuple[str, ...]):
        statement, chunk = insert(db.metadata.tables[table]), []

        def write(row):
            chunk.append(dict(zip(columns, row, strict=True)))
            if len(chunk) >= SQLITE_CHUNK:
                self.connection.execute(statement, chunk)
                chunk.clear()
        yield write
        if chunk:
            self.connection.execute(statement, chunk)


class PostgresSink(Sink):
    def __init__(self, connection: Connection, echo=click.echo):
        super().__init__(connection, echo)
        # Index builds and key checks of the whole load sort in memory; this transaction only.
        connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
        connection.exec_driver_sql("SET LOCAL work_mem = '256MB'")
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")

    def _types(self, table: str, columns: tuple[str, ...]) -> list[str]:
        dialect = postgresql.dialect()
        out = []
        for name in columns:
            compiled = db.metadata.tables[table].columns[name].type.compile(dialect=dialect)
            out.append(PG_TYPES[compiled.split("(")[0].strip()])
        return out

    @contextmanager
    def _writer(self, table: str, columns: tuple[str, ...]):
        freeze = self._truncated_for_freeze(table)
        with self.bare(table):
            raw = self.connection.connection.driver_connection
            options = "FORMAT BINARY, FREEZE" if freeze else "FORMAT BINARY"
            with raw.cursor() as cursor, cursor.copy(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN ({options})") as copy:
                copy.set_types(self._types(table, columns))
                yield copy.write_row

    def _truncated_for_freeze(self, table: str) -> bool:
        """COPY FREEZE writes the rows frozen and all-visible (index-only scans work at once, no later pass
        rewrites them), but only into a table emptied in this transaction: the big tables nothing else
        refers to but tables as empty as they are, unless partitioned."""
        if table not in FREEZE_TABLES:
            return False
        referencing = [r[0] for r in self.connection.execute(text(
            "SELECT DISTINCT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' "
            "AND confrelid = CAST(:t AS regclass) AND conrelid <> confrelid"), {"t": table})]
        partitioned = self.connection.execute(text(
            "SELECT relkind = 'p' FROM pg_class WHERE oid = CAST(:t AS regclass)"), {"t": table}).scalar_one()
        tables = [table, *referencing]
        if partitioned or any(self.connection.execute(text(f"SELECT EXISTS (SELECT 1 FROM {t})")).scalar_one()
                              for t in tables):
            return False
        self.connection.exec_driver_sql(f"TRUNCATE {', '.join(tables)}")
        return True

    @contextmanager
    def bare(self, table: str, keys: bool = False):
        """The table without its foreign keys and secondary indexes while the block runs; both come back
        from the catalog's own definitions afterwards. Unique constraints stay (they are the data's own
        check) unless `keys`: a table rebuilt from a query also loses its primary key meanwhile, so that
        millions of rows arriving in no order are one sort, not millions of index insertions."""
        run = self.connection.exec_driver_sql
        constraints = self.connection.execute(text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype IN ('p', 'u') "
            "AND conrelid = CAST(:t AS regclass) ORDER BY contype, conname"), {"t": table}).all() if keys else []
        indexes = self.connection.execute(text(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = CAST(:t AS regclass) AND NOT i.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1"), {"t": table}).all()
        keys = self.connection.execute(text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' "
            "AND conrelid = CAST(:t AS regclass) ORDER BY 1"), {"t": table}).all()
        for name, _ in keys:
            run(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            run(f"DROP INDEX {name}")
        for name, _ in constraints:
            run(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        yield
        started = time.monotonic()
        for name, definition in constraints:
            run(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _, definition in indexes:
            run(definition.replace(" ON ONLY ", " ON "))   # a partitioned table's index covers its partitions
        for name, definition in keys:
            run(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        if indexes or keys or constraints:
            self.step(f"{table}: indexes and keys", time.monotonic() - started)

    def finish(self, tables: list[str]):
        for table in tables:
            if "id" in db.metadata.tables[table].columns:
                self.connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1), max(id) IS NOT NULL) "
                    f"FROM {table}")


def sink_for(connection: Connection, echo=click.echo) -> Sink:
    return (PostgresSink if connection.dialect.name == "postgresql" else SqliteSink)(connection, echo)
