"""`flask import volunteers FILE --unit CODE [--dry-run] [--json]`"""
import click

from . import bp


@bp.cli.command("volunteers")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--unit", "unit_code", required=True)
@click.option("--dry-run", is_flag=True)
@click.option("--json", "as_json", is_flag=True)
def import_volunteers(file, unit_code, dry_run, as_json):
    """Import a roster (CSV/XLSX with the columns of roster.csv) into UNIT."""
    raise click.ClickException("not yet supported: the import pipeline lands with the hours issue")
