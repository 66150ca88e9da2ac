"""`flask --app wsgi summaries rebuild`: recompute the hour summaries from the raw entries.

The triggers keep the summaries right in every transaction; this is for after a bulk load that switched
them off (`summaries.suspended`), or to prove a doubt wrong: `--check` compares without writing. The same
goes for the memberships' copy of the person's name (registry.sort_names), also kept by triggers."""
import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.platform.extensions import db
from portal.registry import sort_names

from . import bp
from .summaries import (
    HourMonth,
    HourPersonYear,
    HourUnitMonth,
    HourUnitYear,
    rebuild,
    recomputed_months,
    recomputed_person_years,
    recomputed_unit_months,
    recomputed_unit_years,
)

summaries_cli = AppGroup("summaries", help="Hour summaries (hour_months, hour_unit_months, hour_unit_years, "
                                     "hour_person_years) and the memberships' sort names.")


@summaries_cli.command("rebuild")
@click.option("--check", is_flag=True, help="only compare the tables with a recomputation; exit 1 when they differ")
def rebuild_command(check):
    started = time.monotonic()
    connection = db.session.connection()
    if check:
        differ = _differences()
        names = sort_names.differences(connection)
        click.echo(f"{differ} rows differ; {names} memberships have a sort name other than the person's name "
                   f"({time.monotonic() - started:.1f} s)")
        raise SystemExit(1 if differ or names else 0)
    rows = rebuild()
    names = sort_names.rebuild(connection)
    db.session.commit()
    click.echo(f"hour_months: {rows} rows rebuilt; {names} memberships' sort names set "
               f"in {time.monotonic() - started:.1f} s")


def _differences() -> int:
    """Rows that differ between each table and its recomputation, by key: a wrong total is one difference."""
    differ = 0
    for table, fresh_query in ((HourMonth, recomputed_months()), (HourUnitMonth, recomputed_unit_months()),
                               (HourUnitYear, recomputed_unit_years()), (HourPersonYear, recomputed_person_years())):
        columns = [table.__table__.c[column.name] for column in fresh_query.selected_columns]
        stored = {tuple(row) for row in db.session.execute(select(*columns))}
        # extract() gives floats or decimals on some backends; the keys and totals are whole numbers.
        fresh = {tuple(v if isinstance(v, str) else int(v) for v in row) for row in db.session.execute(fresh_query)}
        differ += len({row[:-2] for row in stored ^ fresh})
    return differ


bp.record_once(lambda state: state.app.cli.add_command(summaries_cli))
