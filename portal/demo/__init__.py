"""`flask demo-data`: a realistic demo set for trying the portal."""
from flask import Blueprint

bp = Blueprint("demo", __name__, cli_group=None)

from . import cli  # noqa: E402,F401
