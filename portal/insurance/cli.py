"""`flask --app wsgi cover-flags rebuild`: the kept I6 flags (flags.py) recomputed from the raw rows.

The triggers and the session hook keep them right in every transaction; this is for after a load that
bypassed them (`flags.suspended`, a bulk COPY), or to prove a doubt wrong: `--check` compares without writing."""
import time

import click
from flask.cli import AppGroup

from portal.platform.extensions import db

from . import flags

cover_flags_cli = AppGroup("cover-flags", help="Hours on days without insurance (hour_cover_flags, hour_cover_counts).")


@cover_flags_cli.command("rebuild")
@click.option("--check", is_flag=True, help="only compare with a recomputation; exit 1 when they differ")
def rebuild_command(check):
    started = time.monotonic()
    connection = db.session.connection()
    if check:
        differ = flags.differences(connection)
        click.echo(f"{differ} flags or counts differ ({time.monotonic() - started:.1f} s)")
        raise SystemExit(1 if differ else 0)
    rows = flags.rebuild(connection)
    db.session.commit()
    click.echo(f"hour_cover_flags: {rows:,} flagged entries in {time.monotonic() - started:.1f} s")
