"""Bulk imports (upload → validate every row → preview → confirm) and their CLI twins."""
from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/imports", cli_group="import")

from . import cli, views  # noqa: E402,F401
