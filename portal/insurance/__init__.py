"""Volunteer group accident insurance: policies and who is covered."""
from flask import Blueprint

bp = Blueprint("insurance", __name__, url_prefix="/insurance")

from . import cover_views, roster_views, views  # noqa: E402,F401
