"""`flask units add CODE --name NAME --county CODE --field FIELD --sector public|private`"""
import click
from sqlalchemy import select

from portal.platform.extensions import db

from . import bp
from .catalog import find_county, find_field
from .models import SECTORS, Unit
from .operations import create_unit


@bp.cli.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Chinese name")
@click.option("--name-en", default="", help="English name")
@click.option("--county", "county_code", required=True, help="county code, e.g. TPE")
@click.option("--field", "field_texts", required=True, multiple=True,
              help="service field code or Chinese name (repeat for more fields; the first is the main one)")
@click.option("--sector", required=True, type=click.Choice(SECTORS))
def add_unit(code, name, name_en, county_code, field_texts, sector):
    """Register a using unit (運用單位)."""
    county = find_county(county_code)
    if county is None:
        raise click.ClickException(f"unknown county {county_code!r}")
    fields = [find_field(t) for t in field_texts]
    if None in fields:
        raise click.ClickException(f"unknown service field {field_texts[fields.index(None)]!r}")
    if db.session.scalar(select(Unit).where(Unit.code == code)):
        raise click.ClickException(f"unit {code!r} already exists")
    unit = create_unit(code, name, county.code, fields[0].code, sector, name_en=name_en,
                       extra_fields=[f.code for f in fields[1:]])
    db.session.commit()
    click.echo(f"created unit {unit.code} {unit.name} ({county.code}, {fields[0].code}, {sector})")
