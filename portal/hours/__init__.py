"""Service hours: entry, batch grid, volunteer claims, corrections, totals."""
from flask import Blueprint

bp = Blueprint("hours", __name__, url_prefix="/hours")

from . import claim_views, cli, dispute_views, entry_views, summaries, views  # noqa: E402,F401
