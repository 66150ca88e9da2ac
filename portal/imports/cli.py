"""`flask import volunteers|hours FILE --unit CODE [--dry-run] [--json]`: the pipeline from the shell;
`flask import other-awards FILE --user USERNAME`: an authority's import, made for a named account.

With --json one JSON object is printed: rows, committed, duplicates, hours, errors (row = sheet
row, header = row 1). With --dry-run nothing is written and the numbers say what would be.
Exit status 0 when the file was (or would be) committed, 1 when it was refused.
"""
import json
import time
from pathlib import Path

import click
from flask_babel import force_locale
from sqlalchemy import select

from portal.auth.models import User
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.registry.models import Unit

from . import bp, registry
from .pipeline import Context, OutcomeStatus, run


def run_cli(kind_key: str, path: str, unit_code: str, dry_run: bool, as_json: bool, encoding: str | None,
            lang: str):
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise click.ClickException(f"unknown unit {unit_code!r}")
    # The shell has no web limits: 100,000-row workbooks unpack to more than the web's 50 MB.
    ctx = Context(unit=unit, user=None, today=today_taipei(), max_rows=None, max_unpacked=2**30)
    _run(registry.get(kind_key), path, ctx, unit.code, dry_run, as_json, encoding, lang)


def run_authority_cli(kind_key: str, path: str, username: str, dry_run: bool, as_json: bool, encoding: str | None,
                      lang: str):
    """An authority kind, for a named account: its rows record that account and the file as their source."""
    kind = registry.get(kind_key)
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or user.role not in kind.roles or user.authority is None:
        raise click.ClickException(f"only an active authority account may import {kind_key.replace('_', ' ')}")
    ctx = Context(authority=user.authority, user=user, today=today_taipei(), max_rows=None, max_unpacked=2**30)
    _run(kind, path, ctx, user.username, dry_run, as_json, encoding, lang)


def _run(kind, path: str, ctx: Context, scope: str, dry_run: bool, as_json: bool, encoding: str | None, lang: str):
    data = Path(path).read_bytes()
    started = time.perf_counter()
    if not as_json:
        click.echo(f"checking {Path(path).name} for {scope} ...", err=True)
    with force_locale(lang):
        outcome = run(kind, data, ctx, encoding=encoding or None, commit=not dry_run, filename=Path(path).name)
        if outcome.status == OutcomeStatus.COMMITTED:
            db.session.commit()
        else:
            db.session.rollback()
    if as_json:
        click.echo(json.dumps(outcome.as_json(lang, dry_run), ensure_ascii=False))
    else:
        report(outcome, lang, dry_run, time.perf_counter() - started)
    raise SystemExit(0 if outcome.ok else 1)


def report(outcome, lang: str, dry_run: bool, seconds: float):
    for error in outcome.errors:
        where = f"row {error['row']}" if error["row"] else "file"
        column = f" {error['letter']} {error['column']}" if error["column"] else ""
        click.echo(f"{where}{column}: {error['message'][lang]}" + (f" [{error['value']}]" if error["value"] else ""))
    verb = {OutcomeStatus.COMMITTED: "committed",
            OutcomeStatus.VALID: "valid (dry run, nothing written)" if dry_run else "valid",
            OutcomeStatus.REJECTED: "REFUSED, nothing written",
            OutcomeStatus.ALREADY_IMPORTED: "already imported, nothing added"}
    click.echo(f"{outcome.rows} rows: {outcome.committed} {'would be ' if dry_run else ''}written, "
               f"{outcome.duplicates} duplicates, {outcome.half_hours / 2:g} hours, {len(outcome.errors)} errors "
               f"— {verb[outcome.status]} ({seconds:.1f} s)")


def _command(kind_key: str, doc: str):
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--unit", "unit_code", required=True, help="code of the using unit, e.g. TPE-SW-01")
    @click.option("--dry-run", is_flag=True, help="validate every row, write nothing")
    @click.option("--json", "as_json", is_flag=True, help="print one JSON object")
    @click.option("--encoding", type=click.Choice(["utf-8", "cp950"]), default=None,
                  help="CSV text encoding (default: detect UTF-8 or Big5/CP950)")
    @click.option("--lang", type=click.Choice(["en", "zh_TW"]), default="en", help="language of the messages")
    def command(file, unit_code, dry_run, as_json, encoding, lang):
        run_cli(kind_key, file, unit_code, dry_run, as_json, encoding, lang)
    command.__doc__ = doc
    return command


bp.cli.command("volunteers")(_command(
    "volunteers", "Import a roster (CSV/XLSX with the columns of roster.csv) into UNIT."))
bp.cli.command("hours")(_command(
    "hours", "Import service hours (MOHW 17-column template or the portal template) into UNIT."))


@bp.cli.command("other-awards")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "username", required=True, help="the authority account that imports, e.g. sector.education")
@click.option("--dry-run", is_flag=True, help="validate every row, write nothing")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.option("--encoding", type=click.Choice(["utf-8", "cp950"]), default=None,
              help="CSV text encoding (default: detect UTF-8 or Big5/CP950)")
@click.option("--lang", type=click.Choice(["en", "zh_TW"]), default="en", help="language of the messages")
def other_awards(file, username, dry_run, as_json, encoding, lang):
    """Import awards of other schemes (authorities only) from FILE, for the account USERNAME."""
    run_authority_cli("other_awards", file, username, dry_run, as_json, encoding, lang)
