"""Engine settings per backend.

SQLite: WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for write transactions, so
a transaction that reads before it writes waits for the lock instead of failing with
SQLITE_BUSY_SNAPSHOT (docs/rules/platform.md#pl2). Read-only requests keep deferred BEGIN.
"""
from flask import Flask, g, has_request_context, request
from sqlalchemy import event

from .extensions import db

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def _wants_write_lock() -> bool:
    if not has_request_context():
        return True
    return request.method not in READ_METHODS or g.get("write_transaction", False)


def expect_write():
    """Call first in a GET view that writes (e.g. an access-log row) to take the lock up front."""
    g.write_transaction = True


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


def init_app(app: Flask):
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            configure_sqlite(engine)
