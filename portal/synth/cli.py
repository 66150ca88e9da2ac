"""`flask --app wsgi synth --volunteers N --units U --since YEAR [--seed S] [--manifest PATH] [--password P]`."""
import json
from pathlib import Path

import click
from flask import current_app

from . import bp
from .load import NotEmpty, Options, load
from .workflow import PasswordRefused, check_password


@bp.cli.command("synth")
@click.option("--volunteers", type=click.IntRange(10), required=True, help="number of volunteers")
@click.option("--units", type=click.IntRange(1), required=True, help="number of using units")
@click.option("--since", type=click.IntRange(2001, 2100), required=True, help="first year with hour entries")
@click.option("--seed", type=int, default=2026, show_default=True, help="the same seed gives the same data")
@click.option("--manifest", type=click.Path(dir_okay=False), default=None,
              help="where the JSON manifest goes (default: instance/synth.json)")
@click.option("--password", default=Options.password, show_default=True, help="password of every synth account")
@click.option("--documents", type=click.IntRange(0), default=Options.documents, show_default=True,
              help="performance certificates issued (rendered PDFs)")
def synth(volunteers, units, since, seed, manifest, password, documents):
    """Write a national-scale synthetic data set into an empty migrated database."""
    try:
        check_password(password)
        result = load(Options(volunteers, units, since, seed, password, documents), click.echo)
    except PasswordRefused as exc:
        raise click.ClickException(f"the password does not meet the portal's policy ({exc})") from None
    except NotEmpty:
        raise click.ClickException("the database already holds people; synth writes into an empty, migrated "
                                   "database (create one and run `flask --app wsgi db upgrade` first)") from None
    path = Path(manifest or Path(current_app.instance_path) / "synth.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    click.echo(f"synth: {result['volunteers']:,} volunteers, {result['hour_entries']:,} hour entries in "
               f"{result['seconds']:,.0f} s; manifest {path}")
