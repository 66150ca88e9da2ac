"""Volunteer group accident insurance: policies and who is covered."""
from flask import Blueprint

bp = Blueprint("insurance", __name__, url_prefix="/insurance")

from . import views  # noqa: E402,F401
