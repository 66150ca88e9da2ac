"""Engine settings per backend, and which engine a request reads from.

SQLite (docs/rules/platform.md#pl2): WAL, a busy timeout, foreign keys. SQLite has one writer at a
time, and a read transaction cannot become a write one while waiting: the upgrade fails at once
("database is locked", the busy timeout is not consulted) when another connection holds the lock
or has committed since the read began. So write requests (POST, ...) and work outside requests
begin with BEGIN IMMEDIATE, and wait for the lock before their first read. A read request (GET)
begins deferred, since it has always read before its view runs (the before-request hooks load the
signed-in user); when it writes after all (an export's or a reveal's access-log row, a record-book
printout), its first INSERT/UPDATE/DELETE/SAVEPOINT ends the read-only snapshot and begins again
with BEGIN IMMEDIATE (_restart_as_writer), which waits for the lock like every writer: the write
sees the present, as each statement does on PostgreSQL (read committed), and holds the lock only
for the write, not for the export's reads.

Read replica (config DATABASE_REPLICA_URL, bind "replica"): a GET view marked
@reads_from_replica runs its plain SELECTs on the replica (extensions.RoutingSession routes
them). Everything else uses the primary: other views, the before-request hooks (the signed-in
user and their session token are read before the view runs), every write, and the rest of a
marked view once it calls expect_write(). A browser that wrote within REPLICA_STICKY_SECONDS
reads from the primary, so a page shown after a POST never misses what was just saved.
"""
import functools
import logging
import sqlite3
import time
import weakref

from flask import Flask, current_app, g, has_request_context, request, session
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine

from . import backup, config
from .extensions import REPLICA, db

log = logging.getLogger(__name__)

READ_METHODS = {"GET", "HEAD", "OPTIONS"}
WROTE_AT = "wrote_at"   # session key: when this browser last sent a write request (epoch seconds)


def _wants_write_lock() -> bool:
    """SQLite: BEGIN IMMEDIATE outside requests and in write requests; a read request's transactions
    begin deferred and restart as writers at their first write."""
    return not has_request_context() or request.method not in READ_METHODS


def expect_write():
    """Call first in a GET view that writes (e.g. an access-log row): the rest of the request reads from
    the primary, not the replica (SQLite needs no notice: the first write takes the lock)."""
    g.write_transaction = True
    g.read_replica = False


def reads_from_replica(view):
    """Mark a GET view that only reads: its queries may run on the read replica when one is configured.

    Lag: a replica may be a moment behind the primary. Mark pages where that is harmless (reports,
    lists of other people's records); the browser that just wrote is kept on the primary anyway.
    """
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        g.read_replica = (replica_configured() and request.method in READ_METHODS
                          and not g.get("write_transaction", False) and not _wrote_recently())
        try:
            return view(*args, **kwargs)
        finally:
            g.read_replica = False
    wrapper.reads_from_replica = True
    return wrapper


def replica_engine(app: Flask | None = None) -> Engine | None:
    return (app or current_app).extensions.get(REPLICA)


def replica_configured(app: Flask | None = None) -> bool:
    return replica_engine(app) is not None


def _wrote_recently() -> bool:
    wrote_at = session.get(WROTE_AT)
    return wrote_at is not None and time.time() - wrote_at < current_app.config["REPLICA_STICKY_SECONDS"]


def _remember_write(response):
    """after_request (replica configured only): note that this browser wrote, for read-your-writes."""
    if (request.method not in READ_METHODS or g.get("write_transaction", False)) and response.status_code < 400:
        session[WROTE_AT] = int(time.time())
    return response


WRITE_LOCK = "portal_sqlite_write_lock"      # connection.info: this transaction holds (or will take) the lock
CHANGES_AT_BEGIN = "portal_sqlite_changes"    # connection.info: total_changes when it began
# Statements that need the write lock; a savepoint is taken before writes, and a restart inside one
# would end it.
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT")
# A writer waits this long for the lock before "database is locked": long enough for a queue of
# writers behind an import's confirmation on a busy machine (measured: 16 requests at once on 2
# loaded cores kept one waiting 4.7 s), no longer than a request may take (gunicorn's 30 s).
BUSY_TIMEOUT_MS = 30_000


def _restart_as_writer(connection) -> bool:
    """SQLite: end a read transaction that has written nothing and begin again with the write lock
    (waiting up to busy_timeout for it). False when it already holds the lock or has written."""
    info = connection.info
    if info.get(WRITE_LOCK, True):
        return False
    raw = connection.connection.dbapi_connection
    info[WRITE_LOCK] = True
    if raw.total_changes != info.get(CHANGES_AT_BEGIN):
        return False            # it wrote already, so it holds the lock: nothing to restart
    # Straight on the DBAPI connection: SQLAlchemy's transaction (and the session's objects) go on
    # unchanged; only SQLite's snapshot moves to the present, as each statement's does on PostgreSQL.
    raw.execute("COMMIT")
    try:
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        raw.execute("BEGIN")    # still busy after the timeout: fail inside a transaction, never autocommit
        raise
    return True


def configure_sqlite(engine):
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        write = _wants_write_lock()
        connection.info[WRITE_LOCK] = write
        connection.info[CHANGES_AT_BEGIN] = connection.connection.dbapi_connection.total_changes
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    @event.listens_for(engine, "before_cursor_execute")
    def on_statement(connection, cursor, statement, parameters, context, executemany):
        if (not connection.info.get(WRITE_LOCK, True) and connection.in_transaction()
                and statement.lstrip()[:9].upper().startswith(WRITES)):
            if _restart_as_writer(connection):
                log.debug("read transaction restarted as a writer for: %s", statement[:60])


def configure_postgresql(engine):
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, record):
        # No JIT: the portal's queries are short, a misestimated cost makes PostgreSQL compile one for
        # seconds (measured: 0.6-2.2 s added to the honor-card list), and a compiling backend answers
        # neither cancel nor terminate.
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()


def configure(engine):
    """Per-connection settings of the engine's database."""
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        configure_postgresql(engine)


def init_app(app: Flask):
    # Every host and worker must sign with one key; outside SQLite it has to come from the environment.
    config.check_secret_key(app.config)
    app.cli.add_command(backup.backup_command)     # flask backup / flask restore (docs/backups.md)
    app.cli.add_command(backup.restore_command)
    with app.app_context():
        configure(db.engine)
    if app.config.get("DATABASE_REPLICA_URL"):
        engine = create_engine(config.normalised_url(app.config["DATABASE_REPLICA_URL"]),
                               **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        configure(engine)
        app.extensions[REPLICA] = engine
        app.after_request(_remember_write)


_tables_seen: "weakref.WeakKeyDictionary[Engine, dict[str, bool]]" = weakref.WeakKeyDictionary()


def table_present(connection, table: str, missing: str) -> bool:
    """Whether `table` exists in the connection's database, asked once per engine: a hook that keeps derived
    rows (summaries, flags, credentials) lets writes go on before the migration that makes its tables, and
    logs `missing` once."""
    seen = _tables_seen.setdefault(connection.engine, {})
    if table not in seen:
        seen[table] = inspect(connection).has_table(table)
        if not seen[table]:
            log.warning(missing)
    return seen[table]
