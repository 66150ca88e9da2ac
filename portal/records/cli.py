"""`flask --app wsgi completeness rebuild|fold`: the completeness summaries (summaries.py).

Every write through the portal keeps them; `rebuild` is for after a bulk load that bypassed the session
(COPY, raw SQL) or to prove a doubt wrong (`--check` compares without writing); `fold` moves every unit's
passed days into its base row (run it daily from cron to keep the table at a few rows per unit; the numbers
are right without it)."""
import time

import click
from flask.cli import AppGroup
from sqlalchemy import select, true

from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei

from . import bp, completeness, rates
from .summaries import CompletenessPair, Pair, fold, load_pairs, rebuild

completeness_cli = AppGroup("completeness", help="Data completeness summaries (completeness_pairs, completeness_days).")


@completeness_cli.command("rebuild")
@click.option("--check", is_flag=True, help="only compare with a recomputation; exit 1 when they differ")
def rebuild_command(check):
    started = time.monotonic()
    if check:
        differ = _differences()
        click.echo(f"{differ} pairs or units differ ({time.monotonic() - started:.1f} s)")
        raise SystemExit(1 if differ else 0)
    pairs = rebuild(progress=lambda n: click.echo(f"  {n:,} pairs", err=True))
    db.session.commit()
    click.echo(f"completeness: {pairs:,} pairs rebuilt in {time.monotonic() - started:.1f} s")


@completeness_cli.command("fold")
def fold_command():
    started = time.monotonic()
    units = fold()
    db.session.commit()
    click.echo(f"completeness: {units:,} units folded in {time.monotonic() - started:.1f} s")


def _differences() -> int:
    today = today_taipei()
    stored = {(r.person_id, r.unit_id): Pair.from_row(r) for r in db.session.scalars(select(CompletenessPair))}
    fresh = load_pairs(db.session.execute, lambda column: column.isnot(None))
    pairs = {key for key in stored.keys() | fresh.keys() if stored.get(key) != fresh.get(key)}

    def numbers(rate_list):
        return {r.unit.id: (r.people, tuple(r.items.values()), r.complete) for r in rate_list}
    old, new = numbers(completeness.unit_rates(true(), today)), numbers(rates.unit_rates(true(), today))
    return len(pairs) + len({u for u in old.keys() | new.keys() if old.get(u) != new.get(u)})


bp.record_once(lambda state: state.app.cli.add_command(completeness_cli))
