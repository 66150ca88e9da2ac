"""`flask api-clients add NAME --owner USERNAME --scopes SCOPE,... [--json]`, `rotate`, `revoke`, `list`
(docs/rules/api.md#api1). An operator at the command line registers for any owner account."""
import json

import click
from sqlalchemy import select

from portal.auth.models import User
from portal.platform.extensions import db

from .auth import find_client
from .blueprint import bp
from .models import SCOPES, ApiClient
from .operations import ClientRefused, register_client, revoke_client, rotate_secret

REFUSALS = {
    "unknown_scope": "unknown or no scope; choose from " + ", ".join(SCOPES),
    "owner_role": "the owner must be an active unit-staff or authority account",
    "owner_outside": "the owner is outside the registering account's area",
    "registrar_role": "only the ministry or a county registers clients",
}


def _print(credentials, as_json: bool):
    if as_json:
        click.echo(json.dumps(credentials.as_dict()))
    else:
        click.echo(f"client_id: {credentials.client.client_id}")
        click.echo(f"client_secret: {credentials.client_secret}")
        click.echo("The secret is shown only now; only its digest is stored.")


def _client(client_id: str) -> ApiClient:
    client = find_client(client_id)
    if client is None:
        raise click.ClickException(f"no client {client_id!r}")
    return client


@bp.cli.command("add")
@click.argument("name")
@click.option("--owner", "owner_name", required=True, help="username of the account the client acts for")
@click.option("--scopes", required=True, help="comma-separated: " + ",".join(SCOPES))
@click.option("--rate-limit", default="", help='e.g. "600 per minute" (default: API_RATE_LIMIT)')
@click.option("--json", "as_json", is_flag=True, help='print {"client_id", "client_secret"}')
def add(name, owner_name, scopes, rate_limit, as_json):
    owner = db.session.scalar(select(User).where(User.username == owner_name))
    if owner is None:
        raise click.ClickException(f"no account {owner_name!r}")
    try:
        credentials = register_client(name, owner, [s.strip() for s in scopes.split(",") if s.strip()], None,
                                      rate_limit=rate_limit)
    except ClientRefused as refused:
        raise click.ClickException(REFUSALS[refused.code]) from refused
    db.session.commit()
    _print(credentials, as_json)


@bp.cli.command("rotate")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
def rotate(client_id, as_json):
    credentials = rotate_secret(_client(client_id))
    db.session.commit()
    _print(credentials, as_json)


@bp.cli.command("revoke")
@click.argument("client_id")
def revoke(client_id):
    revoke_client(_client(client_id))
    db.session.commit()
    click.echo(f"revoked {client_id}")


@bp.cli.command("list")
def list_clients():
    for client in db.session.scalars(select(ApiClient).order_by(ApiClient.id)):
        state = "revoked" if client.revoked_at else "active"
        click.echo(f"{client.client_id}\t{state}\t{client.owner.username}\t{client.scopes}\t{client.name}")
