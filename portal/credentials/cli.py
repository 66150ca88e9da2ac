"""`flask credentials rotate`: retire the current signing key and start a new one (docs/rules/credentials.md#vc4)."""
import os

import click
from flask import current_app
from flask.cli import with_appcontext

from . import keys


@click.group("credentials", help="Verifiable credentials: the issuer's signing keys.")
def group():
    pass


@group.command("rotate", help="Retire the current key (kept for verification) and make a new current key.")
@with_appcontext
def rotate():
    if current_app.config.get("CREDENTIAL_KEYS") or os.environ.get("CREDENTIAL_KEYS"):
        raise click.ClickException("CREDENTIAL_KEYS is set in the environment: rotate it there (see "
                                   "docs/rules/credentials.md#vc4).")
    path = keys.key_file()
    key_set = keys.rotate(path)
    click.echo(f"{path}: current key {key_set['keys'][-1]['id']}, {len(key_set['keys']) - 1} retired")
