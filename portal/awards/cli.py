"""`flask awards issue-documents`: the certificates (with their credentials) of valid awards that have none — awards
given before migration 0025, or one whose name the font could not print when it was given
(docs/rules/credentials.md#vc10)."""
import click

from . import bp
from .documents import issue_missing


@bp.cli.command("issue-documents")
def issue_documents():
    """Issue the award certificates that are missing; safe to run again (an award with one is left alone)."""
    issued, failed = issue_missing()
    click.echo(f"{issued} award certificates issued, {failed} could not be printed")
