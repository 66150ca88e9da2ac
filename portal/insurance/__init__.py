"""Volunteer group accident insurance: policies and who is covered."""
from flask import Blueprint, Flask

bp = Blueprint("insurance", __name__, url_prefix="/insurance")

from . import cover_views, flag_hooks, flags, roster_views, views  # noqa: E402,F401
from .cli import cover_flags_cli  # noqa: E402


def init_app(app: Flask) -> None:
    """The kept I6 flags follow every commit (flag_hooks.py); `flask cover-flags`."""
    flag_hooks.install()
    app.cli.add_command(cover_flags_cli)
