"""`flask --app wsgi summaries rebuild`: recompute the hour summaries from the raw entries.

The triggers keep the summaries right in every transaction; this is for after a bulk load that switched
them off (`summaries.suspended`), or to prove a doubt wrong: `--check` compares without writing."""
import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.platform.extensions import db

from . import bp
from .summaries import (
    HourMonth,
    HourUnitMonth,
    HourUnitYear,
    rebuild,
    recomputed_months,
    recomputed_unit_months,
    recomputed_unit_years,
)

summaries_cli = AppGroup("summaries", help="Hour summaries (hour_months, hour_unit_months, hour_unit_years).")


@summaries_cli.command("rebuild")
@click.option("--check", is_flag=True, help="only compare the tables with a recomputation; exit 1 when they differ")
def rebuild_command(check):
    started = time.monotonic()
    if check:
        differ = _differences()
        click.echo(f"{differ} rows differ ({time.monotonic() - started:.1f} s)")
        raise SystemExit(1 if differ else 0)
    rows = rebuild()
    db.session.commit()
    click.echo(f"hour_months: {rows} rows rebuilt in {time.monotonic() - started:.1f} s")


def _differences() -> int:
    stored = {tuple(r) for r in db.session.execute(select(
        HourMonth.person_id, HourMonth.unit_id, HourMonth.field_code, HourMonth.year, HourMonth.month,
        HourMonth.half_hours, HourMonth.entries))}
    fresh = {(p, u, f, int(y), int(m), int(h), int(n)) for p, u, f, y, m, h, n in db.session.execute(recomputed_months())}
    stored_units = {tuple(r) for r in db.session.execute(select(
        HourUnitMonth.unit_id, HourUnitMonth.field_code, HourUnitMonth.year, HourUnitMonth.month,
        HourUnitMonth.half_hours, HourUnitMonth.entries))}
    fresh_units = {(u, f, int(y), int(m), int(h), int(n))
                   for u, f, y, m, h, n in db.session.execute(recomputed_unit_months())}
    stored_years = {tuple(r) for r in db.session.execute(select(
        HourUnitYear.unit_id, HourUnitYear.field_code, HourUnitYear.year, HourUnitYear.half_hours, HourUnitYear.entries))}
    fresh_years = {(u, f, int(y), int(h), int(n)) for u, f, y, h, n in db.session.execute(recomputed_unit_years())}
    # Rows that differ, by key: a wrong total is one difference, not two.
    return (len({r[:-2] for r in stored ^ fresh}) + len({r[:-2] for r in stored_units ^ fresh_units})
            + len({r[:-2] for r in stored_years ^ fresh_years}))


bp.record_once(lambda state: state.app.cli.add_command(summaries_cli))
