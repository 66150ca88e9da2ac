"""Engine settings per backend, and which engine a request reads from.

SQLite: WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for write transactions, so
a transaction that reads before it writes waits for the lock instead of failing with
SQLITE_BUSY_SNAPSHOT (docs/rules/platform.md#pl2). Read-only requests keep deferred BEGIN.

Read replica (config DATABASE_REPLICA_URL, bind "replica"): a GET view marked
@reads_from_replica runs its plain SELECTs on the replica (extensions.RoutingSession routes
them). Everything else uses the primary: other views, the before-request hooks (the signed-in
user and their session token are read before the view runs), every write, and the rest of a
marked view once it calls expect_write(). A browser that wrote within REPLICA_STICKY_SECONDS
reads from the primary, so a page shown after a POST never misses what was just saved.
"""
import functools
import time

from flask import Flask, current_app, g, has_request_context, request, session
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from . import config
from .extensions import REPLICA, db

READ_METHODS = {"GET", "HEAD", "OPTIONS"}
WROTE_AT = "wrote_at"   # session key: when this browser last sent a write request (epoch seconds)


def _wants_write_lock() -> bool:
    if not has_request_context():
        return True
    return request.method not in READ_METHODS or g.get("write_transaction", False)


def expect_write():
    """Call first in a GET view that writes (e.g. an access-log row) to take the lock up front;
    the rest of the request reads from the primary too."""
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


def configure_sqlite(engine):
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


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
    with app.app_context():
        configure(db.engine)
    if app.config.get("DATABASE_REPLICA_URL"):
        engine = create_engine(config.normalised_url(app.config["DATABASE_REPLICA_URL"]),
                               **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        configure(engine)
        app.extensions[REPLICA] = engine
        app.after_request(_remember_write)
