"""`flask honor-cards import FILE --user USERNAME [--dry-run] [--json]`: the county's import from the shell.

The command acts for a named county account: the cards record that account as the importer and
the file name as their source. Any other account (a unit clerk above all) is refused before the
file is read, and the import kind refuses again on its own.
"""
import json
import time
from pathlib import Path

import click
from flask_babel import force_locale
from sqlalchemy import select

from portal.auth.models import User
from portal.imports.pipeline import Context, OutcomeStatus, run
from portal.platform import access
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei

from . import bp
from .documents import issue_documents
from .importing import KIND, issue_imported
from .models import CardStatus, HonorCard


@bp.cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "username", required=True, help="the county account that imports, e.g. county.tpe")
@click.option("--dry-run", is_flag=True, help="validate every row, write nothing")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.option("--encoding", type=click.Choice(["utf-8", "cp950"]), default=None,
              help="CSV text encoding (default: detect UTF-8 or Big5/CP950)")
@click.option("--lang", type=click.Choice(["en", "zh_TW"]), default="en", help="language of the messages")
def import_cards(file, username, dry_run, as_json, encoding, lang):
    """Import honor cards (county authorities only) from FILE."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or user.role != access.COUNTY or user.authority is None:
        raise click.ClickException("only an active county authority account may import honor-card data")
    ctx = Context(authority=user.authority, user=user, today=today_taipei(), max_rows=None)
    started = time.perf_counter()
    with force_locale(lang):
        outcome = run(KIND, Path(file).read_bytes(), ctx, encoding=encoding, commit=not dry_run,
                      filename=Path(file).name)
        if outcome.status == OutcomeStatus.COMMITTED:
            db.session.commit()
            issue_imported(outcome.batch, user, ctx.today)
        else:
            db.session.rollback()
    if as_json:
        click.echo(json.dumps(outcome.as_json(lang, dry_run), ensure_ascii=False))
    else:
        for error in outcome.errors:
            where = f"row {error['row']}" if error["row"] else "file"
            click.echo(f"{where} {error['column']}: {error['message'][lang]}")
        click.echo(f"{outcome.rows} rows: {outcome.committed} cards {'would be ' if dry_run else ''}written, "
                   f"{outcome.duplicates} duplicates, {len(outcome.errors)} errors — {outcome.status} "
                   f"({time.perf_counter() - started:.1f} s)")
    raise SystemExit(0 if outcome.ok else 1)


@bp.cli.command("issue-documents")
def issue_missing_documents():
    """Issue the e-card documents of valid cards in force that have none (e.g. after an interrupted approval)."""
    today = today_taipei()
    ids = db.session.scalars(select(HonorCard.id).where(
        HonorCard.document_id.is_(None), HonorCard.status == CardStatus.VALID, HonorCard.valid_to >= today)).all()
    issued, problems = issue_documents(ids, None, valid_on=today)
    for problem in problems:
        click.echo(problem)
    click.echo(f"{issued} e-card documents issued, {len(problems)} could not be printed")
