"""Using units and authorities: the organisations that define every scope; `flask units` commands."""
from flask import Blueprint

bp = Blueprint("units", __name__, url_prefix="/units")

from . import cli, views  # noqa: E402,F401
