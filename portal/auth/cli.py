"""`flask users add USERNAME --role ROLE ...`"""
import sys

import click
from flask_babel import force_locale

from portal.platform import access, audit
from portal.platform.extensions import db
from portal.registry.catalog import find_county, find_field
from portal.registry.identity import IdNumberError, classify

from . import bp, mfa
from .operations import account_scope, create_user, end_sessions, find_user
from .passwords import policy_problems


def _fail(message: str):
    raise click.ClickException(message)


def resolve_scope(role, unit_code, county_code, field_text, national_id) -> dict:
    """The scope anchor each role needs, or a clear error naming the missing option."""
    county = find_county(county_code) if county_code else None
    field = find_field(field_text) if field_text else None
    if county_code and not county:
        _fail(f"unknown county {county_code!r}")
    if field_text and not field:
        _fail(f"unknown service field {field_text!r}")
    if role == access.VOLUNTEER:
        try:
            classify(national_id, allow_passport=True)
        except IdNumberError:
            _fail("role volunteer needs --person with a valid national ID of a registered person")
    scope, missing = account_scope(role, unit_code=unit_code, person_id_number=national_id,
                                   county_code=county.code if county else None,
                                   field_code=field.code if field else None)
    if missing:
        _fail("role sector_local needs --county CODE and --field FIELD" if role == access.SECTOR_LOCAL else {
            "unit": f"role {role} needs --unit CODE of an existing unit",
            "person": "no person with that ID; register the volunteer first",
            "county": f"role {role} needs --county CODE",
            "field": f"role {role} needs --field FIELD"}[missing[0]])
    return scope


@bp.cli.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(access.ROLES))
@click.option("--unit", "unit_code")
@click.option("--county", "county_code")
@click.option("--field", "field_text", help="field code or Chinese name, e.g. social or 社會福利")
@click.option("--person", "national_id", help="national ID of the volunteer's person record")
@click.option("--name", "display_name", default="")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def add_user(username, role, unit_code, county_code, field_text, national_id, display_name, password_stdin):
    """Create an account with ROLE and its scope."""
    if find_user(username):
        _fail(f"user {username!r} already exists")
    scope = resolve_scope(role, unit_code, county_code, field_text, national_id)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with force_locale("en"):
        problems = policy_problems(password, role, username)
    if problems:
        _fail(" ".join(problems))
    user = create_user(username, password, role, display_name=display_name, **scope)
    db.session.commit()
    click.echo(f"created {user.username} ({role})")


@bp.cli.command("reset-mfa")
@click.argument("username")
def reset_mfa(username):
    """Clear USERNAME's two-step sign-in (lost phone); the app is set up again at the next sign-in."""
    user = find_user(username)
    if user is None:
        _fail(f"no user {username!r}")
    mfa.reset(user)
    end_sessions(user)
    audit.record("user.reset_mfa", user, username=user.username, role=user.role, via="cli")
    db.session.commit()
    click.echo(f"two-step sign-in reset for {user.username}")
