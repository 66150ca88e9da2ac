"""Sign-in, sign-out, password change; accounts and the `flask users` commands."""
from flask import Blueprint

bp = Blueprint("auth", __name__, cli_group="users")

from . import cli, passkey_views, views  # noqa: E402,F401
