"""`flask --app wsgi stats ...`: the dashboards' numbers for scripts and checks (docs/kpi.md#commands), and the
upkeep of the headcount summaries.

    stats kpi --county CODE|ALL --year Y --user USERNAME [--json]
    stats awards --round ID --user USERNAME [--json]
    stats freeze --year Y          stats refresh          stats rebuild [--check]

`kpi` and `awards` answer as the named account would see them on its dashboard: its scope decides. An account
tied to one county (a county, a local sector authority, a unit's staff) may ask only that county and gets the
figure of its own scope in it; the ministry and a central sector authority may ask any county or ALL, the
central authority's figures being those of its field. Anyone else is refused.
"""
import json
import time
from datetime import date

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.auth.models import User
from portal.awards.channels import READERS, SUMMARY_KEYS, channel_unit_scope, round_summary
from portal.awards.models import AwardRound
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.records import serving
from portal.registry.catalog import COUNTY_BY_CODE
from portal.registry.models import Unit

from . import bp, headcounts, kpi

stats_cli = AppGroup("stats", help="KPI figures and award-channel statistics; the headcount summaries.")
KPI_KEYS = ("county", "year", "volunteers", "volunteers_prev", "growth_pct", "volunteers_65", "volunteers_65_prev",
            "growth_65_pct", "completeness_pct")


def account(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise click.ClickException(f"no active account {username!r}")
    return user


def scope_for(user, county: str) -> str:
    """The scope key of `county` (a code or ALL) as the account sees it; ClickException outside its scope."""
    own = kpi.scope_of(user)
    if own is None:
        raise click.ClickException("this account has no statistics scope")
    dims = serving.parse_key(own)
    fixed = dims.get("county")
    if "unit" in dims:
        fixed = db.session.scalar(select(Unit.county_code).where(Unit.id == dims["unit"]))
    if county != "ALL" and county not in COUNTY_BY_CODE:
        raise click.ClickException(f"unknown county {county!r} (a code such as TPE, or ALL)")
    if fixed and county != fixed:
        raise click.ClickException(f"this account may ask only for its county, {fixed}")
    if county == "ALL" or fixed:
        return own
    return serving.key_of({**dims, "county": county})


def number(value):
    """Decimals as JSON numbers (one decimal kept), None as null."""
    return None if value is None else float(value)


def kpi_figures(scope: str, county: str, year: int, today: date) -> dict:
    found = kpi.headcounts(scope, year)
    completeness = kpi.completeness_pct(scope, today) if year == today.year else None
    return {"county": county, "year": year, "volunteers": found.volunteers, "volunteers_prev": found.volunteers_prev,
            "growth_pct": number(found.growth_pct), "volunteers_65": found.volunteers_65,
            "volunteers_65_prev": found.volunteers_65_prev, "growth_65_pct": number(found.growth_65_pct),
            "completeness_pct": number(completeness)}


def show(values: dict, as_json: bool, keys: tuple, note: str = ""):
    if as_json:
        click.echo(json.dumps({k: values[k] for k in keys}, ensure_ascii=False))
        return
    width = max(len(k) for k in keys)
    for key in keys:
        value = values[key]
        click.echo(f"{key.ljust(width)}  {'n/a' if value is None else value}")
    if note:
        click.echo(note)


@stats_cli.command("kpi")
@click.option("--county", required=True, help="county code (e.g. TPE) or ALL for the nation")
@click.option("--year", type=int, default=None, help="the year (default: this year, provisional)")
@click.option("--user", "username", required=True, help="the account whose scope applies, e.g. county.tpe")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def kpi_command(county, year, username, as_json):
    """Active volunteers and those aged 65+ with growth, and completeness, of a county or the nation."""
    today = today_taipei()
    year = year or today.year
    if year > today.year:
        raise click.ClickException(f"{year} has not begun")
    county = county.upper()
    scope = scope_for(account(username), county)
    note = (f"scope {scope}; " + ("provisional: as of today" if year == today.year else
                                  "completeness is kept for the current year only"))
    show(kpi_figures(scope, county, year, today), as_json, KPI_KEYS, note)


@stats_cli.command("awards")
@click.option("--round", "round_id", type=int, required=True, help="the award round's id")
@click.option("--user", "username", required=True, help="the account whose scope applies, e.g. ministry")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def awards_command(round_id, username, as_json):
    """Online and paper award applications of a round per applying body, totalled in the account's scope."""
    user = account(username)
    if user.role not in READERS:
        raise click.ClickException("only an authority account may read award-channel statistics")
    if db.session.get(AwardRound, round_id) is None:
        raise click.ClickException(f"no award round {round_id}")
    show(round_summary(round_id, channel_unit_scope(user)), as_json, SUMMARY_KEYS)


@stats_cli.command("freeze")
@click.option("--year", type=int, required=True, help="a year that is over")
def freeze_command(year):
    """Freeze (or freeze again) the year-end headcounts of a past year."""
    if year >= today_taipei().year:
        raise click.ClickException(f"{year} is not over yet")
    started = time.monotonic()
    rows = headcounts.freeze(year)
    db.session.commit()
    click.echo(f"stats: {year} frozen, {rows:,} scope rows in {time.monotonic() - started:.1f} s")


@stats_cli.command("refresh")
def refresh_command():
    """Freeze every past year not frozen yet, and fold the live headcount's passed days (run daily)."""
    today = today_taipei()
    done = headcounts.frozen_years()
    for year in headcounts.past_years(today):
        if year not in done:
            started = time.monotonic()
            rows = headcounts.freeze(year)
            db.session.commit()
            click.echo(f"stats: {year} frozen, {rows:,} scope rows in {time.monotonic() - started:.1f} s")
    folded = serving.fold(today=today)
    db.session.commit()
    click.echo(f"stats: {folded:,} passed day rows folded")


@stats_cli.command("rebuild")
@click.option("--check", is_flag=True, help="only compare the stored spans with a recomputation; exit 1 when they differ")
def rebuild_command(check):
    """Rebuild the live headcount (headcount_people, headcount_days) from the raw tables."""
    started = time.monotonic()
    if check:
        differ = headcounts.differences()
        click.echo(f"stats: {differ:,} people or scope rows differ ({time.monotonic() - started:.1f} s)")
        raise SystemExit(1 if differ else 0)
    people = serving.rebuild(progress=lambda n: click.echo(f"  {n:,} people", err=True))
    db.session.commit()
    click.echo(f"stats: live headcount of {people:,} people rebuilt in {time.monotonic() - started:.1f} s")


bp.record_once(lambda state: state.app.cli.add_command(stats_cli))
